"""Money paid somewhere else (a marketplace charged the customer online), recorded on the order
as a confirmed tender in the caller's transaction (``pos_payment_record``)."""

from __future__ import annotations

from typing import Any

import pluggy
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.core.errors import Conflict
from posmodern.core.ids import new_uuid
from posmodern.core.money import ZERO
from posmodern.core.orders import OrderStatus
from posmodern.core.payments import PaidElsewhere, TenderStatus
from posmodern.plugins.payments import ledger
from posmodern.schema.tables import payments


async def record(conn: AsyncConnection, paid: PaidElsewhere,
                 hooks: pluggy.HookRelay) -> dict[str, Any]:
    """A confirmed tender of ``paid.amount`` (at most what is left to pay), once per provider
    and external id on an order; ``payment.confirmed`` and the order's new payment status
    follow as for any tender."""
    order = await ledger.lock_order(conn, paid.order_id, paid.store_id)
    existing = (await conn.execute(select(payments).where(
        payments.c.order_id == paid.order_id, payments.c.provider == paid.provider,
        payments.c.external_id == paid.external_id))).first()
    if existing is not None:
        return ledger.payment_view(existing)
    if order.status == OrderStatus.CANCELLED:
        raise Conflict("the order is cancelled", code="order_cancelled",
                       details={"order_id": order.order_id})
    outstanding = (await ledger.coverage(conn, order)).outstanding
    amount = min(paid.amount, max(outstanding, ZERO))
    payment_id = new_uuid()
    await ledger.insert_payment(conn, payment_id=payment_id, order=order,
                                provider=paid.provider, method=paid.method, amount=amount,
                                tendered=amount, change_due=ZERO,
                                metadata={"paid_elsewhere": True})
    payment = await ledger.find_payment(conn, payment_id, lock=True)
    moved = await ledger.move_payment(conn, payment, TenderStatus.CONFIRMED,
                                      external_id=paid.external_id, details=paid.details,
                                      source="elsewhere")
    await ledger.settle_order(conn, order, hooks)
    return ledger.payment_view(moved)
