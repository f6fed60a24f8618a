"""Many tenants on PostgreSQL: idle cost, event latency, time to create and to upgrade them.

For each N of --tenants (in one database, growing): creates tenants up to N (--jobs at a time),
times `pos db upgrade` over all of them (every one at the head: the resumed run), samples the
database's transactions with no pos process, then starts an idle `pos serve` (every plugin,
PostgreSQL, RabbitMQ; --workers processes) and samples, over --idle seconds, the database's
transactions per second (`pg_stat_database.xact_commit`) and the CPU of the pos processes and of
their PostgreSQL backends. With --latency, at the largest N: orders over HTTP at --rate per
second spread across 100 tenants, each event's latency from its `occurred_at` (set in the
order's transaction, just before its commit) to a RabbitMQ consumer of this script. With
--migrate K: K tenants taken back one revision, then `pos db upgrade` brings them to the head
again. The database, the exchange and its queues are dropped at the end.

    .venv/bin/python bench/tenants.py --tenants 10 1000 [--idle 30] [--latency] [--migrate 100]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime
from pathlib import Path

import asyncpg
import httpx
from kombu import Connection, Consumer, Exchange, Queue, binding

from posmodern.core import security, tenancy
from posmodern.core.db import Database, schema_name
from posmodern.core.errors import Conflict
from posmodern.schema import migrate

from broker import drop_exchange

POS = str(Path(sys.executable).with_name("pos"))
ADMIN = "postgresql://postgres@127.0.0.1/postgres"
AMQP = "amqp://guest:guest@127.0.0.1:5672//"
TICKS = os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(pid: int) -> float:
    """CPU of a process and its children (the workers of `pos serve --workers N`)."""
    children = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True,
                              text=True).stdout.split()
    return cpu_seconds(pid) + sum(cpu_seconds(int(child)) for child in children)


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


async def create_tenants(url: str, clients: list[str], jobs: int,
                         alone: int = 0) -> tuple[float, list[float]]:
    """Create ``clients``, ``jobs`` at a time, the last ``alone`` of them one by one: the
    wall time of all, and each lone creation's time (what one new client waits)."""
    db = Database(url, pool_size=jobs, max_overflow=0)
    slots = asyncio.Semaphore(jobs)
    together, by_one = clients[:len(clients) - alone], clients[len(clients) - alone:]

    async def one(client: str) -> None:
        async with slots:
            await tenancy.create_tenant(db, client)
    started = time.perf_counter()
    if together:
        await one(together[0])  # the first one records the migrations (core/tenancy.py)
        await asyncio.gather(*(one(client) for client in together[1:]))
    lone = []
    for client in by_one:
        began = time.perf_counter()
        await one(client)
        lone.append(time.perf_counter() - began)
    elapsed = time.perf_counter() - started
    await db.dispose()
    return elapsed, lone


