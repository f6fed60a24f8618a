"""The live stream of a station's tickets (``GET /api/v1/kds/stream``), resumable.

A screen connecting afresh gets a ``snapshot`` of the tickets on screen, numbered with the store's
last change; then every ``ticket`` change after it, each numbered (the SSE ``id``). A screen that
reconnects with ``Last-Event-ID`` gets every change it missed from ``kds_changes`` first, so a
dropped connection loses nothing (a screen away for longer than the changes are kept gets a
snapshot again). Changes are pushed as they commit: every process keeps a
:class:`Hub` woken by the ``kds.ticket_changed`` events it sees (a broadcast, so each replica
hears every change); a stream also looks every few seconds in case a wake-up was lost.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import func, select

from posmodern.core import sse
from posmodern.core.api import RequestContext
from posmodern.core.events import Broadcast, Envelope
from posmodern.core.runtime import Runtime
from posmodern.plugins.kds.models import StreamQuery
from posmodern.plugins.kds.stations import check_station
from posmodern.plugins.kds.tickets import CHANGED
from posmodern.plugins.kds.views import screen_tickets
from posmodern.schema.tables import kds_changes, kds_tickets

STATE_KEY = "kds"
#: How often a stream looks for changes when no wake-up came (a lost broadcast, say).
LOOK_EVERY_SECONDS = 3.0
BATCH = 200


class Hub:
    """Streams of this process waiting for their store's next change."""

    def __init__(self) -> None:
        self._waiting: dict[tuple[str, str], set[asyncio.Event]] = defaultdict(set)

    def join(self, client_id: str, store_id: str) -> asyncio.Event:
        event = asyncio.Event()
        self._waiting[(client_id, store_id)].add(event)
        return event

    def leave(self, client_id: str, store_id: str, event: asyncio.Event) -> None:
        waiting = self._waiting.get((client_id, store_id))
        if waiting is not None:
            waiting.discard(event)
            if not waiting:
                del self._waiting[(client_id, store_id)]

    def listen(self, envelope: Envelope) -> None:
        for event in self._waiting.get((envelope.client_id, envelope.store_id), ()):
            event.set()

    def broadcast(self) -> Broadcast:
        return Broadcast("kds.screens", (CHANGED,), self.listen)


def _last_event_id(ctx: RequestContext, query: StreamQuery) -> int | None:
    raw = ctx.request.headers.get("last-event-id")
    if raw is not None and raw.strip().isdigit():
        return int(raw.strip())
    return query.after


async def stream(ctx: RequestContext):
    query: StreamQuery = ctx.query
    async with ctx.transaction() as conn:
        station = await check_station(conn, ctx, query.station)
    code = station.code if station is not None and station.kind == "prep" else None
    return sse.EventStream(changes(ctx.runtime, ctx.client_id, ctx.store_id, code,
                                   _last_event_id(ctx, query)))


async def changes(runtime: Runtime, client_id: str, store_id: str, station: str | None,
                  after: int | None) -> AsyncIterator[bytes]:
    """The SSE events of one screen (``station`` None: every station's)."""
    hub: Hub = runtime.state[STATE_KEY]
    woken = hub.join(client_id, store_id)
    try:
        async with runtime.db.transaction(client_id) as conn:
            first, last = (await conn.execute(
                select(func.min(kds_changes.c.seq), func.max(kds_changes.c.seq))
                .where(kds_changes.c.store_id == store_id))).one()
            last = last or 0
            # Unknown to this store (never seen, or numbered before a restore), or older than
            # the changes kept (purged, plugins/kds/retention.py): start afresh.
            fresh = after is None or after > last or (first is not None and after < first - 1)
            if fresh:
                where = kds_tickets.c.station == station if station else None
                tickets = await screen_tickets(conn, store_id, where)
        if fresh:
            yield sse.event({"tickets": tickets}, name="snapshot", id=str(last))
            after = last
        while True:
            woken.clear()
            rows = await _after(runtime, client_id, store_id, station, after)
            for row in rows:
                yield sse.event({"change": row.change, "ticket": row.ticket}, name="ticket",
                                id=str(row.seq))
                after = row.seq
            if len(rows) == BATCH:
                continue
            try:
                await asyncio.wait_for(woken.wait(), timeout=LOOK_EVERY_SECONDS)
            except TimeoutError:
                pass
    finally:
        hub.leave(client_id, store_id, woken)


async def _after(runtime: Runtime, client_id: str, store_id: str, station: str | None,
                 after: int) -> list[Any]:
    query = select(kds_changes.c.seq, kds_changes.c.change, kds_changes.c.ticket).where(
        kds_changes.c.store_id == store_id, kds_changes.c.seq > after)
    if station:
        query = query.where(kds_changes.c.station == station)
    async with runtime.db.transaction(client_id) as conn:
        return (await conn.execute(query.order_by(kds_changes.c.seq).limit(BATCH))).all()
