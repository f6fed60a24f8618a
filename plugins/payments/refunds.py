"""Refunds: hold the amount on the payment, ask the provider (no transaction open), write the answer."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from posmodern.core import audit
from posmodern.core.api import RequestContext
from posmodern.core.errors import Conflict, ValidationFailed
from posmodern.core.money import ZERO
from posmodern.core.payments import RefundRequest, RefundResult, RefundStatus, TenderStatus
from posmodern.plugins.payments import ledger
from posmodern.plugins.payments.registry import PaymentsState
from posmodern.plugins.payments.tenders import failure_recorded, keyed_id, load
from posmodern.schema.tables import refunds

REFUNDABLE = (TenderStatus.CONFIRMED, TenderStatus.PARTIALLY_REFUNDED)


async def refund(ctx: RequestContext, state: PaymentsState, payment_id: uuid.UUID, *,
                 amount: Decimal | None, reason: str | None) -> tuple[dict[str, Any], int]:
    """Give back part or all of a received payment; returns the refund's view and HTTP status."""
    payment, _ = await load(ctx, payment_id)
    provider = state.registry.get(payment.provider)
    refund_id = keyed_id(ctx, "refund")
    async with ctx.transaction() as conn:
        await ledger.lock_order(conn, payment.order_id, payment.store_id)
        payment = await ledger.find_payment(conn, payment_id, lock=True)
        held = (await conn.execute(select(refunds).where(refunds.c.refund_id == refund_id))).first()
        if held is not None:
            if held.payment_id != payment_id or (amount is not None and held.amount != amount):
                raise ValidationFailed("this Idempotency-Key was used with a different refund",
                                       code="idempotency_key_reused")
            if held.status in (RefundStatus.DONE, RefundStatus.PENDING):
                return await _answer(ctx, payment_id, held), 201
        if payment.status not in REFUNDABLE:
            raise Conflict(f"a {payment.status} payment cannot be refunded",
                           code="payment_not_refundable", details={"status": payment.status})
        done, pending = await ledger.refund_totals(conn, payment_id)
        if held is not None and held.status == RefundStatus.REQUESTED:
            pending -= held.amount  # our own earlier hold
        refundable = payment.amount - done - pending
        wanted = refundable if amount is None else amount
        if refundable <= ZERO:
            raise Conflict("this payment has nothing left to refund", code="nothing_to_refund",
                           details={"refunded": done, "pending": pending})
        if wanted > refundable:
            raise ValidationFailed(f"{wanted} is more than the {refundable} that can be refunded",
                                   code="refund_exceeds_paid",
                                   details={"refundable": refundable, "amount": wanted})
        if held is None:
            held = await ledger.insert_refund(conn, refund_id=refund_id, payment=payment,
                                              amount=wanted, reason=reason,
                                              metadata={"requested_by": ctx.principal.username})
        else:
            await ledger.hold_refund_again(conn, refund_id)
    request = RefundRequest(refund_id=refund_id, payment_id=payment_id,
                            reference=str(payment_id), external_id=payment.external_id,
                            amount=held.amount, reason=reason)
    async with failure_recorded(
            lambda error: _record(ctx, refund_id, RefundResult(RefundStatus.FAILED), error=error)):
        result = await provider.refund(request)
    view = await _record(ctx, refund_id, result)
    if result.status == RefundStatus.FAILED:
        raise ValidationFailed("the provider refused the refund", code="refund_declined",
                               details={"refund": view})
    return view, 201


async def _record(ctx: RequestContext, refund_id: uuid.UUID, result: RefundResult, *,
                  error: dict[str, Any] | None = None) -> dict[str, Any]:
    async with ctx.runtime.db.transaction(ctx.client_id) as conn:
        held = (await conn.execute(select(refunds).where(refunds.c.refund_id == refund_id))).one()
        payment = await ledger.find_payment(conn, held.payment_id)
        order = await ledger.lock_order(conn, payment.order_id, payment.store_id)
        payment = await ledger.find_payment(conn, held.payment_id, lock=True)
        await ledger.finish_refund(conn, payment, held, result.status,
                                   external_id=result.external_id, error=error, source="api")
        await ledger.settle_order(conn, order, ctx.runtime.pm.hook)
        await audit.record(conn, ctx, f"payment.refund_{result.status.lower()}",
                           resource_type="payment", resource_id=payment.payment_id,
                           details={"refund_id": refund_id, "amount": held.amount,
                                    "reason": held.reason, **({"error": error} if error else {})})
    return await _answer(ctx, held.payment_id, held)


async def _answer(ctx: RequestContext, payment_id: uuid.UUID, held) -> dict[str, Any]:
    payment, order = await load(ctx, payment_id)
    async with ctx.transaction() as conn:
        row = (await conn.execute(select(refunds).where(refunds.c.refund_id == held.refund_id))).one()
    return {**ledger.refund_view(row), "payment": ledger.payment_view(payment, order)}
