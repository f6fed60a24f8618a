"""Tickets as screens see them, and the numbered changes a screen replays.

Every change of a ticket is written to ``kds_changes`` in the transaction that made it, numbered
per store, with the ticket as it now is, and announced by a ``kds.ticket_changed`` event (the
outbox: it exists exactly when the change committed). On PostgreSQL the writers of one store take
turns on an advisory lock held to their commit, so the numbers are given in commit order: a
screen that has read up to change ``n`` can never later find a committed change below ``n``.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.core.errors import NotFound
from posmodern.core.events import emit
from posmodern.core.jsonable import json_safe
from posmodern.core.locks import serialize
from posmodern.schema.tables import kds_changes, kds_tickets
from posmodern.schema.types import utcnow

CHANGED = "kds.ticket_changed"


class TicketNotFound(NotFound):
    code = "ticket_not_found"


def ticket_view(row: Any) -> dict[str, Any]:
    """A ticket as the API, the stream and the screens show it."""
    data = row._mapping if hasattr(row, "_mapping") else row
    details = data.get("details") or {}
    return json_safe({
        "ticket_id": data["ticket_id"], "order_id": data["order_id"],
        "order_number": data["order_number"], "station": data["station"],
        "status": data["status"], "round": data["round"], "addition": data["round"] > 0,
        "source": details.get("source"), "table_number": details.get("table_number"),
        "customer_name": details.get("customer_name"), "notes": details.get("notes"),
        "items": list(data["items"] or []), "alert": data["alert"],
        "alert_at": data["alert_at"], "created_at": data["created_at"],
        "fired_at": data["fired_at"], "started_at": data["started_at"],
        "bumped_at": data["bumped_at"], "recalled_at": data["recalled_at"]})


async def load_ticket(conn: AsyncConnection, ticket_id: uuid.UUID) -> Any:
    return (await conn.execute(select(kds_tickets).where(kds_tickets.c.ticket_id == ticket_id))
            ).first()


async def record_changes(conn: AsyncConnection, client_id: str, store_id: str,
                         changes: list[tuple[uuid.UUID, str]]) -> None:
    """Number ``changes`` (ticket id, what happened) for the screens, with each ticket as it now
    is, and announce them; call last in the transaction (the store's lock is held to commit)."""
    if not changes:
        return
    await serialize(conn, "kds.changes", client_id, store_id)
    now = utcnow()
    for ticket_id, change in changes:
        view = ticket_view(await load_ticket(conn, ticket_id))
        await conn.execute(insert(kds_changes).values(
            store_id=store_id, station=view["station"], ticket_id=ticket_id, change=change,
            ticket=view, created_at=now))
        await emit(conn, CHANGED, client_id=client_id, store_id=store_id, data={
            "ticket_id": ticket_id, "order_id": view["order_id"],
            "order_number": view["order_number"], "station": view["station"],
            "status": view["status"], "change": change, "alert": view["alert"]})
