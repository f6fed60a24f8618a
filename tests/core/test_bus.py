"""The event bus on kombu's memory transport and on the real RabbitMQ, over both databases."""

import asyncio
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from kombu import Connection, Exchange, Producer
from sqlalchemy import func, select

from posmodern.core import tenancy
from posmodern.core.bus import EventBus
from posmodern.core.db import Database
from posmodern.core.events import Broadcast, Envelope, Subscription, emit, json_safe, matches
from posmodern.schema.tables import audit_log, outbox, processed_events
from support import services

CONSUMER = Path(__file__).resolve().parents[1] / "fixtures" / "consumer_process.py"


async def eventually(predicate, timeout=10.0):
    for _ in range(int(timeout / 0.02)):
        if await predicate():
            return True
        await asyncio.sleep(0.02)
    return False


@pytest.fixture
async def world(database_url, broker, exchange):
    db = Database(database_url)
    client = f"t{uuid.uuid4().hex[:10]}"
    await tenancy.create_tenant(db, client)
    buses: list[EventBus] = []

    def make_bus(**kwargs) -> EventBus:
        bus = EventBus(db, broker, exchange=exchange, poll_seconds=0.2, **kwargs)
        buses.append(bus)
        return bus

    yield db, client, make_bus
    for bus in buses:
        await bus.stop()
    await db.dispose()
    if broker != "memory://":
        names = [f"{exchange}.{s.name}" for b in buses for s in b.subscriptions]
        services.delete_bus(exchange, names)


def _publish_raw(broker: str, exchange: str, envelope: Envelope) -> None:
    """Put a message on the exchange as the relay would: a redelivery, for the consumer."""
    with Connection(broker if broker != "memory://" else "memory://localhost/") as conn:
        producer = Producer(conn.channel(), exchange=Exchange(exchange, type="topic", durable=True),
                            serializer="json")
        producer.publish(json_safe(envelope.to_dict()), routing_key=envelope.type,
                         message_id=envelope.id, delivery_mode=2)


async def test_committed_events_arrive_and_rolled_back_ones_never(world):
    db, client, make_bus = world
    handled, seen = [], []

    async def handle(envelope, conn):
        handled.append(envelope)

    bus = make_bus(subscriptions=[Subscription("test.orders", ("order.*",), handle)],
                   broadcasts=[Broadcast("test.screen", ("#",), seen.append)])
    await bus.start()
    async with db.transaction(client) as conn:
        sent = await emit(conn, "order.created", client_id=client, store_id="s1",
                          data={"order_id": "o1", "total": "29.90"})
    with pytest.raises(RuntimeError):
        async with db.transaction(client) as conn:
            await emit(conn, "order.cancelled", client_id=client, store_id="s1", data={})
            raise RuntimeError("the order was never written")
    async with db.transaction(client) as conn:
        await emit(conn, "payment.completed", client_id=client, store_id="s1", data={})

    assert await eventually(lambda: _true(len(seen) == 2))
    await asyncio.sleep(0.3)  # time for a wrongly delivered event to show up
    assert [e.type for e in handled] == ["order.created"]
    assert handled[0].id == sent.id and handled[0].data == {"order_id": "o1", "total": "29.90"}
    assert handled[0].client_id == client and handled[0].store_id == "s1"
    assert sorted(e.type for e in seen) == ["order.created", "payment.completed"]
    async with db.transaction(client) as conn:
        pending = await conn.scalar(select(func.count()).select_from(outbox)
                                    .where(outbox.c.published_at.is_(None)))
    assert pending == 0


async def _true(value):
    return value


async def test_a_redelivered_event_is_handled_once(world, broker, exchange):
    db, client, make_bus = world
    handled = []

    async def handle(envelope, conn):
        handled.append(envelope.id)

    bus = make_bus(subscriptions=[Subscription("test.once", ("order.created",), handle)])
    await bus.start()
    envelope = Envelope(type="order.created", client_id=client, store_id="s1", data={"n": 1})
    for _ in range(3):
        await asyncio.to_thread(_publish_raw, broker, exchange, envelope)
    assert await eventually(lambda: _true(bus.stats.duplicates == 2))
    assert handled == [envelope.id]


async def test_a_failing_handler_is_retried_and_its_writes_roll_back(world):
    db, client, make_bus = world
    calls = []

    async def flaky(envelope, conn):
        calls.append(envelope.id)
        await conn.execute(audit_log.insert().values(
            audit_id=uuid.uuid4(), client_id=client, store_id="s1", action="flaky"))
        if len(calls) == 1:
            raise RuntimeError("printer on fire")

    bus = make_bus(subscriptions=[Subscription("test.flaky", ("order.*",), flaky)])
    await bus.start()
    async with db.transaction(client) as conn:
        await emit(conn, "order.created", client_id=client, store_id="s1", data={})
    assert await eventually(lambda: _true(len(calls) == 2))
    await asyncio.sleep(0.2)
    async with db.transaction(client) as conn:
        written = await conn.scalar(select(func.count()).select_from(audit_log))
    assert written == 1 and bus.stats.failures == 1


