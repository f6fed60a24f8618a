"""NFC-e figures (issue 15, SPEC §5): from paid to authorised against a local SEFAZ answering
after `--latency` seconds, and duplicate numbers when a share of the sends (`--silence-ratio`)
get no answer (half of those authorised by SEFAZ all the same: a lost answer).

In one process (TestClient, SQLite, in-process bus): makes a tenant, a store set up for NFC-e and
a menu, then pays `--notes` orders at `--rate` per second. Paid-to-authorised is measured for notes
authorised at the first send, from the payment's answer to the note's last change (server and
script on one machine). Prints p50/p95/max, and the numbers: used, authorised twice, voided,
contingency notes, SEFAZ's 539 answers.

`--offline N` measures instead the offline receipt: SEFAZ silent, the store's receipt printer a
raw ESC/POS printer of this script on 127.0.0.1 (tests/support/fake_printer.py), N orders paid one
after the other; for each, the time from the payment's answer to the printer's paper cut of a
receipt saying "EMITIDA EM CONTINGÊNCIA" with the contingency note's (tpEmis 9) key, less the
threshold (POS_FISCAL_TIMEOUT_SECONDS, `--threshold`, 10 s as in production). Also what the
first receipt printed for the order showed.

    .venv/bin/python bench/fiscal_sefaz.py [--notes 100] [--rate 1] [--latency 0.2] [--silence-ratio 0.1]
    .venv/bin/python bench/fiscal_sefaz.py --offline 3 [--threshold 10]
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
from support.fake_printer import NetworkPrinter  # noqa: E402
from support.fiscal_cert import PASSWORD, make_certificate  # noqa: E402
from support.menu import create_menu  # noqa: E402
from support.peripherals import add_printer  # noqa: E402
from support.settings import make_settings  # noqa: E402
from support.tenant_db import wait_for  # noqa: E402

PLUGINS = ["auth", "catalog", "orders", "payments", "settings", "fiscal"]
CONTINGENCY_LINE = "EMITIDA EM CONTINGÊNCIA".encode("cp860")
SETTLED = ("AUTHORISED", "VOIDED", "CANCELLED", "REJECTED")


def _all(api) -> list[dict]:
    return api.get(DOCS, params={"limit": 1000}).json()["documents"]


def _settled(found: list[dict], notes: int) -> list[dict] | None:
    """The notes once each order has exactly one authorised note and none is in flight (a
    note authorised after all while a contingency note stood in for it gets cancelled)."""
    authorised = Counter(d["order_id"] for d in found if d["status"] == "AUTHORISED")
    done = all(d["status"] in SETTLED for d in found) and len(authorised) >= notes
    return found if done and set(authorised.values()) == {1} else None


def loadavg() -> str:
    return Path("/proc/loadavg").read_text().strip()


def _key_line(key: str) -> bytes:
    """The key's first line as the receipt prints it (core.peripherals.key_lines)."""
    return " ".join(key[i:i + 4] for i in range(0, 24, 4)).encode()


def offline(args) -> None:
    """The offline receipt: SEFAZ silent, each order's tpEmis 9 receipt at the printer."""
    tmp = Path(tempfile.mkdtemp(prefix="fiscal-offline-"))
    settings = make_settings(f"sqlite+aiosqlite:///{tmp / 'var' / 'pos.db'}", tmp,
                             POS_FISCAL_TIMEOUT_SECONDS=str(args.threshold),
                             POS_LOG_LEVEL="ERROR")
    sefaz, printer = FakeSefaz().start(), NetworkPrinter().start()
    pfx, _ = make_certificate(tmp)
    lates = []
    with TestClient(create_app(settings, plugins=[*PLUGINS, "peripherals"])) as client:
        api = Api(client, make_tenant(settings))
        configure(api, store_settings(sefaz.url, pfx, PASSWORD))
        menu = create_menu(api)
        give_fiscal_data(api, menu, "X-Burger")
        add_printer(api, "Caixa", role="receipt", connection=printer.connection)
        sefaz.silence = args.threshold * 3
        for index in range(args.offline):
            before = len(printer.tickets())
            order = paid_order(api, menu, ("X-Burger", "1"))
            paid = time.time()
            cuts: list[tuple[float, bytes]] = []
            offline_key, printed = None, None
            while time.time() < paid + args.threshold + 20 and printed is None:
                time.sleep(0.02)
                for ticket in printer.tickets()[before + len(cuts):]:
                    cuts.append((time.time(), ticket))
                if offline_key is None:
                    notes = api.get(DOCS, params={"order_id": order["order_id"]}).json()
                    offline_key = next((d["access_key"] for d in notes["documents"]
                                        if d["contingency"]), None)
                printed = next((at for at, ticket in cuts if offline_key and CONTINGENCY_LINE
                                in ticket and _key_line(offline_key) in ticket), None)
            first = (f"first receipt after {cuts[0][0] - paid:.2f} s, "
                     f"{'tpEmis 9' if CONTINGENCY_LINE in cuts[0][1] else 'no contingency'}"
                     if cuts else "no receipt printed")
            if printed is None:
                print(f"  order {index + 1}: tpEmis 9 receipt NOT printed within "
                      f"{args.threshold + 20:g} s (contingency note "
                      f"{'issued' if offline_key else 'not issued'}); {first}; "
                      f"{len(cuts)} receipt(s)")
            else:
                lates.append(printed - paid - args.threshold)
                print(f"  order {index + 1}: tpEmis 9 receipt {printed - paid:.2f} s after "
                      f"payment, {lates[-1]:+.2f} s after the threshold; {first}")
        sefaz.silence = 0
    sefaz.stop()
    printer.stop()
    print(f"offline receipts: {len(lates)} of {args.offline} printed, threshold "
          f"{args.threshold:g} s" + (f", after the threshold: max {max(lates):.2f} s, p50 "
                                     f"{statistics.median(lates):.2f} s" if lates else ""))
    print(f"load average after: {loadavg()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=100)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--silence-ratio", type=float, default=0.1)
    parser.add_argument("--rate", type=float, default=1.0, help="orders paid per second")
    parser.add_argument("--timeout", type=float, default=1.0,
                        help="POS_FISCAL_TIMEOUT_SECONDS (the legal-ish 10 s makes a long run)")
    parser.add_argument("--offline", type=int, default=0,
                        help="measure the offline receipt of this many orders instead")
    parser.add_argument("--threshold", type=float, default=10.0,
                        help="POS_FISCAL_TIMEOUT_SECONDS of --offline")
    args = parser.parse_args()
    print(f"load average before: {loadavg()}", flush=True)
    if args.offline:
        return offline(args)
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
    print(f"load average after: {loadavg()}")


if __name__ == "__main__":
    main()
