"""Kiosk orders: placed through the orders plugin, paid through the payments plugin, sent to the
kitchen once paid, cancelled when their PIX is not paid in time.

The kiosk writes only ``kiosk_orders``. The order is placed ``PENDING`` (the kitchen makes
tickets for confirmed orders only) with ``place_order``; the PIX charge is taken with
``take_payment`` after that transaction committed (no transaction is open while Asaas is asked).
``payment.completed`` moves the order to ``CONFIRMED`` (``move_order``), which sends it to the
kitchen. With an ``Idempotency-Key`` the kiosk order's id comes from the key, so a retry after
Asaas failed finds the order placed the first time and asks for its charge again.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.core.api import Reply, RequestContext
from posmodern.core.errors import NotFound, PosError, ValidationFailed
from posmodern.core.events import Envelope, Subscription
from posmodern.core.order_desk import move_order, place_order
from posmodern.core.orders import ItemRequest, OrderRequest, OrderStatus, PaymentStatus
from posmodern.core.payments import cancel_pending_payments, take_payment
from posmodern.core.runtime import Runtime
from posmodern.plugins.kiosk.models import SERVICES, WAITING, KioskOrderCreate, KioskStatus
from posmodern.plugins.kiosk.settings import PAY_AT_COUNTER, PAYMENT_MINUTES, of
from posmodern.schema.tables import kiosk_orders, orders
from posmodern.schema.types import utcnow

log = logging.getLogger(__name__)
KEYED_IDS = uuid.UUID("0b7f3a52-3c1e-4d8e-9f4c-6a2d1e5b7c90")


def view(row: Any) -> dict[str, Any]:
    """A kiosk order as its screen shows it."""
    return {"kiosk_order_id": row.kiosk_order_id, "order_id": row.order_id,
            "order_number": row.order_number, "customer_name": row.customer_name,
            "service": row.service, "payment": row.payment, "status": row.status,
            "total": row.total, "payment_id": row.payment_id, "pix": row.pix,
            "expires_at": row.expires_at, "created_at": row.created_at}


def _kiosk_order_id(ctx: RequestContext) -> uuid.UUID:
    if ctx.idempotency_key is None:
        return uuid.uuid4()
    return uuid.uuid5(KEYED_IDS, f"{ctx.client_id}\n{ctx.store_id}\n{ctx.idempotency_key}")


async def _find(conn: AsyncConnection, store_id: str, *, lock: bool = False, **where: Any):
    statement = select(kiosk_orders).where(kiosk_orders.c.store_id == store_id,
                                           *(kiosk_orders.c[k] == v for k, v in where.items()))
    return (await conn.execute(statement.with_for_update() if lock else statement)).first()


async def _change(conn: AsyncConnection, kiosk_order_id: uuid.UUID, **values: Any) -> None:
    await conn.execute(update(kiosk_orders)
                       .where(kiosk_orders.c.kiosk_order_id == kiosk_order_id)
                       .values(**values, updated_at=utcnow()))


async def _place(conn: AsyncConnection, ctx: RequestContext, kiosk_order_id: uuid.UUID,
                 body: KioskOrderCreate):
    order = await place_order(conn, ctx.runtime, OrderRequest(
        client_id=ctx.client_id, store_id=ctx.store_id, source="kiosk",
        items=[ItemRequest(item.product_id, Decimal(item.quantity), item.notes,
                           modifiers=tuple(choice.option_id for choice in item.modifiers))
               for item in body.items],
        notes=f"{body.customer_name} · {SERVICES[body.service]}",
        external_id=str(kiosk_order_id)))
    now = of(ctx.runtime).clock()
    pix = body.payment == "pix"
    minutes = PAYMENT_MINUTES.value(ctx.runtime.settings)
    await conn.execute(insert(kiosk_orders).values(
        kiosk_order_id=kiosk_order_id, client_id=ctx.client_id, store_id=ctx.store_id,
        order_id=order["order_id"], order_number=order["order_number"],
        customer_name=body.customer_name, service=body.service, payment=body.payment,
        status=KioskStatus.AWAITING_PAYMENT if pix else KioskStatus.AT_COUNTER,
        total=order["total"], expires_at=now + timedelta(minutes=minutes) if pix else None,
        created_at=now, updated_at=now))
    return await _find(conn, ctx.store_id, kiosk_order_id=kiosk_order_id)


async def create_order(ctx: RequestContext) -> Reply:
    """``POST /api/v1/kiosk/orders``: place the order, then start its PIX charge."""
    body: KioskOrderCreate = ctx.body
    if body.payment == "counter" and not PAY_AT_COUNTER.value(ctx.runtime.settings):
        raise ValidationFailed("this store takes kiosk orders by PIX only",
                               code="counter_payment_off")
    await sweep(ctx.runtime, ctx.client_id, ctx.store_id)
    kiosk_order_id = _kiosk_order_id(ctx)
    async with ctx.transaction() as conn:
        row = await _find(conn, ctx.store_id, kiosk_order_id=kiosk_order_id)
        if row is None:
            row = await _place(conn, ctx, kiosk_order_id, body)
    if row.status == KioskStatus.AWAITING_PAYMENT and row.pix is None:
        row = await _start_pix(ctx, row)
    return Reply(view(row), 201)


async def _start_pix(ctx: RequestContext, row):
    """Ask for the order's PIX charge. A refusal (Asaas not configured, say) cancels the order:
    it could never be paid here. A provider that failed or did not answer leaves it waiting for
    a retry with the same Idempotency-Key (or for its time to run out)."""
    try:
        payment = await take_payment(ctx, row.order_id, "pix", row.total,
                                     description=f"Pedido {row.order_number} (totem)")
    except PosError as error:
        if error.status < 500:
            async with ctx.transaction() as conn:
                await _give_up(conn, ctx.runtime, row, KioskStatus.FAILED)
        raise
    async with ctx.transaction() as conn:
        await _change(conn, row.kiosk_order_id, payment_id=uuid.UUID(str(payment["payment_id"])),
                      pix=(payment.get("details") or {}).get("pix") or {})
        return await _find(conn, ctx.store_id, kiosk_order_id=row.kiosk_order_id)


async def get_order(ctx: RequestContext) -> dict[str, Any]:
    """``GET /api/v1/kiosk/orders/{id}``: what the screen polls until the order is sent."""
    await sweep(ctx.runtime, ctx.client_id, ctx.store_id)
    async with ctx.transaction() as conn:
        row = await _find(conn, ctx.store_id, kiosk_order_id=ctx.path["kiosk_order_id"])
    if row is None:
        raise NotFound("no such kiosk order in this store", code="kiosk_order_not_found")
    return view(row)


# --- paid: to the kitchen; unpaid in time: cancelled -------------------------------------------

async def _order_state(conn: AsyncConnection, order_id: uuid.UUID):
    return (await conn.execute(select(orders.c.status, orders.c.payment_status)
                               .where(orders.c.order_id == order_id))).first()


async def _send(conn: AsyncConnection, runtime: Runtime, row, status: str) -> None:
    """The order is paid: confirm it (the kitchen makes its tickets) unless a cashier did."""
    if status == OrderStatus.PENDING:
        await move_order(conn, runtime, row.store_id, row.order_id, OrderStatus.CONFIRMED)
    await _change(conn, row.kiosk_order_id, status=KioskStatus.SENT)


async def _give_up(conn: AsyncConnection, runtime: Runtime, row, status: KioskStatus) -> None:
    state = await _order_state(conn, row.order_id)
    if state is not None and state.status == OrderStatus.PENDING:
        await move_order(conn, runtime, row.store_id, row.order_id, OrderStatus.CANCELLED)
    await _change(conn, row.kiosk_order_id, status=status)


async def follow_payment(runtime: Runtime, envelope: Envelope, conn: AsyncConnection) -> None:
    """``payment.completed``: a waiting kiosk order is sent to the kitchen. One already expired
    stays cancelled (its late money is the payments plugin's to refund)."""
    try:
        order_id = uuid.UUID(str(envelope.data.get("order_id")))
    except ValueError:
        return
    row = await _find(conn, envelope.store_id, lock=True, order_id=order_id)
    if row is None or row.status not in WAITING:
        return
    state = await _order_state(conn, order_id)
    if state is not None and state.payment_status == PaymentStatus.PAID:
        await _send(conn, runtime, row, state.status)


async def _expire(runtime: Runtime, client_id: str, kiosk_order_id: uuid.UUID) -> None:
    async with runtime.db.transaction(client_id) as conn:
        row = (await conn.execute(select(kiosk_orders).where(
            kiosk_orders.c.kiosk_order_id == kiosk_order_id).with_for_update())).first()
        if row is None or row.status != KioskStatus.AWAITING_PAYMENT:
            return  # another sweep (or the payment) came first
        state = await _order_state(conn, row.order_id)
        if state is not None and state.payment_status == PaymentStatus.PAID:
            await _send(conn, runtime, row, state.status)  # paid, its event still on its way
            return
        await _give_up(conn, runtime, row, KioskStatus.EXPIRED)
    # Committed: the QR code still on a screen or a phone can no longer be paid.
    await cancel_pending_payments(runtime, client_id, row.order_id)


async def sweep(runtime: Runtime, client_id: str, store_id: str | None = None) -> int:
    """Cancel the tenant's (or one store's) PIX orders unpaid past their time; returns how many
    were looked at."""
    now = of(runtime).clock()
    statement = select(kiosk_orders.c.kiosk_order_id).where(
        kiosk_orders.c.status == KioskStatus.AWAITING_PAYMENT, kiosk_orders.c.expires_at <= now)
    if store_id is not None:
        statement = statement.where(kiosk_orders.c.store_id == store_id)
    async with runtime.db.transaction(client_id) as conn:
        overdue = (await conn.execute(statement)).scalars().all()
    for kiosk_order_id in overdue:
        await _expire(runtime, client_id, kiosk_order_id)
    return len(overdue)


class PaymentFollower:
    """The subscription's handler; it needs the runtime (to move orders), which exists only once
    the bus was built: the plugin's ``pos_startup`` hands it over, before any event arrives."""

    name = "kiosk.follow_payments"

    def __init__(self) -> None:
        self.runtime: Runtime | None = None

    async def __call__(self, envelope: Envelope, conn: AsyncConnection) -> None:
        assert self.runtime is not None, "the kiosk plugin did not start"
        await follow_payment(self.runtime, envelope, conn)

    def subscription(self) -> Subscription:
        return Subscription(self.name, ("payment.completed",), self)

    @classmethod
    def bind(cls, runtime: Runtime) -> None:
        for subscription in runtime.bus.subscriptions:
            if isinstance(subscription.handle, cls):
                subscription.handle.runtime = runtime