async def test_events_that_wait_are_handled_together_and_a_bad_one_holds_up_no_other(world):
    db, client, make_bus = world
    first_held = asyncio.Event()

    async def record(envelope, conn):
        n = envelope.data["n"]
        if n == 0:
            await first_held.wait()  # the others pile up meanwhile
        await conn.execute(audit_log.insert().values(
            audit_id=uuid.uuid4(), client_id=client, store_id="s1", action=f"n{n}"))
        if n == 39:
            raise RuntimeError("this one can never be applied")

    for n in range(40):  # sent together once the bus starts
        async with db.transaction(client) as conn:
            await emit(conn, "order.created", client_id=client, store_id="s1", data={"n": n})
    bus = make_bus(subscriptions=[Subscription("test.batched", ("order.*",), record)])
    await bus.start()
    await asyncio.sleep(0.5)
    first_held.set()
    assert await eventually(lambda: _true(bus.stats.dead == 1), timeout=20)

    async with db.transaction(client) as conn:
        actions = (await conn.execute(select(audit_log.c.action))).scalars().all()
        recorded = (await conn.execute(
            select(processed_events.c.processed_at)
            .where(processed_events.c.consumer == "test.batched"))).scalars().all()
    assert sorted(actions) == sorted(f"n{n}" for n in range(39))
    assert bus.stats.handled["test.batched"] == 39 and bus.stats.duplicates == 0
    assert len(recorded) == 39
    assert len(set(recorded)) < 39  # some were recorded in one transaction, at one time


async def test_a_consumer_in_another_process_handles_each_event_once(pg_url, exchange):
    """Crossing processes is RabbitMQ's job (memory:// is one process's bus): PostgreSQL + RabbitMQ."""
    broker = services.AMQP_URL
    db = Database(pg_url)
    client = f"t{uuid.uuid4().hex[:10]}"
    await tenancy.create_tenant(db, client)
    database_url = pg_url
    publisher = EventBus(db, broker, exchange=exchange, poll_seconds=0.2)
    process = subprocess.Popen([sys.executable, str(CONSUMER), database_url, broker, exchange],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline().strip() == "ready"
        await publisher.start()
        ids = []
        async with db.transaction(client) as conn:
            for n in range(3):
                ids.append((await emit(conn, "order.created", client_id=client, store_id="s1",
                                       data={"n": n})).id)
        # The same event again, as RabbitMQ would redeliver it after a lost ack.
        again = Envelope(type="order.created", client_id=client, store_id="s1", data={"n": 0},
                         id=ids[0])
        await asyncio.to_thread(_publish_raw, broker, exchange, again)

        async def recorded():
            async with db.transaction(client) as conn:
                rows = (await conn.execute(select(audit_log.c.resource_id))).scalars().all()
            return sorted(rows) == sorted(ids)

        assert await eventually(recorded)
        await asyncio.sleep(0.5)
        assert await recorded()
    finally:
        await publisher.stop()
        await db.dispose()
        process.stdin.close()
        process.wait(20)
        services.delete_bus(exchange, [f"{exchange}.remote.recorder"])


def test_topic_matching():
    assert matches("order.*", "order.created")
    assert not matches("order.*", "order.item.added")
    assert matches("order.#", "order.item.added")
    assert matches("#", "anything.at.all")
    assert not matches("payment.*", "order.created")


async def test_a_tenant_whose_outbox_cannot_be_sent_does_not_stop_the_others(world):
    db, client, make_bus = world
    broken = f"t{uuid.uuid4().hex[:10]}"
    await tenancy.create_tenant(db, broken)
    try:
        async with db.transaction(broken) as conn:  # a row no relay can send (no type, no id)
            await conn.execute(outbox.insert().values(event_id=uuid.uuid4(), event_type="x",
                                                      payload={"garbled": True}))
        seen = []
        bus = make_bus(broadcasts=[Broadcast("test.screen", ("#",), seen.append)])
        await bus.start()
        async with db.transaction(client) as conn:
            await emit(conn, "order.created", client_id=client, store_id="s1", data={})
        await bus.relay.relay_once()  # the sweep over every tenant, the broken one included
        assert await eventually(lambda: _true(len(seen) == 1))
    finally:
        await tenancy.drop_tenant(db, broken)
