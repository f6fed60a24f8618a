"""Provider notifications: checked by the provider, matched to our own records, applied once.

The tenant of a notification comes from ``tenant_references`` (written when the tender was sent
to the provider), never from the caller. Each event is recorded in the tenant's
``processed_events`` in the transaction that applies it, so a redelivered event changes nothing.

A notification that says money arrived is a claim even with the right token: it confirms a
tender only when it names the tender's amount (the Asaas provider takes that amount from Asaas
itself, not from the body). Any other is refused, the tender left as it was, and audited.
"""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.core import audit, tenancy
from posmodern.core.api import RequestContext
from posmodern.core.db import Database
from posmodern.core.money import ZERO
from posmodern.core.payments import RefundStatus, TenderStatus, WebhookEvent
from posmodern.core.processed import first_delivery
from posmodern.plugins.payments import ledger
from posmodern.plugins.payments.registry import PaymentsState
from posmodern.schema.tables import payments, refunds


#: What a notification may claim only for the tender's whole amount.
MONEY_IN = (TenderStatus.AUTHORIZED, TenderStatus.CONFIRMED)


async def receive(ctx: RequestContext, db: Database, state: PaymentsState, provider_name: str,
                  headers: dict[str, str], body: bytes) -> dict[str, Any]:
    """Check and apply one notification; answers how many events were applied, ignored,
    repeated or refused."""
    provider = state.registry.get(provider_name)
    events = await provider.parse_webhook(headers, body)
    outcomes = Counter({"applied": 0, "duplicate": 0, "ignored": 0, "refused": 0})
    for event in events:
        outcomes[await _apply(ctx, db, state, provider.name, event)] += 1
    return {"received": len(events), **outcomes}


async def _tenant(db: Database, provider: str, event: WebhookEvent) -> str | None:
    client = None
    if event.reference:
        client = await tenancy.tenant_for_reference(db, "payment", event.reference)
    if client is None and event.external_id:
        client = await tenancy.tenant_for_reference(db, f"payment:{provider}", event.external_id)
    return client


async def _apply(ctx: RequestContext, db: Database, state: PaymentsState, provider: str,
                 event: WebhookEvent) -> str:
    client = await _tenant(db, provider, event)
    if client is None:
        return "ignored"  # not a charge of ours (the account may serve other systems)
    async with db.transaction(client) as conn:
        if not await first_delivery(conn, f"webhook.{provider}", event.event_id):
            return "duplicate"
        found = await _payment(conn, provider, event)
        if found is None or event.status is None:
            return "ignored"
        order = await ledger.lock_order(conn, found.order_id, found.store_id)
        payment = await ledger.find_payment(conn, found.payment_id, lock=True)
        if event.status in MONEY_IN and event.amount != payment.amount:
            await _refuse(conn, ctx, provider, event, payment)
            return "refused"
        if event.status == TenderStatus.REFUNDED:
            if payment.status not in ledger.SETTLED:
                payment = await ledger.move_payment(conn, payment, TenderStatus.CONFIRMED,
                                                    external_id=event.external_id,
                                                    source="webhook")
            await _refunded(conn, payment, event)
        else:
            await ledger.move_payment(conn, payment, event.status, external_id=event.external_id,
                                      source="webhook")
        await ledger.settle_order(conn, order, state.hooks)
    return "applied"


async def _refuse(conn: AsyncConnection, ctx: RequestContext, provider: str,
                  event: WebhookEvent, payment) -> None:
    await audit.record(conn, ctx, "payment.webhook_refused", resource_type="payment",
                       resource_id=payment.payment_id, details={
                           "provider": provider, "event_id": event.event_id, "kind": event.kind,
                           "claimed_status": event.status, "payment_status": payment.status,
                           "reported_amount": event.amount, "expected_amount": payment.amount,
                           "order_id": payment.order_id, "store_id": payment.store_id})


async def _payment(conn: AsyncConnection, provider: str, event: WebhookEvent):
    try:
        payment_id = uuid.UUID(event.reference) if event.reference else None
    except ValueError:
        payment_id = None
    if payment_id is not None:
        row = await ledger.find_payment(conn, payment_id)
        if row is not None and row.provider == provider:
            return row
    if event.external_id:
        return (await conn.execute(select(payments).where(
            payments.c.provider == provider,
            payments.c.external_id == event.external_id))).first()
    return None


async def _refunded(conn: AsyncConnection, payment, event: WebhookEvent) -> None:
    """Bring our refunds of a payment up to what the provider says it refunded."""
    rows = (await conn.execute(select(refunds).where(refunds.c.payment_id == payment.payment_id)
                               .order_by(refunds.c.created_at))).all()
    done = sum((r.amount for r in rows if r.status == RefundStatus.DONE), ZERO)
    waiting = [r for r in rows if r.status in (RefundStatus.PENDING, RefundStatus.REQUESTED)]
    if event.refunded_amount is None:
        # "Partially refunded" without amounts: what the provider was processing is done.
        for refund in waiting:
            if refund.status == RefundStatus.PENDING:
                await ledger.finish_refund(conn, payment, refund, RefundStatus.DONE,
                                          source="webhook")
        return
    target = min(event.refunded_amount, payment.amount)
    # Refunds we gave up on may have gone through after all: they count before a new row.
    for refund in waiting + [r for r in rows if r.status == RefundStatus.FAILED]:
        if done + refund.amount <= target:
            await ledger.finish_refund(conn, payment, refund, RefundStatus.DONE,
                                          source="webhook")
            done += refund.amount
    if target > done:
        extra = await ledger.insert_refund(conn, refund_id=uuid.uuid4(), payment=payment,
                                           amount=target - done, reason="refunded at the provider",
                                           metadata={"source": "webhook", "event": event.kind})
        await ledger.finish_refund(conn, payment, extra, RefundStatus.DONE,
                                   external_id=event.external_id,
                                   source="webhook")
