"""A table is occupied while it has an open order, and free again when the last one closes.

Driven by the orders plugin's events (never by importing it). The handler recomputes the table's
state from its orders rather than applying the event as a delta, so a redelivered or late event
cannot leave a table wrongly occupied or free.
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.core.events import Envelope, Subscription
from posmodern.core.orders import CLOSED_STATUSES
from posmodern.schema.tables import orders, tables
from posmodern.schema.types import utcnow

OCCUPIED, FREE = "OCCUPIED", "FREE"


async def refresh_table(envelope: Envelope, conn: AsyncConnection) -> None:
    raw = envelope.data.get("table_id")
    if not raw:
        return
    table_id = uuid.UUID(raw)
    open_order = await conn.scalar(
        select(orders.c.order_id)
        .where(orders.c.table_id == table_id, orders.c.status.not_in(CLOSED_STATUSES))
        .order_by(orders.c.created_at.desc()).limit(1))
    if open_order is not None:
        await conn.execute(update(tables).where(tables.c.table_id == table_id).values(
            status=OCCUPIED, current_order_id=open_order,
            occupied_at=func.coalesce(tables.c.occupied_at, utcnow())))
    else:
        await conn.execute(update(tables).where(tables.c.table_id == table_id,
                                                tables.c.status == OCCUPIED).values(
            status=FREE, current_order_id=None, occupied_at=None, occupied_seats=None))


SUBSCRIPTION = Subscription("waiter.table_occupancy", ("order.created", "order.status_updated"),
                            refresh_table)
