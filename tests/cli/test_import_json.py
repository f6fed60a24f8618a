"""`pos import-json`: the legacy export read into a tenant, bad rows reported, a re-run idle."""

from __future__ import annotations

import asyncio
import json
import uuid
from decimal import Decimal

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from posmodern.cli import commands  # noqa: F401 - registers the commands
from posmodern.cli.main import cli
from posmodern.core import crypto
from posmodern.core.db import Database
from posmodern.schema import tables
from support.api import make_tenant

CAT = str(uuid.UUID(int=1))
P1, P2 = str(uuid.UUID(int=11)), str(uuid.UUID(int=12))
CPF = "52998224725"


def legacy_export(folder, *, price="9.90", truncated=False):
    folder.mkdir(exist_ok=True)
    (folder / "categories.json").write_text(json.dumps([
        {"id": CAT, "client_id": "ignored-below", "store_id": "store-1", "name": "Lanches"},
        {"id": "sub-1", "store_id": "store-1", "name": "Sub", "parent_id": CAT},
    ]).replace('"client_id": "ignored-below", ', ""))
    (folder / "products.json").write_text(json.dumps([
        {"id": P1, "store_id": "store-1", "name": "X-Burger", "price": price,
         "category_id": CAT, "created_at": "2024-05-01T12:00:00"},
        {"id": P2, "store_id": "store-1", "name": "Suco", "price": 6.5, "category_id": "sub-1"},
        {"id": "neg", "name": "Negativo", "price": "-1.00"},
        {"id": "long", "name": "N" * 101, "price": "1.00"},
        {"id": "type", "name": "Tipo", "price": {"a": 1}},
    ]))
    (folder / "customers.json").write_text(json.dumps([
        {"id": 7, "store_id": "store-1", "name": "Maria", "document_number": CPF,
         "phone": "11999990000"},
        {"id": 8, "store_id": "store-1", "name": "Bad doc", "document_number": "12345678900"},
    ]))
    orders = [
        {"id": "o-1", "store_id": "store-1", "order_number": "41", "status": "COMPLETED",
         "customer_id": 7, "subtotal": "26.30", "tax": "0", "discount": "1.00", "total": "25.30",
         "payment_status": "PAID", "created_at": "2024-05-02T10:00:00-03:00",
         "items": [{"id": "i-1", "product_id": P1, "quantity": 2, "unit_price": "9.90",
                    "subtotal": "19.80", "status": "PENDING"},
                   {"id": "i-2", "product_id": P2, "quantity": 1, "unit_price": "6.50",
                    "subtotal": "6.50", "status": "PENDING"}]},
        {"id": "o-2", "store_id": "store-1", "order_number": "42", "status": "COMPLETED",
         "subtotal": "9.90", "tax": "0", "discount": "0", "total": "9.90",
         "payment_status": "PAID", "created_at": "not a date",
         "items": [{"product_id": P1, "quantity": 1, "unit_price": "9.90", "subtotal": "9.90"}]},
        {"id": "o-3", "store_id": "store-1", "order_number": "43", "status": "COMPLETED",
         "subtotal": "5.00", "tax": "0", "discount": "0", "total": "5.00",
         "payment_status": "PAID",
         "items": [{"product_id": str(uuid.uuid4()), "quantity": 1, "unit_price": "5.00"}]},
    ]
    text = json.dumps(orders)
    if truncated:
        text = text[:-40]
    (folder / "orders.json").write_text(text)
    return folder


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


def counts(settings, client_id):
    async def go():
        db = Database(settings.database_url)
        try:
            async with db.transaction(client_id) as conn:
                found = {}
                for table in (tables.categories, tables.products, tables.customers,
                              tables.orders, tables.order_items):
                    found[table.name] = await conn.scalar(select(func.count()).select_from(table))
                customer = (await conn.execute(select(tables.customers))).first()
                return found, customer
        finally:
            await db.dispose()
    return asyncio.run(go())


