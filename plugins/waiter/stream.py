"""The floor's live stream (``GET /api/v1/waiter/stream``): the store's tables as they change.

A page connecting gets a ``snapshot`` of every table, then a ``table`` event for each table whose
state, tab, tab's status or waiter changed, and a ``kitchen`` event (order, ticket, status) for
each change of a kitchen ticket, so a page showing that tab reads it again. The stream is woken by
``waiter.table_changed``, ``order.status_updated`` and ``kds.ticket_changed`` (a broadcast: each
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


#: The kitchen display's ticket changes: a page showing that order's tab reads it again.
KITCHEN = "kds.ticket_changed"


class Listener:
    """One stream waiting: woken by any change, told which orders the kitchen changed."""

    def __init__(self) -> None:
        self.woken = asyncio.Event()
        self.kitchen: list[dict[str, Any]] = []


class Hub:
    """Streams of this process waiting for their store's next table change."""

    def __init__(self) -> None:
        self._waiting: dict[tuple[str, str], set[Listener]] = defaultdict(set)

    def join(self, client_id: str, store_id: str) -> Listener:
        listener = Listener()
        self._waiting[(client_id, store_id)].add(listener)
        return listener

    def leave(self, client_id: str, store_id: str, listener: Listener) -> None:
        waiting = self._waiting.get((client_id, store_id))
        if waiting is not None:
            waiting.discard(listener)
            if not waiting:
                del self._waiting[(client_id, store_id)]

    def listen(self, envelope: Envelope) -> None:
        for listener in self._waiting.get((envelope.client_id, envelope.store_id), ()):
            if envelope.type == KITCHEN:
                listener.kitchen.append({key: envelope.data.get(key) for key in
                                         ("order_id", "ticket_id", "status", "change")})
            listener.woken.set()

    def broadcast(self) -> Broadcast:
        # An order's status too: a tab READY in the kitchen shows on the floor.
        return Broadcast("waiter.floor_screens", (CHANGED, "order.status_updated", KITCHEN),
                         self.listen)


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
    listener = hub.join(client_id, store_id)
    try:
        sent: dict[str, Any] = await _tables(runtime, client_id, store_id)
        yield sse.event({"tables": list(sent.values())}, name="snapshot")
        while True:
            try:
                await asyncio.wait_for(listener.woken.wait(), timeout=LOOK_EVERY_SECONDS)
            except TimeoutError:
                pass
            listener.woken.clear()
            now = await _tables(runtime, client_id, store_id)
            for table_id, table in now.items():
                if sent.get(table_id) != table:
                    yield sse.event({"table": table}, name="table")
            sent = now
            notes, listener.kitchen = listener.kitchen, []
            for note in notes:
                yield sse.event(note, name="kitchen")
    finally:
        hub.leave(client_id, store_id, listener)
