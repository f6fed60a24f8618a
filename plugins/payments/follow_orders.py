"""An order's bill can change after it was paid (a waiter adds a round to a confirmed order):
the payment status follows. ``PAID`` becomes ``PARTIALLY_PAID`` when the total grows past what
was paid, and an order whose total shrinks to what was paid becomes ``PAID``
(``payment.completed``)."""

from __future__ import annotations

import uuid
from functools import partial

import pluggy
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.core.events import Envelope, Subscription
from posmodern.plugins.payments import ledger
from posmodern.schema.tables import orders, payments


async def follow_bill(hooks: pluggy.HookRelay, envelope: Envelope, conn: AsyncConnection) -> None:
    try:
        order_id = uuid.UUID(str(envelope.data.get("order_id")))
    except ValueError:
        return
    store_id = await conn.scalar(select(orders.c.store_id).where(orders.c.order_id == order_id))
    if store_id is None:
        return
    tendered = await conn.scalar(select(payments.c.payment_id)
                                 .where(payments.c.order_id == order_id).limit(1))
    if tendered is None:
        return  # nothing paid yet: the status is PENDING whatever the total
    order = await ledger.lock_order(conn, order_id, store_id)
    await ledger.settle_order(conn, order, hooks)


def subscriptions(hooks: pluggy.HookRelay) -> list[Subscription]:
    return [Subscription("payments.follow_bills", ("order.items_changed",),
                         partial(follow_bill, hooks))]
