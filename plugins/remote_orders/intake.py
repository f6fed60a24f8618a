"""Marketplace events, each handled exactly once, and acknowledged only after.

For one merchant's events, sorted by ``createdAt``:

1. An event already in ``remote_events`` was handled: it is only acknowledged again.
2. A new order (``PLACED``) is fetched first, with no transaction open. Then, in one transaction:
   our order placed (through the order desk), confirmed, its online payment recorded (through
   the payments plugin), the ``remote_orders`` row (unique per channel and external id) and the
   event's row. A failed fetch writes nothing and acknowledges nothing: the next poll brings the
   event again (the known integrator failure, an event recorded before its order was fetched
   and then skipped, cannot happen: the event's row commits with the order).
3. An order we cannot take (an unknown product, a malformed payload) is refused to the
   marketplace first, then recorded as ``REFUSED`` with what was wrong.
4. A cancellation cancels our order (it reaches the kitchen display as any cancellation).
5. A code we do not know is kept (``outcome = unknown``) and reported
   (``remote_orders.unknown_event``), never a crash.

Only the events whose rows committed are acknowledged. A process killed anywhere leaves either
nothing (the event comes again) or the committed rows (the event comes again, is recognised,
and is acknowledged): no order is lost or taken twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.core.errors import Conflict, PosError, ValidationFailed
from posmodern.core.events import emit
from posmodern.core.ids import new_uuid
from posmodern.core.marketplaces import (Action, EventKind, MalformedOrder, MarketEvent,
                                         Marketplace, MarketOrder, Merchant)
from posmodern.core.order_desk import move_order, place_order
from posmodern.core.orders import CLOSED_STATUSES, OrderStatus
from posmodern.core.payments import PaidElsewhere, record_paid_elsewhere
from posmodern.core.runtime import Runtime
from posmodern.core.store_settings import store_value
from posmodern.core.writes import insert_ignore
from posmodern.plugins.remote_orders import outbound
from posmodern.plugins.remote_orders.mapping import order_request
from posmodern.plugins.remote_orders.settings import AUTO_CONFIRM
from posmodern.schema.tables import orders, remote_events, remote_orders
from posmodern.schema.types import utcnow

log = logging.getLogger("posmodern.remote_orders")


class RemoteStatus:
    TAKEN = "TAKEN"
    REFUSED = "REFUSED"
    CANCELLED = "CANCELLED"


@dataclass
class Report:
    """What one round of a merchant's events did (the poll route and CLI print it)."""

    taken: list[str] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    repeated: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)
    acknowledged: int = 0

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


async def handled(conn: AsyncConnection, channel: str, event_id: str) -> bool:
    return await conn.scalar(select(remote_events.c.event_id).where(
        remote_events.c.channel == channel, remote_events.c.event_id == event_id)) is not None


async def find_remote(conn: AsyncConnection, channel: str, external_id: str):
    return (await conn.execute(select(remote_orders).where(
        remote_orders.c.channel == channel, remote_orders.c.external_id == external_id))).first()


async def record_event(conn: AsyncConnection, channel: str, merchant: Merchant,
                       event: MarketEvent, outcome: str) -> None:
    await insert_ignore(conn, remote_events, channel=channel, event_id=event.event_id,
                        client_id=merchant.client_id, store_id=merchant.store_id,
                        external_id=event.external_id, code=event.code[:50], outcome=outcome,
                        payload=event.raw, occurred_at=event.created_at, created_at=utcnow())


async def handle_events(runtime: Runtime, marketplace: Marketplace, merchant: Merchant,
                        events: list[MarketEvent], *, acknowledge: bool = True) -> Report:
    """Handle ``events`` in the order they happened; acknowledge those whose rows committed."""
    report = Report()
    done: list[MarketEvent] = []
    for event in sorted(events, key=lambda e: (e.created_at, e.event_id)):
        try:
            if await _handle(runtime, marketplace, merchant, event, report):
                done.append(event)
        except Exception as exc:  # noqa: BLE001 - left unacknowledged: the next poll retries it
            log.warning("remote orders: %s event %s (%s) of order %s not handled: %s: %s",
                        marketplace.name, event.event_id, event.code, event.external_id,
                        type(exc).__name__, exc)
            report.failed.append({"event_id": event.event_id, "code": event.code,
                                  "external_id": event.external_id,
                                  "error": getattr(exc, "code", type(exc).__name__)})
    if acknowledge and done:
        await marketplace.acknowledge(merchant, done)
        report.acknowledged = len(done)
    return report


async def _handle(runtime: Runtime, marketplace: Marketplace, merchant: Merchant,
                  event: MarketEvent, report: Report) -> bool:
    """Handle one event; True once its row is committed (it may be acknowledged)."""
    channel = marketplace.name
    async with runtime.db.transaction(merchant.client_id) as conn:
        if await handled(conn, channel, event.event_id):
            report.repeated.append(event.event_id)
            return True
        if event.kind in (EventKind.NOTED, EventKind.UNKNOWN):
            await _note(conn, channel, merchant, event, report)
            return True
        remote = await find_remote(conn, channel, event.external_id)
        if event.kind == EventKind.PLACED and remote is not None:
            await record_event(conn, channel, merchant, event, "ignored")
            report.repeated.append(event.event_id)
            return True
    if event.kind == EventKind.CANCELLED:
        return await _cancelled(runtime, channel, merchant, event, report)
    return await _placed(runtime, marketplace, merchant, event, report)