def test_import_reports_bad_rows_and_a_second_run_changes_nothing(settings, pos, tmp_path):
    tenant = make_tenant(settings)
    folder = legacy_export(tmp_path / "export")
    report = tmp_path / "errors.jsonl"
    first = pos("import-json", str(folder), "--client", tenant.client_id, "--errors", str(report))
    assert "products.json: 5 read, 2 imported" in first.output, first.output
    assert "orders.json: 3 read, 1 imported" in first.output
    errors = [json.loads(line) for line in report.read_text().splitlines()]
    by_id = {(e["file"], str(e["id"])): e for e in errors}
    assert by_id[("products.json", "neg")]["field"] == "price"
    assert by_id[("products.json", "long")]["field"] == "name"
    assert by_id[("products.json", "type")]["record"] == 4
    assert by_id[("customers.json", "8")]["field"] == "document_number"
    assert by_id[("orders.json", "o-2")]["field"] == "created_at"
    assert by_id[("orders.json", "o-3")]["field"] == "items[0].product_id"
    found, customer = counts(settings, tenant.client_id)
    assert found == {"categories": 2, "products": 2, "customers": 1, "orders": 1,
                     "order_items": 2}
    assert customer.document_number != CPF
    assert crypto.unseal(settings, "customers.document", customer.document_number) == CPF

    second = pos("import-json", str(folder), "--client", tenant.client_id)
    assert "0 row(s) written" in second.output and "1 row(s)" not in second.output, second.output
    assert counts(settings, tenant.client_id)[0] == found

    # A later copy of a record updates it.
    legacy_export(folder, price="10.90")
    (folder / "orders.json").unlink()
    third = pos("import-json", str(folder), "--client", tenant.client_id)
    assert "products.json: 5 read, 2 imported, 1 row(s) written" in third.output, third.output


def test_new_orders_are_numbered_after_the_imported_ones(settings, pos, tmp_path):
    from starlette.testclient import TestClient

    from posmodern.hosts.app import create_app
    from support.api import Api

    tenant = make_tenant(settings)
    folder = legacy_export(tmp_path / "export")
    pos("import-json", str(folder), "--client", tenant.client_id)
    with TestClient(create_app(settings, plugins=["auth", "catalog", "customers", "orders"])) as c:
        api = Api(c, tenant)
        made = api.post("/api/v1/orders", "cashier", json={"items": [
            {"product_id": P1, "quantity": "1"}]}, headers={"Idempotency-Key": "k1"})
        assert made.status_code == 201, made.text
        assert int(made.json()["order_number"]) > 41


def test_a_truncated_file_keeps_the_whole_records_and_a_dry_run_writes_nothing(
        settings, pos, tmp_path):
    tenant = make_tenant(settings)
    folder = legacy_export(tmp_path / "export", truncated=True)
    dry = pos("import-json", str(folder), "--client", tenant.client_id, "--dry-run")
    assert "dry run" in dry.output
    assert counts(settings, tenant.client_id)[0]["products"] == 0
    done = pos("import-json", str(folder), "--client", tenant.client_id)
    assert "not valid JSON" in done.output
    assert counts(settings, tenant.client_id)[0]["orders"] == 1


def test_a_record_repeated_in_one_file_ends_as_its_last_copy(settings, pos, tmp_path):
    tenant = make_tenant(settings)
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "products.json").write_text(json.dumps([
        {"id": "p-1", "name": "Café", "price": "5.00"},
        {"id": "p-1", "name": "Café coado", "price": "6.00"},
    ]))
    (folder / "customers.json").write_text(json.dumps([
        {"id": "c-1", "name": "Zé", "email": " Ze@Example.COM ", "phone": "+55 (11) 98765-4321"},
        {"id": "c-2", "name": "Bad", "email": "not-an-email"},
    ]))
    done = pos("import-json", str(folder), "--client", tenant.client_id)
    assert "products.json: 2 read, 2 imported" in done.output, done.output
    assert "customers.json: 2 read, 1 imported" in done.output

    async def read():
        db = Database(settings.database_url)
        try:
            async with db.transaction(tenant.client_id) as conn:
                return ((await conn.execute(select(tables.products))).all(),
                        (await conn.execute(select(tables.customers))).one())
        finally:
            await db.dispose()
    found, customer = asyncio.run(read())
    assert [(p.name, str(p.price)) for p in found] == [("Café coado", "6.00")]
    assert (customer.email, customer.phone) == ("ze@example.com", "11987654321")


