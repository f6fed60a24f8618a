"""The remote_orders API: webhooks, the store's marketplace orders and events, their status,
our cancellation with the marketplace's reasons, and a poll on demand."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import Field
from sqlalchemy import select

from posmodern.core.api import RequestContext
from posmodern.core.bodies import Strict
from posmodern.core.errors import NotFound, ServiceUnavailable, ValidationFailed
from posmodern.core.marketplaces import Action, Marketplace, MarketplaceUnavailable, Merchant
from posmodern.core.order_desk import move_order
from posmodern.core.orders import OrderStatus
from posmodern.core.tenancy import tenant_for_reference
from posmodern.plugins.remote_orders import intake, outbound, registry
from posmodern.plugins.remote_orders.poller import Poller
from posmodern.schema.tables import remote_events, remote_orders

PAGE = 200


class CancelBody(Strict):
    reason_code: str = Field(min_length=1, max_length=50)


class EventQuery(Strict):
    outcome: str | None = Field(default=None, pattern="^(handled|ignored|unknown)$")


def poller_of(ctx: RequestContext) -> Poller:
    poller = ctx.runtime.state.get(registry.PLUGIN)
    if poller is None:
        raise ServiceUnavailable("remote orders are not running", code="remote_orders_stopped")
    return poller


def _remote_view(row) -> dict[str, Any]:
    return {name: getattr(row, name) for name in (
        "channel", "external_id", "merchant_id", "display_id", "order_id", "status", "problem",
        "scheduled_for", "placed_at", "created_at")}


async def list_orders(ctx: RequestContext) -> dict:
    async with ctx.transaction() as conn:
        rows = (await conn.execute(select(remote_orders).where(
            remote_orders.c.store_id == ctx.store_id)
            .order_by(remote_orders.c.created_at.desc()).limit(PAGE))).all()
    return {"items": [_remote_view(row) for row in rows]}


async def list_events(ctx: RequestContext) -> dict:
    query = select(remote_events).where(remote_events.c.store_id == ctx.store_id)
    if ctx.query.outcome:
        query = query.where(remote_events.c.outcome == ctx.query.outcome)
    async with ctx.transaction() as conn:
        rows = (await conn.execute(query.order_by(remote_events.c.created_at.desc())
                                   .limit(PAGE))).all()
    return {"items": [{"channel": r.channel, "event_id": r.event_id, "code": r.code,
                       "external_id": r.external_id, "outcome": r.outcome,
                       "occurred_at": r.occurred_at, "received_at": r.created_at}
                      for r in rows]}


async def status(ctx: RequestContext) -> dict:
    """Per marketplace serving the store: the last polls, an alert, and whether the marketplace
    shows the store open."""
    poller = poller_of(ctx)
    answer = []
    for marketplace in poller.marketplaces.values():
        merchants = await registry.tenant_merchants(ctx.runtime, ctx.client_id, marketplace)
        for merchant in (m for m in merchants if m.store_id == ctx.store_id):
            health = poller.health.get((marketplace.name, ctx.client_id, ctx.store_id))
            try:
                store = await marketplace.store_status(merchant)
            except MarketplaceUnavailable as error:
                store = {"open": None, "error": error.message}
            answer.append({"channel": marketplace.name, "merchant_id": merchant.merchant_id,
                           "polling": health.to_dict() if health else None, "store": store})
    return {"marketplaces": answer}


async def _remote_of_order(ctx: RequestContext) -> tuple[Marketplace, Merchant, Any]:
    order_id: uuid.UUID = ctx.path["order_id"]
    poller = poller_of(ctx)
    async with ctx.transaction() as conn:
        remote = (await conn.execute(select(remote_orders).where(
            remote_orders.c.order_id == order_id,
            remote_orders.c.store_id == ctx.store_id))).first()
        if remote is None:
            raise NotFound(f"order {order_id} did not come from a marketplace",
                           code="remote_order_not_found")
        marketplace = registry.marketplace_of(poller.marketplaces, remote.channel)
        merchant = await outbound.merchant_of(ctx.runtime, conn, marketplace, ctx.client_id,
                                              ctx.store_id, remote.merchant_id)
    return marketplace, merchant, remote


async def cancellation_reasons(ctx: RequestContext) -> dict:
    marketplace, merchant, remote = await _remote_of_order(ctx)
    reasons = await marketplace.cancellation_reasons(merchant, remote.external_id)
    return {"channel": marketplace.name,
            "reasons": [{"code": r.code, "description": r.description} for r in reasons]}


async def cancel(ctx: RequestContext) -> dict:
    """Cancel our marketplace order with one of the marketplace's reasons (sent by the poller)."""
    marketplace, merchant, remote = await _remote_of_order(ctx)
    reason = await outbound.pick_reason(marketplace, merchant, remote.external_id,
                                        code=ctx.body.reason_code)
    if reason is None:
        raise ValidationFailed("not one of the marketplace's cancellation reasons",
                               code="unknown_reason", details={"reason_code": ctx.body.reason_code})
    async with ctx.transaction() as conn:
        await outbound.queue(conn, remote._mapping, Action.REQUEST_CANCELLATION, reason)
        order = await move_order(conn, ctx.runtime, ctx.store_id, remote.order_id,
                                 OrderStatus.CANCELLED)
    poller_of(ctx).wake()
    return order


async def poll(ctx: RequestContext) -> dict:
    """Poll the tenant's marketplaces now and send what is queued."""
    return {"merchants": await poller_of(ctx).poll_once(ctx.client_id)}


async def webhook(ctx: RequestContext) -> dict:
    """A marketplace's notification: its signature checked, its events handled as polled ones
    (the poll that brings them again acknowledges them)."""
    poller = poller_of(ctx)
    marketplace = registry.marketplace_of(poller.marketplaces, ctx.path["source"])
    body = await ctx.raw_body()
    headers = {k.lower(): v for k, v in ctx.request.headers.items()}
    events = marketplace.parse_webhook(headers, body)
    handled = 0
    for merchant_id in sorted({event.merchant_id for event in events}):
        client_id = await tenant_for_reference(ctx.runtime.db, f"remote:{marketplace.name}",
                                               merchant_id)
        merchant = await _merchant(ctx, marketplace, client_id, merchant_id)
        if merchant is None:
            continue  # a merchant no store of ours serves: nothing to do
        report = await intake.handle_events(
            ctx.runtime, marketplace, merchant,
            [e for e in events if e.merchant_id == merchant_id], acknowledge=False)
        handled += len(report.taken) + len(report.cancelled) + len(report.refused)
    poller.wake()
    return {"received": len(events), "handled": handled}


async def _merchant(ctx: RequestContext, marketplace: Marketplace, client_id: str | None,
                    merchant_id: str) -> Merchant | None:
    if client_id is None:
        return None
    merchants = await registry.tenant_merchants(ctx.runtime, client_id, marketplace)
    return next((m for m in merchants if m.merchant_id == merchant_id), None)
