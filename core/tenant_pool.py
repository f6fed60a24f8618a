"""PostgreSQL connections for tenant transactions, kept open between transactions.

Part of :mod:`posmodern.core.db`. Checking a connection out of SQLAlchemy's pool and back in,
and beginning and committing through SQLAlchemy, cost more Python work than the rest of a short
transaction (measured in docs/benchmarks.md: about 0.15 ms of an order's 1.4 ms). So
:class:`TenantConnections` keeps SQLAlchemy ``AsyncConnection`` objects checked out and hands
them to one transaction at a time. Each is in autocommit mode as far as SQLAlchemy knows; the
transaction itself is the driver's (asyncpg's ``BEGIN`` … ``COMMIT``), so statements run through
SQLAlchemy and through the driver (:mod:`posmodern.core.writes`) alike are part of it.

A connection found closed or broken when its transaction ends is dropped, as is one older than
the recycle age; a new one is opened when needed, up to ``size`` at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from posmodern.core.jsonable import dumps

RECYCLE_SECONDS = 1800
#: The session setting of a connection whose process relays its own commits: the outbox's
#: trigger (tenant migration 0013) does not wake the sweeping relay for them.
OWN_RELAY_SETTING = "posmodern.own_relay"


@dataclass
class _Held:
    conn: AsyncConnection
    opened: float
    scope: str | None = None  # whose schema the connection's translate map points at
    own_relay: bool = False  # marked with OWN_RELAY_SETTING


class TenantConnections:
    """Up to ``size`` connections, each serving one transaction at a time."""

    def __init__(self, url, size: int, *, own_relay: Callable[[], bool] = lambda: False) -> None:
        """``own_relay()`` tells whether this process relays its own commits now: each
        connection then carries :data:`OWN_RELAY_SETTING` (set once, before a transaction).
        The mark stays after the relay stopped: what such a connection commits then (during a
        shutdown) waits for the sweeping relay's next sweep instead of waking it."""
        self.own_relay = own_relay
        # hide_parameters: statements in error logs, never the customer data bound to them.
        self.engine = create_async_engine(url, pool_size=size, max_overflow=0,
                                          isolation_level="AUTOCOMMIT", json_serializer=dumps,
                                          hide_parameters=True)
        self._slots = asyncio.Semaphore(size)
        self._idle: list[_Held] = []

    @asynccontextmanager
    async def transaction(self, scope: str, options: dict) -> AsyncIterator[AsyncConnection]:
        """A connection in a transaction of its own, with ``options`` (the tenant's schema map,
        named ``scope``) set; committed on success, rolled back on error."""
        async with self._slots:
            held = await self._take(scope, options)
            conn = held.conn
            driver = conn.sync_connection.connection.driver_connection
            reusable = False
            try:
                transaction = driver.transaction()
                await transaction.start()
                try:
                    yield conn
                except BaseException:
                    # The caller's error (or cancellation) is what goes up, whatever the
                    # rollback meets; a connection that cannot roll back is dropped.
                    with contextlib.suppress(Exception):
                        await self._forget_statements(conn)
                        if not driver.is_closed():
                            await transaction.rollback()
                            reusable = True
                    raise
                await self._forget_statements(conn)
                await transaction.commit()
                reusable = True
            finally:
                if reusable and not (conn.closed or conn.invalidated or driver.is_closed()
                                     or driver.is_in_transaction()):
                    self._idle.append(held)
                else:
                    await self._drop(held)

    @staticmethod
    async def _forget_statements(conn: AsyncConnection) -> None:
        # A statement run through SQLAlchemy began its own bookkeeping of a transaction
        # (nothing on the wire in autocommit mode): end that too.
        if conn.in_transaction():
            await conn.rollback()

    async def _take(self, scope: str, options: dict) -> _Held:
        while self._idle:
            held = self._idle.pop()
            if time.monotonic() - held.opened < RECYCLE_SECONDS:
                break
            await self._drop(held)
        else:
            held = _Held(await self.engine.connect(), time.monotonic())
        if held.scope != scope:
            try:
                await held.conn.execution_options(**options)
            except BaseException:
                await self._drop(held)
                raise
            held.scope = scope
        if not held.own_relay and self.own_relay():
            try:
                # Outside any transaction (the connection is in autocommit mode): it lasts.
                await held.conn.sync_connection.connection.driver_connection.execute(
                    f"SET {OWN_RELAY_SETTING} = 'on'")
            except BaseException:
                await self._drop(held)
                raise
            held.own_relay = True
        return held

    async def _drop(self, held: _Held) -> None:
        # Its driver connection is closed, not pooled again; a broken one may fail to close.
        with contextlib.suppress(Exception):
            if not held.conn.closed:
                await held.conn.invalidate()
        await held.conn.close()

    async def dispose(self) -> None:
        """Close every idle connection and the engine."""
        while self._idle:
            await self._drop(self._idle.pop())
        await self.engine.dispose()
