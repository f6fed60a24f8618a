"""Tickets that follow orders: one per order and station once the order is confirmed, a new one
marked as an addition for items added later, voids and cancellations flagged until acknowledged.

The handler reconciles rather than replaying the event: for the order an event names it reads the
order as it is now and compares it with the tickets already made. Every live item of a confirmed
order belongs on exactly one ticket; an item on no ticket yet goes on a new one (round 0 for the
order's first ticket at that station, the next round after). A redelivered event, events out of
order, or two replicas handling events of one order (they take turns on a lock) therefore end in
the same tickets. Held items (``customizations: {"hold": true}``, a later course) go on a ticket
of their own that waits, ``HELD``, until the order's held items are fired. Items moved in from
another order after it reached the kitchen (``customizations.sent_with``) get no second ticket.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.core.events import Envelope, Subscription
from posmodern.core.ids import new_uuid
from posmodern.core.jsonable import json_safe
from posmodern.core.kitchen import Router
from posmodern.core.locks import serialize
from posmodern.plugins.kds.models import OPEN
from posmodern.plugins.kds.stations import store_stations
from posmodern.plugins.kds.tickets import record_changes
from posmodern.schema.tables import (categories, customers, kds_tickets, order_items, orders,
                                     products, tables)
from posmodern.schema.types import utcnow

ORDER_EVENTS = ("order.created", "order.status_updated", "order.items_changed", "order.cancelled",
                "order.table_changed")
#: Orders whose items the kitchen makes (later ones are done; earlier ones not confirmed yet).
TICKETED = ("CONFIRMED", "IN_PREPARATION")
GONE_ITEM_STATUSES = ("CANCELLED", "REMOVED")


def _held(customizations: Any) -> bool:
    return isinstance(customizations, dict) and customizations.get("hold") is True


def _sent(customizations: Any) -> bool:
    """Moved here from another order (a waiter's transfer) after reaching the kitchen: it is
    made on the ticket it is on already."""
    return isinstance(customizations, dict) and bool(customizations.get("sent_with"))


def _course(customizations: Any) -> Any:
    return customizations.get("course") if isinstance(customizations, dict) else None


def _ticket_item(item: Any) -> dict[str, Any]:
    return json_safe({"item_id": item.item_id, "product_id": item.product_id,
                      "product_name": item.product_name, "quantity": item.quantity,
                      "notes": item.notes, "customizations": item.customizations,
                      "modifiers": item.modifiers,
                      "course": _course(item.customizations), "done": False,
                      "done_at": None, "voided": False})


async def _details(conn: AsyncConnection, order: Any) -> dict[str, Any]:
    table_number = customer_name = None
    if order.table_id is not None:
        table_number = await conn.scalar(select(tables.c.table_number)
                                         .where(tables.c.table_id == order.table_id))
    # A name is shown for orders the customer collects (kiosk, delivery), not a table's guests.
    if order.customer_id is not None and order.source in ("kiosk", "remote"):
        customer_name = await conn.scalar(select(customers.c.name)
                                          .where(customers.c.customer_id == order.customer_id))
    return {"source": order.source, "table_number": table_number,
            "customer_name": customer_name, "notes": order.notes}


async def follow_order(envelope: Envelope, conn: AsyncConnection) -> None:
    try:
        order_id = uuid.UUID(str(envelope.data.get("order_id")))
    except ValueError:
        return
    await serialize(conn, "kds.order", order_id)
    order = (await conn.execute(
        select(orders.c.order_id, orders.c.client_id, orders.c.store_id, orders.c.order_number,
               orders.c.status, orders.c.source, orders.c.table_id, orders.c.customer_id,
               orders.c.notes).where(orders.c.order_id == order_id))).first()
    if order is None:
        return
    tickets = (await conn.execute(
        select(kds_tickets).where(kds_tickets.c.order_id == order_id)
        .order_by(kds_tickets.c.station, kds_tickets.c.round).with_for_update())).all()
    now = utcnow()
    if order.status == "CANCELLED":
        changes = [(t.ticket_id, "cancelled") for t in tickets
                   if t.status in (*OPEN, "HELD")]
        if changes:
            await conn.execute(update(kds_tickets).where(
                kds_tickets.c.ticket_id.in_([ticket_id for ticket_id, _ in changes])).values(
                status="CANCELLED", alert="cancelled", alert_at=now, updated_at=now))
        await record_changes(conn, order.client_id, order.store_id, changes)
        return
    if order.status not in TICKETED:
        return
    items = (await conn.execute(
        select(order_items.c.item_id, order_items.c.product_id, order_items.c.product_name,
               order_items.c.quantity, order_items.c.notes, order_items.c.customizations,
               order_items.c.modifiers,
               order_items.c.status, products.c.category_id, categories.c.parent_id)
        .join(products, products.c.product_id == order_items.c.product_id)
        .outerjoin(categories, categories.c.category_id == products.c.category_id)
        .where(order_items.c.order_id == order_id)
        .order_by(order_items.c.created_at, order_items.c.item_id))).all()
    gone = {str(i.item_id) for i in items if i.status in GONE_ITEM_STATUSES}
    details = await _details(conn, order)
    changes = await _flag_voids(conn, tickets, gone, now)
    changes += await _follow_table(conn, tickets, details["table_number"], now)
    ticketed = {entry["item_id"] for t in tickets for entry in (t.items or [])}
    fresh = [i for i in items
             if str(i.item_id) not in ticketed | gone and not _sent(i.customizations)]
    if fresh:
        router = Router(await store_stations(conn, order.client_id, order.store_id))
        groups: dict[tuple[str, bool], list[Any]] = defaultdict(list)
        for item in fresh:
            station = router.station_of(item.product_id, item.category_id, item.parent_id)
            groups[(station, _held(item.customizations))].append(item)
        rounds = defaultdict(lambda: -1)
        for ticket in tickets:
            rounds[ticket.station] = max(rounds[ticket.station], ticket.round)
        for (station, held), group in sorted(groups.items()):
            rounds[station] += 1
            ticket_id = new_uuid()
            await conn.execute(insert(kds_tickets).values(
                ticket_id=ticket_id, client_id=order.client_id, store_id=order.store_id,
                order_id=order_id, order_number=order.order_number, station=station,
                status="HELD" if held else "NEW", round=rounds[station],
                items=[_ticket_item(item) for item in group], details=details,
                fired_at=None if held else now, created_at=now, updated_at=now))
            changes.append((ticket_id, "created"))
    await record_changes(conn, order.client_id, order.store_id, changes)


async def _flag_voids(conn: AsyncConnection, tickets: list[Any], gone: set[str],
                      now) -> list[tuple[uuid.UUID, str]]:
    """Strike through items taken off the order; an open ticket flashes until acknowledged."""
    changes = []
    for ticket in tickets:
        entries = list(ticket.items or [])
        if not any(e["item_id"] in gone and not e.get("voided") for e in entries):
            continue
        entries = [{**e, "voided": True} if e["item_id"] in gone else e for e in entries]
        values: dict[str, Any] = {"items": entries, "updated_at": now}
        if ticket.status in (*OPEN, "HELD"):
            values.update(alert="void", alert_at=now)
        await conn.execute(update(kds_tickets).where(kds_tickets.c.ticket_id == ticket.ticket_id)
                           .values(**values))
        changes.append((ticket.ticket_id, "voided"))
    return changes


async def _follow_table(conn: AsyncConnection, tickets: list[Any], table_number: Any,
                        now) -> list[tuple[uuid.UUID, str]]:
    """Tickets still to make show the table the order is on now (a waiter moved the tab)."""
    changes = []
    for ticket in tickets:
        shown = dict(ticket.details or {})
        if ticket.status not in (*OPEN, "HELD") or shown.get("table_number") == table_number:
            continue
        await conn.execute(update(kds_tickets).where(kds_tickets.c.ticket_id == ticket.ticket_id)
                           .values(details={**shown, "table_number": table_number},
                                   updated_at=now))
        changes.append((ticket.ticket_id, "moved"))
    return changes


def subscriptions() -> list[Subscription]:
    return [Subscription("kds.follow_orders", ORDER_EVENTS, follow_order)]
