"""`pos db backup --tenant` and `pos db restore --as NEW` of a tenant of --orders orders
(issue 19: 1,000,000), timed through the real commands.

Fills a fresh tenant on PostgreSQL with 200 products, 10,000 customers and --orders orders of
--items items each, written by the database itself (``INSERT … SELECT`` over
``generate_series``, a chunk of orders per transaction: the data, not its loading, is what this
measures), then runs `pos db backup --tenant T --to FILE` and `pos db restore FILE --as T2` as
subprocesses, and checks that every table of the restored tenant counts the rows of the original.
The throw-away database (and the file) are dropped at the end.

    .venv/bin/python bench/backup_restore.py [--orders 1000000] [--items 4]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Integer, String, Uuid, case, cast, func, insert, literal, select

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from posmodern.core import tenancy  # noqa: E402
from posmodern.core.backup import count_rows  # noqa: E402
from posmodern.core.db import Database, schema_name  # noqa: E402
from posmodern.schema.tables import categories, customers, order_items, orders, products  # noqa: E402
from support import services  # noqa: E402

STORE = "store-1"
PRODUCTS, CUSTOMERS = 200, 10_000
TABLES = ["categories", "products", "customers", "orders", "order_items"]


def md5_uuid(prefix: str, number: int) -> uuid.UUID:
    """The UUID the database makes of ``md5(prefix || number)``."""
    return uuid.UUID(hashlib.md5(f"{prefix}{number}".encode()).hexdigest())


def sql_uuid(prefix: str, number):
    return cast(func.md5(func.concat(prefix, number)), Uuid)


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


async def fill(db: Database, client_id: str, orders_count: int, items: int, chunk: int) -> None:
    async with db.transaction(client_id) as conn:
        await conn.execute(insert(categories), [{
            "category_id": md5_uuid("k", 0), "client_id": client_id, "store_id": STORE,
            "name": "Lanches"}])
        await conn.execute(insert(products), [{
            "product_id": md5_uuid("p", n), "client_id": client_id, "store_id": STORE,
            "category_id": md5_uuid("k", 0), "name": f"Produto {n}", "price": Decimal("10.00")}
            for n in range(PRODUCTS)])
        await conn.execute(insert(customers), [{
            "customer_id": md5_uuid("c", n), "client_id": client_id, "store_id": STORE,
            "name": f"Cliente {n}", "phone": f"11{900000000 + n}"} for n in range(CUSTOMERS)])
    for first in range(1, orders_count + 1, chunk):
        last = min(first + chunk - 1, orders_count)
        n = func.generate_series(first, last, type_=Integer).column_valued("n")
        amount = literal(Decimal("10.00") * items)
        async with db.transaction(client_id) as conn:
            await conn.execute(insert(orders).from_select(
                ["order_id", "client_id", "store_id", "order_number", "status", "customer_id",
                 "created_at", "subtotal", "tax", "discount", "total", "payment_status", "source"],
                select(sql_uuid("o", n), literal(client_id), literal(STORE), cast(n, String),
                       literal("COMPLETED"),
                       case((n % 3 == 0, sql_uuid("c", n % CUSTOMERS)), else_=None),
                       func.to_timestamp(1_735_700_000 + n * 60), amount, literal(0), literal(0),
                       amount, literal("PAID"), literal("pos"))))
            i = func.generate_series((first - 1) * items, last * items - 1,
                                    type_=Integer).column_valued("i")
            order = i // items + 1
            await conn.execute(insert(order_items).from_select(
                ["item_id", "order_id", "product_id", "quantity", "unit_price", "subtotal",
                 "status", "product_name"],
                select(sql_uuid("i", i), sql_uuid("o", order), sql_uuid("p", i % PRODUCTS),
                       literal(1), literal(Decimal("10.00")), literal(Decimal("10.00")),
                       literal("DELIVERED"), func.concat("Produto ", i % PRODUCTS))))
        print(f"  {last:,} orders written (load {load()})", flush=True)


async def counts(db: Database, client_id: str) -> dict[str, int]:
    async with db.transaction(client_id) as conn:
        return await count_rows(conn, TABLES, schema_name(client_id))


def pos(url: str, data_dir: Path, *args: str) -> float:
    env = {**os.environ, "DATABASE_URL": url, "POS_DATA_DIR": str(data_dir)}
    started = time.perf_counter()
    subprocess.run([str(HERE.parent / ".venv" / "bin" / "pos"), *args], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


async def main(args: argparse.Namespace) -> None:
    url = args.database_url or services.create_database()
    work = Path(tempfile.mkdtemp(prefix="pos-backup-bench-"))
    db = Database(url)
    client_id = f"bench{uuid.uuid4().hex[:6]}"
    try:
        await tenancy.create_tenant(db, client_id)
        print(f"load average at the start: {load()}")
        started = time.perf_counter()
        await fill(db, client_id, args.orders, args.items, args.chunk)
        print(f"tenant filled in {time.perf_counter() - started:.0f} s: {await counts(db, client_id)}")
        target = work / "tenant.posbackup"
        print(f"load average before the backup: {load()}")
        seconds = pos(url, work, "db", "backup", "--tenant", client_id, "--to", str(target))
        print(f"pos db backup --tenant: {seconds:.1f} s, {target.stat().st_size / 1e6:,.0f} MB "
              f"(load {load()})")
        seconds = pos(url, work, "db", "restore", str(target), "--as", client_id + "-r")
        print(f"pos db restore --as NEW: {seconds:.1f} s (load {load()})")
        original, restored = await counts(db, client_id), await counts(db, client_id + "-r")
        print(f"rows: original {original}, restored {restored}: "
              f"{'the same' if original == restored else 'DIFFERENT'}")
        print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
              f"Python {platform.python_version()}, {db.dialect}")
        if original != restored:
            raise SystemExit(1)
    finally:
        await db.dispose()
        shutil.rmtree(work, ignore_errors=True)
        if args.database_url:
            for tenant in (client_id, client_id + "-r"):
                try:
                    await tenancy.drop_tenant(Database(url), tenant)
                except Exception as exc:  # noqa: BLE001 - one that was never made
                    print(f"{tenant} not dropped: {exc}")
        else:
            services.drop_database(url)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--items", type=int, default=4, help="Items per order.")
    parser.add_argument("--chunk", type=int, default=100_000, help="Orders per transaction.")
    parser.add_argument("--database-url", help="Default: a throw-away PostgreSQL database.")
    asyncio.run(main(parser.parse_args()))