def items_by_number(settings, client_id):
    """(order number, quantity) of every stored item, by order number (shorter ones first)."""
    async def read():
        db = Database(settings.database_url)
        try:
            async with db.transaction(client_id) as conn:
                return (await conn.execute(
                    select(tables.orders.c.order_number, tables.order_items.c.quantity)
                    .join(tables.order_items)
                    .order_by(func.length(tables.orders.c.order_number),
                              tables.orders.c.order_number))).all()
        finally:
            await db.dispose()
    return [(number, str(quantity)) for number, quantity in asyncio.run(read())]


def order(order_id, number, *items):
    """A legacy order of ``items`` (id, product, quantity) at 9.90 each."""
    lines = [{"id": item_id, "product_id": product, "quantity": quantity, "unit_price": "9.90",
              "subtotal": f"{Decimal('9.90') * quantity:.2f}"}
             for item_id, product, quantity in items]
    subtotal = f"{sum(Decimal(line['subtotal']) for line in lines):.2f}"
    return {"id": order_id, "store_id": "store-1", "order_number": number, "status": "COMPLETED",
            "subtotal": subtotal, "total": subtotal, "payment_status": "PAID", "items": lines}


def test_an_order_repeated_or_an_item_moved_to_a_new_order_ends_as_the_last_copy(
        settings, pos, tmp_path):
    tenant = make_tenant(settings)
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "products.json").write_text(json.dumps([
        {"id": P1, "name": "X-Burger", "price": "9.90"}]))
    (folder / "orders.json").write_text(json.dumps([
        order("o-1", "1", ("i-1", P1, 1), ("i-2", P1, 2)),
        order("o-2", "2", ("i-3", P1, 1)),
        order("o-2", "2", ("i-3", P1, 3)),  # a later copy in the same file
    ]))
    done = pos("import-json", str(folder), "--client", tenant.client_id)
    assert "orders.json: 3 read, 3 imported" in done.output, done.output

    # The next export has i-2 in a new order: it moves there.
    (folder / "orders.json").write_text(json.dumps([order("o-3", "3", ("i-2", P1, 2))]))
    moved = pos("import-json", str(folder), "--client", tenant.client_id)
    assert "orders.json: 1 read, 1 imported, 2 row(s) written" in moved.output, moved.output

    assert items_by_number(settings, tenant.client_id) == [
        ("1", "1.000"), ("2", "3.000"), ("3", "2.000")]


def test_orders_across_batches_see_what_the_batch_before_wrote(settings, pos, tmp_path):
    """Batches of two: on PostgreSQL a batch looks up its stored orders while the batch before
    it is still writing. A repeat of an order of that batch updates it, a number that batch
    gave another order is refused, and a number that batch moved away from is free."""
    tenant = make_tenant(settings)
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "products.json").write_text(json.dumps([
        {"id": P1, "name": "X-Burger", "price": "9.90"}]))
    (folder / "orders.json").write_text(json.dumps([
        order("o-1", "1", ("i-1", P1, 1)), order("o-2", "2", ("i-2", P1, 1)),
        order("o-2", "2", ("i-2", P1, 2)), order("o-3", "3", ("i-3", P1, 1)),
        order("o-5", "3", ("i-5", P1, 1)), order("o-4", "4", ("i-4", P1, 1)),
        order("o-3", "30", ("i-3", P1, 1)), order("o-6", "6", ("i-6", P1, 1)),
        order("o-7", "3", ("i-7", P1, 1)), order("o-2", "2", ("i-2", P1, 3)),
    ]))
    report = tmp_path / "errors.jsonl"
    done = pos("import-json", str(folder), "--client", tenant.client_id, "--batch", "2",
               "--errors", str(report))
    assert "orders.json: 10 read, 9 imported" in done.output, done.output
    errors = [json.loads(line) for line in report.read_text().splitlines()]
    assert [(e["id"], e["field"]) for e in errors] == [("o-5", "order_number")]
    assert "has number 3" in errors[0]["reason"]

    assert items_by_number(settings, tenant.client_id) == [
        ("1", "1.000"), ("2", "3.000"), ("3", "1.000"), ("4", "1.000"), ("6", "1.000"),
        ("30", "1.000")]
