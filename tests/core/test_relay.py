"""The outbox relay on SQLite and PostgreSQL: what it sends, when, and which tenants it sweeps.

The relay's transport here records what it is given (the bus hands it kombu's: test_bus.py runs
the two together on memory:// and RabbitMQ).
"""

import asyncio
import json
import uuid

import pytest

from posmodern.core import tenancy
from posmodern.core.db import Database
from posmodern.core.events import emit
from posmodern.core.relay import OutboxRelay


class Transport:
    """Records the event types it sends, per tenant; refuses the rows of ``down`` tenants."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self.down: set[str] = set()

    async def __call__(self, rows) -> None:
        batch = [(json.loads(row.payload)["client_id"], row.event_type) for row in rows]
        if any(client in self.down for client, _ in batch):
            raise ConnectionError("the broker is unreachable")
        self.sent.extend(batch)


@pytest.fixture
async def world(database_url):
    db = Database(database_url)
    clients = [f"t{uuid.uuid4().hex[:10]}" for _ in range(2)]
    for client in clients:
        await tenancy.create_tenant(db, client)
    relays: list[OutboxRelay] = []

    def make_relay(cls=OutboxRelay, **options) -> tuple[OutboxRelay, Transport]:
        transport = Transport()
        relay = cls(db, transport, **{"poll_seconds": 30.0, **options})
        relays.append(relay)
        return relay, transport

    yield db, clients, make_relay
    for relay in relays:
        await relay.stop()
    for client in clients:
        await tenancy.drop_tenant(db, client)
    await db.dispose()


async def _emit(db: Database, client: str, event_type: str) -> None:
    async with db.transaction(client) as conn:
        await emit(conn, event_type, client_id=client, store_id="s1", data={})


async def _eventually(predicate, timeout: float = 10.0) -> bool:
    for _ in range(int(timeout / 0.02)):
        answer = predicate()
        if await answer if asyncio.iscoroutine(answer) else answer:
            return True
        await asyncio.sleep(0.02)
    return False


def _of(transport: Transport, clients: list[str]) -> list[tuple[str, str]]:
    """What was sent for ``clients`` (the database may hold other tests' tenants)."""
    return [sent for sent in transport.sent if sent[0] in clients]


async def test_a_commit_wakes_the_relay_long_before_its_next_sweep(world):
    db, (a, b), make_relay = world
    relay, transport = make_relay(linger_seconds=0.01)  # sweeps only every 30 s
    await relay.start()
    await _emit(db, a, "order.created")
    assert await _eventually(lambda: _of(transport, [a, b]) == [(a, "order.created")])
    await _emit(db, b, "order.created")
    await _emit(db, b, "order.status_updated")
    assert await _eventually(lambda: len(_of(transport, [a, b])) == 3)
    assert _of(transport, [a, b]) == [(a, "order.created"), (b, "order.created"),
                                      (b, "order.status_updated")]

    async def all_marked_sent():  # the send returns before its transaction commits
        return await relay.backlog(a) == await relay.backlog(b) == 0

    assert await _eventually(all_marked_sent)


async def test_stop_sends_what_is_committed_and_then_nothing_more(world):
    db, (a, b), make_relay = world
    relay, transport = make_relay()
    await relay.start()
    await _emit(db, a, "order.created")
    await relay.stop()
    assert _of(transport, [a, b]) == [(a, "order.created")]
    await _emit(db, a, "order.cancelled")  # no relay listens: it waits for the next process
    await asyncio.sleep(0.2)
    assert _of(transport, [a, b]) == [(a, "order.created")] and await relay.backlog(a) == 1


async def test_a_tenant_whose_rows_cannot_be_sent_keeps_them_and_stops_no_other(world):
    db, (a, b), make_relay = world
    relay, transport = make_relay()
    await _emit(db, a, "order.created")
    await _emit(db, b, "order.created")
    transport.down = {a}
    await relay.relay_once()
    assert _of(transport, [a, b]) == [(b, "order.created")]
    assert await relay.backlog(a) == 1 and relay.stats.backlog >= 1
    assert relay.stats.last_sweep > 0
    transport.down = set()
    await relay.relay_once()  # the next round sends them
    assert _of(transport, [a, b]) == [(b, "order.created"), (a, "order.created")]
    assert await relay.backlog(a) == 0


class OnlyTheseTenants(OutboxRelay):
    """A relay told which tenants have events waiting (the seam of ``pending_tenants``)."""

    waiting: list[str] = []

    async def pending_tenants(self) -> list[str]:
        return self.waiting


async def test_a_sweep_relays_the_tenants_pending_tenants_names(world):
    db, (a, b), make_relay = world
    relay, transport = make_relay(OnlyTheseTenants)
    relay.waiting = [b]
    await _emit(db, a, "order.created")
    await _emit(db, b, "order.created")
    assert await relay.relay_once() == 1
    assert transport.sent == [(b, "order.created")] and await relay.backlog(a) == 1
    # Every active tenant by default.
    assert {a, b} <= set(await OutboxRelay.pending_tenants(relay))
