"""Taking a tender: check, write it as held, ask the provider (no transaction open), write the answer.

A slow provider therefore never holds a row lock, and the tender's amount is held while the
provider thinks, so a second tender cannot take the same part of the bill. With an
``Idempotency-Key`` the tender's id is derived from the key: a retry after a timeout finds the
tender of the first attempt and asks the provider again with the same reference, which the
provider answers with the charge it already made.
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

from posmodern.core import audit, tenancy
from posmodern.core.api import RequestContext
from posmodern.core.errors import Conflict, NotFound, PosError, ValidationFailed
from posmodern.core.money import ZERO
from posmodern.core.orders import OrderStatus
from posmodern.core.payments import PaymentProvider, PaymentRequest, PaymentResult, TenderStatus
from posmodern.core.runtime import Runtime
from posmodern.plugins.payments import ledger
from posmodern.plugins.payments.registry import PaymentsState
from posmodern.schema.tables import payments
from sqlalchemy import select

log = logging.getLogger(__name__)
KEYED_IDS = uuid.UUID("6f1c8a1e-2b7d-4f57-9a53-7d0c2f0b9e11")


def keyed_id(ctx: RequestContext, kind: str) -> uuid.UUID:
    """A fresh id, or one derived from the request's Idempotency-Key (stable across retries)."""
    if ctx.idempotency_key is None:
        return uuid.uuid4()
    return uuid.uuid5(KEYED_IDS, f"{ctx.client_id}\n{kind}\n{ctx.idempotency_key}")


def _same_request(payment, order_id: uuid.UUID, provider: str, method: str, tendered: Decimal) -> bool:
    return (payment.order_id == order_id and payment.provider == provider
            and payment.payment_method == method and payment.tendered_amount == tendered)


