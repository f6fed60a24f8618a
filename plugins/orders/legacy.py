"""The legacy export's ``orders.json`` (each order with its items inline) read into the orders.

An order goes in whole or not at all: one bad item (an unknown product, a negative price) or
totals that do not add up (subtotal = the items', total = subtotal + tax − discount) leave the
order out and say why. A later copy of an order replaces its items. Afterwards each store's
order-number counter is moved past the highest number imported, so new orders never take one.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import BigInteger, and_, cast, delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.core import counters
from posmodern.core import legacy_fields as legacy
from posmodern.core.bulk import among, insert_rows, planned_for_values, upsert_rows
from posmodern.core.legacy_import import ImportContext, LegacyImporter, Prepared, RowProblem
from posmodern.core.orders import (GONE_ITEM_STATUSES, ORDER_STATUSES, ItemStatus,
                                   PaymentStatus)
from posmodern.schema.tables import customers, order_items, orders, products
from posmodern.schema.types import utcnow

ITEM_STATUSES = tuple(ItemStatus)
PAYMENT_STATUSES = tuple(PaymentStatus)
#: Looked up once: an enum member's attribute is slow to read, and every row reads one.
ITEM_PENDING, PAYMENT_PENDING = ItemStatus.PENDING, PaymentStatus.PENDING
#: The columns whose lengths every row is checked against, likewise looked up once.
STORE_ID, ORDER_NUMBER, ORDER_NOTES, ITEM_NOTES = (orders.c.store_id, orders.c.order_number,
                                                   orders.c.notes, order_items.c.notes)
CENT = Decimal("0.01")
#: How many digits an order number may have to count as a number of the store's counter.
NUMERIC = 18


def _item(order_id: uuid.UUID, order_key: str, position: int, record: dict, created_at) -> dict:
    if not isinstance(record, dict):
        raise RowProblem(f"items[{position}]", "each item must be a JSON object")
    try:
        item_id = record.get("id")
        row = {"item_id": legacy.legacy_uuid("order_item", item_id) if item_id is not None
               else legacy.derived_uuid(f"order_item:{order_key}:{position}"),
               "order_id": order_id,
               "product_id": legacy.reference(record, "product_id", "product", required=True),
               "quantity": legacy.number(record, "quantity", places=3, required=True),
               "unit_price": legacy.money(record, "unit_price", required=True),
               "subtotal": legacy.money(record, "subtotal"),
               "status": legacy.one_of(record, "status", ITEM_STATUSES, ITEM_PENDING),
               "notes": legacy.text(record, "notes", ITEM_NOTES),
               "customizations": legacy.document(record, "customizations"),
               "created_at": legacy.timestamp(record, "created_at", default=created_at)}
    except RowProblem as problem:
        raise RowProblem(f"items[{position}].{problem.field}", problem.reason) from None
    if row["quantity"] <= 0:
        raise RowProblem(f"items[{position}].quantity", "must be above 0")
    line = (row["quantity"] * row["unit_price"]).quantize(CENT)
    if row["subtotal"] is None:
        row["subtotal"] = line
    elif row["subtotal"] != line:
        raise RowProblem(f"items[{position}].subtotal", f"{row['subtotal']} is not quantity × unit_price "
                                              f"({line})")
    return row


def _order(record: dict, ctx: ImportContext) -> tuple[dict, list[dict]]:
    key = str(record.get("id"))
    created_at = legacy.timestamp(record, "created_at", default=utcnow())
    number = record.get("order_number")
    if isinstance(number, int) and not isinstance(number, bool):
        record = {**record, "order_number": str(number)}
    table_id = record.get("table_id")
    meta = legacy.document(record, "metadata")
    if table_id is not None:  # the legacy floor plan is not imported: kept for the record
        meta = {**(meta if isinstance(meta, dict) else {}), "legacy_table_id": str(table_id)}
    order_id = legacy.legacy_uuid("order", record.get("id"))
    order = {"order_id": order_id,
             "client_id": ctx.client_id, "store_id": legacy.store_of(record, ctx, STORE_ID),
             "order_number": legacy.text(record, "order_number", ORDER_NUMBER,
                                         required=True),
             "status": legacy.one_of(record, "status", ORDER_STATUSES, None),
             "customer_id": legacy.reference(record, "customer_id", "customer"),
             "waiter_id": legacy.reference(record, "waiter_id", "user"),
             "subtotal": legacy.money(record, "subtotal", required=True),
             "tax": legacy.money(record, "tax", default=0),
             "discount": legacy.money(record, "discount", default=0),
             "total": legacy.money(record, "total", required=True),
             "payment_status": legacy.one_of(record, "payment_status", PAYMENT_STATUSES,
                                             PAYMENT_PENDING),
             "notes": legacy.text(record, "notes", ORDER_NOTES),
             "metadata": meta, "source": "pos", "external_id": None,
             "created_at": created_at}
    raw_items = record.get("items", [])
    if not isinstance(raw_items, list):
        raise RowProblem("items", "must be a list")
    items = [_item(order_id, key, position, item, created_at)
             for position, item in enumerate(raw_items)]
    counted = sum((i["subtotal"] for i in items if i["status"] not in GONE_ITEM_STATUSES),
                  Decimal("0.00"))
    if items and counted != order["subtotal"]:
        raise RowProblem("subtotal", f"{order['subtotal']} is not the sum of the items ({counted})")
    if order["subtotal"] + order["tax"] - order["discount"] != order["total"]:
        raise RowProblem("total", f"{order['total']} is not subtotal + tax − discount "
                                  f"({order['subtotal'] + order['tax'] - order['discount']})")
    return order, items


async def _lookup(conn: AsyncConnection, table, key, ids: set) -> dict:
    ids.discard(None)
    if not ids:
        return {}
    columns = [key, table.c.store_id, *([table.c.name] if "name" in table.c else [])]
    rows = await conn.execute(select(*columns).where(among(conn, key, ids)))
    return {row[0]: row for row in rows}


async def _stored(conn: AsyncConnection, batch: list[Prepared]) -> tuple[set, dict]:
    """The ids of the batch's orders already stored, and (store, order number) -> order id of
    the stored orders sharing a number with the batch: one query, through the primary key and
    the unique index (store_id, order_number) (both columns, so that the index answers)."""
    ids = {p.rows[0]["order_id"] for p in batch}
    numbers = {p.rows[0]["order_number"] for p in batch}
    stores = {p.rows[0]["store_id"] for p in batch}
    rows = (await conn.execute(
        select(orders.c.order_id, orders.c.store_id, orders.c.order_number)
        .where(or_(among(conn, orders.c.order_id, ids),
                   and_(among(conn, orders.c.store_id, stores),
                        among(conn, orders.c.order_number, numbers)))))).all()
    return ({row.order_id for row in rows if row.order_id in ids},
            {(row.store_id, row.order_number): row.order_id for row in rows
             if row.store_id in stores and row.order_number in numbers})


def _problem_of(order: dict, items: list[dict], known_products: dict, known_customers: dict,
                taken: dict) -> RowProblem | None:
    store = order["store_id"]
    customer = order["customer_id"]
    if customer is not None and getattr(known_customers.get(customer), "store_id", None) != store:
        return RowProblem("customer_id", f"no customer {customer} in store {store}")
    for position, item in enumerate(items):
        product = known_products.get(item["product_id"])
        if product is None or product.store_id != store:
            return RowProblem(f"items[{position}].product_id",
                              f"no product {item['product_id']} in store {store}")
    owner = taken.setdefault((store, order["order_number"]), order["order_id"])
    if owner != order["order_id"]:
        return RowProblem("order_number", f"order {owner} of the store has number "
                                          f"{order['order_number']}")
    return None


def _count_written(stored: set, taken: dict, batch_ids: set, notes: list[dict]) -> None:
    """Add to a batch's lookups the orders the batch before it wrote meanwhile (each note:
    (store, order number) -> order id): their ids are stored, their numbers taken (and a
    number one of them no longer has is free)."""
    for written in notes:
        ids = set(written.values())
        stored |= ids & batch_ids
        for key in [key for key, owner in taken.items() if owner in ids]:
            del taken[key]
        taken.update(written)


async def _insert_new(conn: AsyncConnection, order_rows: list[dict], item_rows: list[dict]
                      ) -> int | None:
    """Insert orders not stored yet with their items (a COPY straight into the tables: no
    staging, no conflict check); None when a row's id was taken after all (an item moved from
    another order, an order written meanwhile), with nothing written."""
    if not order_rows:
        return 0
    try:
        async with conn.begin_nested():
            return (await insert_rows(conn, orders, order_rows)
                    + await insert_rows(conn, order_items, item_rows))
    except IntegrityError:
        return None


async def write_orders(conn: AsyncConnection, batch: list[Prepared], ctx: ImportContext):
    async with planned_for_values(conn):
        known_products = await _lookup(conn, products, products.c.product_id,
                                       {i["product_id"] for p in batch for i in p.rows[1]})
        known_customers = await _lookup(conn, customers, customers.c.customer_id,
                                        {p.rows[0]["customer_id"] for p in batch})
        stored, taken = await _stored(conn, batch)
    # The batch before may still be writing (core.legacy_import's overlaps): wait for it and
    # count its orders as stored, as the lookups above may not have seen them.
    _count_written(stored, taken, {p.rows[0]["order_id"] for p in batch}, await ctx.turn())
    problems = []
    new_orders, new_items, old_orders, old_items = [], [], [], []
    for prepared in batch:
        order, items = prepared.rows
        problem = _problem_of(order, items, known_products, known_customers, taken)
        if problem is not None:
            problems.append((prepared, problem))
            continue
        for item in items:  # the name when ordered, as an order placed through the API keeps
            item["product_name"] = known_products[item["product_id"]].name
        if order["order_id"] in stored:
            old_orders.append(order)
            old_items += items
        else:
            new_orders.append(order)
            new_items += items
    changed = await _insert_new(conn, new_orders, new_items)
    if changed is None:  # one of their rows was stored after all: all go through the upsert
        changed, old_orders, old_items = 0, old_orders + new_orders, old_items + new_items
    changed += await upsert_rows(conn, orders, old_orders)
    changed += await upsert_rows(conn, order_items, old_items)
    replaced = [order["order_id"] for order in old_orders if order["order_id"] in stored]
    if replaced:
        # A later copy of an order replaces its items: those it no longer has go.
        async with planned_for_values(conn):
            gone = await conn.execute(delete(order_items).where(
                among(conn, order_items.c.order_id, replaced),
                ~among(conn, order_items.c.item_id,
                       [item["item_id"] for item in old_items if item["order_id"] in stored])))
        changed += max(gone.rowcount, 0)
    ctx.wrote({(order["store_id"], order["order_number"]): order["order_id"]
               for order in old_orders + new_orders})
    return changed, problems


async def advance_numbers(ctx: ImportContext) -> None:
    """Move each store's order counter past the highest numeric order number stored."""
    async with ctx.db.transaction(ctx.client_id) as conn:
        if conn.dialect.name == "sqlite":
            numeric = orders.c.order_number.op("NOT GLOB")("*[^0-9]*")
        else:
            numeric = orders.c.order_number.regexp_match(f"^[0-9]{{1,{NUMERIC}}}$")
        highest = (await conn.execute(
            select(orders.c.store_id,
                   func.max(cast(orders.c.order_number, BigInteger)))
            .where(numeric, func.length(orders.c.order_number) <= NUMERIC,
                   orders.c.order_number != "")
            .group_by(orders.c.store_id))).all()
    for store_id, value in highest:
        if value is not None:
            await counters.advance(ctx.db, ctx.client_id, store_id, "order", int(value))


IMPORTERS = [LegacyImporter("orders", "orders.json", 40, _order, write_orders, advance_numbers,
                            overlaps=True)]
