"""Kitchen display latency (issue 13, SPEC §5): from the confirm request's answer to the ticket
drawn on a real headless Chromium kitchen screen, at a steady rate of orders.

Starts `pos serve` (all order-taking plugins and the kds; SQLite and the in-process bus by
default, `--database-url postgresql://…` and `--broker amqp://…` for the split-stack figures),
makes a tenant and a menu, opens /kds/ signed in as the kitchen, then places and confirms
`--orders` orders at `--rate` per second from a thread pool. The page records when each order's
ticket appears (a MutationObserver, Date.now()); the script records when each confirm answered
(time.time(), same machine). Prints p50/p95/max and how many tickets never appeared.

    .venv/bin/python bench/kds_latency.py [--orders 400] [--rate 20] [--broker memory://]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=400)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--broker", default="memory://")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="kds-bench-"))
    database_url = args.database_url or f"sqlite+aiosqlite:///{tmp / 'var' / 'pos.db'}"
    tenant = make_tenant(make_settings(database_url, tmp))
    env = {"DATABASE_URL": database_url, "POS_DATA_DIR": str(tmp / "var"),
           "BROKER_URL": args.broker, "POS_LOG_LEVEL": "WARNING",
           "POS_PLUGINS": "auth,catalog,customers,orders,waiter,kds", "POS_AUTO_MIGRATE": "true"}
    with serving(env, cwd=tmp) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        staff = Api(client, tenant)
        menu = create_menu(staff)
        staff.token("cashier"), staff.token("manager")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1920, "height": 1080})
            page.goto(server.url + "/kds/")
            page.fill("input[name=client_id]", tenant.client_id)
            page.fill("input[name=username]", "kitchen")
            page.fill("input[name=password]", tenant.passwords["kitchen"])
            page.click("#login-form button[type=submit]")
            page.wait_for_selector("#live:has-text('ao vivo')")
            page.evaluate(WATCH)
            answered = confirm_at_rate(server.url, staff, menu, args.orders, args.rate,
                                       workers=32)
            # Every ticket drawn, or 30 s more: one not drawn by then is counted missing.
            deadline = time.monotonic() + 30
            while True:
                drawn = page.evaluate("() => window.drawn")
                if set(answered) <= set(drawn) or time.monotonic() > deadline:
                    break
                page.wait_for_timeout(200)
            browser.close()
    latencies = sorted(drawn[n] - at for n, at in answered.items() if n in drawn)
    missing = len(answered) - len(latencies)
    p95 = latencies[int(0.95 * (len(latencies) - 1))] if latencies else None
    print(json.dumps({"orders": args.orders, "rate": args.rate, "broker": args.broker,
                      "database": database_url.split(":")[0], "missing": missing,
                      "p50_ms": statistics.median(latencies) if latencies else None,
                      "p95_ms": p95, "max_ms": latencies[-1] if latencies else None}))


if __name__ == "__main__":
    main()
