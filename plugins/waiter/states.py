"""A table's state: occupied while it has an open order (its tab), free again when the last one
closes; reserved and bill requested set by people, and kept while they still hold.

Driven by the orders plugin's events (never by importing it), and called directly in the
transaction of a waiter's own change. The state is recomputed from the table's orders rather than
applied as a delta, so a redelivered or late event cannot leave a table wrongly occupied or free.
Every change publishes ``waiter.table_changed`` (the floor's live pages follow it).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.core.events import Envelope, Subscription, emit
from posmodern.core.orders import CLOSED_STATUSES
from posmodern.plugins.waiter.models import TableState
from posmodern.schema.tables import orders, tables
from posmodern.schema.types import utcnow

OCCUPIED, FREE = TableState.OCCUPIED, TableState.FREE
CHANGED = "waiter.table_changed"
ORDER_EVENTS = ("order.created", "order.status_updated", "order.items_changed",
                "order.table_changed")


async def open_order_of(conn: AsyncConnection, table_id: uuid.UUID) -> uuid.UUID | None:
    """The table's newest open order (its tab), if any."""
    return await conn.scalar(
        select(orders.c.order_id)
        .where(orders.c.table_id == table_id, orders.c.status.not_in(CLOSED_STATUSES))
        .order_by(orders.c.created_at.desc()).limit(1))


def _next_state(row: Any, open_order: uuid.UUID | None) -> dict[str, Any]:
    if open_order is not None:
        kept = (row.status == TableState.BILL_REQUESTED and row.current_order_id == open_order)
        return dict(status=TableState.BILL_REQUESTED if kept else OCCUPIED,
                    current_order_id=open_order, occupied_at=row.occupied_at or utcnow())
    return dict(status=TableState.RESERVED if row.status == TableState.RESERVED else FREE,
                current_order_id=None, occupied_at=None,
                occupied_seats=None if row.status != TableState.RESERVED else row.occupied_seats)


async def save(conn: AsyncConnection, row: Any, client_id: str, store_id: str,
               **values: Any) -> dict[str, Any]:
    """Write ``values`` to the table when they change it and publish the change; returns the
    table as the API shows it."""
    before = dict(row._mapping)
    after = {**before, **values}
    if after != before:
        await conn.execute(update(tables).where(tables.c.table_id == row.table_id)
                           .values(**values))
        await emit(conn, CHANGED, client_id=client_id, store_id=store_id,
                   data={"table_id": row.table_id, "status": after["status"],
                         "previous_status": before["status"]})
    return after


async def refresh(conn: AsyncConnection, table_id: uuid.UUID, client_id: str,
                  store_id: str) -> dict[str, Any] | None:
    """Recompute the table's state from its orders (None: no such table)."""
    # FOR NO KEY UPDATE: refreshes (and people's changes) of one table take turns, while an
    # order being written for the table (its foreign key check takes KEY SHARE) need not wait.
    row = (await conn.execute(select(tables).where(tables.c.table_id == table_id)
                              .with_for_update(key_share=True))).first()
    if row is None:
        return None
    return await save(conn, row, client_id, store_id,
                      **_next_state(row, await open_order_of(conn, table_id)))


def _table_ids(data: dict[str, Any]) -> list[uuid.UUID]:
    found = []
    for key in ("table_id", "previous_table_id"):
        raw = data.get(key) or (data.get("order") or {}).get(key)
        try:
            found.append(uuid.UUID(str(raw)))
        except ValueError:
            continue
    return list(dict.fromkeys(found))


async def follow_orders(envelope: Envelope, conn: AsyncConnection) -> None:
    for table_id in _table_ids(envelope.data):
        await refresh(conn, table_id, envelope.client_id, envelope.store_id)


SUBSCRIPTION = Subscription("waiter.table_occupancy", ORDER_EVENTS, follow_orders)
