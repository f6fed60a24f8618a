"""The restore drill: real orders, payments and stock through the API; a backup (also one taken
while orders are being written); the tenant dropped; the backup restored; every row and
invariant back. Plus what a restore refuses."""

from __future__ import annotations

import asyncio
import tarfile
import threading
from collections import defaultdict
from decimal import Decimal

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from starlette.testclient import TestClient

from posmodern.cli import commands  # noqa: F401 - registers the commands
from posmodern.cli.main import cli
from posmodern.core import backup as backups
from posmodern.core import tenancy
from posmodern.core.db import Database
from posmodern.hosts.app import create_app
from posmodern.schema import tables
from support.api import Api, make_tenant
from support.menu import create_menu, order_body
from support.tenant_db import wait_for

PLUGINS = ["auth", "catalog", "customers", "orders", "payments", "stock"]


def run_db(settings, fn):
    async def go():
        db = Database(settings.database_url)
        try:
            return await fn(db)
        finally:
            await db.dispose()
    return asyncio.run(go())


def snapshot(settings, client_id):
    """Every order, item, payment and stock row of the tenant, and the invariants' inputs."""
    async def read(db):
        async with db.transaction(client_id) as conn:
            found = {}
            for table in (tables.orders, tables.order_items, tables.payments, tables.stock_items,
                          tables.stock_movements, tables.customers, tables.products):
                found[table.name] = sorted(tuple(str(v) for v in row)
                                           for row in await conn.execute(select(table)))
            return found
    return run_db(settings, read)


def check_invariants(settings, client_id):
    async def read(db):
        async with db.transaction(client_id) as conn:
            orders = (await conn.execute(select(tables.orders))).all()
            items = (await conn.execute(select(tables.order_items))).all()
            payments = (await conn.execute(select(tables.payments))).all()
            stock = (await conn.execute(select(tables.stock_items))).all()
            moves = (await conn.execute(select(tables.stock_movements))).all()
        return orders, items, payments, stock, moves
    orders, items, payments, stock, moves = run_db(settings, read)
    lines = defaultdict(Decimal)
    for item in items:
        if item.status not in ("CANCELLED", "REMOVED"):
            lines[item.order_id] += item.subtotal
    for order in orders:
        assert order.subtotal == lines[order.order_id], order
        assert order.total == order.subtotal - order.discount + order.tax, order
    paid = defaultdict(Decimal)
    for payment in payments:
        paid[payment.order_id] += payment.amount
    for order in orders:
        if order.payment_status == "PAID":
            assert paid[order.order_id] >= order.total
    moved = defaultdict(Decimal)
    for move in moves:
        moved[move.stock_item_id] += move.quantity
    for item in stock:
        assert item.quantity == moved[item.stock_item_id], item
    return len(orders)


@pytest.fixture
def shop(settings):
    with TestClient(create_app(settings, plugins=PLUGINS)) as client:
        api = Api(client, make_tenant(settings))
        menu = create_menu(api)
        for product in menu.values():
            made = api.post("/api/v1/stock/items", "manager", json={
                "product_id": product["product_id"], "quantity": "100"})
            assert made.status_code == 201, made.text
        yield api, menu


def take_orders(api, menu, count, start=0):
    for n in range(start, start + count):
        made = api.post("/api/v1/orders", "cashier", headers={"Idempotency-Key": f"o{n}"},
                        json=order_body(menu, ("X-Burger", "2"), ("Guaraná lata", "1"),
                                        discount="1.00"))
        assert made.status_code == 201, made.text
        order = made.json()
        if n % 2 == 0:
            moved = api.post(f"/api/v1/orders/{order['order_id']}/status", "manager",
                             json={"status": "CONFIRMED"})
            assert moved.status_code == 200, moved.text
            paid = api.post(f"/api/v1/orders/{order['order_id']}/payments", "cashier",
                            json={"method": "cash", "amount": order["total"]})
            assert paid.status_code == 201, paid.text


