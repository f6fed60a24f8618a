"""The money bookkeeping of an order: its tenders, what they cover, and the events of each change.

Every function here runs inside a caller's tenant transaction. Writers first take the order's
payments lock (:func:`posmodern.core.locks.serialize`; SQLite's ``BEGIN IMMEDIATE`` already
serializes writers) and then lock the payment row, always in that order, so two tenders of one
order can never both take what is left to pay, and a webhook and a refund never interleave on one
payment.

The order itself belongs to the orders plugin: payments reads it (a declared read) and tells its
owner the new payment status through the ``pos_order_payment_status`` hook, in the transaction that
changed a tender. Where the orders plugin runs in another process (one container per plugin), the
same news goes as a ``payment.balance_changed`` event its owner applies. States of the order's
payment status: ``PENDING`` (nothing received), ``PARTIALLY_PAID``, ``PAID``,
``PARTIALLY_REFUNDED``, ``REFUNDED``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pluggy
from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.core.asyncio_hooks import call_hook
from posmodern.core.errors import NotFound
from posmodern.core.events import emit
from posmodern.core.locks import serialize
from posmodern.core.money import ZERO, cents
from posmodern.core.orders import PaymentStatus
from posmodern.core.payments import RefundStatus, TenderStatus
from posmodern.schema.tables import orders, payments, refunds
from posmodern.schema.types import utcnow

#: Tenders still waiting for an answer: what they ask for is held, so nobody else can take it.
LIVE = (TenderStatus.PENDING, TenderStatus.AUTHORIZED)
#: Tenders whose money was received (less what was refunded of it).
SETTLED = (TenderStatus.CONFIRMED, TenderStatus.PARTIALLY_REFUNDED, TenderStatus.REFUNDED)
#: Tenders that took nothing.
GIVEN_UP = (TenderStatus.FAILED, TenderStatus.CANCELLED)
#: Which new state each state may move to when a provider (or its webhook) reports one.
MOVES = {
    TenderStatus.PENDING: {*LIVE, TenderStatus.CONFIRMED, *GIVEN_UP},
    TenderStatus.AUTHORIZED: {TenderStatus.CONFIRMED, *GIVEN_UP},
    # Money that arrives after we gave up on a tender (a slow provider) is still money received.
    **{status: {TenderStatus.CONFIRMED} for status in GIVEN_UP},
}
EVENT_OF = {TenderStatus.PENDING: "payment.pending", TenderStatus.AUTHORIZED: "payment.authorized",
            TenderStatus.CONFIRMED: "payment.confirmed", TenderStatus.FAILED: "payment.failed",
            TenderStatus.CANCELLED: "payment.cancelled"}


@dataclass(frozen=True)
class Coverage:
    """What an order's tenders add up to."""

    total: Decimal
    paid: Decimal
    held: Decimal
    refunded: Decimal

    @property
    def outstanding(self) -> Decimal:
        return self.total - self.paid - self.held

    @property
    def payment_status(self) -> PaymentStatus:
        if self.paid >= self.total and self.paid > ZERO:
            return PaymentStatus.PAID
        if self.refunded > ZERO:
            return (PaymentStatus.REFUNDED if self.paid == ZERO
                    else PaymentStatus.PARTIALLY_REFUNDED)
        return PaymentStatus.PARTIALLY_PAID if self.paid > ZERO else PaymentStatus.PENDING

    def to_dict(self, payment_status: str | None = None) -> dict[str, Any]:
        return {"total": self.total, "paid": self.paid, "held": self.held,
                "refunded": self.refunded, "outstanding": max(self.outstanding, ZERO),
                "payment_status": payment_status or self.payment_status}


async def lock_order(conn: AsyncConnection, order_id: uuid.UUID, store_id: str, *,
                     lock: bool = True) -> Row:
    """The order, its payments locked for this transaction (``lock``); another store's order is
    as unknown as none."""
    if lock:
        await serialize(conn, "payments.order", order_id)
    row = (await conn.execute(
        select(orders.c.order_id, orders.c.store_id, orders.c.client_id, orders.c.status,
               orders.c.total, orders.c.payment_status, orders.c.order_number)
        .where(orders.c.order_id == order_id))).first()
    if row is None or row.store_id != store_id:
        raise NotFound(f"order {order_id} not found", code="order_not_found")
    return row


async def find_payment(conn: AsyncConnection, payment_id: uuid.UUID, *, lock: bool = False) -> Row | None:
    query = select(payments).where(payments.c.payment_id == payment_id)
    return (await conn.execute(query.with_for_update() if lock else query)).first()


async def coverage(conn: AsyncConnection, order: Row) -> Coverage:
    """Sum the order's tenders by what they mean for the bill."""
    rows = (await conn.execute(
        select(payments.c.status, func.sum(payments.c.amount).label("amount"),
               func.sum(payments.c.refunded_amount).label("refunded"))
        .where(payments.c.order_id == order.order_id)
        .group_by(payments.c.status))).all()
    paid = held = refunded = ZERO
    for row in rows:
        amount = cents(Decimal(str(row.amount or 0)))
        returned = cents(Decimal(str(row.refunded or 0)))
        if row.status in SETTLED:
            paid += amount - returned
            refunded += returned
        elif row.status in LIVE:
            held += amount
    return Coverage(order.total, paid, held, refunded)


