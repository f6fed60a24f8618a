"""Items leaving an order for another order or another table: a waiter's transfer and merge.

The items keep their rows (ids, prices, notes): they change order. Both orders are repriced and
publish ``order.items_changed`` (``moved_out`` / ``moved_in``; ``added`` lists only moved items the
kitchen has not had yet, so printers print no second ticket). An item that already reached the
kitchen is marked ``customizations.sent_with`` (the order number it was sent with): the kitchen
display makes it on the ticket it is on, not a second time. An order left with no items is
closed ``COMPLETED`` with nothing to pay.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import String, Text, cast, func, literal, select, update
from sqlalchemy.dialects.postgresql import REGCLASS
from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.core.counters import NextNumber, take_number
from posmodern.core.errors import Conflict, NotFound, ValidationFailed
from posmodern.core.events import emit
from posmodern.core.ids import new_uuid
from posmodern.core.orders import OrderStatus
from posmodern.core.runtime import Runtime
from posmodern.plugins.orders import lifecycle, placing, storage
from posmodern.plugins.orders.kitchen import move_order
from posmodern.schema.tables import order_items, orders
from posmodern.schema.types import utcnow

#: The kitchen has had the items of an order in one of these.
SENT = (OrderStatus.CONFIRMED, OrderStatus.IN_PREPARATION, OrderStatus.READY,
        OrderStatus.DELIVERED)


def _check_open(order) -> None:
    lifecycle.check_editable(order.status, lifecycle.TAB_EDITABLE)
    lifecycle.check_unpaid(order.payment_status)


async def _number(conn: AsyncConnection, runtime: Runtime, order) -> str:
    number = await take_number(runtime.db, order.client_id, conn, order.store_id, "order")
    if isinstance(number, NextNumber):
        number = await conn.scalar(select(cast(func.nextval(
            cast(literal(number.sequence, Text), REGCLASS)), String)))
    return str(number)


async def _new_order(conn: AsyncConnection, runtime: Runtime, source,
                     table_id: uuid.UUID) -> Any:
    """An empty order on ``table_id`` like ``source`` (same status), to take its items."""
    await placing.check_table(conn, source.store_id, table_id)
    now = utcnow()
    values = {**source._mapping, "order_id": new_uuid(), "table_id": table_id,
              "order_number": await _number(conn, runtime, source), "created_at": now,
              "updated_at": now, "external_id": None}
    await conn.execute(orders.insert().values(**values))
    return (await conn.execute(select(orders).where(orders.c.order_id == values["order_id"])
                               )).one()


async def _change_table(conn: AsyncConnection, source, table_id: uuid.UUID) -> dict:
    """The whole order moves to another table."""
    await placing.check_table(conn, source.store_id, table_id)
    if table_id == source.table_id:
        raise Conflict("the order is already on that table", code="same_table")
    now = utcnow()
    await conn.execute(update(orders).where(orders.c.order_id == source.order_id)
                       .values(table_id=table_id, updated_at=now))
    view = await placing.items_changed(
        conn, {**source._mapping, "table_id": table_id, "updated_at": now}, [], [])
    await emit(conn, "order.table_changed", client_id=source.client_id,
               store_id=source.store_id, data={"order_id": source.order_id,
                                                "order_number": source.order_number,
                                                "previous_table_id": source.table_id,
                                                "table_id": table_id, "order": view})
    return {"from": view, "to": view}


def _marked(item, sent_with: str | None) -> Any:
    """The item's customizations, noting the order it reached the kitchen with."""
    current = item.customizations
    if sent_with is None or (isinstance(current, dict) and "sent_with" in current):
        return current
    if isinstance(current, dict):
        return {**current, "sent_with": sent_with}
    return {"sent_with": sent_with, **({"choices": current} if current is not None else {})}


async def _moved_items(conn: AsyncConnection, source, item_ids: list[uuid.UUID] | None):
    existing = (await storage.load_items(conn, [source.order_id], with_category=True)
                ).get(source.order_id, [])
    if item_ids is None:
        return existing, existing
    wanted = set(item_ids)
    missing = wanted - {item.item_id for item in existing}
    if missing:
        raise NotFound(f"order {source.order_id} has no item {sorted(map(str, missing))[0]}",
                       code="item_not_found", details={"item_ids": sorted(map(str, missing))})
    if not wanted:
        raise ValidationFailed("name at least one item to move", code="no_items")
    return existing, [item for item in existing if item.item_id in wanted]


async def transfer(conn: AsyncConnection, runtime: Runtime, store_id: str, order_id: uuid.UUID,
                   item_ids: list[uuid.UUID] | None, to_order_id: uuid.UUID | None,
                   to_table_id: uuid.UUID | None) -> dict[str, Any]:
    """See :func:`posmodern.core.order_desk.transfer_order_items`."""
    if to_order_id == order_id:
        raise Conflict("an order cannot take its own items", code="same_order")
    source = await placing.load(conn, store_id, order_id, lock=True)
    _check_open(source)
    existing, moving = await _moved_items(conn, source, item_ids)
    if to_order_id is None and len(moving) == len(existing):
        return await _change_table(conn, source, to_table_id)
    if to_order_id is not None:
        target = await placing.load(conn, store_id, to_order_id, lock=True)
        _check_open(target)
    else:
        target = await _new_order(conn, runtime, source, to_table_id)
    sent_with = source.order_number if source.status in SENT else None
    target_items = (await storage.load_items(conn, [target.order_id], with_category=True)
                    ).get(target.order_id, [])
    placing.check_items([*moving], already=len(target_items))
    now = utcnow()
    for item in moving:
        await conn.execute(update(order_items).where(order_items.c.item_id == item.item_id)
                           .values(order_id=target.order_id, updated_at=now,
                                   customizations=_marked(item, sent_with)))
    moved_ids = {item.item_id for item in moving}
    kept = [storage.line_of(item) for item in existing if item.item_id not in moved_ids]
    lines = [*map(storage.line_of, target_items), *map(storage.line_of, moving)]
    source_row = await placing.reprice_and_save(conn, runtime, source, kept)
    target_row = await placing.reprice_and_save(conn, runtime, target, lines)
    moved = [storage.item_view(item) for item in moving]
    unsent = [] if sent_with else moving
    source_view = await _changed(conn, source_row, [], moved_out=moved)
    target_view = await _changed(conn, target_row, unsent, moved_in=moved)
    if not kept:
        source_view = await _close_empty(conn, runtime, source.order_id)
    return {"from": source_view, "to": target_view}


async def _changed(conn: AsyncConnection, order: dict, added: list, **moved: list) -> dict:
    """``order.items_changed`` for a transfer, naming the moved items."""
    return await placing.items_changed(conn, order, added, [], extra=moved)


async def _close_empty(conn: AsyncConnection, runtime: Runtime, order_id: uuid.UUID) -> dict:
    """An order whose every item left: closed, nothing to pay (its kitchen tickets stay)."""
    current = (await conn.execute(select(orders).where(orders.c.order_id == order_id))).one()
    return await move_order(conn, runtime.pm.hook, current, OrderStatus.COMPLETED)
