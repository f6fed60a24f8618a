"""Transaction-scoped locks on a name, for work that must not interleave but has no row of its
own to lock (a plugin serialising its changes about another plugin's order, say).

On PostgreSQL an advisory lock held until the transaction ends; on SQLite nothing is needed, since
every write transaction already starts with ``BEGIN IMMEDIATE`` and so runs alone.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection


def lock_key(*parts: object) -> int:
    """A stable signed 64-bit key for ``parts`` (the same in every process and release)."""
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


async def serialize(conn: AsyncConnection, *parts: object) -> None:
    """Wait until no other transaction holds the lock named by ``parts``; hold it until this
    transaction ends."""
    if conn.dialect.name == "postgresql":
        await conn.execute(select(func.pg_advisory_xact_lock(lock_key(*parts))))
