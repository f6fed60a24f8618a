"""Legacy JSON import rows/s against a raw COPY of the same rows (SPEC §5, issue 19), and the
backup and restore times of the tenant it fills.

Generates a legacy export (10 categories, 200 products, --customers customers, --orders orders
with --items items each) in a temporary folder, imports it into a fresh tenant with the code
`pos import-json` runs (streamed, checked, new orders COPY'd into their tables, those stored
before upserted), imports it a second time (it must change nothing). The ceiling: the same
order and item rows, those the first run stored read back with every column into tuples
beforehand, copied with a bare asyncpg COPY into the real tables of a new tenant holding the
same menu and customers, once between the runs and once after the second (the machine may be
shared: the ratio is taken against their mean). Then backs the tenant up (`pos db backup
--tenant`) and restores it under a new id (`--as`). The load average is printed along.

PostgreSQL by default (a throw-away database, dropped at the end); `--database-url
sqlite+aiosqlite:///…` for SQLite (no COPY ceiling there).

    .venv/bin/python bench/import_json.py [--orders 250000] [--items 4] [--batch 5000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import shutil
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from posmodern.core import backup, tenancy  # noqa: E402
from posmodern.core.asyncio_hooks import collect_sync  # noqa: E402
from posmodern.core.db import Database, schema_name  # noqa: E402
from posmodern.core.legacy_import import BATCH, ImportContext, import_folder  # noqa: E402
from posmodern.core.plugins import get_plugin_manager  # noqa: E402
from support import services  # noqa: E402
from support.settings import make_settings  # noqa: E402

STORE = "store-1"


def write_export(folder: Path, orders: int, items: int, customers: int) -> int:
    """The legacy files; returns the number of order rows plus item rows."""
    rng = random.Random(19)
    (folder / "categories.json").write_text(json.dumps(
        [{"id": f"cat-{n}", "store_id": STORE, "name": f"Categoria {n}"} for n in range(10)]))
    prices = {f"prod-{n}": Decimal(rng.randint(300, 9000)) / 100 for n in range(200)}
    (folder / "products.json").write_text(json.dumps(
        [{"id": pid, "store_id": STORE, "name": f"Produto {pid}", "price": str(price),
          "category_id": f"cat-{n % 10}"} for n, (pid, price) in enumerate(prices.items())]))
    (folder / "customers.json").write_text(json.dumps(
        [{"id": f"cust-{n}", "store_id": STORE, "name": f"Cliente {n}",
          "phone": f"11{90000000 + n:09d}"} for n in range(customers)]))
    pids = list(prices)
    with (folder / "orders.json").open("w") as out:
        out.write("[")
        for n in range(orders):
            lines = []
            for i in range(items):
                pid = pids[rng.randrange(len(pids))]
                quantity = rng.randint(1, 3)
                lines.append({"id": f"it-{n}-{i}", "product_id": pid, "quantity": quantity,
                              "unit_price": str(prices[pid]),
                              "subtotal": str(prices[pid] * quantity)})
            subtotal = sum(Decimal(line["subtotal"]) for line in lines)
            out.write(("," if n else "") + json.dumps({
                "id": f"ord-{n}", "store_id": STORE, "order_number": str(n + 1),
                "status": "COMPLETED", "payment_status": "PAID",
                "customer_id": f"cust-{n % customers}" if n % 3 == 0 else None,
                "created_at": f"2025-{1 + n % 12:02d}-{1 + n % 28:02d}T12:00:00-03:00",
                "subtotal": str(subtotal), "tax": "0.00", "discount": "0.00",
                "total": str(subtotal), "items": lines}))
        out.write("]")
    return orders * (1 + items)


async def stored_rows(db: Database, client_id: str) -> dict[str, tuple[list[str], list[tuple]]]:
    """Every column of the order and item rows the import stored, as bare tuples: the ceiling
    copies exactly these (read before its clock runs)."""
    from posmodern.schema.tables import order_items, orders

    rows = {}
    async with db.control.connect() as conn:
        raw = (await conn.get_raw_connection()).driver_connection
        for table in (orders, order_items):
            records = await raw.fetch(
                f'SELECT * FROM "{schema_name(client_id)}"."{table.name}"')
            rows[table.name] = (list(records[0].keys()), [tuple(r) for r in records])
    return rows


async def raw_copy(db: Database, settings, importers, folder: Path,
                   rows: dict[str, tuple[list[str], list[tuple]]]) -> tuple[int, float]:
    """COPY the stored order and item rows, every column, straight into the real tables (their
    indexes and foreign keys) of a new tenant holding the same menu and customers: no checks,
    no staging, no upsert. Returns (rows, seconds)."""
    from posmodern.schema.tables import order_items, orders

    client_id = f"benchraw{uuid.uuid4().hex[:6]}"
    await tenancy.create_tenant(db, client_id)
    referred = [i for i in importers if i.name in ("categories", "products", "customers")]
    await import_folder(referred, folder, ImportContext(db, settings, client_id, STORE))
    schema = schema_name(client_id)
    columns, order_rows = rows[orders.name]
    tenant = columns.index("client_id")
    order_rows = [(*row[:tenant], client_id, *row[tenant + 1:]) for row in order_rows]
    started = time.perf_counter()
    async with db.control.connect() as conn:
        raw = (await conn.get_raw_connection()).driver_connection
        async with raw.transaction():
            await raw.copy_records_to_table(orders.name, schema_name=schema,
                                            records=order_rows, columns=columns)
            columns, item_rows = rows[order_items.name]
            await raw.copy_records_to_table(order_items.name, schema_name=schema,
                                            records=item_rows, columns=columns)
    seconds = time.perf_counter() - started
    await tenancy.drop_tenant(db, client_id)
    return len(order_rows) + len(item_rows), seconds


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


async def main(args: argparse.Namespace) -> None:
    url = args.database_url or services.create_database()
    work = Path(tempfile.mkdtemp(prefix="pos-import-bench-"))
    settings = make_settings(url, work)
    pm = get_plugin_manager(["catalog", "customers", "orders"])
    importers = collect_sync(pm.hook.pos_legacy_importers, settings=settings)
    db = Database(url)
    client_id = f"bench{uuid.uuid4().hex[:6]}"
    try:
        await tenancy.create_tenant(db, client_id)
        export = work / "export"
        export.mkdir()
        started = time.perf_counter()
        rows = write_export(export, args.orders, args.items, args.customers)
        print(f"export: {args.orders} orders, {args.orders * args.items} items "
              f"({sum(p.stat().st_size for p in export.iterdir()) / 1e6:.0f} MB) written in "
              f"{time.perf_counter() - started:.1f} s")
        ctx = ImportContext(db, settings, client_id, STORE)
        others = [i for i in importers if i.name != "orders"]
        orders_only = [i for i in importers if i.name == "orders"]
        # The ceiling copies the very rows the first run stored, so it runs after it: once
        # between the two runs and once after the second (the ratio is against their mean).
        copies = []
        for run in ("first", "second"):
            print(f"load average before the {run} run: {load()}")
            started = time.perf_counter()
            reports = await import_folder(others, export, ctx, batch_size=args.batch)
            middle = time.perf_counter()
            reports += await import_folder(orders_only, export, ctx, batch_size=args.batch)
            done = time.perf_counter()
            print(f"import ({run} run): {done - started:.1f} s, orders.json {done - middle:.1f} s; "
                  + "; ".join(f"{r.file} {r.imported} in, {r.changed} written, "
                              f"{len(r.errors)} refused" for r in reports))
            if run == "first":
                orders_seconds = done - middle
                print(f"import of orders.json: {rows / orders_seconds:,.0f} order+item rows/s "
                      "(streamed, checked, COPY, upsert of those stored before)")
                if not db.is_sqlite:
                    rows_read = await stored_rows(db, client_id)
            if not db.is_sqlite:
                copies.append(await raw_copy(db, settings, importers, export, rows_read))
                print(f"raw COPY (after the {run} run, load {load()}): {copies[-1][1]:.1f} s")
        if copies:
            del rows_read
            copied = copies[0][0]
            copy_seconds = sum(seconds for _, seconds in copies) / len(copies)
            print(f"raw COPY of the same {copied} rows (every column) into the real tables: "
                  f"{copy_seconds:.1f} s (mean of "
                  f"{', '.join(f'{seconds:.1f}' for _, seconds in copies)}), "
                  f"{copied / copy_seconds:,.0f} rows/s; import/COPY = "
                  f"{copy_seconds / orders_seconds:.2f}")
        target = work / "tenant.posbackup"
        started = time.perf_counter()
        manifest = await backup.backup(db, target, client_id)
        print(f"backup of the tenant ({manifest.tenants[0].rows['orders']} orders, "
              f"{manifest.tenants[0].rows['order_items']} items): "
              f"{time.perf_counter() - started:.1f} s, {target.stat().st_size / 1e6:.0f} MB")
        started = time.perf_counter()
        await backup.restore(db, target, new_id=client_id + "-r")
        print(f"restore as a new tenant: {time.perf_counter() - started:.1f} s (load {load()})")
        print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
              f"Python {platform.python_version()}, {db.dialect}")
    finally:
        await db.dispose()
        shutil.rmtree(work, ignore_errors=True)
        if not args.database_url:
            services.drop_database(url)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=250_000)
    parser.add_argument("--items", type=int, default=4, help="Items per order.")
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=BATCH, help="Records per transaction.")
    parser.add_argument("--database-url", help="Default: a throw-away PostgreSQL database.")
    asyncio.run(main(parser.parse_args()))
