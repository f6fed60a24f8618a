"""The floor's live stream (``GET /api/v1/waiter/stream``): the store's tables as they change.

A page connecting gets a ``snapshot`` of every table, then a ``table`` event for each table whose
state, tab or waiter changed. The stream is woken by ``waiter.table_changed`` (a broadcast: each
process hears every change) and looks anyway every few seconds in case a wake-up was lost; it
compares the tables with what it sent, so a page never misses a change and a reconnecting page
starts from a fresh snapshot.
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

from posmodern.core import sse
from posmodern.core.api import RequestContext
from posmodern.core.events import Broadcast, Envelope, json_default
from posmodern.core.runtime import Runtime
from posmodern.plugins.waiter.floor import list_store_tables
from posmodern.plugins.waiter.states import CHANGED

STATE_KEY = "waiter"
LOOK_EVERY_SECONDS = 3.0


class Hub:
    """Streams of this process waiting for their store's next table change."""

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
        return Broadcast("waiter.floor_screens", (CHANGED,), self.listen)


async def stream(ctx: RequestContext):
    return sse.EventStream(changes(ctx.runtime, ctx.client_id, ctx.store_id))


async def _tables(runtime: Runtime, client_id: str, store_id: str) -> dict[str, dict]:
    async with runtime.db.transaction(client_id) as conn:
        rows = await list_store_tables(conn, store_id)
    return {str(row["table_id"]): json.loads(json.dumps(row, default=json_default))
            for row in rows}


async def changes(runtime: Runtime, client_id: str, store_id: str) -> AsyncIterator[bytes]:
    """The SSE events of one floor page."""
    hub: Hub = runtime.state[STATE_KEY]
    woken = hub.join(client_id, store_id)
    try:
        sent: dict[str, Any] = await _tables(runtime, client_id, store_id)
        yield sse.event({"tables": list(sent.values())}, name="snapshot")
        while True:
            try:
                await asyncio.wait_for(woken.wait(), timeout=LOOK_EVERY_SECONDS)
            except TimeoutError:
                pass
            woken.clear()
            now = await _tables(runtime, client_id, store_id)
            for table_id, table in now.items():
                if sent.get(table_id) != table:
                    yield sse.event({"table": table}, name="table")
            sent = now
    finally:
        hub.leave(client_id, store_id, woken)
