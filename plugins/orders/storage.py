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
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, String, Text, bindparam, cast, func, insert, select
from sqlalchemy.dialects.postgresql import REGCLASS
from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.core.counters import NextNumber
from posmodern.core.ids import new_uuid
from posmodern.core.orders import Adjustment, ItemStatus, OrderDraft, OrderLine
from posmodern.core.writes import ColumnArrays, fetch, write
from posmodern.plugins.orders.pricing import Totals
from posmodern.schema.tables import order_items, orders, products
from posmodern.schema.types import utcnow

ITEM_FIELDS = ("item_id", "product_id", "product_name", "quantity", "unit_price", "subtotal",
               "status", "notes", "customizations", "modifiers")
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
        rows.append(dict(item_id=new_uuid(), order_id=order_id, product_id=line.product_id,
                         product_name=line.name, quantity=line.quantity,
                         unit_price=line.unit_price, subtotal=line.subtotal,
                         status=ItemStatus.PENDING, notes=line.notes,
                         customizations=line.customizations, modifiers=line.modifiers,
                         created_at=at, updated_at=at))
    return rows


def totals_values(totals: Totals, draft: OrderDraft,
                  metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    """The order columns a pricing sets. The metadata keeps the order's other keys (``metadata``:
    the operator) and the fees and delivery the placing plugin gave, so that pricing the order
    again finds them."""
    kept: dict[str, Any] = {**(metadata or {}), "adjustments": totals.adjustments}
    if draft.fees:
        kept["fees"] = [{"name": fee.name, "amount": str(fee.amount)} for fee in draft.fees]
    if draft.metadata.get("delivery") is not None:
        kept["delivery"] = draft.metadata["delivery"]
    return dict(subtotal=totals.subtotal, tax=totals.tax, discount=totals.discount,
                total=totals.total, metadata=kept)


def given_fees(metadata: dict[str, Any] | None) -> list[Adjustment]:
    """The fees an order was placed with (see :func:`totals_values`)."""
    return [Adjustment(fee["name"], "fee", Decimal(fee["amount"]))
            for fee in (metadata or {}).get("fees", [])]


_INSERT_ORDER = insert(orders)
_INSERT_ITEMS = insert(order_items)


#: The item columns that differ from item to item (the others are the same for all).
_ITEM_ARRAYS = ("item_id", "product_id", "product_name", "quantity", "unit_price", "subtotal",
                "notes", "customizations", "modifiers", "created_at")
_ITEMS = ColumnArrays(order_items, _ITEM_ARRAYS, "items")


def _order_with_items():
    """PostgreSQL: an order and its items in one statement, its number taken from its
    counter's sequence (see core.counters) and returned::

        WITH new_order AS (INSERT INTO orders … VALUES (…, nextval(…)) RETURNING order_number),
             new_items AS (INSERT INTO order_items … SELECT … FROM unnest(<one array per column>))
        SELECT order_number FROM new_order

    One round trip instead of two (an order number, then the items); the items' foreign key
    is checked at the end of the statement, when the order exists.
    """
    number = cast(func.nextval(cast(bindparam("number_sequence", type_=Text), REGCLASS)), String)
    new_order = insert(orders).values(
        {column: number if column.key == "order_number"
         else bindparam(column.key, type_=column.type) for column in orders.c}
    ).returning(orders.c.order_number).cte("new_order")
    fixed = [column for column in order_items.c if column.key not in _ITEM_ARRAYS]
    new_items = insert(order_items).from_select(
        [*_ITEM_ARRAYS, *fixed],
        select(*_ITEMS.columns, *(bindparam(f"items_{column.key}", type_=column.type)
                                  for column in fixed))
        .select_from(_ITEMS.rows)).cte("new_items")
    return select(new_order.c.order_number).add_cte(new_items)


_INSERT_NUMBERED_ORDER = _order_with_items()


async def insert_order(conn: AsyncConnection, order: dict[str, Any],
                       items: list[dict[str, Any]]) -> None:
    """Write an order and its items: one statement on PostgreSQL when the order number is
    taken from its sequence (a :class:`NextNumber`, replaced in ``order`` by the number), two
    otherwise, whatever the number of items."""
    number = order["order_number"]
    if not isinstance(number, NextNumber):
        await write(conn, _INSERT_ORDER, order)
        await add_items(conn, items)
        return
    values = {key: value for key, value in order.items() if key != "order_number"}
    values["number_sequence"] = number.sequence
    values.update(_ITEMS.params(items))
    first = items[0]
    for key in ("order_id", "status", "updated_at"):
        values[f"items_{key}"] = first[key]
    order["order_number"] = (await fetch(conn, _INSERT_NUMBERED_ORDER, values))[0].order_number


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
                                          order_items.c.status != ItemStatus.REMOVED)
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
    metadata = mapping.get("metadata") or {}
    view["adjustments"] = metadata.get("adjustments", [])
    view["operator"] = metadata.get("operator")
    view["delivery"] = metadata.get("delivery")
    view["items"] = [item_view(item) for item in items]
    return view


def line_of(item: Row) -> OrderLine:
    """An existing item as a priced line (its price is the one it was ordered at)."""
    return OrderLine(product_id=item.product_id, name=item.product_name, quantity=item.quantity,
                     unit_price=item.unit_price, subtotal=item.subtotal,
                     category_id=getattr(item, "category_id", None), notes=item.notes,
                     customizations=item.customizations, modifiers=item.modifiers)