async def take(ctx: RequestContext, state: PaymentsState, order_id: uuid.UUID, *, method: str,
               amount: Decimal, provider_name: str | None, customer: dict[str, Any] | None,
               options: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Take one tender of an order; returns the payment's view and the HTTP status."""
    provider = state.registry.choose(method, provider_name)
    payment_id = keyed_id(ctx, "payment")
    request = PaymentRequest(payment_id=payment_id, order_id=order_id, client_id=ctx.client_id,
                             store_id=ctx.store_id, method=method, amount=amount,
                             reference=str(payment_id), customer=customer, metadata=options)
    provider.check(request)

    async with ctx.transaction() as conn:
        order = await ledger.lock_order(conn, order_id, ctx.store_id)
        existing = await ledger.find_payment(conn, payment_id, lock=True)
        if existing is not None and not _same_request(existing, order_id, provider.name, method,
                                                      amount):
            raise ValidationFailed("this Idempotency-Key was used with a different payment",
                                   code="idempotency_key_reused")
        if existing is not None and not _needs_provider(existing):
            covered = await ledger.coverage(conn, order)
            return ledger.payment_view(existing, covered.to_dict(order.payment_status)), 201
        applied = await _hold(conn, ctx, order, provider, payment_id, amount, method, existing,
                              customer)
    request = dataclasses.replace(request, amount=applied)

    failed = PaymentResult(TenderStatus.FAILED)
    async with failure_recorded(lambda error: _record(ctx, payment_id, failed, error=error)):
        if provider.takes_webhooks:
            await tenancy.remember_reference(ctx.runtime.db, "payment", request.reference,
                                             ctx.client_id)
        result = await provider.authorize(request)
        if result.status == TenderStatus.AUTHORIZED:
            result = await provider.capture(request.reference, result.external_id)
        if result.external_id and provider.takes_webhooks:
            await tenancy.remember_reference(ctx.runtime.db, f"payment:{provider.name}",
                                             result.external_id, ctx.client_id)
    view = await _record(ctx, payment_id, result)
    if result.status == TenderStatus.FAILED:
        raise ValidationFailed("the payment was declined", code="payment_declined",
                               details={"payment": view})
    return view, 201


def _needs_provider(payment) -> bool:
    """An earlier attempt that failed, or never got its answer written, is asked again."""
    return payment.status == TenderStatus.FAILED or (payment.status == TenderStatus.PENDING
                                                     and not ledger.answered(payment))


async def _hold(conn, ctx: RequestContext, order, provider: PaymentProvider,
                payment_id: uuid.UUID, amount: Decimal, method: str, existing,
                customer: dict[str, Any] | None) -> Decimal:
    """Check the order can take this tender and hold its amount; returns the amount applied."""
    if order.status == OrderStatus.CANCELLED:
        raise Conflict("the order is cancelled", code="order_cancelled",
                       details={"order_id": order.order_id})
    covered = await ledger.coverage(conn, order)
    outstanding = covered.outstanding
    if existing is not None and existing.status in ledger.LIVE:
        outstanding += existing.amount  # our own earlier hold
    if outstanding <= ZERO:
        raise Conflict("nothing is left to pay on this order", code="order_already_paid",
                       details=covered.to_dict(order.payment_status))
    applied, change = amount, ZERO
    if amount > outstanding:
        if not provider.gives_change:
            raise ValidationFailed(
                f"{amount} is more than the {outstanding} left to pay, and {method} gives no change",
                code="overpayment", details={"outstanding": outstanding, "amount": amount})
        applied, change = outstanding, amount - outstanding
    if existing is None:
        meta: dict[str, Any] = {"requested_by": ctx.principal.username}
        if customer:
            meta["customer"] = {k: v for k, v in customer.items() if k in ("name", "email")}
        await ledger.insert_payment(conn, payment_id=payment_id, order=order,
                                    provider=provider.name, method=method, amount=applied,
                                    tendered=amount, change_due=change, metadata=meta)
    else:
        await ledger.hold_again(conn, existing, amount=applied, change_due=change)
    return applied


@asynccontextmanager
async def failure_recorded(record: Callable[[dict[str, Any]], Awaitable[Any]]):
    """Around a provider call: when it raises, ``record`` the failure, then let the error go on
    to the client (a 422 refusal, a 502, a 504 timeout)."""
    try:
        yield
    except PosError as error:
        await record({"code": error.code, "message": error.message, "status": error.status})
        raise
    except Exception as error:
        await record({"code": "provider_error", "message": type(error).__name__, "status": 500})
        raise


async def _record(ctx: RequestContext, payment_id: uuid.UUID, result: PaymentResult, *,
                  error: dict[str, Any] | None = None,
                  audited: str | None = None) -> dict[str, Any]:
    """Write what the provider answered and what it means for the order (and, with
    ``audited``, an audit entry of that action in the same transaction)."""
    async with ctx.runtime.db.transaction(ctx.client_id) as conn:
        payment = await ledger.find_payment(conn, payment_id)
        order = await ledger.lock_order(conn, payment.order_id, payment.store_id)
        payment = await ledger.find_payment(conn, payment_id, lock=True)
        moved = await ledger.move_payment(conn, payment, result.status,
                                          external_id=result.external_id,
                                          details=result.details, error=error, source="api")
        covered = await ledger.settle_order(conn, order, ctx.runtime.pm.hook)
        if audited:
            await audit.record(conn, ctx, audited, resource_type="payment",
                               resource_id=payment_id,
                               details={"order_id": payment.order_id, "method": payment.payment_method,
                                        "amount": payment.amount, "status": moved.status})
    return ledger.payment_view(moved, covered)


async def load(ctx: RequestContext, payment_id: uuid.UUID):
    """A payment of the caller's store (unknown otherwise), and its order's coverage."""
    async with ctx.transaction() as conn:
        payment = await ledger.find_payment(conn, payment_id)
        if payment is None or payment.store_id != ctx.store_id:
            raise NotFound(f"payment {payment_id} not found", code="payment_not_found")
        order = await ledger.lock_order(conn, payment.order_id, payment.store_id, lock=False)
        covered = await ledger.coverage(conn, order)
    return payment, covered.to_dict(order.payment_status)


async def cancel(ctx: RequestContext, state: PaymentsState, payment_id: uuid.UUID) -> dict[str, Any]:
    """Give up on a tender still waiting for the customer (a PIX code nobody paid)."""
    payment, _ = await load(ctx, payment_id)
    if payment.status not in ledger.LIVE:
        raise Conflict(f"a {payment.status} payment cannot be cancelled",
                       code="payment_not_cancellable", details={"status": payment.status})
    provider = state.registry.get(payment.provider)
    result = await provider.cancel(str(payment.payment_id), payment.external_id)
    return await _record(ctx, payment_id, result, audited="payment.cancelled")


async def cancel_pending(runtime: Runtime, state: PaymentsState, client_id: str,
                         order_id: uuid.UUID) -> int:
    """Cancel at its provider each tender of a cancelled order still waiting (the provider is
    asked outside any transaction), and record the answers; a provider that fails is logged
    and its tender left as it is (money that comes later is recorded, to be refunded)."""
    async with runtime.db.transaction(client_id) as conn:
        live = (await conn.execute(select(payments).where(
            payments.c.order_id == order_id, payments.c.status.in_(ledger.LIVE)))).all()
    cancelled = 0
    for payment in live:
        try:
            provider = state.registry.get(payment.provider)
            result = await provider.cancel(str(payment.payment_id), payment.external_id)
        except Exception:  # noqa: BLE001 - the next tender is still worth cancelling
            log.warning("cancelling payment %s of cancelled order %s at %s failed",
                        payment.payment_id, order_id, payment.provider, exc_info=True)
            continue
        async with runtime.db.transaction(client_id) as conn:
            order = await ledger.lock_order(conn, payment.order_id, payment.store_id)
            locked = await ledger.find_payment(conn, payment.payment_id, lock=True)
            await ledger.move_payment(conn, locked, result.status, external_id=result.external_id,
                                      details=result.details, source="order_cancelled")
            await ledger.settle_order(conn, order, state.hooks)
        cancelled += result.status == TenderStatus.CANCELLED
    return cancelled


async def refresh(ctx: RequestContext, state: PaymentsState, payment_id: uuid.UUID) -> dict[str, Any]:
    """Ask the provider where a waiting tender stands (for stores webhooks cannot reach)."""
    payment, covered = await load(ctx, payment_id)
    if payment.status not in ledger.LIVE:
        return ledger.payment_view(payment, covered)
    provider = state.registry.get(payment.provider)
    result = await provider.status(str(payment.payment_id), payment.external_id)
    return await _record(ctx, payment_id, result)
