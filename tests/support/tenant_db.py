"""Look inside a tenant's tables from a test (what was written, which events are in the outbox)."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import func, select

from posmodern.core.config import Settings
from posmodern.core.db import Database
from posmodern.schema.tables import outbox, processed_events
from support.services import _run


async def _fetch(settings: Settings, client_id: str, statement) -> list[Any]:
    db = Database(settings.database_url)
    try:
        async with db.transaction(client_id) as conn:
            return (await conn.execute(statement)).all()
    finally:
        await db.dispose()


def fetch(settings: Settings, client_id: str, statement) -> list[Any]:
    """Rows of ``statement`` run in the tenant's tables (also from inside an event loop)."""
    return _run(_fetch(settings, client_id, statement))


def count(settings: Settings, client_id: str, table) -> int:
    return fetch(settings, client_id, select(func.count()).select_from(table))[0][0]


def counts(settings: Settings, client_id: str, *tables) -> dict[str, int]:
    """Row counts of ``tables`` (to prove a refused request wrote nothing)."""
    return {table.name: count(settings, client_id, table) for table in tables}


def events(settings: Settings, client_id: str, event_type: str | None = None) -> list[dict]:
    """Payloads of the tenant's outbox rows, oldest first."""
    statement = select(outbox.c.payload).order_by(outbox.c.seq)
    if event_type:
        statement = statement.where(outbox.c.event_type == event_type)
    return [row.payload for row in fetch(settings, client_id, statement)]


def handled(settings: Settings, client_id: str, consumer: str, event_id: str) -> bool:
    """Whether the subscription ``consumer`` has handled the event (its dedupe record exists)."""
    return bool(fetch(settings, client_id, select(processed_events.c.event_id).where(
        processed_events.c.consumer == consumer, processed_events.c.event_id == event_id)))


def wait_for(check, timeout: float = 10.0, interval: float = 0.05):
    """Call ``check`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"still not true after {timeout}s: {check}")
        time.sleep(interval)
