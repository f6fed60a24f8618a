"""Orders over HTTP on PostgreSQL (SPEC §5): POS Modern against pgbench and the seed's design.

In one run, on a fresh PostgreSQL database:

1. POS Modern: `pos serve` (auth, catalog, orders; the outbox relayed to RabbitMQ unless
   `--broker memory://`), a tenant and a three-product menu; then `--orders` orders of 3 items, each
   with an Idempotency-Key, from `--clients` concurrent httpx clients. Prints orders/s, p50, p99.
2. The ceiling: pgbench writes the same rows with one transaction per order (the order, its 3 items
   in one INSERT, its outbox row), as many orders from as many clients; prints the ratio. A second
   pgbench line adds what POS Modern writes besides (the Idempotency-Key row with its answer, and
   the order number from a sequence).
3. The seed's design (bench/seed_design.py: asyncpg, a SELECT per product, an INSERT per item, the
   order read back) on the same stack and machine, under the same load.
4. Listing 100 orders with their items: SQL statements issued (counted with a SQLAlchemy
   `before_cursor_execute` listener) and time, for POS Modern and for the seed's N+1 listing.

    .venv/bin/python bench/orders_http.py [--orders 5000] [--clients 32] [--broker memory://]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx

from broker import drop_exchange

HERE = Path(__file__).resolve().parent
POS = str(Path(sys.executable).with_name("pos"))
ADMIN_DSN = os.environ.get("POS_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
AMQP = os.environ.get("POS_BENCH_AMQP", "amqp://guest:guest@127.0.0.1:5672//")
CLIENT, STORE, PASSWORD = "bench", "store-1", "bench-cashier-1"
DISHES = [("X-Burger", "26.90"), ("Guaraná lata", "6.50"), ("Pudim de leite", "12.00")]
MENU = list(DISHES)  # one product per item of an order (--items)


def set_menu(items: int) -> None:
    MENU[:] = [(f"{name} {n // len(DISHES) + 1}" if n >= len(DISHES) else name, price)
               for n, (name, price) in ((n, DISHES[n % len(DISHES)]) for n in range(items))]


@dataclass
class Load:
    label: str
    orders: int
    seconds: float
    latencies: list[float]
    cpu: float = 0.0  # seconds of CPU the server process used
    db_cpu: float = 0.0  # seconds of CPU the database's server processes used
    client_cpu: float = 0.0  # seconds of CPU this load generator used

    @property
    def rate(self) -> float:
        return self.orders / self.seconds

    def line(self) -> str:
        ms = sorted(x * 1000 for x in self.latencies)
        p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
        return (f"{self.label}: {self.rate:,.0f} orders/s ({self.orders} orders in "
                f"{self.seconds:.1f} s), p50 {statistics.median(ms):.1f} ms, p99 {p99:.1f} ms; "
                f"CPU per order: server {self.cpu / self.orders * 1000:.2f} ms, PostgreSQL "
                f"{self.db_cpu / self.orders * 1000:.2f} ms, load generator "
                f"{self.client_cpu / self.orders * 1000:.2f} ms")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_up(url: str, process: subprocess.Popen, path: str) -> None:
    for _ in range(600):
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode}")
        try:
            if httpx.get(url + path, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"{url} did not come up")


async def hammer(label: str, url: str, total: int, clients: int, make_request) -> Load:
    """``total`` requests from ``clients`` concurrent clients; ``make_request(n)`` gives
    (path, json, headers) for request n and each answer must be a 201."""
    latencies: list[float] = []
    counter = iter(range(total))

    async def client() -> None:
        async with httpx.AsyncClient(base_url=url, timeout=60) as http:
            for n in counter:
                path, body, headers = make_request(n)
                started = time.perf_counter()
                answer = await http.post(path, json=body, headers=headers)
                latencies.append(time.perf_counter() - started)
                if answer.status_code != 201:
                    raise SystemExit(f"{label}: {answer.status_code} {answer.text[:300]}")

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return Load(label, total, time.perf_counter() - started, latencies)


# --- POS Modern ------------------------------------------------------------------------------

async def prepare_tenant(database_url: str) -> None:
    from posmodern.core import security, tenancy
    from posmodern.core.db import Database

    db = Database(database_url)
    try:
        await tenancy.create_tenant(db, CLIENT)
        await security.create_user(db, client_id=CLIENT, store_id=STORE, username="cashier",
                                   password=PASSWORD, roles=["cashier", "manager"])
    finally:
        await db.dispose()


def pos_menu(url: str) -> tuple[str, list[str]]:
    token = httpx.post(url + "/api/v1/auth/token", json={
        "client_id": CLIENT, "username": "cashier", "password": PASSWORD}).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    ids = []
    for name, price in MENU:
        made = httpx.post(url + "/api/v1/products", json={"name": name, "price": price},
                          headers=auth)
        ids.append(made.json()["product_id"])
    return token, ids


def backend_pids(database: str) -> list[int]:
    async def pids() -> list[int]:
        conn = await asyncpg.connect(ADMIN_DSN)
        try:
            return [r["pid"] for r in await conn.fetch(
                "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                database)]
        finally:
            await conn.close()
    return asyncio.run(pids())


def backends_cpu(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            total += cpu_seconds(pid)
        except FileNotFoundError:
            pass  # a connection closed meanwhile: its time is lost (pools here do not churn)
    return total


def measured(pid: int, database: str, load) -> Load:
    """Run ``load()`` and note the CPU the server ``pid``, the database's backends and this
    process (the clients) used."""
    pids = backend_pids(database)
    before, db_before, own_before = cpu_seconds(pid), backends_cpu(pids), time.process_time()
    result = load()
    result.cpu = cpu_seconds(pid) - before
    result.db_cpu = backends_cpu(pids) - db_before
    result.client_cpu = time.process_time() - own_before
    return result


def pos_orders(url: str, token: str, products: list[str], args, database: str,
               pid: int) -> Load:
    items = [{"product_id": p, "quantity": "1"} for p in products]

    def request(n: int):
        # Every order carries an Idempotency-Key, as a till's would (one per sale).
        headers = {"Authorization": f"Bearer {token}"}
        if not args.no_key:
            headers["Idempotency-Key"] = f"till-{n}"
        return "/api/v1/orders", {"items": items}, headers

    def warm_up(n: int):
        return request(-1 - n)
    asyncio.run(hammer("warm-up", url, args.warmup, args.clients, warm_up))
    return measured(pid, database, lambda: asyncio.run(
        hammer("POS Modern over HTTP", url, args.orders, args.clients, request)))


def pos_listing(database_url: str, token: str) -> tuple[float, int]:
    """Median seconds and SQL statements of GET /api/v1/orders?limit=100, in process."""
    from sqlalchemy import event
    from starlette.testclient import TestClient

    from posmodern.core.config import Settings
    from posmodern.hosts.app import create_app

    settings = Settings.from_env({"DATABASE_URL": database_url, "BROKER_URL": "memory://",
                                  "POS_LOG_LEVEL": "WARNING",
                                  "POS_BUS_EXCHANGE": f"bench.{uuid.uuid4().hex[:8]}"})
    statements = []
    with TestClient(create_app(settings, plugins=["auth", "catalog", "orders"])) as client:
        headers = {"Authorization": f"Bearer {token}"}
        for _ in range(3):
            assert len(client.get("/api/v1/orders?limit=100", headers=headers).json()["items"]) \
                == 100
        for engine in client.app.state.runtime.db.engines:
            event.listen(engine.sync_engine, "before_cursor_execute",
                         lambda *args: statements.append(args[2]))
        times = []
        for _ in range(20):
            started = time.perf_counter()
            client.get("/api/v1/orders?limit=100", headers=headers)
            times.append(time.perf_counter() - started)
    return statistics.median(times), len(statements) // 20


def http_listing(url: str, path: str, headers: dict, orders_in=lambda body: body) -> float:
    """Median seconds of GET ``path`` (which must answer 100 orders) over HTTP."""
    with httpx.Client(base_url=url, timeout=60) as client:
        for _ in range(3):
            client.get(path, headers=headers)
        times = []
        for _ in range(20):
            started = time.perf_counter()
            assert len(orders_in(client.get(path, headers=headers).json())) == 100
            times.append(time.perf_counter() - started)
    return statistics.median(times)


# --- pgbench ---------------------------------------------------------------------------------

def pgbench_script(products: list[str], extras: bool) -> str:
    """One order per transaction, the rows POS Modern writes for it (``extras``: all of them)."""
    payload = json.dumps({"type": "order.created", "data": {"items": [
        {"product_id": p, "quantity": "1.000", "unit_price": price, "product_name": name}
        for p, (name, price) in zip(products, MENU, strict=True)], "total": "45.40"}})
    items = ", ".join(
        f"(gen_random_uuid(), :oid, '{p}', 1, {price}, {price}, 'PENDING', now(), now(), '{name}')"
        for p, (name, price) in zip(products, MENU, strict=True))
    lines = ["SELECT gen_random_uuid() AS oid, gen_random_uuid()::text AS key \\gset", "BEGIN;"]
    # POS Modern takes the number from a sequence in the order's INSERT (see core/counters.py).
    number = "nextval('pgbench_order_numbers')::text" if extras else "left(:key, 20)"
    lines += [
        "INSERT INTO orders (order_id, client_id, store_id, order_number, status, created_at, "
        "updated_at, subtotal, tax, discount, total, payment_status, source, metadata) VALUES "
        f"(:oid, '{CLIENT}', '{STORE}', {number}, 'PENDING', now(), now(), 45.40, 0, 0, "
        "45.40, 'PENDING', 'pos', '{\"adjustments\": []}');",
        "INSERT INTO order_items (item_id, order_id, product_id, quantity, unit_price, subtotal, "
        f"status, created_at, updated_at, product_name) VALUES {items};",
        "INSERT INTO outbox (event_id, event_type, payload, created_at) VALUES "
        f"(gen_random_uuid(), 'order.created', '{payload}', now());",
    ]
    if extras:
        # The Idempotency-Key row, written once with the answer.
        lines.append("INSERT INTO idempotency_keys (idempotency_key, route, request_hash, "
                     "created_at, expires_at, status_code, response_body) VALUES (:key, "
                     f"'orders.create', repeat('a', 64), now(), now() + interval '1 day', 201, "
                     f"'{payload}') ON CONFLICT DO NOTHING;")
    lines.append("END;")
    return "\n".join(lines) + "\n"


def pgbench(database: str, products: list[str], args, extras: bool) -> Load:
    binary = shutil.which("pgbench") or "/usr/lib/postgresql/15/bin/pgbench"
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        script.write(pgbench_script(products, extras))
    per_client = args.orders // args.clients
    if extras:
        asyncio.run(_sql(database, f"CREATE SEQUENCE IF NOT EXISTS tenant_{CLIENT}."
                                   "pgbench_order_numbers START WITH 1000000"))
    env = {**os.environ, "PGOPTIONS": f"-c search_path=tenant_{CLIENT}"}
    result = subprocess.run(
        [binary, "-h", "127.0.0.1", "-U", "postgres", "-n", "-M", "prepared", "-c",
         str(args.clients), "-j", "2", "-t", str(per_client), "-f", script.name, "-r", database],
        capture_output=True, text=True, env=env)
    os.unlink(script.name)
    if result.returncode != 0:
        raise SystemExit(f"pgbench failed: {result.stderr[-2000:]}")
    # Its outbox rows are not events for a relay to send: mark them sent.
    asyncio.run(_sql(database, f"SET search_path = tenant_{CLIENT}; "
                               "UPDATE outbox SET published_at = now() WHERE published_at IS NULL"))
    tps = next(float(line.split("=")[1].split()[0]) for line in result.stdout.splitlines()
               if line.startswith("tps"))
    latency = next(float(line.split("=")[1].split()[0]) for line in result.stdout.splitlines()
                   if line.startswith("latency average"))
    orders = per_client * args.clients
    label = "pgbench, the same rows" + (" + POS Modern's extra writes" if extras else "")
    return Load(label, orders, orders / tps, [latency / 1000])


# --- the seed's design -----------------------------------------------------------------------

async def seed_schema(dsn: str) -> list[str]:
    sys.path.insert(0, str(HERE))
    from seed_design import SEED_DDL

    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(SEED_DDL)
        ids = []
        for name, price in MENU:
            product_id = uuid.uuid4()
            await conn.execute("INSERT INTO pos_modern.products (product_id, client_id, store_id, "
                               "name, price) VALUES ($1, $2, $3, $4, $5)", product_id, CLIENT,
                               STORE, name, float(price))
            ids.append(str(product_id))
        return ids
    finally:
        await conn.close()


def seed_orders(url: str, products: list[str], args, database: str, pid: int) -> Load:
    def request(n: int):
        return ("/orders", {"client_id": CLIENT, "store_id": STORE, "order_number": str(n),
                            "items": [{"product_id": p, "quantity": 1, "unit_price": float(price)}
                                      for p, (_, price) in zip(products, MENU, strict=True)]}, {})
    asyncio.run(hammer("warm-up", url, args.warmup, args.clients, request))
    return measured(pid, database, lambda: asyncio.run(
        hammer("seed design over HTTP", url, args.orders, args.clients, request)))


# --- the run ---------------------------------------------------------------------------------

def start(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(command, env=env, stdout=open(log, "wb"), stderr=subprocess.STDOUT)


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=5000)
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--items", type=int, default=3, help="items (distinct products) per order")
    parser.add_argument("--no-key", action="store_true",
                        help="POS Modern's orders without an Idempotency-Key")
    parser.add_argument("--broker", default=AMQP, help="kombu URL for POS Modern's events")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args()
    set_menu(args.items)

    database = f"posmodern_bench_{uuid.uuid4().hex[:8]}"
    base = ADMIN_DSN.rsplit("/", 1)[0]
    dsn = f"{base}/{database}"
    database_url = dsn.replace("postgresql://", "postgresql+asyncpg://", 1)
    asyncio.run(_admin(f'CREATE DATABASE "{database}"'))
    workdir = Path(tempfile.mkdtemp(prefix="pos-bench-"))
    print(f"machine: {platform.node()}, {os.cpu_count()} cores, "
          f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB, "
          f"Python {platform.python_version()}, {_pg_version(dsn)}; {args.clients} clients, "
          f"{args.orders} orders of {args.items} items after {args.warmup} warm-up orders; "
          f"events to {args.broker.split(':')[0]}"
          + ("; no Idempotency-Key" if args.no_key else ""))
    try:
        env = {**os.environ, "DATABASE_URL": database_url, "BROKER_URL": args.broker,
               "POS_BUS_EXCHANGE": f"bench.{database}", "POS_PLUGINS": "auth,catalog,orders",
               "POS_AUTO_MIGRATE": "true", "POS_LOG_LEVEL": "WARNING",
               # 20 connections kept open, as the seed's asyncpg pool (min 5, max 20) does.
               "POS_DB_POOL_SIZE": "20", "POS_DB_MAX_OVERFLOW": "0"}
        asyncio.run(_migrate_and_prepare(database_url))
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        server = start([POS, "serve", "--port", str(port)], env, workdir / "pos.log")
        try:
            wait_up(url, server, "/health")
            token, products = pos_menu(url)
            ours = pos_orders(url, token, products, args, database, server.pid)
            print(ours.line())
            pos_http_list = http_listing(url, "/api/v1/orders?limit=100",
                                         {"Authorization": f"Bearer {token}"},
                                         lambda body: body["items"])
        finally:
            stop(server)
        ceiling = pgbench(database, products, args, extras=False)
        print(f"{ceiling.label}: {ceiling.rate:,.0f} orders/s "
              f"(latency average {ceiling.latencies[0] * 1000:.1f} ms); "
              f"POS Modern reaches {ours.rate / ceiling.rate:.0%} of it")
        full = pgbench(database, products, args, extras=True)
        print(f"{full.label}: {full.rate:,.0f} orders/s; POS Modern reaches "
              f"{ours.rate / full.rate:.0%} of it")

        seed_products = asyncio.run(seed_schema(dsn))
        port = free_port()
        seed_url = f"http://127.0.0.1:{port}"
        seed = start([sys.executable, str(HERE / "seed_design.py"), str(port), dsn], os.environ,
                     workdir / "seed.log")
        try:
            wait_up(seed_url, seed, f"/orders?client_id={CLIENT}&store_id={STORE}&limit=1")
            baseline = seed_orders(seed_url, seed_products, args, database, seed.pid)
            print(baseline.line())
            seed_http_list = http_listing(
                seed_url, f"/orders?client_id={CLIENT}&store_id={STORE}&limit=100", {})
        finally:
            stop(seed)
        print(f"POS Modern / seed design, orders/s over HTTP: {ours.rate / baseline.rate:.2f}x")

        seconds, statements = pos_listing(database_url, token)
        print(f"listing 100 orders with items, POS Modern: {statements} SQL statements, "
              f"{seconds * 1000:.1f} ms in process, {pos_http_list * 1000:.1f} ms over HTTP "
              "(median of 20)")
        print(f"listing 100 orders with items, seed design: 101 SQL statements (1 + one per "
              f"order), {seed_http_list * 1000:.1f} ms over HTTP (median of 20)")
    finally:
        if not args.keep:
            asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            drop_exchange(f"bench.{database}", args.broker)
        shutil.rmtree(workdir, ignore_errors=True)


async def _admin(sql: str) -> None:
    await _sql(ADMIN_DSN.rsplit("/", 1)[1], sql)


async def _sql(database: str, sql: str) -> None:
    conn = await asyncpg.connect(ADMIN_DSN.rsplit("/", 1)[0] + "/" + database)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _pg_version(dsn: str) -> str:
    async def version() -> str:
        conn = await asyncpg.connect(dsn)
        try:
            return "PostgreSQL " + (await conn.fetchval("SHOW server_version")).split()[0]
        finally:
            await conn.close()
    return asyncio.run(version())


async def _migrate_and_prepare(database_url: str) -> None:
    from posmodern.core import tenancy
    from posmodern.core.db import Database

    db = Database(database_url)
    try:
        await tenancy.upgrade_all(db)
    finally:
        await db.dispose()
    await prepare_tenant(database_url)


if __name__ == "__main__":
    main()
