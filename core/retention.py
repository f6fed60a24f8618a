"""How long each tenant keeps its plumbing rows, and the purge that enforces it.

Three tables only grow unless something deletes from them:

- ``outbox``: a row is needed until the relay has sent it; a sent row is kept a while longer
  (``POS_OUTBOX_RETENTION_DAYS``) to trace what went out. Rows not yet sent are never purged.
- ``processed_events``: the record that a subscription handled an event, or that a provider's
  webhook event was applied. It must outlive every redelivery of that event: RabbitMQ redelivers
  within minutes, but Asaas keeps undelivered webhook events for up to 14 days, hence a default
  of 30 days (``POS_PROCESSED_EVENTS_RETENTION_DAYS``).
- ``idempotency_keys``: a key is remembered until its ``expires_at`` (``POS_IDEMPOTENCY_TTL_HOURS``
  after it was claimed, as docs/orders-api.md promises); an expired key is already a new request.

The relay's sweep runs a :class:`PurgeSchedule`: every tenant is purged at the first sweep after
start-up, then at most once per ``POS_PURGE_INTERVAL_MINUTES``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete

from posmodern.core.config import Settings
from posmodern.core.db import Database
from posmodern.core.errors import NotFound
from posmodern.schema.tables import idempotency_keys, outbox, processed_events
from posmodern.schema.types import utcnow

log = logging.getLogger("posmodern.retention")


@dataclass(frozen=True)
class Retention:
    """How long sent outbox rows and handled-event records are kept, and how often to purge."""

    outbox: timedelta = timedelta(days=7)
    processed_events: timedelta = timedelta(days=30)
    interval: timedelta = timedelta(hours=1)

    @classmethod
    def from_settings(cls, settings: Settings) -> "Retention":
        """The retention ``settings`` ask for."""
        return cls(outbox=timedelta(days=settings.outbox_retention_days),
                   processed_events=timedelta(days=settings.processed_events_retention_days),
                   interval=timedelta(minutes=settings.purge_interval_minutes))


async def purge_tenant(db: Database, client_id: str, retention: Retention, *,
                       now: datetime | None = None) -> dict[str, int]:
    """Delete one tenant's rows past their retention; returns how many, per table."""
    now = now or utcnow()
    statements = {
        "outbox": delete(outbox).where(outbox.c.published_at.is_not(None),
                                       outbox.c.published_at < now - retention.outbox),
        "processed_events": delete(processed_events).where(
            processed_events.c.processed_at < now - retention.processed_events),
        "idempotency_keys": delete(idempotency_keys).where(idempotency_keys.c.expires_at <= now),
    }
    async with db.transaction(client_id) as conn:
        return {name: (await conn.execute(statement)).rowcount
                for name, statement in statements.items()}


class PurgeSchedule:
    """One process's purge: every tenant, at most once per ``retention.interval``.

    Several processes may purge the same tenant: the deletes are idempotent, and they only touch
    rows no relay, consumer or request still needs.
    """

    def __init__(self, db: Database, retention: Retention) -> None:
        self.db = db
        self.retention = retention
        self._next = float("-inf")  # the first sweep after start-up purges

    def due(self) -> bool:
        """Whether ``retention.interval`` has passed since the last purge."""
        return time.monotonic() >= self._next

    async def run(self, client_ids: list[str]) -> int:
        """Purge every one of ``client_ids``; returns how many rows were deleted."""
        self._next = time.monotonic() + self.retention.interval.total_seconds()
        deleted = 0
        for client_id in client_ids:
            try:
                deleted += sum((await purge_tenant(self.db, client_id, self.retention)).values())
            except asyncio.CancelledError:
                raise
            except NotFound:
                pass  # dropped meanwhile
            except Exception:  # noqa: BLE001 - one tenant's failure must not stop the others'
                log.exception("purge failed for tenant %s; trying again in %s", client_id,
                              self.retention.interval)
        return deleted
