"""Order rows: written in one statement per table, read with their items in one query per page.

The seed wrote one INSERT per item and read the items of a listing with one query per order; here
an order's items go in with a single multi-row INSERT, and the items of any number of orders come
back with a single ``WHERE order_id IN (…)`` query.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import Row, String, Text, bindparam, cast, func, insert, select
from sqlalchemy.dialects.postgresql import REGCLASS
from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.core.counters import NextNumber
from posmodern.core.orders import OrderLine
from posmodern.core.writes import fetch, write
from posmodern.plugins.orders.pricing import Totals
from posmodern.schema.tables import order_items, orders, products
from posmodern.schema.types import utcnow

ITEM_FIELDS = ("item_id", "product_id", "product_name", "quantity", "unit_price", "subtotal",
               "status", "notes", "customizations")
#: An item taken off an order: kept (a void is audited) but no longer part of the order.
REMOVED = "REMOVED"
ORDER_FIELDS = ("order_id", "order_number", "status", "payment_status", "source", "external_id",
                "customer_id", "table_id", "waiter_id", "notes", "subtotal", "tax", "discount",
                "total", "created_at", "updated_at")


def item_rows(order_id: uuid.UUID, lines: Sequence[OrderLine]) -> list[dict[str, Any]]:
    """``order_items`` rows for new lines.

    Their times are a microsecond apart, so sorting by time keeps the order they were taken in.
    """
    now = utcnow()
    rows = []
    for position, line in enumerate(lines):
        at = now + timedelta(microseconds=position)
        rows.append(dict(item_id=uuid.uuid4(), order_id=order_id, product_id=line.product_id,
                         product_name=line.name, quantity=line.quantity,
                         unit_price=line.unit_price, subtotal=line.subtotal, status="PENDING",
                         notes=line.notes, customizations=line.customizations, created_at=at,
                         updated_at=at))
    return rows


def totals_values(totals: Totals) -> dict[str, Any]:
    """The order columns a pricing sets."""
    return dict(subtotal=totals.subtotal, tax=totals.tax, discount=totals.discount,
                total=totals.total, metadata={"adjustments": totals.adjustments})


_INSERT_ORDER = insert(orders)
# The order number taken from its counter's sequence by the INSERT itself (see core.counters).
_INSERT_NUMBERED_ORDER = insert(orders).values(order_number=cast(
    func.nextval(cast(bindparam("number_sequence", type_=Text), REGCLASS)), String)
).returning(orders.c.order_number)
_INSERT_ITEMS = insert(order_items)


async def insert_order(conn: AsyncConnection, order: dict[str, Any],
                       items: list[dict[str, Any]]) -> None:
    """Write an order and its items: two statements, whatever the number of items.

    An ``order_number`` given as a :class:`NextNumber` is taken by the INSERT and set in
    ``order``.
    """
    number = order["order_number"]
    if isinstance(number, NextNumber):
        values = {key: value for key, value in order.items() if key != "order_number"}
        values["number_sequence"] = number.sequence
        order["order_number"] = (await fetch(conn, _INSERT_NUMBERED_ORDER, values))[0].order_number
    else:
        await write(conn, _INSERT_ORDER, order)
    await add_items(conn, items)


async def add_items(conn: AsyncConnection, items: list[dict[str, Any]]) -> None:
    """Write items in one go (one batched statement on PostgreSQL)."""
    await write(conn, _INSERT_ITEMS, items)


async def load_items(conn: AsyncConnection, order_ids: Iterable[uuid.UUID], *,
                     with_category: bool = False) -> dict[uuid.UUID, list[Row]]:
    """The live items of every order in ``order_ids``, in the order they were added: one query.

    ``with_category`` adds each product's current category (for repricing through the hooks).
    """
    ids = list(order_ids)
    if not ids:
        return {}
    query = select(order_items)
    if with_category:
        query = (select(order_items, products.c.category_id)
                 .join(products, products.c.product_id == order_items.c.product_id))
    rows = await conn.execute(query.where(order_items.c.order_id.in_(ids),
                                          order_items.c.status != REMOVED)
                              .order_by(order_items.c.order_id, order_items.c.created_at,
                                        order_items.c.item_id))
    by_order: dict[uuid.UUID, list[Row]] = defaultdict(list)
    for row in rows:
        by_order[row.order_id].append(row)
    return by_order


def item_view(item: Row | dict[str, Any]) -> dict[str, Any]:
    mapping = item if isinstance(item, dict) else item._mapping
    return {field: mapping[field] for field in ITEM_FIELDS}


def order_view(order: Row | dict[str, Any],
               items: Iterable[Row | dict[str, Any]]) -> dict[str, Any]:
    """An order as the API and its events show it."""
    mapping = order if isinstance(order, dict) else order._mapping
    view = {field: mapping[field] for field in ORDER_FIELDS}
    view["adjustments"] = (mapping.get("metadata") or {}).get("adjustments", [])
    view["items"] = [item_view(item) for item in items]
    return view


def line_of(item: Row) -> OrderLine:
    """An existing item as a priced line (its price is the one it was ordered at)."""
    return OrderLine(product_id=item.product_id, name=item.product_name, quantity=item.quantity,
                     unit_price=item.unit_price, subtotal=item.subtotal,
                     category_id=getattr(item, "category_id", None), notes=item.notes,
                     customizations=item.customizations)