@pytest.fixture
def pos(settings, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("POS_DATA_DIR", str(settings.data_dir))
    monkeypatch.delenv("POS_PLUGINS", raising=False)
    runner = CliRunner()

    def invoke(*args, ok=True):
        result = runner.invoke(cli, list(args), catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, result.output
        return result
    return invoke


def stock_settled(settings, client_id):
    """Wait until every confirmed order's goods have left the shelf (stock follows events)."""
    def settled():
        try:
            check_invariants(settings, client_id)
        except AssertionError:
            return False
        async def outs(db):
            async with db.transaction(client_id) as conn:
                confirmed = len((await conn.execute(select(tables.orders.c.order_id).where(
                    tables.orders.c.status == "CONFIRMED"))).all())
                moved = {row.reference_id for row in await conn.execute(
                    select(tables.stock_movements.c.reference_id).where(
                        tables.stock_movements.c.movement_type == "OUT"))}
            return confirmed <= len(moved)
        return run_db(settings, outs)
    wait_for(settled, timeout=30)


def test_backup_drop_restore_keeps_every_row_and_invariant(settings, shop, pos, tmp_path):
    api, menu = shop
    client_id = api.tenant.client_id
    take_orders(api, menu, 6)
    stock_settled(settings, client_id)
    before = snapshot(settings, client_id)
    target = tmp_path / "quiet.posbackup"
    assert "backed up 1 tenant(s)" in pos("db", "backup", "--tenant", client_id,
                                          "--to", str(target)).output
    manifest = backups.read_manifest(target)
    assert manifest.tenants[0].rows["orders"] == 6 and manifest.files

    run_db(settings, lambda db: tenancy.drop_tenant(db, client_id))
    restored = pos("db", "restore", str(target)).output
    assert f"restored {client_id}" in restored
    assert snapshot(settings, client_id) == before
    assert check_invariants(settings, client_id) == 6
    # The restored tenant works: a new order is numbered after the others.
    take_orders(api, menu, 1, start=100)

    refused = pos("db", "restore", str(target), ok=False)
    assert refused.exit_code == 1 and "--force" in refused.output
    again = pos("db", "restore", str(target), "--force").output
    assert f"restored {client_id}" in again
    assert snapshot(settings, client_id) == before

    copy = pos("db", "restore", str(target), "--as", client_id + "-copy").output
    assert f"restored {client_id}-copy (backed up as {client_id})" in copy
    assert snapshot(settings, client_id + "-copy") == before
    assert check_invariants(settings, client_id) == 6  # the original is untouched


def test_a_backup_taken_while_orders_are_written_restores_consistently(settings, shop, pos,
                                                                       tmp_path):
    api, menu = shop
    client_id = api.tenant.client_id
    take_orders(api, menu, 4)
    target = tmp_path / "busy.posbackup"
    done = threading.Event()

    def back_up():
        try:
            run_db(settings, lambda db: backups.backup(db, target, client_id))
        finally:
            done.set()
    worker = threading.Thread(target=back_up)
    worker.start()
    n = 10
    while not done.is_set():
        take_orders(api, menu, 1, start=n)
        n += 1
    worker.join()
    take_orders(api, menu, 1, start=n)
    manifest = backups.read_manifest(target)
    entry = manifest.tenant(client_id)

    run_db(settings, lambda db: tenancy.drop_tenant(db, client_id))
    restored = pos("db", "restore", str(target)).output
    # The restored file holds every row of the backup...
    assert f"restored {client_id}: {sum(entry.rows.values())} row(s)" in restored
    # ...and the running app serves it at once, resuming its pending work (the outbox's events
    # not yet published when the backup was taken: stock movements follow), so only what
    # clients write can be compared once the app has moved on.
    written = ["orders", "order_items", "payments", "customers"]
    assert run_db(settings, lambda db: _counts(db, client_id, written)) == {
        name: entry.rows[name] for name in written}
    assert check_invariants(settings, client_id) == entry.rows["orders"] >= 4


async def _counts(db, client_id, names):
    from sqlalchemy import func, table
    async with db.transaction(client_id) as conn:
        schema = None if db.is_sqlite else f"tenant_{client_id.replace('-', '_')}"
        return {name: await conn.scalar(select(func.count()).select_from(
            table(name, schema=schema))) for name in names}


def test_a_corrupt_or_foreign_file_changes_nothing(settings, shop, pos, tmp_path):
    api, menu = shop
    client_id = api.tenant.client_id
    take_orders(api, menu, 2)
    target = tmp_path / "good.posbackup"
    pos("db", "backup", "--tenant", client_id, "--to", str(target))
    before = snapshot(settings, client_id)

    foreign = tmp_path / "foreign.posbackup"
    foreign.write_bytes(b"PGDMP not ours at all")
    assert "not a readable POS Modern backup" in pos("db", "restore", str(foreign), "--force",
                                                     ok=False).output
    damaged = tmp_path / "damaged.posbackup"
    raw = bytearray(target.read_bytes())
    with tarfile.open(target) as archive:
        member = [m for m in archive.getmembers() if m.name != "manifest.json"][0]
        raw[member.offset_data + member.size // 2] ^= 0xFF
    damaged.write_bytes(bytes(raw))
    assert "sha256" in pos("db", "restore", str(damaged), "--force", ok=False).output
    assert "not in this backup" in pos("db", "restore", str(target), "--tenant", "nobody",
                                       ok=False).output
    assert snapshot(settings, client_id) == before


def test_the_scheduled_backup_keeps_the_newest(settings, shop, pos, tmp_path):
    api, menu = shop
    take_orders(api, menu, 1)
    folder = tmp_path / "backups"
    for _ in range(3):
        pos("db", "backup-schedule", "--dir", str(folder), "--keep", "2", "--once")
    kept = sorted(folder.glob("pos-all-*.posbackup"))
    assert len(kept) == 2 and (folder / ".last-success").exists()
    manifest = backups.read_manifest(kept[-1])
    assert manifest.scope == "all" and api.tenant.client_id in [t.client_id for t in
                                                                manifest.tenants]
    assert [p.name for p in folder.iterdir() if p.name.startswith(".pos-backup")] == []
