"""Which events (bus messages, provider webhooks) a consumer has already handled.

A consumer records an event's id in the transaction that applies it; a redelivery finds the record
and changes nothing. The records are purged after ``POS_PROCESSED_EVENTS_RETENTION_DAYS``.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.core.writes import insert_ignore
from posmodern.schema.tables import processed_events
from posmodern.schema.types import utcnow


async def first_delivery(conn: AsyncConnection, consumer: str, event_id: str) -> bool:
    """Record that ``consumer`` handles ``event_id`` in this transaction; False if it already
    did (the caller then skips the event)."""
    return await insert_ignore(conn, processed_events, consumer=consumer, event_id=event_id,
                               processed_at=utcnow())
