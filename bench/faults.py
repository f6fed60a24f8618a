"""Fault run, reported the way Jepsen does: keyed orders while the broker, the database and the
processes fail; then what was acknowledged, stored, duplicated and lost.

On a private PostgreSQL 15 cluster and a private RabbitMQ node (tests/support/private_services.py;
the machine's shared ones are never touched) it runs two `pos serve` services over RabbitMQ:

- the **serving** service (auth, catalog, orders) takes the orders and relays their events; it is
  `pos serve --workers 2` (`--serving-workers`): two processes on one port, as a deployment that
  must take orders through a crash runs its replicas;
- the **consuming** process (auth, stock, waiter) applies them: stock leaves the shelf when an
  order is confirmed, a table is occupied by its open order.

`--clients` concurrent clients each send orders (one stocked product, at one of `--tables` tables,
the Idempotency-Key also written in the order's notes) and confirm them, each request retried with
the same key on any error or timeout until it is acknowledged. Meanwhile RabbitMQ is restarted
`--rabbit` times, PostgreSQL `--postgres` times (an immediate stop, as a crash), and a serving
process and the consuming process are each `kill -9`ed `--kills` times (uvicorn's parent starts a
killed worker again; a supervisor starts the consuming process again, as systemd would). The load
runs for `--seconds` and until the last fault is over. Then, once the relay and the consumers have
had `--settle` seconds to catch up, it counts from the database: orders by key (stored,
duplicated, lost), stock movements per order, tables, events still in the outbox, and events each
subscription handled against those it should have.

    .venv/bin/python bench/faults.py [--seconds 60] [--clients 24] [--rabbit 5] [--postgres 3]
                                     [--kills 5] [--serving-workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import httpx
from sqlalchemy import func, select, text

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from posmodern.core.asyncio_hooks import collect_sync  # noqa: E402
from posmodern.core.db import Database  # noqa: E402
from posmodern.core.events import matches  # noqa: E402
from posmodern.core.plugins import get_plugin_manager  # noqa: E402
from posmodern.schema.tables import (  # noqa: E402
    orders, outbox, processed_events, stock_items, stock_movements, tables)
from support.api import TenantUsers, create_tenant_with_users  # noqa: E402
from support.cpu import CpuMeter  # noqa: E402
from support.http1 import Connection  # noqa: E402
from support.private_services import PrivateServices  # noqa: E402
from support.settings import make_settings  # noqa: E402
from support.supervised import Supervised  # noqa: E402

SERVING = ("auth", "catalog", "orders")
CONSUMING = ("auth", "stock", "waiter")

SHELF = Decimal("1000000")
#: Answers a client retries (with the same key): the first request still runs, throttled, down.
RETRIED_4XX = {408, 409, 425, 429}


@dataclass
class Plan:
    seconds: float = 60.0
    clients: int = 24
    rabbit: int = 5
    postgres: int = 3
    kills: int = 5
    tables: int = 20
    #: Processes serving the orders' port (`pos serve --workers`); a kill hits one of them.
    serving_workers: int = 2
    settle: float = 300.0
    #: How long one request is retried before the client gives up on it (counted, never hidden).
    give_up: float = 300.0
    #: How long one attempt waits for its answer before the client retries it.
    timeout: float = 15.0


@dataclass
class Report:
    plan: Plan
    acknowledged: int = 0
    confirmed: int = 0
    stored: int = 0
    duplicated: int = 0
    lost: int = 0
    unacknowledged: int = 0
    refused: Counter = field(default_factory=Counter)
    retries: int = 0
    outstanding: int = 0
    events: Counter = field(default_factory=Counter)
    handled: dict[str, int] = field(default_factory=dict)
    expected: dict[str, int] = field(default_factory=dict)
    movements: int = 0
    orders_moved_once: int = 0
    shelf_left: Decimal = SHELF
    tables_used: int = 0
    tables_right: int = 0
    restarts: Counter = field(default_factory=Counter)
    load_seconds: float = 0.0
    #: From the end of the load until the outbox was empty and every subscription caught up.
    catch_up_seconds: float = 0.0
    total_seconds: float = 0.0
    machine: str = ""
    #: Milliseconds of CPU per acknowledged order while the load ran, by group of processes.
    cpu_ms: dict[str, float] = field(default_factory=dict)
    #: Confirmed orders whose stock did not move exactly once: (order, status stored, movements).
    anomalies: list[tuple[str, str, int]] = field(default_factory=list)
    #: The same, from the start of the load until everything caught up (the consuming process
    #: falls behind under the load and does the rest of its work after it).
    cpu_all_ms: dict[str, float] = field(default_factory=dict)
    #: Where the processes' logs were kept (an invalid run only).
    logs: str = ""

    @property
    def rate(self) -> float:
        return self.acknowledged / self.load_seconds if self.load_seconds else 0.0

    def failures(self) -> list[str]:
        """What makes the run invalid (empty: valid)."""
        checks = {
            "orders lost": self.lost == 0,
            "orders duplicated": self.duplicated == 0,
            "orders never acknowledged": self.unacknowledged == 0,
            "requests refused": not self.refused,
            "orders stored differ from those acknowledged": self.stored == self.acknowledged,
            "events outstanding": self.outstanding == 0,
            f"events handled {self.handled} differ from expected {self.expected}":
                self.handled == self.expected,
            f"stock movements {self.movements}, orders moved once {self.orders_moved_once}, "
            f"confirmed {self.confirmed}":
                self.movements == self.orders_moved_once == self.confirmed,
            "stock left on the shelf": self.shelf_left == SHELF - self.confirmed,
            "tables not occupied by their newest order": self.tables_right == self.tables_used,
        }
        return [what for what, holds in checks.items() if not holds]

    @property
    def ok(self) -> bool:
        return not self.failures()


def machine() -> str:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (f"{platform.system()} {platform.release()}, {os.cpu_count()} CPUs, "
            f"{platform.python_implementation()} {platform.python_version()}, load average {load}")


# --- the clients ----------------------------------------------------------------------------


@dataclass
class Shop:
    tenant: TenantUsers
    product_id: str
    table_ids: list[str]
    tokens: dict[str, str]


class Clients:
    """Keyed orders and their confirmations, each request retried until acknowledged."""

    def __init__(self, plan: Plan, url: str, shop: Shop) -> None:
        self.plan, self.url, self.shop = plan, url, shop
        self.run_id = uuid.uuid4().hex[:8]
        self.acked: dict[str, str] = {}  # key → order id
        self.confirmed: set[str] = set()
        self.unacknowledged = 0
        self.refused: Counter = Counter()
        self.retries = 0
        self._next = 0
        self._stop = asyncio.Event()

    async def run(self, until) -> float:
        """Send orders until ``until()`` is true; returns the seconds new orders were sent."""
        started = time.monotonic()
        connections = [Connection(self.url) for _ in range(self.plan.clients)]
        workers = [asyncio.create_task(self._worker(http)) for http in connections]
        while not until():
            await asyncio.sleep(0.5)
        self._stop.set()
        sending = time.monotonic() - started
        await asyncio.gather(*workers)
        for http in connections:
            http.close()
        return sending

    async def _worker(self, http: Connection) -> None:
        while not self._stop.is_set():
            n, self._next = self._next, self._next + 1
            await self._order(http, n)

    async def _order(self, http: Connection, n: int) -> None:
        key = f"{self.run_id}-{n}"
        body = {"items": [{"product_id": self.shop.product_id, "quantity": "1"}],
                "table_id": self.shop.table_ids[n % len(self.shop.table_ids)], "notes": key}
        made = await self._until_acknowledged(http, "cashier", "/api/v1/orders", body, key, 201)
        if made is None:
            return
        order_id = json.loads(made)["order_id"]
        self.acked[key] = order_id
        confirmed = await self._until_acknowledged(
            http, "manager", f"/api/v1/orders/{order_id}/status", {"status": "CONFIRMED"},
            f"{key}-confirm", 200)
        if confirmed is not None:
            self.confirmed.add(order_id)

    async def _until_acknowledged(self, http: Connection, role: str, path: str, body: dict,
                                  key: str, expected: int) -> bytes | None:
        headers = {"Authorization": f"Bearer {self.shop.tokens[role]}", "Idempotency-Key": key}
        deadline = time.monotonic() + self.plan.give_up
        while time.monotonic() < deadline:
            try:
                status, answer = await asyncio.wait_for(http.post(path, body, headers),
                                                        self.plan.timeout)
                if status == expected:
                    return answer
                if 400 <= status < 500 and status not in RETRIED_4XX:
                    self.refused[f"{status} {path.split('/')[3]}"] += 1
                    return None
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError,
                    asyncio.LimitOverrunError, ValueError):
                stale = http.reused
                http.close()  # a fresh connection for the retry (to whichever process serves)
                if stale:  # the kept-alive connection died (its process did): retry at once
                    self.retries += 1
                    continue
            self.retries += 1
            await asyncio.sleep(0.25)
        self.unacknowledged += 1
        return None


# --- the faults -----------------------------------------------------------------------------


class Faults:
    """Each kind of fault in its own thread, its occurrences spread over ``seconds``."""

    def __init__(self, plan: Plan, services: PrivateServices, serving: Supervised,
                 consuming: Supervised) -> None:
        self.done: Counter = Counter()
        self.errors: list[str] = []
        self._stopping = threading.Event()
        kinds = {"RabbitMQ restarts": (plan.rabbit, services.rabbit.restart),
                 "PostgreSQL restarts": (plan.postgres, services.postgres.restart),
                 "serving process kill -9": (plan.kills, serving.kill),
                 "consuming process kill -9": (plan.kills, consuming.kill)}
        self._threads = [threading.Thread(target=self._repeat, args=(name, times, action,
                                                                      plan.seconds), daemon=True)
                         for name, (times, action) in kinds.items()]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def over(self) -> bool:
        return not any(thread.is_alive() for thread in self._threads)

    def stop(self) -> None:
        """Inject nothing more, and wait for a fault under way (on failure, before cleaning up)."""
        self._stopping.set()
        for thread in self._threads:
            if thread.is_alive():
                thread.join(300)

    def _repeat(self, name: str, times: int, action, seconds: float) -> None:
        started = time.monotonic()
        for i in range(times):
            if self._stopping.wait(max(0.0, started + seconds * (i + 0.5) / times
                                       - time.monotonic())):
                return
            try:
                action()
                self.done[name] += 1
            except Exception as error:  # noqa: BLE001 - reported, and the run fails on it
                self.errors.append(f"{name}: {type(error).__name__}: {error}")


# --- setup and counting ---------------------------------------------------------------------


def _post(url: str, token: str | None, path: str, body: dict) -> dict:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    answer = httpx.post(url + path, json=body, headers=headers, timeout=30)
    answer.raise_for_status()
    return answer.json()


def _token(url: str, tenant: TenantUsers, role: str) -> str:
    return _post(url, None, "/api/v1/auth/token", {
        "client_id": tenant.client_id, "username": role,
        "password": tenant.passwords[role]})["access_token"]


def open_shop(settings, serving: Supervised, consuming: Supervised, plan: Plan) -> Shop:
    tenant = asyncio.run(create_tenant_with_users(
        settings, roles=("admin", "manager", "cashier")))
    admin = _token(serving.url, tenant, "admin")
    product = _post(serving.url, admin, "/api/v1/products",
                    {"name": "Pão de queijo", "price": "6.00"})["product_id"]
    _post(consuming.url, _token(consuming.url, tenant, "manager"), "/api/v1/stock/items",
          {"product_id": product, "quantity": str(SHELF)})
    table_ids = [_post(consuming.url, admin, "/api/v1/waiter/tables",
                       {"table_number": str(n + 1), "capacity": 4})["table_id"]
                 for n in range(plan.tables)]
    tokens = {role: _token(serving.url, tenant, role) for role in ("cashier", "manager")}
    return Shop(tenant, product, table_ids, tokens)


async def _snapshot(database_url: str, client_id: str, whole: bool = True) -> dict:
    """What is counted, as of one moment: the statements share one snapshot (REPEATABLE READ).
    Read committed, a subscription catching up between two of them made a settled run look
    invalid (the shelf counted an order's unit, the movements read before it did not).
    Not ``whole``: only the outbox and the subscriptions' progress (cheap, to poll)."""
    db = Database(database_url)
    try:
        async with db.transaction(client_id) as conn:
            await conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
            rows = lambda statement: conn.execute(statement)  # noqa: E731
            snap = {
                "outstanding": (await rows(select(func.count()).select_from(outbox).where(
                    outbox.c.published_at.is_(None)))).scalar_one(),
                "events": dict((await rows(select(outbox.c.event_type, func.count())
                                           .group_by(outbox.c.event_type))).all()),
                "handled": dict((await rows(select(processed_events.c.consumer, func.count())
                                            .group_by(processed_events.c.consumer))).all()),
            }
            if whole:
                snap.update({
                    "orders": (await rows(select(orders.c.order_id, orders.c.notes,
                                                 orders.c.status, orders.c.table_id,
                                                 orders.c.created_at))).all(),
                    "movements": (await rows(select(stock_movements.c.reference_id,
                                                    stock_movements.c.quantity)
                                             .where(stock_movements.c.reference_type == "order"))
                                  ).all(),
                    "shelf": (await rows(select(stock_items.c.quantity))).scalar_one(),
                    "tables": (await rows(select(tables.c.table_id, tables.c.status,
                                                 tables.c.current_order_id))).all(),
                })
            return snap
    finally:
        await db.dispose()


def subscriptions(settings) -> dict[str, tuple[str, ...]]:
    """The consuming process's subscriptions → the event types each handles (from its plugins)."""
    pm = get_plugin_manager(CONSUMING)
    return {s.name: s.event_types
            for s in collect_sync(pm.hook.pos_subscriptions, settings=settings, hooks=pm.hook)}


def _expected(subs: dict[str, tuple[str, ...]], events: dict[str, int]) -> dict[str, int]:
    return {name: sum(n for t, n in events.items() if any(matches(p, t) for p in types))
            for name, types in subs.items()}


def settle(database_url: str, client_id: str, seconds: float,
           subs: dict[str, tuple[str, ...]]) -> dict:
    """The database once the outbox is empty and every subscription has caught up (or after
    ``seconds``, as it then is)."""
    deadline = time.monotonic() + seconds

    def settled(snap: dict) -> bool:
        return snap["outstanding"] == 0 and \
            {k: snap["handled"].get(k, 0) for k in subs} == _expected(subs, snap["events"])

    while True:
        out_of_time = time.monotonic() > deadline
        if out_of_time or settled(asyncio.run(_snapshot(database_url, client_id, whole=False))):
            snap = asyncio.run(_snapshot(database_url, client_id))
            if out_of_time or settled(snap):
                return snap
        time.sleep(1)


def count(report: Report, clients: Clients, snap: dict,
          subs: dict[str, tuple[str, ...]]) -> None:
    report.acknowledged, report.confirmed = len(clients.acked), len(clients.confirmed)
    report.unacknowledged, report.refused = clients.unacknowledged, clients.refused
    report.retries = clients.retries
    ours = [o for o in snap["orders"] if (o.notes or "").startswith(clients.run_id)]
    by_key = Counter(o.notes for o in ours)
    stored_ids = {str(o.order_id) for o in ours}
    report.stored = len(ours)
    report.duplicated = sum(n - 1 for n in by_key.values())
    report.lost = sum(1 for order_id in clients.acked.values() if order_id not in stored_ids)
    moves = Counter(str(m.reference_id) for m in snap["movements"])
    report.movements = sum(moves.values())
    report.orders_moved_once = sum(1 for o in clients.confirmed if moves[o] == 1)
    status = {str(o.order_id): o.status for o in ours}
    report.anomalies = [(o, status.get(o, "missing"), moves[o])
                        for o in sorted(clients.confirmed) if moves[o] != 1]
    report.shelf_left = Decimal(str(snap["shelf"]))
    newest: dict = {}
    for order in sorted(ours, key=lambda o: o.created_at):
        newest[order.table_id] = order.order_id
    report.tables_used = len(newest)
    report.tables_right = sum(1 for t in snap["tables"] if t.table_id in newest
                              and t.status == "OCCUPIED"
                              and t.current_order_id == newest[t.table_id])
    report.outstanding, report.events = snap["outstanding"], Counter(snap["events"])
    report.handled = {k: snap["handled"].get(k, 0) for k in subs}
    report.expected = _expected(subs, snap["events"])


def _postmaster(services: PrivateServices) -> list[int]:
    return [int((services.postgres.data / "postmaster.pid").read_text().split()[0])]


def _meter(services: PrivateServices, serving: Supervised, consuming: Supervised) -> CpuMeter:
    """Where the machine's CPU goes while the load runs (the clients are this process)."""
    return CpuMeter({
        "serving": (lambda: [serving.server.process.pid], True),
        "consuming": (lambda: [consuming.server.process.pid], True),
        "clients": (lambda: [os.getpid()], False),
        "RabbitMQ": (lambda: [services.rabbit.process.pid], True),
        "PostgreSQL": (lambda: _postmaster(services), True),
    })


def _cpu_row(cpu_ms: dict[str, float]) -> str:
    if not cpu_ms:
        return "-"
    total = sum(cpu_ms.values())
    parts = ", ".join(f"{name} {ms:.1f}" for name, ms in cpu_ms.items())
    return (f"{total:.1f} ms ({parts}): at most {1000 * (os.cpu_count() or 1) / total:.0f} "
            f"orders/s on this machine's {os.cpu_count()} CPUs")


# --- the run --------------------------------------------------------------------------------


def run(plan: Plan) -> Report:
    """One fault run on private services; everything it started is stopped and removed."""
    report = Report(plan, machine=machine())
    started = time.monotonic()
    with PrivateServices() as services, tempfile.TemporaryDirectory(prefix="pos-faults-") as tmp:
        workdir = Path(tmp)
        database_url = services.postgres.create_database()
        settings = make_settings(database_url, workdir)
        env = {"DATABASE_URL": database_url, "BROKER_URL": services.rabbit.url,
               "POS_BUS_EXCHANGE": "posmodern.faults", "POS_DATA_DIR": str(workdir / "var"),
               "POS_AUTO_MIGRATE": "true", "POS_OUTBOX_SWEEP_SECONDS": "1",
               "POS_DB_POOL_SIZE": "10", "POS_LOG_FORMAT": "text", "POS_LOG_LEVEL": "WARNING"}
        serving = Supervised("serving", SERVING, env, workdir, workers=plan.serving_workers)
        consuming = faults = None
        try:
            serving.start()  # it migrates the control schema first
            consuming = Supervised("consuming", CONSUMING, env, workdir)
            consuming.start()
            shop = open_shop(settings, serving, consuming, plan)
            clients = Clients(plan, serving.url, shop)
            faults = Faults(plan, services, serving, consuming)
            load_started = time.monotonic()
            faults.start()
            with _meter(services, serving, consuming) as whole:  # the load and the catch-up
                with _meter(services, serving, consuming) as meter:
                    report.load_seconds = asyncio.run(clients.run(
                        lambda: faults.over() and time.monotonic() - load_started >= plan.seconds))
                report.cpu_ms = meter.per(len(clients.acked))
                if faults.errors:
                    raise RuntimeError("a fault could not be injected: "
                                       + "; ".join(faults.errors))
                report.restarts = faults.done
                serving.wait_healthy()
                consuming.wait_healthy()
                subs = subscriptions(settings)
                snap = settle(database_url, shop.tenant.client_id, plan.settle, subs)
                report.catch_up_seconds = time.monotonic() - load_started - report.load_seconds
            report.cpu_all_ms = whole.per(len(clients.acked))
            count(report, clients, snap, subs)
            if report.failures():  # keep the processes' logs for whoever looks into it
                kept = Path(tempfile.mkdtemp(prefix="pos-faults-logs-"))
                for log in workdir.glob("*.log"):
                    shutil.copy(log, kept)
                report.logs = str(kept)
        finally:
            if faults is not None:
                faults.stop()
            for process in (consuming, serving):
                if process is not None:
                    process.stop()
    report.total_seconds = time.monotonic() - started
    return report


def render(report: Report) -> str:
    """The report as a Markdown table (what docs/faults.md shows)."""
    plan = report.plan
    rows = [
        ("orders acknowledged", report.acknowledged),
        ("orders stored", report.stored),
        ("orders duplicated", report.duplicated),
        ("orders lost", report.lost),
        ("orders never acknowledged (client gave up)", report.unacknowledged),
        ("requests refused (4xx)", sum(report.refused.values())),
        ("orders confirmed", report.confirmed),
        ("stock movements (one per confirmed order)",
         f"{report.movements} ({report.orders_moved_once} orders moved exactly once)"),
        ("stock left on the shelf", f"{report.shelf_left:f} of {SHELF:f}"),
        ("tables occupied by their newest order", f"{report.tables_right} of {report.tables_used}"),
        ("events in the outbox", sum(report.events.values())),
        ("events outstanding (unsent)", report.outstanding),
        *((f"events handled by {name}", f"{report.handled.get(name, 0)} of "
           f"{report.expected.get(name, 0)}") for name in sorted(report.expected)),
        *((name, f"{report.restarts.get(name, 0)}") for name in (
            "RabbitMQ restarts", "PostgreSQL restarts", "serving process kill -9",
            "consuming process kill -9")),
        ("client retries (same key)", report.retries),
        ("rate", f"{report.rate:.1f} acknowledged orders/s over {report.load_seconds:.0f} s "
                 f"({plan.clients} clients; target 100/s)"),
        ("CPU per acknowledged order, during the load", _cpu_row(report.cpu_ms)),
        ("CPU per acknowledged order, load and catch-up", _cpu_row(report.cpu_all_ms)),
        ("catch-up after the load (relay and subscriptions)", f"{report.catch_up_seconds:.0f} s"),
        ("wall time", f"{report.total_seconds:.0f} s"),
        ("machine", report.machine),
        ("verdict", "valid" if report.ok else "INVALID"),
    ]
    width = max(len(name) for name, _ in rows)
    lines = [f"| {'what':<{width}} | count |", f"|{'-' * (width + 2)}|-------|"]
    lines += [f"| {name:<{width}} | {value} |" for name, value in rows]
    if report.refused:
        lines.append(f"\nrefused: {dict(report.refused)}")
    for failure in report.failures():
        lines.append(f"invalid: {failure}")
    for order_id, status, moved in report.anomalies[:20]:
        lines.append(f"confirmed order {order_id}: stored as {status}, stock moved {moved} times")
    if report.logs:
        lines.append(f"the processes' logs: {report.logs}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    defaults = Plan()
    for name in ("seconds", "clients", "rabbit", "postgres", "kills", "tables", "settle",
                 "serving_workers"):
        parser.add_argument(f"--{name.replace('_', '-')}", dest=name,
                            type=type(getattr(defaults, name)), default=getattr(defaults, name))
    report = run(Plan(**vars(parser.parse_args(argv))))
    print(render(report))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
