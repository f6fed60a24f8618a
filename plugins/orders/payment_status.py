"""The order's ``payment_status``: the payments plugin decides it, the orders plugin records it.

In one process the payments plugin calls ``pos_order_payment_status`` in the transaction that
changed a tender, so the order shows its new status with the answer. Where the two plugins run in
different processes, the payments plugin publishes ``payment.balance_changed`` instead, and the
subscription here records it.
"""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.core.events import Envelope, Subscription
from posmodern.core.orders import PaymentStatus
from posmodern.schema.tables import orders
from posmodern.schema.types import utcnow

log = logging.getLogger(__name__)



async def record_payment_status(conn: AsyncConnection, order_id: uuid.UUID,
                                payment_status: str) -> None:
    """Set the order's payment status (an unknown order is left alone)."""
    if payment_status not in set(PaymentStatus):
        raise ValueError(f"unknown payment status {payment_status!r}")
    await conn.execute(update(orders).where(orders.c.order_id == order_id)
                       .values(payment_status=payment_status, updated_at=utcnow()))


async def _balance_changed(envelope: Envelope, conn: AsyncConnection) -> None:
    try:
        order_id = uuid.UUID(str(envelope.data.get("order_id")))
    except ValueError:
        return
    status = envelope.data.get("payment_status")
    if status not in set(PaymentStatus):
        log.warning("event %s: unknown payment status %r ignored", envelope.id, status)
        return
    await record_payment_status(conn, order_id, status)


FOLLOW_PAYMENTS = Subscription("orders.follow_payments", ("payment.balance_changed",),
                            _balance_changed)
