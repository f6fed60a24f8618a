"""The outbox relay on SQLite and PostgreSQL: what it sends, when, and which tenants it sweeps.

The relay's transport here records what it is given (the bus hands it kombu's: test_bus.py runs
the two together on memory:// and RabbitMQ).
"""

import asyncio
import json
import uuid

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from posmodern.core import tenancy
from posmodern.core.db import Database, schema_name
from posmodern.core.events import emit
from posmodern.core.relay import WAKEUP_CHANNEL, OutboxRelay


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


async def test_a_sweep_relays_the_tenants_pending_tenants_names_and_a_full_one_every_tenant(world):
    db, (a, b), make_relay = world
    relay, transport = make_relay(OnlyTheseTenants)
    relay.waiting = [b]
    await _emit(db, a, "order.created")
    await _emit(db, b, "order.created")
    assert await relay.sweep() == 1
    assert transport.sent == [(b, "order.created")] and await relay.backlog(a) == 1
    await relay.relay_once()
    assert _of(transport, [a, b]) == [(b, "order.created"), (a, "order.created")]


async def _emit_elsewhere(database_url: str, client: str, *, wake: bool = True) -> None:
    """An event committed by another process (its own connections; no relay of ours is told).
    ``wake=False``: with the outbox's wake-up trigger off, as if its notification were lost."""
    other = Database(database_url)
    try:
        async with other.transaction(client) as conn:
            outbox = f"{schema_name(client)}.outbox"
            if not wake and not other.is_sqlite:
                await conn.exec_driver_sql(f"ALTER TABLE {outbox} DISABLE TRIGGER outbox_wakeup")
            await emit(conn, "order.created", client_id=client, store_id="s1", data={})
            if not wake and not other.is_sqlite:
                await conn.exec_driver_sql(f"ALTER TABLE {outbox} ENABLE TRIGGER outbox_wakeup")
    finally:
        await other.dispose()


async def test_the_commit_of_another_process_is_relayed_at_once(world, database_url, backend):
    _db, (a, b), make_relay = world
    options = {"poll_seconds": 0.3} if backend == "sqlite" else {}  # SQLite: it sweeps
    relay, transport = make_relay(sweep_seconds=60, **options)
    await relay.start()
    assert await _eventually(lambda: relay.leading)
    await _emit_elsewhere(database_url, a)
    # PostgreSQL: the outbox trigger's notification wakes the relay long before a sweep.
    assert await _eventually(lambda: _of(transport, [a, b]) == [(a, "order.created")],
                             timeout=3)


@pytest.mark.parametrize("backend", ["postgresql"])
async def test_a_commit_whose_wake_up_was_lost_goes_out_with_the_next_sweep(world, database_url):
    _db, (a, b), make_relay = world
    relay, transport = make_relay(sweep_seconds=0.5)
    await relay.start()
    assert await _eventually(lambda: relay.leading)
    await asyncio.sleep(0.3)  # its first full pass is done
    await _emit_elsewhere(database_url, b, wake=False)
    assert await _eventually(lambda: _of(transport, [a, b]) == [(b, "order.created")],
                             timeout=5)


@pytest.mark.parametrize("backend", ["postgresql"])
async def test_only_commits_no_running_relay_sends_wake_the_sweeping_relay(world, database_url):
    db, (a, b), make_relay = world
    heard: list[str] = []
    listener = await asyncpg.connect(
        make_url(database_url).set(drivername="postgresql").render_as_string(False))
    await listener.add_listener(WAKEUP_CHANNEL, lambda *args: heard.append(args[-1]))
    try:
        relay, transport = make_relay(linger_seconds=0.01)
        await relay.start()
        await _emit(db, a, "order.created")  # this process relays it: nobody else is woken
        assert await _eventually(lambda: _of(transport, [a, b]) == [(a, "order.created")])
        await asyncio.sleep(0.3)
        assert schema_name(a) not in heard
        await _emit_elsewhere(database_url, b)  # a process without a relay: announced
        assert await _eventually(lambda: schema_name(b) in heard, timeout=3)
    finally:
        await listener.close()


class Counting(OutboxRelay):
    """Counts the tenant transactions of the relay."""

    visits = 0

    async def relay_tenant(self, client_id: str) -> int:
        self.visits += 1
        return await super().relay_tenant(client_id)


@pytest.mark.parametrize("backend", ["postgresql"])
async def test_an_idle_relay_visits_no_tenant_however_many_there_are(world, database_url):
    _db, (a, b), make_relay = world
    relay, transport = make_relay(Counting, sweep_seconds=0.1)
    await relay.start()
    assert await _eventually(lambda: relay.stats.last_sweep > 0)  # the full pass at the start
    await asyncio.sleep(1.0)  # events of other tests' tenants, if any, are sent by now
    visits = relay.visits
    await asyncio.sleep(1.0)  # about ten sweeps
    assert relay.visits == visits
    await _emit_elsewhere(database_url, a)
    assert await _eventually(lambda: _of(transport, [a, b]) == [(a, "order.created")])
    # One visit for the wake-up; a sweep whose statistics saw the row before it was marked sent
    # may visit the tenant once more. Then the relay is idle again.
    assert visits + 1 <= relay.visits <= visits + 2
    await asyncio.sleep(0.5)
    after = relay.visits
    await asyncio.sleep(1.0)
    assert relay.visits == after


async def _leader_pid(db: Database, relay: OutboxRelay) -> int:
    key = relay.election.key
    async with db.control.connect() as conn:
        return await conn.scalar(text(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1 "
            "AND classid::bigint = :high AND objid::bigint = :low"),
            {"high": (key >> 32) & 0xFFFFFFFF, "low": key & 0xFFFFFFFF})


async def test_one_relay_sweeps_and_another_takes_over_when_it_dies(world, database_url,
                                                                    backend):
    db, (a, b), make_relay = world
    first, first_sent = make_relay(sweep_seconds=0.5, election_seconds=0.3)
    second, second_sent = make_relay(sweep_seconds=0.5, election_seconds=0.3)
    await first.start()
    assert await _eventually(lambda: first.leading)
    await second.start()
    await asyncio.sleep(1.0)
    assert first.leading and not second.leading
    assert second.stats.leading is False and second.stats.last_sweep == 0  # it never swept
    if backend == "postgresql":
        # The holder's connection dies (its process was killed, say).
        pid = await _leader_pid(db, first)
        async with db.control.connect() as conn:
            await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        assert await _eventually(lambda: not first.leading, timeout=3)
    await first.stop()
    await _emit_elsewhere(database_url, a)
    assert await _eventually(lambda: second.leading, timeout=3)
    assert await _eventually(lambda: _of(second_sent, [a, b]) == [(a, "order.created")],
                             timeout=3)
    assert _of(first_sent, [a, b]) == []