async def _note(conn: AsyncConnection, channel: str, merchant: Merchant, event: MarketEvent,
                report: Report) -> None:
    if event.kind == EventKind.NOTED:
        await record_event(conn, channel, merchant, event, "ignored")
        return
    await record_event(conn, channel, merchant, event, "unknown")
    await emit(conn, "remote_orders.unknown_event", client_id=merchant.client_id,
               store_id=merchant.store_id, data={
                   "channel": channel, "event_id": event.event_id, "code": event.code,
                   "external_id": event.external_id})
    report.unknown.append(event.code)
    log.warning("remote orders: %s sent an unknown event code %r (kept)", channel, event.code)


async def _placed(runtime: Runtime, marketplace: Marketplace, merchant: Merchant,
                  event: MarketEvent, report: Report) -> bool:
    try:
        order = await marketplace.order(merchant, event.external_id)
    except MalformedOrder as error:
        return await _refuse(runtime, marketplace, merchant, event, None, error, report)
    try:
        await _take(runtime, marketplace.name, merchant, event, order)
    except IntegrityError:
        # Another process took the same order at the same time: its commit stands, ours
        # rolled back; the next poll acknowledges the event.
        return False
    except ValidationFailed as error:
        return await _refuse(runtime, marketplace, merchant, event, order, error, report)
    report.taken.append(event.external_id)
    return True


async def _take(runtime: Runtime, channel: str, merchant: Merchant, event: MarketEvent,
                order: MarketOrder) -> None:
    """Our order, its confirmation, its online payment and our rows: one transaction."""
    client_id, store_id = merchant.client_id, merchant.store_id
    async with runtime.db.transaction(client_id) as conn:
        request = await order_request(conn, client_id, store_id, channel, order)
        placed = await place_order(conn, runtime, request)
        now = utcnow()
        remote = dict(remote_order_id=new_uuid(), client_id=client_id, store_id=store_id,
                      channel=channel, external_id=order.external_id,
                      merchant_id=merchant.merchant_id, display_id=order.display_id[:50],
                      order_id=placed["order_id"], status=RemoteStatus.TAKEN,
                      scheduled_for=order.scheduled_for, placed_at=order.created_at,
                      created_at=now, updated_at=now)
        await conn.execute(remote_orders.insert().values(**remote))
        if order.prepaid > 0:
            await record_paid_elsewhere(conn, runtime, PaidElsewhere(
                order_id=placed["order_id"], store_id=store_id, provider=channel,
                method="online", amount=order.prepaid, external_id=order.external_id,
                details={"display_id": order.display_id}))
        if order.scheduled_for is not None:
            # Confirmed to the marketplace now; ours waits (PENDING, off the kitchen display)
            # until the store confirms it nearer its time.
            await outbound.queue(conn, remote, Action.CONFIRM)
        elif await store_value(conn, runtime.settings, store_id, AUTO_CONFIRM):
            await move_order(conn, runtime, store_id, placed["order_id"], OrderStatus.CONFIRMED)
        await record_event(conn, channel, merchant, event, "handled")


async def _refuse(runtime: Runtime, marketplace: Marketplace, merchant: Merchant,
                  event: MarketEvent, order: MarketOrder | None, error: PosError,
                  report: Report) -> bool:
    """Tell the marketplace we cannot take the order, then record why (the order is not ours)."""
    reason = await outbound.pick_reason(marketplace, merchant, event.external_id, refusal=True)
    await marketplace.act(merchant, event.external_id, Action.REQUEST_CANCELLATION, reason)
    problem = {"code": error.code, "message": error.message, "details": error.details}
    now = utcnow()
    async with runtime.db.transaction(merchant.client_id) as conn:
        await insert_ignore(
            conn, remote_orders, remote_order_id=new_uuid(), client_id=merchant.client_id,
            store_id=merchant.store_id, channel=marketplace.name, external_id=event.external_id,
            merchant_id=merchant.merchant_id,
            display_id=(order.display_id[:50] if order else None), order_id=None,
            status=RemoteStatus.REFUSED, problem=problem,
            placed_at=order.created_at if order else None, created_at=now, updated_at=now)
        await record_event(conn, marketplace.name, merchant, event, "handled")
        await emit(conn, "remote_orders.refused", client_id=merchant.client_id,
                   store_id=merchant.store_id, data={
                       "channel": marketplace.name, "external_id": event.external_id,
                       "reason": reason.code if reason else None, "problem": problem})
    report.refused.append({"external_id": event.external_id, "problem": error.code})
    log.warning("remote orders: %s order %s refused: %s", marketplace.name, event.external_id,
                error.message)
    return True


async def _cancelled(runtime: Runtime, channel: str, merchant: Merchant, event: MarketEvent,
                     report: Report) -> bool:
    """The marketplace cancelled: ours is cancelled too (unless it already closed)."""
    async with runtime.db.transaction(merchant.client_id) as conn:
        remote = await find_remote(conn, channel, event.external_id)
        if remote is None:
            return False  # its order was not taken yet: the next poll brings both again
        if remote.status == RemoteStatus.TAKEN:
            await conn.execute(update(remote_orders).where(
                remote_orders.c.remote_order_id == remote.remote_order_id).values(
                status=RemoteStatus.CANCELLED, updated_at=utcnow()))
            status = await conn.scalar(select(orders.c.status).where(
                orders.c.order_id == remote.order_id))
            if status is not None and status not in CLOSED_STATUSES:
                try:
                    await move_order(conn, runtime, remote.store_id, remote.order_id,
                                     OrderStatus.CANCELLED)
                except Conflict:
                    pass  # closed meanwhile: nothing to cancel
        await record_event(conn, channel, merchant, event, "handled")
    report.cancelled.append(event.external_id)
    return True
