"""The relay's sweep purges what is kept past its retention, on SQLite and PostgreSQL."""

import asyncio
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from posmodern.core import tenancy
from posmodern.core.bus import EventBus
from posmodern.core.config import Settings
from posmodern.core.db import Database
from posmodern.core.errors import ConfigError
from posmodern.core.retention import Retention
from posmodern.schema.tables import idempotency_keys, outbox, processed_events
from posmodern.schema.types import utcnow

RETENTION = Retention(outbox=timedelta(days=7), processed_events=timedelta(days=30),
                      interval=timedelta(hours=1))


@pytest.fixture
async def tenant(database_url):
    db = Database(database_url)
    client = f"t{uuid.uuid4().hex[:10]}"
    await tenancy.create_tenant(db, client)
    yield db, client
    await tenancy.drop_tenant(db, client)
    await db.dispose()


async def _write(db: Database, client: str, label: str, *, sent_ago=None, created_ago=timedelta(0),
                 handled_ago=timedelta(0), expires_in=timedelta(hours=1)) -> None:
    """One outbox row, one handled-event record and one Idempotency-Key, named ``label``."""
    now = utcnow()
    async with db.transaction(client) as conn:
        await conn.execute(outbox.insert().values(
            event_id=uuid.uuid4(), event_type="test.purge", payload={"label": label},
            created_at=now - created_ago,
            published_at=None if sent_ago is None else now - sent_ago))
        await conn.execute(processed_events.insert().values(
            consumer="test.purge", event_id=label, processed_at=now - handled_ago))
        await conn.execute(idempotency_keys.insert().values(
            idempotency_key=label, route="test.purge", request_hash="0" * 64, status_code=201,
            created_at=now - timedelta(hours=24) + expires_in, expires_at=now + expires_in))


async def _left(db: Database, client: str) -> dict[str, list[str]]:
    async with db.transaction(client) as conn:
        sent = await conn.scalars(select(outbox.c.payload).order_by(outbox.c.seq))
        handled = await conn.scalars(select(processed_events.c.event_id))
        keys = await conn.scalars(select(idempotency_keys.c.idempotency_key))
        return {"outbox": [p["label"] for p in sent], "processed_events": sorted(handled),
                "idempotency_keys": sorted(keys)}


async def _eventually(predicate, timeout=10.0) -> bool:
    for _ in range(int(timeout / 0.05)):
        if await predicate():
            return True
        await asyncio.sleep(0.05)
    return False


async def test_a_sweep_purges_rows_past_their_retention_and_keeps_the_rest(tenant, exchange):
    db, client = tenant
    # Old: sent 8 days ago, handled 31 days ago, key expired a minute ago.
    await _write(db, client, "old", created_ago=timedelta(days=8), sent_ago=timedelta(days=8),
                 handled_ago=timedelta(days=31), expires_in=-timedelta(minutes=1))
    # Fresh: sent 6 days ago, handled 29 days ago, key expiring in a minute.
    await _write(db, client, "fresh", created_ago=timedelta(days=6), sent_ago=timedelta(days=6),
                 handled_ago=timedelta(days=29), expires_in=timedelta(minutes=1))
    bus = EventBus(db, "memory://", exchange=exchange, poll_seconds=0.1, retention=RETENTION)
    await bus.start()
    try:
        async def purged():
            return (await _left(db, client))["idempotency_keys"] == ["fresh"]

        assert await _eventually(purged)
        assert await _left(db, client) == {"outbox": ["fresh"],
                                           "processed_events": ["fresh"],
                                           "idempotency_keys": ["fresh"]}
        assert bus.stats.purged >= 3

        # Within the interval the next sweeps leave even an old row alone.
        await _write(db, client, "later", created_ago=timedelta(days=9),
                     sent_ago=timedelta(days=9), handled_ago=timedelta(days=40),
                     expires_in=-timedelta(hours=1))
        await asyncio.sleep(0.5)
        assert (await _left(db, client))["idempotency_keys"] == ["fresh", "later"]
    finally:
        await bus.stop()


async def test_an_event_not_yet_sent_is_never_purged(tenant, exchange):
    db, client = tenant
    await _write(db, client, "unsent", created_ago=timedelta(days=60))
    bus = EventBus(db, "memory://", exchange=exchange, retention=RETENTION)  # not started
    await bus.relay.purge_due()
    assert (await _left(db, client))["outbox"] == ["unsent"]


async def test_without_a_retention_the_bus_purges_nothing(tenant, exchange):
    db, client = tenant
    await _write(db, client, "old", created_ago=timedelta(days=8), sent_ago=timedelta(days=8),
                 handled_ago=timedelta(days=31), expires_in=-timedelta(minutes=1))
    bus = EventBus(db, "memory://", exchange=exchange)
    assert await bus.relay.purge_due() == 0
    assert (await _left(db, client))["idempotency_keys"] == ["old"]


def test_retention_comes_from_settings():
    assert Retention.from_settings(Settings.from_env({})) == RETENTION
    settings = Settings.from_env({"POS_OUTBOX_RETENTION_DAYS": "2",
                                  "POS_PROCESSED_EVENTS_RETENTION_DAYS": "20",
                                  "POS_PURGE_INTERVAL_MINUTES": "5"})
    assert Retention.from_settings(settings) == Retention(
        outbox=timedelta(days=2), processed_events=timedelta(days=20),
        interval=timedelta(minutes=5))
    with pytest.raises(ConfigError, match="POS_OUTBOX_RETENTION_DAYS"):
        Settings.from_env({"POS_OUTBOX_RETENTION_DAYS": "0"})
