"""Which events (bus messages, provider webhooks) a consumer has already handled.

A consumer records an event's id in the transaction that applies it; a redelivery finds the record
and changes nothing. The records are purged after ``POS_PROCESSED_EVENTS_RETENTION_DAYS``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ARRAY, String, bindparam, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.core.writes import fetch, insert_ignore
from posmodern.schema.tables import processed_events
from posmodern.schema.types import UTCDateTime, utcnow

# PostgreSQL: a batch of ids in one statement of fixed text, whatever their number.
_RECORD_MANY = insert(processed_events).from_select(
    ["consumer", "event_id", "processed_at"],
    select(bindparam("consumer", type_=String()).label("consumer"),
           func.unnest(bindparam("event_ids", type_=ARRAY(String()))).label("event_id"),
           bindparam("processed_at", type_=UTCDateTime()).label("processed_at")),
).on_conflict_do_nothing().returning(processed_events.c.event_id)


async def first_delivery(conn: AsyncConnection, consumer: str, event_id: str, *,
                         at: datetime | None = None) -> bool:
    """Record that ``consumer`` handles ``event_id`` in this transaction (``at``: now); False
    if it already did (the caller then skips the event)."""
    return await insert_ignore(conn, processed_events, consumer=consumer, event_id=event_id,
                               processed_at=at or utcnow())


async def first_deliveries(conn: AsyncConnection, consumer: str, event_ids: list[str]
                           ) -> set[str]:
    """:func:`first_delivery` for several events at once: the ids of ``event_ids`` that
    ``consumer`` had not handled yet (each recorded now, in this transaction)."""
    unique, at = list(dict.fromkeys(event_ids)), utcnow()
    if conn.dialect.name != "postgresql":
        return {event_id for event_id in unique
                if await first_delivery(conn, consumer, event_id, at=at)}
    rows = await fetch(conn, _RECORD_MANY, {"consumer": consumer, "event_ids": unique,
                                            "processed_at": at})
    return {row.event_id for row in rows}
