"""Moving stock: one atomic update per movement, its record, and the events it causes.

``UPDATE stock_items SET quantity = quantity + :delta … RETURNING quantity`` adds in the database,
so concurrent movements on one item queue on its row lock (PostgreSQL) or the write lock
(SQLite's ``BEGIN IMMEDIATE``) and none is lost; no quantity is ever read, changed in Python and
written back.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.core.errors import Conflict, ValidationFailed
from posmodern.core.events import emit
from posmodern.core.money import ZERO, quantity
from posmodern.schema.tables import products, stock_items, stock_movements
from posmodern.schema.types import utcnow

#: The most a ``DECIMAL(10,3)`` quantity column holds.
MAX_STOCK = Decimal("9999999.999")



class MovementType(enum.StrEnum):
    """``IN`` and ``OUT`` move goods onto or off the shelf; ``ADJUST`` corrects a count."""

    IN = "IN"
    OUT = "OUT"
    ADJUST = "ADJUST"


@dataclass(frozen=True)
class Movement:
    """A change to one item: ``delta`` is signed (an ``OUT`` of 2 is -2)."""

    movement_type: MovementType
    delta: Decimal
    reason: str | None = None
    reference_id: uuid.UUID | None = None
    reference_type: str | None = None
    notes: str | None = None


def item_columns():
    return (stock_items.c.stock_item_id, stock_items.c.store_id, stock_items.c.product_id,
            products.c.name.label("product_name"), stock_items.c.quantity,
            stock_items.c.min_quantity, stock_items.c.max_quantity, stock_items.c.created_at,
            stock_items.c.updated_at)


def item_query():
    return select(*item_columns()).select_from(
        stock_items.join(products, products.c.product_id == stock_items.c.product_id))


def item_view(row: Row | dict) -> dict[str, Any]:
    data = dict(row._mapping) if isinstance(row, Row) else dict(row)
    minimum = data["min_quantity"]
    data["low"] = minimum is not None and data["quantity"] <= minimum
    return data


def movement_view(row: Row | dict) -> dict[str, Any]:
    return dict(row._mapping) if isinstance(row, Row) else dict(row)


async def move(conn: AsyncConnection, item: Row, movement: Movement, *, client_id: str,
               never_below_zero: bool = False) -> dict[str, Any]:
    """Apply ``movement`` to ``item`` atomically, record it, publish ``stock.moved`` (and
    ``stock.low`` when the item crosses its minimum). ``never_below_zero`` refuses an ``OUT``
    taking more than there is (409), checked in the same statement."""
    delta = quantity(Decimal(movement.delta))
    query = (update(stock_items).where(stock_items.c.stock_item_id == item.stock_item_id)
             .values(quantity=stock_items.c.quantity + delta, updated_at=utcnow())
             .returning(stock_items.c.quantity, stock_items.c.min_quantity))
    # The column is DECIMAL(10,3): a sum past it would be a database error, not an answer.
    query = query.where(stock_items.c.quantity + delta <= MAX_STOCK,
                        stock_items.c.quantity + delta >= -MAX_STOCK)
    if never_below_zero and delta < ZERO:
        query = query.where(stock_items.c.quantity + delta >= ZERO)
    changed = (await conn.execute(query)).first()
    if changed is None:
        available = await conn.scalar(select(stock_items.c.quantity).where(
            stock_items.c.stock_item_id == item.stock_item_id))
        if abs(available + delta) > MAX_STOCK:
            raise ValidationFailed(f"a stock item holds at most {MAX_STOCK}",
                                   code="stock_quantity_out_of_range",
                                   details={"quantity": available, "delta": delta,
                                            "limit": MAX_STOCK})
        raise Conflict(f"only {available} in stock", code="insufficient_stock",
                       details={"available": available, "wanted": -delta})
    after = quantity(Decimal(changed.quantity))
    before = after - delta
    movement_id = uuid.uuid4()
    row = {"movement_id": movement_id, "stock_item_id": item.stock_item_id,
           "quantity": delta, "movement_type": movement.movement_type,
           "reference_id": movement.reference_id, "reference_type": movement.reference_type,
           "reason": movement.reason, "notes": movement.notes, "created_at": utcnow()}
    await conn.execute(insert(stock_movements).values(**row))
    event = {"stock_item_id": item.stock_item_id, "product_id": item.product_id,
             "quantity": after, "previous_quantity": before, "min_quantity": changed.min_quantity}
    await emit(conn, "stock.moved", client_id=client_id, store_id=item.store_id,
               data={**event, "movement_id": movement_id, "movement_type": movement.movement_type,
                     "delta": delta, "reason": movement.reason,
                     "reference_id": movement.reference_id,
                     "reference_type": movement.reference_type})
    minimum = changed.min_quantity
    if minimum is not None and before > minimum >= after:
        await emit(conn, "stock.low", client_id=client_id, store_id=item.store_id, data=event)
    return {**movement_view(row), "quantity_after": after}
