"""Kitchen display latency (issue 13, SPEC §5): from the confirm request's answer to the ticket
drawn on a real headless Chromium kitchen screen, at a steady rate of orders.

Starts `pos serve` (all order-taking plugins and the kds; SQLite and the in-process bus by
default, `--database-url postgresql://…` and `--broker amqp://…` for the split-stack figures),
makes a tenant and a menu, opens /kds/ signed in as the kitchen, then places and confirms
`--orders` orders at `--rate` per second from a thread pool. The page records when each order's
ticket appears (a MutationObserver, Date.now()); the script records when each confirm answered
(time.time(), same machine). Prints p50/p95/max and how many tickets never appeared.

With `--kds-processes N` (PostgreSQL and RabbitMQ), the split topology without containers: one
`pos serve` takes the orders (auth, catalog, customers, orders, waiter) and N others run only
auth and kds, on the same database and exchange; a kitchen screen is opened on each KDS process
and every screen must draw every ticket (figures per screen; tickets made once per order).

    .venv/bin/python bench/kds_latency.py [--orders 400] [--rate 20] [--broker memory://]
    .venv/bin/python bench/kds_latency.py --database-url postgresql://… \
        --broker amqp://guest:guest@127.0.0.1:5672// --kds-processes 2
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from broker import drop_exchange  # noqa: E402
from support.api import Api, make_tenant  # noqa: E402
from support.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from support.menu import confirm_at_rate, create_menu  # noqa: E402
from support.server import serving  # noqa: E402
from support.settings import make_settings  # noqa: E402

WATCH = """() => {
  window.drawn = {};
  new MutationObserver(() => {
    for (const node of document.querySelectorAll('article.ticket .number')) {
      const number = node.textContent.slice(1);
      if (!(number in window.drawn)) window.drawn[number] = Date.now();
    }
  }).observe(document.getElementById('board'), {childList: true, subtree: true});
}"""


def open_screen(browser, url: str, tenant):
    """A kitchen screen at ``url`` signed in as the kitchen, live, watching its board."""
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    page.goto(url + "/kds/")
    page.fill("input[name=client_id]", tenant.client_id)
    page.fill("input[name=username]", "kitchen")
    page.fill("input[name=password]", tenant.passwords["kitchen"])
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#live:has-text('ao vivo')")
    page.evaluate(WATCH)
    return page


def figures(answered: dict, drawn: dict) -> dict:
    latencies = sorted(drawn[n] - at for n, at in answered.items() if n in drawn)
    p95 = latencies[int(0.95 * (len(latencies) - 1))] if latencies else None
    return {"missing": len(answered) - len(latencies),
            "p50_ms": statistics.median(latencies) if latencies else None,
            "p95_ms": p95, "max_ms": latencies[-1] if latencies else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=400, help="at most 500")
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--broker", default="memory://")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--kds-processes", type=int, default=0,
                        help="split: the kds in this many processes of its own")
    args = parser.parse_args()
    if args.kds_processes and (args.broker.startswith("memory") or not args.database_url):
        parser.error("--kds-processes needs --database-url (PostgreSQL) and an amqp --broker")
    tmp = Path(tempfile.mkdtemp(prefix="kds-bench-"))
    database_url = args.database_url or f"sqlite+aiosqlite:///{tmp / 'var' / 'pos.db'}"
    tenant = make_tenant(make_settings(database_url, tmp))
    exchange = f"bench.kds.{uuid.uuid4().hex[:8]}"
    env = {"DATABASE_URL": database_url, "POS_DATA_DIR": str(tmp / "var"),
           "BROKER_URL": args.broker, "POS_BUS_EXCHANGE": exchange, "POS_LOG_LEVEL": "WARNING",
           "POS_PLUGINS": "auth,catalog,customers,orders,waiter,kds", "POS_AUTO_MIGRATE": "true"}
    if args.kds_processes:
        env["POS_PLUGINS"] = "auth,catalog,customers,orders,waiter"
    try:
        with contextlib.ExitStack() as stack:
            server = stack.enter_context(serving(env, cwd=tmp))
            screens = [stack.enter_context(serving({**env, "POS_PLUGINS": "auth,kds"}, cwd=tmp))
                       for _ in range(args.kds_processes)] or [server]
            client = stack.enter_context(httpx.Client(base_url=server.url, timeout=30))
            staff = Api(client, tenant)
            menu = create_menu(staff)
            staff.token("cashier"), staff.token("manager")
            playwright = stack.enter_context(sync_playwright())
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            pages = [open_screen(browser, screen.url, tenant) for screen in screens]
            answered = confirm_at_rate(server.url, staff, menu, args.orders, args.rate,
                                       workers=32)
            # Every ticket drawn on every screen, or 30 s more: one not drawn by then is missing.
            deadline = time.monotonic() + 30
            while True:
                drawn = [page.evaluate("() => window.drawn") for page in pages]
                if (all(set(answered) <= set(one) for one in drawn)
                        or time.monotonic() > deadline):
                    break
                pages[0].wait_for_timeout(200)
            browser.close()
            with httpx.Client(base_url=screens[0].url, timeout=30) as kitchen:
                tickets = Counter(ticket["order_id"] for ticket in Api(kitchen, tenant).get(
                    "/api/v1/kds/tickets", "kitchen",
                    params={"status": "NEW", "limit": 500}).json()["items"])
    finally:
        drop_exchange(exchange, args.broker)
    print(json.dumps({"orders": args.orders, "rate": args.rate, "broker": args.broker,
                      "database": database_url.split(":")[0],
                      "kds_processes": args.kds_processes, "tickets": sum(tickets.values()),
                      "orders_ticketed_twice": sum(1 for n in tickets.values() if n > 1),
                      "screens": [figures(answered, one) for one in drawn]}))


if __name__ == "__main__":
    main()