def pos(env: dict[str, str], *args: str) -> float:
    started = time.perf_counter()
    subprocess.run([POS, *args], env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


async def tenant_count(url: str) -> int:
    db = Database(url, pool_size=1, max_overflow=0)
    try:
        return len(await tenancy.list_tenants(db))
    finally:
        await db.dispose()


async def back_one_revision(url: str, clients: list[str]) -> None:
    db = Database(url, pool_size=2, max_overflow=0)
    for client in clients:
        async with db.tenant_engine(client).begin() as conn:
            await migrate.downgrade_tenant(conn, schema_name(client), (), "-1")
    await db.dispose()


async def floor_tx(database: str, seconds: float) -> float:
    """Transactions/s of the database with no pos process (autovacuum, this script)."""
    conn = await asyncpg.connect(ADMIN)
    query = "SELECT xact_commit FROM pg_stat_database WHERE datname = $1"
    try:
        before = await conn.fetchval(query, database)
        await asyncio.sleep(seconds)
        return (await conn.fetchval(query, database) - before - 1) / seconds
    finally:
        await conn.close()


async def sample_idle(database: str, pid: int, seconds: float) -> dict[str, float]:
    conn = await asyncpg.connect(ADMIN)
    query = "SELECT xact_commit FROM pg_stat_database WHERE datname = $1"
    backends = "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()"
    try:
        # Wait out the start (the sweeping relay's first full pass visits every tenant): at
        # least 15 s, then until three windows of 3 s in a row are quiet.
        settle_started = time.perf_counter()
        last = await conn.fetchval(query, database)
        quiet = 0
        while quiet < 3 or time.perf_counter() - settle_started < 15:
            await asyncio.sleep(3)
            now = await conn.fetchval(query, database)
            quiet = quiet + 1 if (now - last) / 3 < 20 else 0
            last = now
            if time.perf_counter() - settle_started > 900:
                break
        settled = time.perf_counter() - settle_started
        pids = [row["pid"] for row in await conn.fetch(backends, database)]
        xact0 = await conn.fetchval(query, database)
        pos0, pg0 = tree_cpu_seconds(pid), sum(cpu_seconds(p) for p in pids)
        await asyncio.sleep(seconds)
        xact1 = await conn.fetchval(query, database)
        pos1, pg1 = tree_cpu_seconds(pid), sum(cpu_seconds(p) for p in pids)
    finally:
        await conn.close()
    return {"settle_s": settled, "tx_per_s": (xact1 - xact0 - 1) / seconds,
            "pos_cpu_pct": 100 * (pos1 - pos0) / seconds,
            "pg_cpu_pct": 100 * (pg1 - pg0) / seconds, "backends": len(pids)}


class Server:
    def __init__(self, env: dict[str, str], port: int, workers: int = 1) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen([POS, "serve", "--port", str(port), "--workers",
                                         str(workers)], env=env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"pos serve exited with {self.process.returncode}")
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise SystemExit("pos serve did not start")

    def stop(self) -> None:
        started = time.perf_counter()
        self.process.terminate()
        self.process.wait(120)
        print(f"   (pos serve stopped in {time.perf_counter() - started:.1f} s)")


def latency(server: Server, url: str, clients: list[str], exchange: str, rate: float,
            seconds: float) -> dict[str, float]:
    async def prepare() -> None:
        db = Database(url, pool_size=4, max_overflow=0)
        for client in clients:
            with contextlib.suppress(Conflict):  # made by an earlier run on this database
                await security.create_user(db, client_id=client, store_id="s1",
                                           username="cashier", password="cashier-pass-1",
                                           roles=["admin"])
        await db.dispose()
    asyncio.run(prepare())
    http = httpx.Client(base_url=server.url, timeout=30)
    menus = {}
    for client in clients:
        token = http.post("/api/v1/auth/token", json={
            "client_id": client, "username": "cashier", "password": "cashier-pass-1"}
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        category = http.post("/api/v1/categories", headers=headers,
                             json={"name": "Lanches"}).json()["category_id"]
        product = http.post("/api/v1/products", headers=headers, json={
            "name": "X-Burger", "price": "26.90", "category_id": category}).json()["product_id"]
        menus[client] = (headers, product)

    events = Exchange(exchange, type="topic", durable=True)
    queue = Queue(f"{exchange}.bench", exchange=events, durable=False,
                  bindings=[binding(events, routing_key="order.created")])
    seen: list[float] = []
    stop = threading.Event()
    ready = threading.Event()

    def consume() -> None:
        with Connection(AMQP) as conn:
            def received(body, message) -> None:
                payload = json.loads(body) if isinstance(body, str | bytes) else body
                occurred = datetime.fromisoformat(payload["occurred_at"]).timestamp()
                seen.append(time.time() - occurred)
                message.ack()
            with Consumer(conn, [queue], callbacks=[received], accept=["json"]):
                ready.set()
                while not stop.is_set():
                    try:
                        conn.drain_events(timeout=0.2)
                    except TimeoutError:
                        pass
    consumer = threading.Thread(target=consume, daemon=True)
    consumer.start()
    ready.wait(10)
    sent = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        client = random.choice(clients)
        headers, product = menus[client]
        made = http.post("/api/v1/orders", headers=headers,
                         json={"items": [{"product_id": product, "quantity": "1"}]})
        assert made.status_code == 201, made.text
        sent += 1
        pause = started + sent / rate - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
    deadline = time.monotonic() + 10
    while len(seen) < sent and time.monotonic() < deadline:
        time.sleep(0.1)
    stop.set()
    consumer.join(5)
    http.close()
    seen.sort()
    return {"orders": sent, "received": len(seen), "p50_ms": 1000 * statistics.median(seen),
            "p95_ms": 1000 * seen[int(0.95 * (len(seen) - 1))], "max_ms": 1000 * seen[-1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, nargs="+", default=[10, 1000])
    parser.add_argument("--idle", type=float, default=30.0)
    parser.add_argument("--jobs", type=int, default=4)
    parser.add_argument("--latency", action="store_true")
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--migrate", type=int, default=0)
    parser.add_argument("--workers", type=int, default=1, help="pos serve --workers")
    parser.add_argument("--database", help="reuse this database's tenants (b00000…), kept")
    args = parser.parse_args()

    database = args.database or f"posmodern_bench_tenants_{uuid.uuid4().hex[:6]}"
    url = f"postgresql+asyncpg://postgres@127.0.0.1/{database}"
    exchange = f"posmodern.bench.{uuid.uuid4().hex[:6]}"
    env = {**os.environ, "DATABASE_URL": url, "BROKER_URL": AMQP, "POS_BUS_EXCHANGE": exchange,
           "POS_AUTO_MIGRATE": "false", "POS_LOG_LEVEL": "WARNING", "POS_DASHBOARD_BACKEND":
           "embedded", "POS_PLUGINS": ""}
    if not args.database:
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc",
                        f"CREATE DATABASE {database}"], check=True)
    print(f"# {platform.node()}: {os.cpu_count()} cores, load {os.getloadavg()}, {database}")
    clients: list[str] = []
    try:
        pos(env, "db", "upgrade")
        for count in sorted(args.tenants):
            existing = asyncio.run(tenant_count(url)) if args.database else len(clients)
            clients += [f"b{n:05d}" for n in range(len(clients), min(existing, count))]
            more = [f"b{len(clients) + n:05d}" for n in range(count - len(clients))]
            alone = min(10, max(0, len(more) - 1))
            created, lone = asyncio.run(create_tenants(url, more, args.jobs, alone))
            clients += more
            print(f"N={count}: created {len(more)} tenants in {created:.1f} s "
                  f"({created / max(1, len(more)):.3f} s each, {args.jobs} at a time; "
                  f"the last {alone} one by one)")
            if lone:
                print(f"N={count}: one tenant created alone: median "
                      f"{statistics.median(lone):.3f} s, max {max(lone):.3f} s")
            upgraded = pos(env, "db", "upgrade", "--jobs", str(args.jobs))
            print(f"N={count}: pos db upgrade, every tenant at the head: {upgraded:.1f} s")
            floor = asyncio.run(floor_tx(database, 10))
            print(f"N={count}: without pos serve: {floor:.1f} tx/s (autovacuum, this script)")
            server = Server(env, 18000 + count % 1000, args.workers)
            try:
                idle = asyncio.run(sample_idle(database, server.process.pid, args.idle))
                print(f"N={count}, {args.workers} worker(s): idle after "
                      f"{idle['settle_s']:.0f} s of start-up: "
                      f"{idle['tx_per_s']:.1f} tx/s, pos {idle['pos_cpu_pct']:.2f} % of a core, "
                      f"PostgreSQL ({idle['backends']} backends) {idle['pg_cpu_pct']:.2f} %")
                if args.latency and count == max(args.tenants):
                    got = latency(server, url, random.sample(clients, min(100, len(clients))),
                                  exchange, args.rate, args.seconds)
                    print(f"N={count}: {got['orders']} orders at {args.rate}/s over 100 tenants:"
                          f" {got['received']} events, latency p50 {got['p50_ms']:.0f} ms, "
                          f"p95 {got['p95_ms']:.0f} ms, max {got['max_ms']:.0f} ms")
            finally:
                server.stop()
        if args.migrate:
            sample = clients[:args.migrate]
            asyncio.run(back_one_revision(url, sample))
            took = pos(env, "db", "upgrade", "--jobs", str(args.jobs))
            print(f"N={len(clients)}: pos db upgrade migrating {len(sample)} tenants (one "
                  f"revision) and skipping the rest: {took:.1f} s")
    finally:
        if not args.database:
            subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc",
                            f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"], check=False)
        drop_exchange(exchange, AMQP)


if __name__ == "__main__":
    main()
