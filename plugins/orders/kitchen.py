"""The kitchen moves an order forward: ``IN_PREPARATION`` when a cook starts it, ``READY`` when
its last station is bumped.

The kitchen display asks through ``pos_order_kitchen_status`` in its own transaction when this
plugin runs in the same process, or publishes ``kds.order_progress`` handled here otherwise. Either
way the order walks its lifecycle one step at a time (an order still ``CONFIRMED`` goes through
``IN_PREPARATION`` to ``READY``), each step published as ``order.status_updated``; an order
already there, past it, or closed is left alone, so a repeated request changes nothing.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pluggy
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.core.asyncio_hooks import call_hook
from posmodern.core.events import Envelope, Subscription, emit
from posmodern.core.orders import OrderStatus
from posmodern.plugins.orders import lifecycle, storage
from posmodern.schema.tables import orders
from posmodern.schema.types import utcnow

log = logging.getLogger(__name__)

KITCHEN_STATUSES = (OrderStatus.IN_PREPARATION, OrderStatus.READY)


async def move_order(conn: AsyncConnection, hooks: pluggy.HookRelay, current: Any,
                     new: str) -> dict[str, Any]:
    """Record ``current`` (an ``orders`` row, locked) moving to ``new``: the row, the
    ``pos_order_status_changed`` hooks, and the events. Returns the order as the API shows it."""
    previous = current.status
    now = utcnow()
    await conn.execute(update(orders).where(orders.c.order_id == current.order_id)
                       .values(status=new, updated_at=now))
    items = await storage.load_items(conn, [current.order_id])
    view = storage.order_view({**current._mapping, "status": new, "updated_at": now},
                              items.get(current.order_id, []))
    await call_hook(hooks.pos_order_status_changed, conn=conn, order=view, previous=previous,
                    new=new, client_id=current.client_id, store_id=current.store_id)
    change = {"order_id": current.order_id, "order_number": current.order_number,
              "table_id": current.table_id, "previous_status": previous, "new_status": new,
              "order": view}
    await emit(conn, "order.status_updated", client_id=current.client_id,
               store_id=current.store_id, data=change)
    if new == OrderStatus.CANCELLED:
        await emit(conn, "order.cancelled", client_id=current.client_id,
                   store_id=current.store_id, data=change)
    return view


async def advance(conn: AsyncConnection, hooks: pluggy.HookRelay, order_id: uuid.UUID,
                  status: str) -> None:
    """Walk the order forward to ``status`` (see the module's docstring)."""
    if status not in KITCHEN_STATUSES:
        raise ValueError(f"the kitchen moves orders only to {', '.join(KITCHEN_STATUSES)}")
    current = (await conn.execute(select(orders).where(orders.c.order_id == order_id)
                                  .with_for_update())).first()
    if current is None:
        return
    path = lifecycle.FORWARD
    if current.status not in path or path.index(current.status) >= path.index(status):
        return
    while current.status != status:
        following = lifecycle.FORWARD[lifecycle.FORWARD.index(current.status) + 1]
        await move_order(conn, hooks, current, following)
        current = (await conn.execute(select(orders).where(orders.c.order_id == order_id))
                   ).first()


def follow_kitchen(hooks: pluggy.HookRelay) -> Subscription:
    """The subscription applying ``kds.order_progress`` (the kitchen in another process)."""
    async def handle(envelope: Envelope, conn: AsyncConnection) -> None:
        status = envelope.data.get("status")
        try:
            order_id = uuid.UUID(str(envelope.data.get("order_id")))
        except ValueError:
            return
        if status not in KITCHEN_STATUSES:
            log.warning("event %s: kitchen status %r ignored", envelope.id, status)
            return
        await advance(conn, hooks, order_id, status)

    return Subscription("orders.follow_kitchen", ("kds.order_progress",), handle)
