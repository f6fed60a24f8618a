"""What our marketplace orders do, told to their marketplace: confirm, start preparation, ready,
dispatch, and our cancellation with one of their reasons.

Our order's ``order.status_updated`` queues the matching action in ``remote_actions`` (once per
order and action, in the handler's transaction); the poller sends what is queued, in the order
it was queued, retrying with a growing wait when the marketplace fails. A cancellation that came
from the marketplace is not sent back.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.core.db import written
from posmodern.core.events import Envelope, Subscription
from posmodern.core.ids import new_uuid
from posmodern.core.marketplaces import Action, CancellationReason, Marketplace, Merchant
from posmodern.core.orders import OrderStatus
from posmodern.core.runtime import Runtime
from posmodern.core.store_settings import store_values
from posmodern.core.writes import insert_ignore
from posmodern.plugins.remote_orders.settings import MAX_ATTEMPTS
from posmodern.schema.tables import remote_actions, remote_orders
from posmodern.schema.types import utcnow

log = logging.getLogger("posmodern.remote_orders")
#: The commit topic (core/db.py ``written``) of a transaction that queued actions.
ACTIONS_WRITTEN = "remote_orders.actions"

#: Our order's new status -> what the marketplace is told.
ACTION_OF = {OrderStatus.CONFIRMED: Action.CONFIRM,
             OrderStatus.IN_PREPARATION: Action.START_PREPARATION,
             OrderStatus.READY: Action.READY_TO_PICKUP,
             OrderStatus.DELIVERED: Action.DISPATCH,
             OrderStatus.CANCELLED: Action.REQUEST_CANCELLATION}
#: Words of a reason that fits an order we cannot take (an item not on our menu).
REFUSAL_WORDS = ("indispon", "unavailable", "cardápio", "menu")
PENDING, SENT, FAILED = "PENDING", "SENT", "FAILED"
RETRY_MAX = timedelta(minutes=5)


async def queue(conn: AsyncConnection, remote: Mapping[str, Any], action: Action,
                reason: CancellationReason | None = None) -> bool:
    """Queue ``action`` for the marketplace order ``remote`` (a ``remote_orders`` row); False
    when it was queued before. The poller of this process sends it once the transaction
    commits (``ACTIONS_WRITTEN``)."""
    written(conn, ACTIONS_WRITTEN)
    return await insert_ignore(
        conn, remote_actions, action_id=new_uuid(), client_id=remote["client_id"],
        store_id=remote["store_id"], channel=remote["channel"],
        external_id=remote["external_id"], merchant_id=remote["merchant_id"],
        action=str(action), status=PENDING, attempts=0, created_at=utcnow(),
        reason=({"code": reason.code, "description": reason.description} if reason else None))


async def follow_order(envelope: Envelope, conn: AsyncConnection) -> None:
    """``order.status_updated`` of one of our marketplace orders: queue what to tell them."""
    order = envelope.data.get("order") or {}
    action = ACTION_OF.get(envelope.data.get("new_status"))
    if order.get("source") != "remote" or action is None:
        return
    try:
        order_id = uuid.UUID(str(order.get("order_id")))
    except ValueError:
        return
    remote = (await conn.execute(select(remote_orders).where(
        remote_orders.c.order_id == order_id))).first()
    if remote is None or remote.status != "TAKEN":
        return  # not a marketplace's, or cancelled by the marketplace itself
    await queue(conn, remote._mapping, action)


def subscriptions() -> list[Subscription]:
    return [Subscription("remote_orders.follow_orders", ("order.status_updated",), follow_order)]


async def pick_reason(marketplace: Marketplace, merchant: Merchant, external_id: str, *,
                      refusal: bool = False, code: str | None = None) -> CancellationReason | None:
    """The marketplace's reason named ``code``, else (refusing an order) one about items not
    available, else its first."""
    reasons = await marketplace.cancellation_reasons(merchant, external_id)
    if code is not None:
        return next((r for r in reasons if r.code == code), None)
    if refusal:
        fitting = [r for r in reasons
                   if any(word in r.description.lower() for word in REFUSAL_WORDS)]
        if fitting:
            return fitting[0]
    return reasons[0] if reasons else None


async def merchant_of(runtime: Runtime, conn: AsyncConnection, marketplace: Marketplace,
                      client_id: str, store_id: str, merchant_id: str) -> Merchant:
    values = await store_values(conn, runtime.settings, store_id, marketplace.settings)
    return Merchant(client_id, store_id, merchant_id, values)


async def send_pending(runtime: Runtime, marketplaces: dict[str, Marketplace],
                       client_id: str) -> dict[str, int]:
    """Send the tenant's queued actions that are due; returns how many were sent and failed."""
    now = utcnow()
    async with runtime.db.transaction(client_id) as conn:
        rows = (await conn.execute(select(remote_actions).where(
            remote_actions.c.status == PENDING,
            or_(remote_actions.c.next_attempt_at.is_(None),
                remote_actions.c.next_attempt_at <= now))
            .order_by(remote_actions.c.created_at, remote_actions.c.action_id))).all()
        merchants = {}
        for row in rows:
            key = (row.channel, row.store_id, row.merchant_id)
            if key not in merchants and row.channel in marketplaces:
                merchants[key] = await merchant_of(runtime, conn, marketplaces[row.channel],
                                                   client_id, row.store_id, row.merchant_id)
    counts = {"sent": 0, "failed": 0}
    blocked: set[tuple[str, str]] = set()
    for row in rows:
        order_key = (row.channel, row.external_id)
        marketplace = marketplaces.get(row.channel)
        if marketplace is None or order_key in blocked:
            continue  # an earlier action of the order failed: keep their order
        merchant = merchants[(row.channel, row.store_id, row.merchant_id)]
        if await _send(runtime, marketplace, merchant, row):
            counts["sent"] += 1
        else:
            counts["failed"] += 1
            blocked.add(order_key)
    return counts


async def _send(runtime: Runtime, marketplace: Marketplace, merchant: Merchant, row) -> bool:
    try:
        reason = None
        if row.action == Action.REQUEST_CANCELLATION:
            reason = (CancellationReason(**row.reason) if row.reason else
                      await pick_reason(marketplace, merchant, row.external_id))
        await marketplace.act(merchant, row.external_id, Action(row.action), reason)
    except Exception as exc:  # noqa: BLE001 - any failure is retried later
        await _failed(runtime, merchant.client_id, row, f"{type(exc).__name__}: {exc}")
        return False
    async with runtime.db.transaction(merchant.client_id) as conn:
        await conn.execute(update(remote_actions).where(
            remote_actions.c.action_id == row.action_id).values(
            status=SENT, attempts=row.attempts + 1, sent_at=utcnow(), last_error=None))
    return True


async def _failed(runtime: Runtime, client_id: str, row, error: str) -> None:
    attempts = row.attempts + 1
    wait = min(RETRY_MAX, timedelta(seconds=2 ** min(attempts, 10)))
    gave_up = attempts >= MAX_ATTEMPTS.value(runtime.settings)
    async with runtime.db.transaction(client_id) as conn:
        await conn.execute(update(remote_actions).where(
            remote_actions.c.action_id == row.action_id).values(
            status=FAILED if gave_up else PENDING, attempts=attempts, last_error=error[:500],
            next_attempt_at=utcnow() + wait))
    log.warning("remote orders: %s %s of order %s failed (attempt %s): %s", row.channel,
                row.action, row.external_id, attempts, error)