def payment_view(row: Row | dict, order: dict[str, Any] | None = None) -> dict[str, Any]:
    """A payment as the API shows it."""
    data = row._mapping if isinstance(row, Row) else row
    meta = data.get("metadata") or {}
    view = {
        "payment_id": data["payment_id"], "order_id": data["order_id"],
        "provider": data["provider"], "method": data["payment_method"],
        "status": data["status"], "amount": data["amount"],
        "tendered_amount": data["tendered_amount"], "change_due": data["change_due"],
        "refunded_amount": data["refunded_amount"], "external_id": data["external_id"],
        "details": meta.get("details") or {}, "error": meta.get("error"),
        "created_at": data.get("created_at"), "updated_at": data.get("updated_at"),
    }
    if order is not None:
        view["order"] = order
    return view


def event_data(row: Row | dict, **extra: Any) -> dict[str, Any]:
    data = row._mapping if isinstance(row, Row) else row
    return {"payment_id": data["payment_id"], "order_id": data["order_id"],
            "provider": data["provider"], "method": data["payment_method"],
            "status": data["status"], "amount": data["amount"],
            "refunded_amount": data["refunded_amount"], "external_id": data["external_id"],
            **extra}


async def insert_payment(conn: AsyncConnection, *, payment_id: uuid.UUID, order: Row,
                         provider: str, method: str, amount: Decimal, tendered: Decimal,
                         change_due: Decimal, metadata: dict[str, Any]) -> None:
    now = utcnow()
    await conn.execute(insert(payments).values(
        payment_id=payment_id, order_id=order.order_id, client_id=order.client_id,
        store_id=order.store_id, amount=amount, payment_method=method, status=TenderStatus.PENDING,
        provider=provider, tendered_amount=tendered, change_due=change_due,
        refunded_amount=ZERO, metadata=metadata, created_at=now, updated_at=now))


def answered(payment: Row) -> bool:
    """Whether a provider's answer (or webhook) was ever written for this tender."""
    return bool((payment.metadata or {}).get("answered"))


async def hold_again(conn: AsyncConnection, payment: Row, *, amount: Decimal,
                     change_due: Decimal) -> None:
    """Put a failed tender back on hold for another attempt with the provider."""
    meta = {k: v for k, v in (payment.metadata or {}).items() if k != "answered"}
    await conn.execute(update(payments).where(payments.c.payment_id == payment.payment_id).values(
        status=TenderStatus.PENDING, amount=amount, change_due=change_due, metadata=meta,
        updated_at=utcnow()))


async def move_payment(conn: AsyncConnection, payment: Row, status: str, *,
                       external_id: str | None = None, details: dict[str, Any] | None = None,
                       error: dict[str, Any] | None = None, source: str = "provider") -> Row:
    """Move a locked payment to ``status`` if that is a step forward, and publish the change.

    A report that is not a step forward (a late ``PENDING`` after the webhook already confirmed
    it) keeps the state and only fills in what was missing (the provider's id, the QR code).
    """
    meta = dict(payment.metadata or {})
    first_answer = not meta.get("answered")
    meta["answered"] = True
    if details:
        meta["details"] = {**meta.get("details", {}), **details}
    moves = status in MOVES.get(payment.status, set())
    if moves and status != TenderStatus.FAILED:
        meta.pop("error", None)
    if moves and error:
        meta["error"] = error
    values: dict[str, Any] = {"metadata": meta, "updated_at": utcnow()}
    if external_id and not payment.external_id:
        values["external_id"] = external_id
    if moves:
        values["status"] = status
    await conn.execute(update(payments).where(payments.c.payment_id == payment.payment_id)
                       .values(**values))
    moved = await find_payment(conn, payment.payment_id)
    if moves and (status != payment.status or first_answer):
        late = payment.status in GIVEN_UP
        await emit(conn, EVENT_OF[status], client_id=moved.client_id, store_id=moved.store_id,
                   data=event_data(moved, source=source, previous_status=payment.status,
                                   **({"late": True} if late else {}),
                                   **({"error": error} if error else {})))
    return moved


async def settle_order(conn: AsyncConnection, order: Row,
                       hooks: pluggy.HookRelay) -> dict[str, Any]:
    """Recompute the locked order's payment status, tell the order's owner, and publish
    ``payment.completed`` when it is paid."""
    covered = await coverage(conn, order)
    status = covered.payment_status
    if status != order.payment_status:
        await _tell_owner(conn, order, covered, status, hooks)
        if status == PaymentStatus.PAID:
            tenders = (await conn.execute(
                select(payments.c.payment_id, payments.c.provider, payments.c.payment_method,
                       payments.c.amount, payments.c.change_due, payments.c.refunded_amount)
                .where(payments.c.order_id == order.order_id,
                       payments.c.status.in_(SETTLED))
                .order_by(payments.c.created_at))).all()
            await emit(conn, "payment.completed", client_id=order.client_id,
                       store_id=order.store_id, data={
                           "order_id": order.order_id, "order_number": order.order_number,
                           "total": covered.total, "paid": covered.paid,
                           "overpaid": max(covered.paid - covered.total, ZERO),
                           "tenders": [{"payment_id": t.payment_id, "provider": t.provider,
                                        "method": t.payment_method, "amount": t.amount,
                                        "change_due": t.change_due} for t in tenders]})
    return covered.to_dict(status)


