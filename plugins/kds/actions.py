"""What cooks do to a ticket: start, bump, recall, tick an item, acknowledge a void or a
cancellation; and what a waiter does to an order's held course: fire it.

A ticket's start moves its order to ``IN_PREPARATION``, and the bump that leaves none of the
order's tickets unbumped moves it to ``READY``, through the orders plugin: its hook
``pos_order_kitchen_status`` in this transaction when it runs in this process, else the
``kds.order_progress`` event it handles in its own.
"""

from __future__ import annotations

import uuid
from typing import Any

import pluggy
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.core.api import RequestContext
from posmodern.core.asyncio_hooks import call_hook
from posmodern.core.errors import Conflict, NotFound
from posmodern.core.events import emit
from posmodern.plugins.kds.models import OPEN, ItemDone
from posmodern.plugins.kds.tickets import TicketNotFound, record_changes, ticket_view
from posmodern.schema.tables import kds_tickets
from posmodern.schema.types import utcnow

PROGRESS = "kds.order_progress"


class TicketStateConflict(Conflict):
    code = "ticket_state"


async def _locked(conn: AsyncConnection, ctx: RequestContext) -> Any:
    ticket_id = ctx.path["ticket_id"]
    row = (await conn.execute(select(kds_tickets).where(
        kds_tickets.c.ticket_id == ticket_id, kds_tickets.c.store_id == ctx.store_id)
        .with_for_update())).first()
    if row is None:
        raise TicketNotFound(f"no ticket {ticket_id}", details={"ticket_id": str(ticket_id)})
    return row


def _refuse(ticket: Any, action: str, allowed: tuple[str, ...], code: str) -> None:
    if ticket.status not in allowed:
        raise TicketStateConflict(
            f"a {ticket.status} ticket cannot be {action}; only {' or '.join(allowed)} ones",
            code=code, details={"status": ticket.status, "allowed": list(allowed)})


async def _save(conn: AsyncConnection, ctx: RequestContext, ticket: Any, change: str,
                **values: Any) -> Any:
    await conn.execute(update(kds_tickets).where(kds_tickets.c.ticket_id == ticket.ticket_id)
                       .values(**values, updated_at=utcnow()))
    return (await conn.execute(select(kds_tickets).where(
        kds_tickets.c.ticket_id == ticket.ticket_id))).first()


async def tell_orders(conn: AsyncConnection, hooks: pluggy.HookRelay, ticket: Any,
                      status: str) -> None:
    """Ask the orders plugin to move the ticket's order to ``status``."""
    if hooks.pos_order_kitchen_status.get_hookimpls():
        await call_hook(hooks.pos_order_kitchen_status, conn=conn, order_id=ticket.order_id,
                        status=status, hooks=hooks)
        return
    await emit(conn, PROGRESS, client_id=ticket.client_id, store_id=ticket.store_id,
               data={"order_id": ticket.order_id, "order_number": ticket.order_number,
                     "status": status})


async def _order_done(conn: AsyncConnection, order_id: uuid.UUID) -> bool:
    """Whether every ticket of the order that is not cancelled is bumped."""
    statuses = set((await conn.scalars(select(kds_tickets.c.status).where(
        kds_tickets.c.order_id == order_id))).all())
    return not (statuses - {"BUMPED", "CANCELLED"}) and "BUMPED" in statuses


async def _act(ctx: RequestContext, change: str, allowed: tuple[str, ...], code: str,
               values) -> dict:
    async with ctx.transaction() as conn:
        ticket = await _locked(conn, ctx)
        _refuse(ticket, change, allowed, code)
        now = utcnow()
        saved = await _save(conn, ctx, ticket, change, **values(ticket, now))
        hooks = ctx.runtime.pm.hook
        if change == "started":
            await tell_orders(conn, hooks, saved, "IN_PREPARATION")
        elif change == "bumped":
            await tell_orders(conn, hooks, saved,
                              "READY" if await _order_done(conn, saved.order_id)
                              else "IN_PREPARATION")
        await record_changes(conn, ticket.client_id, ticket.store_id,
                             [(ticket.ticket_id, change)])
    return ticket_view(saved)


async def start_ticket(ctx: RequestContext) -> dict:
    return await _act(ctx, "started", ("NEW",), "ticket_not_new",
                      lambda ticket, now: {"status": "STARTED", "started_at": now})


async def bump_ticket(ctx: RequestContext) -> dict:
    return await _act(ctx, "bumped", OPEN, "already_bumped",
                      lambda ticket, now: {"status": "BUMPED", "bumped_at": now})


async def recall_ticket(ctx: RequestContext) -> dict:
    return await _act(ctx, "recalled", ("BUMPED",), "not_bumped", lambda ticket, now: {
        "status": "STARTED" if ticket.started_at else "NEW", "bumped_at": None,
        "recalled_at": now})


async def acknowledge_ticket(ctx: RequestContext) -> dict:
    async with ctx.transaction() as conn:
        ticket = await _locked(conn, ctx)
        if ticket.alert is None:
            raise TicketStateConflict("the ticket has nothing to acknowledge",
                                      code="nothing_to_acknowledge")
        saved = await _save(conn, ctx, ticket, "acknowledged", alert=None)
        await record_changes(conn, ticket.client_id, ticket.store_id,
                             [(ticket.ticket_id, "acknowledged")])
    return ticket_view(saved)


async def item_done(ctx: RequestContext) -> dict:
    body: ItemDone = ctx.body or ItemDone()
    item_id = str(ctx.path["item_id"])
    async with ctx.transaction() as conn:
        ticket = await _locked(conn, ctx)
        entries = list(ticket.items or [])
        if not any(entry["item_id"] == item_id for entry in entries):
            raise NotFound(f"ticket {ticket.ticket_id} has no item {item_id}",
                           code="item_not_found", details={"item_id": item_id})
        _refuse(ticket, "changed", OPEN, "ticket_closed")
        now = utcnow().isoformat()
        entries = [{**entry, "done": body.done, "done_at": now if body.done else None}
                   if entry["item_id"] == item_id else entry for entry in entries]
        saved = await _save(conn, ctx, ticket, "item", items=entries)
        await record_changes(conn, ticket.client_id, ticket.store_id,
                             [(ticket.ticket_id, "item_done" if body.done else "item_undone")])
    return ticket_view(saved)


async def fire_order(ctx: RequestContext) -> dict:
    """The held course of an order goes to the kitchen now."""
    order_id = ctx.path["order_id"]
    async with ctx.transaction() as conn:
        rows = (await conn.execute(select(kds_tickets).where(
            kds_tickets.c.order_id == order_id, kds_tickets.c.store_id == ctx.store_id)
            .with_for_update())).all()
        if not rows:
            raise NotFound(f"no kitchen tickets for order {order_id}", code="order_not_found",
                           details={"order_id": str(order_id)})
        held = [row for row in rows if row.status == "HELD"]
        if not held:
            raise TicketStateConflict("the order has nothing held to fire", code="nothing_held")
        now = utcnow()
        await conn.execute(update(kds_tickets).where(
            kds_tickets.c.ticket_id.in_([row.ticket_id for row in held])).values(
            status="NEW", fired_at=now, updated_at=now))
        await record_changes(conn, ctx.client_id, ctx.store_id,
                             [(row.ticket_id, "fired") for row in held])
        fired = (await conn.execute(select(kds_tickets).where(
            kds_tickets.c.ticket_id.in_([row.ticket_id for row in held]))
            .order_by(kds_tickets.c.station))).all()
    return {"items": [ticket_view(row) for row in fired]}
