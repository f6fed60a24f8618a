"""NFC-e figures (issue 15, SPEC §5): from paid to authorised against a local SEFAZ answering
after `--latency` seconds, and duplicate numbers when a share of the sends (`--silence-ratio`)
get no answer (half of those authorised by SEFAZ all the same: a lost answer).

In one process (TestClient, SQLite, in-process bus): makes a tenant, a store set up for NFC-e and
a menu, then pays `--notes` orders at `--rate` per second. Paid-to-authorised is measured for notes
authorised at the first send, from the payment's answer to the note's last change (server and
script on one machine). Prints p50/p95/max, and the numbers: used, authorised twice, voided,
contingency notes, SEFAZ's 539 answers.

    .venv/bin/python bench/fiscal_sefaz.py [--notes 100] [--rate 1] [--latency 0.2] [--silence-ratio 0.1]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from posmodern.hosts.app import create_app  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402
from support.api import Api, make_tenant  # noqa: E402
from support.fake_sefaz import FakeSefaz  # noqa: E402
from support.fiscal import (  # noqa: E402
    DOCS, configure, give_fiscal_data, paid_order, store_settings)
from support.fiscal_cert import PASSWORD, make_certificate  # noqa: E402
from support.menu import create_menu  # noqa: E402
from support.settings import make_settings  # noqa: E402
from support.tenant_db import wait_for  # noqa: E402

PLUGINS = ["auth", "catalog", "orders", "payments", "settings", "fiscal"]
SETTLED = ("AUTHORISED", "VOIDED", "CANCELLED", "REJECTED")


def _all(api) -> list[dict]:
    return api.get(DOCS, params={"limit": 1000}).json()["documents"]


def _settled(found: list[dict], notes: int) -> list[dict] | None:
    """The notes once each order has exactly one authorised note and none is in flight (a
    note authorised after all while a contingency note stood in for it gets cancelled)."""
    authorised = Counter(d["order_id"] for d in found if d["status"] == "AUTHORISED")
    done = all(d["status"] in SETTLED for d in found) and len(authorised) >= notes
    return found if done and set(authorised.values()) == {1} else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=100)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--silence-ratio", type=float, default=0.1)
    parser.add_argument("--rate", type=float, default=1.0, help="orders paid per second")
    parser.add_argument("--timeout", type=float, default=1.0,
                        help="POS_FISCAL_TIMEOUT_SECONDS (the legal-ish 10 s makes a long run)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="fiscal-bench-"))
    settings = make_settings(f"sqlite+aiosqlite:///{tmp / 'var' / 'pos.db'}", tmp,
                             POS_FISCAL_POLL_SECONDS="0.05",
                             POS_FISCAL_TIMEOUT_SECONDS=str(args.timeout),
                             POS_FISCAL_RETRY_SECONDS="0.5", POS_LOG_LEVEL="ERROR")
    sefaz = FakeSefaz().start()
    sefaz.latency = args.latency
    pfx, _ = make_certificate(tmp)
    with TestClient(create_app(settings, plugins=PLUGINS)) as client:
        api = Api(client, make_tenant(settings))
        configure(api, store_settings(sefaz.url, pfx, PASSWORD))
        menu = create_menu(api)
        give_fiscal_data(api, menu, "X-Burger")
        sefaz.silence_ratio, sefaz.silence_for = args.silence_ratio, args.timeout * 2
        paid_at = {}
        start = time.time()
        for number in range(args.notes):
            time.sleep(max(0.0, start + number / args.rate - time.time()))
            order = paid_order(api, menu, ("X-Burger", "1"))
            paid_at[order["order_id"]] = time.time()
        sefaz.silence_ratio = 0.0
        docs = wait_for(lambda: _settled(_all(api), args.notes), timeout=args.notes * 2 + 60)
    sefaz.stop()
    first_try = [d for d in docs if d["status"] == "AUTHORISED" and not d["contingency"]]
    waits = sorted(datetime.fromisoformat(d["updated_at"]).timestamp() - paid_at[d["order_id"]]
                   for d in first_try)
    issued = sorted(datetime.fromisoformat(d["created_at"]).timestamp() - paid_at[d["order_id"]]
                    for d in first_try)
    if issued:
        print(f"paid -> note signed and saved: p50 {statistics.median(issued):.3f} s, "
              f"max {issued[-1]:.3f} s")
    numbers = Counter(d["number"] for d in docs if d["number"] is not None)
    by_status = Counter(d["status"] for d in docs)
    print(f"notes: {args.notes} at {args.rate}/s, SEFAZ latency {args.latency} s, silences "
          f"{args.silence_ratio:.0%} (held {args.timeout * 2} s), timeout {args.timeout} s")
    if waits:
        p95 = waits[max(0, int(len(waits) * 0.95) - 1)]
        print(f"paid -> authorised (first send, {len(waits)} notes): p50 "
              f"{statistics.median(waits):.3f} s, p95 {p95:.3f} s, max {waits[-1]:.3f} s")
    print(f"documents by status: {dict(by_status)}")
    print(f"numbers used: {len(numbers)}, used twice in the store: "
          f"{sum(1 for n in numbers.values() if n > 1)}; numbers authorised by SEFAZ: "
          f"{len(sefaz.by_number)}, voided: {len(sefaz.voided)}, 539 answers: "
          f"{sefaz.answers.count('539')}")
    for doc in docs:
        if doc["status"] not in ("AUTHORISED", "CANCELLED", "VOIDED"):
            print(f"  note {doc['number']}: {doc['status']} {doc['status_code']} {doc['reason']}")
    orders_with_two = Counter(d["order_id"] for d in docs if d["status"] == "AUTHORISED")
    print(f"orders with more than one authorised note: "
          f"{sum(1 for n in orders_with_two.values() if n > 1)}")


if __name__ == "__main__":
    main()
