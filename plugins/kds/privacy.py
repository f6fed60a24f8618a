"""LGPD for the kitchen display: a customer's name (and their order's notes) copied onto
tickets and into the change log the screens replay are removed on erasure."""

from __future__ import annotations

from sqlalchemy import select, update

from posmodern.schema.tables import kds_changes, kds_tickets, orders

PERSONAL = ("customer_name", "notes")


def _without(document):
    if not isinstance(document, dict) or not any(document.get(key) for key in PERSONAL):
        return None
    return {**document, **{key: None for key in PERSONAL if key in document}}


async def erase_tickets(conn, customer_id, store_id) -> dict:
    order_ids = select(orders.c.order_id).where(orders.c.customer_id == customer_id,
                                                orders.c.store_id == store_id)
    tickets = (await conn.execute(select(kds_tickets.c.ticket_id, kds_tickets.c.details)
                                  .where(kds_tickets.c.order_id.in_(order_ids)))).all()
    changed = {"kds_tickets": 0, "kds_changes": 0}
    for ticket in tickets:
        cleaned = _without(ticket.details)
        if cleaned is not None:
            await conn.execute(update(kds_tickets).where(kds_tickets.c.ticket_id ==
                                                         ticket.ticket_id).values(details=cleaned))
            changed["kds_tickets"] += 1
    ids = [ticket.ticket_id for ticket in tickets]
    if ids:
        for change in (await conn.execute(select(kds_changes.c.seq, kds_changes.c.ticket)
                                          .where(kds_changes.c.ticket_id.in_(ids)))).all():
            cleaned = _without(change.ticket)
            if cleaned is not None:
                await conn.execute(update(kds_changes).where(kds_changes.c.seq == change.seq)
                                   .values(ticket=cleaned))
                changed["kds_changes"] += 1
    return changed
