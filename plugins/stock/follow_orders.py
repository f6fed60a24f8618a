"""Stock that follows orders: what a confirmed order holds leaves stock, and comes back when the
order is cancelled (or an item is taken off it).

The handler does not replay the event's story; it reconciles. For the order named by any order
event it computes what should be out of stock now (the order's live items while the order is
confirmed or later, nothing while it is pending or cancelled), compares that with the movements
already recorded against the order, and moves only the difference. A redelivered event (which the
bus already skips by its id), events arriving out of order, or a cancellation processed before the
confirmation therefore all end in the same stock.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.core.events import Envelope, Subscription
from posmodern.core.locks import serialize
from posmodern.core.money import ZERO, quantity
from posmodern.core.orders import GONE_ITEM_STATUSES, GOODS_OUT_STATUSES
from posmodern.plugins.stock.movements import Movement, MovementType, move
from posmodern.schema.tables import order_items, orders, stock_items, stock_movements

ORDER_EVENTS = ("order.created", "order.status_updated", "order.items_changed", "order.cancelled")
REFERENCE_TYPE = "order"


async def follow_order(envelope: Envelope, conn: AsyncConnection) -> None:
    try:
        order_id = uuid.UUID(str(envelope.data.get("order_id")))
    except ValueError:
        return
    # Two replicas reconciling one order take turns; the order is read once the turn is ours, so
    # a change committed meanwhile is seen (and its own event reconciles again anyway).
    await serialize(conn, "stock.order", order_id)
    order = (await conn.execute(
        select(orders.c.order_id, orders.c.store_id, orders.c.status, orders.c.order_number)
        .where(orders.c.order_id == order_id))).first()
    if order is None:
        return
    wanted: dict[uuid.UUID, Decimal] = {}
    if order.status in GOODS_OUT_STATUSES:
        rows = (await conn.execute(
            select(order_items.c.product_id, func.sum(order_items.c.quantity).label("quantity"))
            .where(order_items.c.order_id == order_id,
                   order_items.c.status.not_in(GONE_ITEM_STATUSES))
            .group_by(order_items.c.product_id))).all()
        wanted = {row.product_id: Decimal(str(row.quantity)) for row in rows}
    moved = dict((await conn.execute(
        select(stock_movements.c.stock_item_id, func.sum(stock_movements.c.quantity))
        .where(stock_movements.c.reference_type == REFERENCE_TYPE,
               stock_movements.c.reference_id == order_id)
        .group_by(stock_movements.c.stock_item_id))).all())
    if not wanted and not moved:  # a pending order that never moved stock: nothing to do
        return
    items = (await conn.execute(
        select(stock_items).where(
            stock_items.c.store_id == order.store_id,
            stock_items.c.product_id.in_(list(wanted))
            | stock_items.c.stock_item_id.in_(list(moved)))
        .order_by(stock_items.c.stock_item_id))).all()
    for item in items:
        out_now = -quantity(Decimal(str(moved.get(item.stock_item_id) or 0)))
        delta = quantity(out_now - wanted.get(item.product_id, ZERO))
        if delta == ZERO:
            continue
        kind = MovementType.IN if delta > ZERO else MovementType.OUT
        await move(conn, item, Movement(
            kind, delta, reason=f"order_{order.status.lower()}",
            reference_id=order_id, reference_type=REFERENCE_TYPE,
            notes=f"order {order.order_number}"), client_id=envelope.client_id)


def subscriptions() -> list[Subscription]:
    return [Subscription("stock.follow_orders", ORDER_EVENTS, follow_order)]
