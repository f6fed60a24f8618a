"""Waiter floor latency (issue 16, "a table's change visible on another waiter's page ≤ 1 s"): from
a table change's answer to the table redrawn on another waiter's /waiter/ page in headless
Chromium.

Starts `pos serve` (the order-taking plugins, waiter and kds; SQLite and the in-process bus by
default, `--database-url postgresql://…` and `--broker amqp://…` for the split-stack figures),
makes a tenant, `--tables` tables and a menu, opens /waiter/ signed in as a waiter, then every
`1/--rate` s changes one table through the API as another waiter would: opening a tab (a round),
reserving a free table, freeing it. The page records when each table's button shows its new
state (a MutationObserver, Date.now()); the script records when each change answered (time.time(),
same machine). Prints p50/p95/max and how many changes never showed.

    .venv/bin/python bench/waiter_latency.py [--changes 60] [--rate 5] [--tables 20]
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
from support.menu import create_menu  # noqa: E402
from support.server import serving  # noqa: E402
from support.settings import make_settings  # noqa: E402

WATCH = """() => {
  window.seen = [];
  const last = {};
  for (const node of document.querySelectorAll('#floor .table')) {
    last[node.dataset.table] = node.dataset.status;
  }
  new MutationObserver(() => {
    for (const node of document.querySelectorAll('#floor .table')) {
      const id = node.dataset.table, status = node.dataset.status;
      if (last[id] !== status) {
        if (id in last) window.seen.push([id, status, Date.now()]);
        last[id] = status;
      }
    }
  }).observe(document.getElementById('floor'), {childList: true, subtree: true});
}"""


def _change(staff: Api, table_id: str, step: int, menu: dict) -> str:
    """The ``step``-th change of a table: reserved, freed, then a tab opened on it."""
    if step < 2:
        status = ("RESERVED", "FREE")[step]
        made = staff.post(f"/api/v1/waiter/tables/{table_id}/state", "waiter",
                          json={"status": status})
        assert made.status_code == 200, made.text
        return status
    made = staff.post(f"/api/v1/waiter/tables/{table_id}/rounds", "waiter", json={"items": [
        {"product_id": menu["Guaraná lata"]["product_id"], "quantity": "1"}]})
    assert made.status_code == 200, made.text
    return "OCCUPIED"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=60)
    parser.add_argument("--rate", type=float, default=5.0)
    parser.add_argument("--tables", type=int, default=20)
    parser.add_argument("--broker", default="memory://")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="waiter-bench-"))
    database_url = args.database_url or f"sqlite+aiosqlite:///{tmp / 'var' / 'pos.db'}"
    tenant = make_tenant(make_settings(database_url, tmp))
    env = {"DATABASE_URL": database_url, "POS_DATA_DIR": str(tmp / "var"),
           "BROKER_URL": args.broker, "POS_LOG_LEVEL": "WARNING",
           "POS_PLUGINS": "auth,catalog,customers,orders,waiter,kds", "POS_AUTO_MIGRATE": "true"}
    with serving(env, cwd=tmp) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        staff = Api(client, tenant)
        menu = create_menu(staff)
        tables = [staff.post("/api/v1/waiter/tables", "manager", json={
            "table_number": str(n + 1), "capacity": 4, "x": (n % 6) * 15, "y": (n // 6) * 20,
            "width": 12, "height": 12}).json()["table_id"] for n in range(args.tables)]
        staff.token("waiter")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(server.url + "/waiter/")
            page.fill("input[name=client_id]", tenant.client_id)
            page.fill("input[name=username]", "waiter")
            page.fill("input[name=password]", tenant.passwords["waiter"])
            page.click("#login-form button[type=submit]")
            page.wait_for_selector("#live:has-text('ao vivo')")
            page.wait_for_selector("#floor .table")
            page.evaluate(WATCH)
            answered: list[tuple[str, str, float]] = []
            if args.changes > 3 * len(tables):
                parser.error("at most 3 changes per table (reserve, free, open a tab)")
            for step in range(args.changes):
                table_id = tables[step % len(tables)]
                status = _change(staff, table_id, step // len(tables), menu)
                answered.append((table_id, status, time.time() * 1000))
                time.sleep(1 / args.rate)
            page.wait_for_timeout(3000)
            seen = page.evaluate("() => window.seen")
            browser.close()
    latencies = []
    for table_id, status, at in answered:
        # Each table's changes show in the order they were made: match them in that order.
        match = next((entry for entry in seen if entry[0] == table_id and entry[1] == status),
                     None)
        if match is not None:
            seen.remove(match)
            latencies.append(match[2] - at)
    latencies.sort()
    p95 = latencies[int(0.95 * (len(latencies) - 1))] if latencies else None
    print(json.dumps({"changes": args.changes, "rate": args.rate, "broker": args.broker,
                      "database": database_url.split(":")[0],
                      "missing": len(answered) - len(latencies),
                      "p50_ms": statistics.median(latencies) if latencies else None,
                      "p95_ms": p95, "max_ms": latencies[-1] if latencies else None}))


if __name__ == "__main__":
    main()
