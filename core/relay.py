"""The outbox relay: committed outbox rows of every tenant, sent to the bus's transport.

A change and its event commit together (core/outbox.py); this is what sends the event after.
:class:`OutboxRelay` runs one task per process:

- **Wake-ups.** :meth:`OutboxRelay.notify` is called after each local commit that wrote outbox
  rows (``Database.on_outbox_commit``); the relay waits ``linger_seconds`` for the commits of a
  busy moment to gather, then sends the rows of the tenants that committed.
- **Sweeps.** Every ``poll_seconds`` it also relays every tenant of :meth:`pending_tenants`, so
  rows written by another process, or left behind by a failure, still go out. The sweep also
  counts the backlog and runs the purge of core/retention.py when it is due.
- **Batches.** Rows go oldest first, :data:`BATCH` at a time, each batch in one transaction:
  claimed (on PostgreSQL ``FOR UPDATE SKIP LOCKED``, so several relays never send the same
  batch twice), handed to the transport, which returns once the broker has them, then marked
  sent. A failure leaves them pending for the next round; a consumer drops a row sent twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import Text, bindparam, cast, func, select, update

from posmodern.core.db import Database
from posmodern.core.errors import NotFound
from posmodern.core.retention import PurgeSchedule, Retention
from posmodern.core.writes import fetch, one_of, write
from posmodern.schema.control import tenants
from posmodern.schema.tables import outbox
from posmodern.schema.types import utcnow

log = logging.getLogger("posmodern.relay")

BATCH = 200

#: Sends outbox rows (``event_id``, ``event_type``, ``payload`` as stored JSON text) and returns
#: once the broker holds every one of them; raises if it cannot.
Send = Callable[[list], Awaitable[None]]

# Pending outbox rows, oldest first; on PostgreSQL several relays skip each other's rows.
_PENDING = (select(outbox.c.seq, outbox.c.event_id, outbox.c.event_type,
                   cast(outbox.c.payload, Text).label("payload"))
            .where(outbox.c.published_at.is_(None)).order_by(outbox.c.seq)
            .limit(bindparam("batch")).with_for_update(skip_locked=True))
_MARK_SENT = {
    dialect: update(outbox).where(seqs).values(published_at=bindparam("now"),
                                               attempts=outbox.c.attempts + 1)
    for dialect, seqs in one_of(outbox.c.seq, "seqs").items()}
_BACKLOG = select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
_ACTIVE_TENANTS = select(tenants.c.client_id).where(tenants.c.status == "active")


@dataclass
class RelayStats:
    """What the relay counts (part of the bus's stats, shown by the dashboard and /metrics)."""

    published: int = 0
    backlog: int = 0
    purged: int = 0
    last_sweep: float = 0.0


class OutboxRelay:
    """Moves one database's committed outbox rows to a transport, in one task of this process.

    ``send`` is the transport (:data:`Send`); ``stats`` is where it counts (its own
    :class:`RelayStats` unless given one to share). Without ``retention`` nothing is purged.
    """

    def __init__(self, db: Database, send: Send, *, poll_seconds: float = 0.5,
                 linger_seconds: float = 0.0, retention: Retention | None = None,
                 stats: RelayStats | None = None) -> None:
        self.db = db
        self.send = send
        self.poll_seconds = poll_seconds
        self.linger_seconds = linger_seconds
        self.purge = PurgeSchedule(db, retention) if retention is not None else None
        self.stats = stats if stats is not None else RelayStats()
        self._dirty: set[str] = set()
        self._wake = asyncio.Event()
        self._closing = False
        self._task: asyncio.Task | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen to the database's commits and start relaying (the transport must be up)."""
        self._loop = asyncio.get_running_loop()
        self._closing = False
        self.db.on_outbox_commit(self.notify)
        self._task = asyncio.create_task(self._run(), name="pos-outbox-relay")

    async def stop(self) -> None:
        """Finish the round under way, send what is committed, and stop listening.

        The transport must still be up: this is the last chance of this process to send.
        """
        self._closing = True
        if self._task is not None:
            # Let the relay finish what it is sending (cancelling it in the middle of a database
            # transaction could leave that connection's transaction, and its locks, behind).
            self._wake.set()
            try:
                await asyncio.wait_for(asyncio.shield(self._task), timeout=30)
            except TimeoutError:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
            self._task = None
            try:
                await self.relay_once()
            except Exception:  # noqa: BLE001 - shutting down; the next process relays it
                log.warning("final outbox flush failed", exc_info=True)
        self.db.off_outbox_commit(self.notify)

    def notify(self, client_id: str | None = None) -> None:
        """Wake the relay: ``client_id`` committed outbox rows (thread-safe, never blocks)."""
        def wake() -> None:
            if client_id:
                self._dirty.add(client_id)
            self._wake.set()
        if self._loop is None:
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self._loop:
            wake()
        else:
            self._loop.call_soon_threadsafe(wake)

    async def _run(self) -> None:
        next_sweep = 0.0
        while not self._closing:
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_seconds)
                if self._closing:
                    return
                if self.linger_seconds:
                    # Let the commits of a busy moment gather: one relay transaction sends them
                    # all, instead of one per commit.
                    await asyncio.sleep(self.linger_seconds)
            except TimeoutError:
                pass
            self._wake.clear()
            try:
                if time.monotonic() >= next_sweep:
                    self._dirty.clear()
                    await self.relay_once()
                    await self.purge_due()
                    next_sweep = time.monotonic() + self.poll_seconds
                else:
                    dirty, self._dirty = self._dirty, set()
                    for client_id in dirty:
                        await self.relay_tenant(client_id)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - keep relaying; rows stay pending and are retried
                log.exception("outbox relay failed; retrying")
                await asyncio.sleep(min(5.0, self.poll_seconds * 4))

    # --- tenants -----------------------------------------------------------------------------

    async def active_tenants(self) -> list[str]:
        """Every active tenant (the purge's round)."""
        async with self.db.control_connection() as conn:
            return list(await conn.scalars(_ACTIVE_TENANTS))

    async def pending_tenants(self) -> list[str]:
        """The tenants a sweep relays: those that may have outbox rows not yet sent.

        The seam for knowing which tenants have events waiting: today every active tenant (a
        sweep reads each one's outbox). A relay told which tenants committed events, by any
        process, replaces this method and leaves the rest of the relay as it is.
        """
        return await self.active_tenants()

    # --- relaying ----------------------------------------------------------------------------

    async def relay_once(self) -> int:
        """Relay the pending rows of every tenant of :meth:`pending_tenants` and count the
        backlog; returns how many rows were sent."""
        sent = 0
        backlog = 0
        for client_id in await self.pending_tenants():
            try:
                sent += await self.relay_tenant(client_id)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - one tenant's failure must not stop the others'
                log.exception("outbox relay failed for tenant %s; retrying later", client_id)
            backlog += await self.backlog(client_id)
        self.stats.backlog = backlog
        self.stats.last_sweep = time.time()
        return sent

    async def backlog(self, client_id: str) -> int:
        """Outbox rows of a tenant not yet sent."""
        async with self.db.transaction(client_id) as conn:
            return await conn.scalar(_BACKLOG)

    async def relay_tenant(self, client_id: str) -> int:
        """Send one tenant's pending outbox rows, in batches, oldest first."""
        sent = 0
        while True:
            try:
                count = await self._relay_batch(client_id)
            except NotFound:
                return sent  # tenant dropped meanwhile
            sent += count
            if count < BATCH:
                return sent

    async def _relay_batch(self, client_id: str) -> int:
        async with self.db.transaction(client_id) as conn:
            rows = await fetch(conn, _PENDING, {"batch": BATCH})
            if not rows:
                return 0
            await self.send(rows)
            await write(conn, _MARK_SENT[conn.dialect.name],
                        {"seqs": [row.seq for row in rows], "now": utcnow()})
        self.stats.published += len(rows)
        return len(rows)

    async def purge_due(self) -> int:
        """Purge every active tenant if the retention interval has passed; returns rows
        deleted."""
        if self.purge is None or not self.purge.due():
            return 0
        deleted = await self.purge.run(await self.active_tenants())
        self.stats.purged += deleted
        return deleted