async def _tell_owner(conn: AsyncConnection, order: Row, covered: Coverage, status: str,
                      hooks: pluggy.HookRelay) -> None:
    """The orders plugin records the status: at once when it runs in this process, else from the
    ``payment.balance_changed`` event in its own."""
    if hooks.pos_order_payment_status.get_hookimpls():
        await call_hook(hooks.pos_order_payment_status, conn=conn, order_id=order.order_id,
                        payment_status=status)
        return
    await emit(conn, "payment.balance_changed", client_id=order.client_id,
               store_id=order.store_id, data={"order_id": order.order_id,
                                              **covered.to_dict(status)})


async def refund_totals(conn: AsyncConnection, payment_id: uuid.UUID) -> tuple[Decimal, Decimal]:
    """(done, held) amounts refunded of a payment: held counts refunds not answered yet
    (``REQUESTED``) and those the provider is still processing (``PENDING``)."""
    rows = (await conn.execute(
        select(refunds.c.status, func.sum(refunds.c.amount).label("amount"))
        .where(refunds.c.payment_id == payment_id).group_by(refunds.c.status))).all()
    sums = {row.status: cents(Decimal(str(row.amount or 0))) for row in rows}
    return (sums.get(RefundStatus.DONE, ZERO),
            sums.get(RefundStatus.PENDING, ZERO) + sums.get(RefundStatus.REQUESTED, ZERO))


def refund_view(row: Row | dict) -> dict[str, Any]:
    data = row._mapping if isinstance(row, Row) else row
    meta = data.get("metadata") or {}
    return {"refund_id": data["refund_id"], "payment_id": data["payment_id"],
            "amount": data["amount"], "status": data["status"], "reason": data["reason"],
            "external_id": data["external_id"], "error": meta.get("error"),
            "created_at": data.get("created_at")}


async def finish_refund(conn: AsyncConnection, payment: Row, refund: Row, status: str, *,
                        external_id: str | None = None, error: dict[str, Any] | None = None,
                        source: str = "provider") -> Row:
    """Record a refund's outcome on it and on its (locked) payment, and publish it.

    A refund already done stays done (the webhook may have told us before the provider's answer).
    """
    if refund.status == RefundStatus.DONE:
        return await find_payment(conn, payment.payment_id)
    meta = dict(refund.metadata or {})
    if error:
        meta["error"] = error
    await conn.execute(update(refunds).where(refunds.c.refund_id == refund.refund_id).values(
        status=status, metadata=meta, updated_at=utcnow(),
        **({"external_id": external_id} if external_id and not refund.external_id else {})))
    if status == RefundStatus.DONE:
        await _apply_refunded(conn, payment)
    moved = await find_payment(conn, payment.payment_id)
    event = {RefundStatus.DONE: "payment.refunded",
             RefundStatus.PENDING: "payment.refund_requested",
             RefundStatus.FAILED: "payment.refund_failed"}[status]
    await emit(conn, event, client_id=moved.client_id, store_id=moved.store_id,
               data=event_data(moved, refund_id=refund.refund_id, refund_amount=refund.amount,
                               reason=refund.reason, source=source,
                               **({"error": error} if error else {})))
    return moved


async def _apply_refunded(conn: AsyncConnection, payment: Row) -> None:
    done, _pending = await refund_totals(conn, payment.payment_id)
    status = (TenderStatus.REFUNDED if done >= payment.amount
              else TenderStatus.PARTIALLY_REFUNDED)
    await conn.execute(update(payments).where(payments.c.payment_id == payment.payment_id)
                       .values(refunded_amount=done, status=status, updated_at=utcnow()))


async def hold_refund_again(conn: AsyncConnection, refund_id: uuid.UUID) -> None:
    """Put a failed refund back on hold for another attempt with the provider."""
    await conn.execute(update(refunds).where(refunds.c.refund_id == refund_id).values(
        status=RefundStatus.REQUESTED, updated_at=utcnow()))


async def insert_refund(conn: AsyncConnection, *, refund_id: uuid.UUID, payment: Row,
                        amount: Decimal, reason: str | None, status: str = RefundStatus.REQUESTED,
                        metadata: dict[str, Any] | None = None) -> Row:
    now = utcnow()
    await conn.execute(insert(refunds).values(
        refund_id=refund_id, payment_id=payment.payment_id, client_id=payment.client_id,
        store_id=payment.store_id, amount=amount, status=status, reason=reason,
        metadata=metadata or {}, created_at=now, updated_at=now))
    return (await conn.execute(select(refunds).where(refunds.c.refund_id == refund_id))).one()
