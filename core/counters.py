"""Per-store counters (order numbers …): unique under concurrency, gaps allowed.

On PostgreSQL a counter is a sequence of the tenant's schema, one per store and name, created on
its first use. Its value is taken by the statement that writes it (:class:`NextNumber`, e.g. the
order's INSERT), inside the caller's transaction yet without a lock: ``nextval`` is outside
transactions, so concurrent orders never wait for each other's commit, and a number whose
transaction then rolls back is skipped, never reused. Before sequences, PostgreSQL counted in the
``counters`` table (one row per counter, incremented in a transaction of its own); a store's
sequence starts after its row's value, so numbering goes on from there.

On SQLite a counter is that row of ``counters``, incremented with an upsert in the caller's
transaction: SQLite runs one writer at a time anyway.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError, ProgrammingError
from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.core.db import Database, schema_name
from posmodern.core.writes import fetch, upsert
from posmodern.schema.tables import counters


@dataclass(frozen=True)
class NextNumber:
    """The next value of a counter's sequence (its qualified name), for the statement that
    writes it to take with ``nextval``: see :func:`take_number`."""

    sequence: str


@lru_cache(maxsize=None)
def _increment(dialect: str):
    return upsert(dialect, counters, keys=("store_id", "name"),
                  set_={"value": counters.c.value + 1}).returning(counters.c.value)


async def increment(conn: AsyncConnection, store_id: str, name: str) -> int:
    """Increment a store's counter row in ``conn``'s transaction and return the new value (1
    first)."""
    statement = _increment(conn.dialect.name)
    rows = await fetch(conn, statement, {"store_id": store_id, "name": name, "value": 1})
    return int(rows[0].value)


async def take_number(db: Database, client_id: str, conn: AsyncConnection, store_id: str,
                      name: str) -> int | NextNumber:
    """The next value of a store's counter for a caller whose transaction is ``conn``: the value
    itself on SQLite; on PostgreSQL a :class:`NextNumber` that the statement writing it turns
    into the value (with ``nextval``, and ``RETURNING`` to learn it), which saves a round trip."""
    if conn.dialect.name == "sqlite":
        return await increment(conn, store_id, name)
    return NextNumber(await sequence(db, client_id, store_id, name))


def sequence_name(store_id: str, name: str) -> str:
    """The sequence of a store's counter (store ids are free text: a digest names it)."""
    digest = hashlib.sha256(f"{store_id}\0{name}".encode()).hexdigest()[:24]
    return f"counter_{digest}"


async def sequence(db: Database, client_id: str, store_id: str, name: str) -> str:
    """The qualified name of a store's counter sequence on PostgreSQL, created on first use."""
    qualified = f'"{schema_name(client_id)}"."{sequence_name(store_id, name)}"'
    known = db.sequences.setdefault(client_id, set())
    if qualified in known:
        return qualified
    async with db.autonomous(client_id) as conn:
        exists = await conn.scalar(text("SELECT to_regclass(:name) IS NOT NULL"),
                                   {"name": qualified})
        if not exists:
            counted = await conn.scalar(select(counters.c.value).where(
                counters.c.store_id == store_id, counters.c.name == name))
            try:
                await conn.exec_driver_sql(
                    f"CREATE SEQUENCE IF NOT EXISTS {qualified} START WITH {int(counted or 0) + 1}")
            except (IntegrityError, ProgrammingError):
                # Created at the same moment by another process (PostgreSQL's IF NOT EXISTS
                # does not cover that race): it exists now, which is all this needs.
                if not await conn.scalar(text("SELECT to_regclass(:name) IS NOT NULL"),
                                         {"name": qualified}):
                    raise
            else:
                comment = await conn.scalar(text("SELECT format('COMMENT ON SEQUENCE %s IS %L', "
                                                 "CAST(:name AS text), CAST(:what AS text))"),
                                            {"name": qualified,
                                             "what": f"counter {name} of store {store_id}"})
                await conn.exec_driver_sql(comment)
    known.add(qualified)
    return qualified


async def advance(db: Database, client_id: str, store_id: str, name: str, at_least: int) -> None:
    """Make the next value of a store's counter greater than ``at_least`` (after rows numbered
    elsewhere were loaded, such as a legacy import's orders); a counter past it already stays."""
    if db.is_sqlite:
        async with db.transaction(client_id) as conn:
            await conn.execute(
                upsert("sqlite", counters, keys=("store_id", "name"),
                       set_={"value": func.max(counters.c.value, at_least)}),
                {"store_id": store_id, "name": name, "value": at_least})
        return
    qualified = await sequence(db, client_id, store_id, name)
    async with db.autonomous(client_id) as conn:
        await conn.execute(text("SELECT setval(CAST(:name AS regclass), "
                                "GREATEST(:value, nextval(CAST(:name AS regclass))))"),
                           {"name": qualified, "value": at_least})
