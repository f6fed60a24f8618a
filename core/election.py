"""One holder of a role per deployment: the process that sweeps and listens for the outbox relay.

Part of :mod:`posmodern.core.relay`. Every process relays its own commits; one of them, elected
here, also listens for the commits of the others and sweeps for what was missed. Two kinds:

- :class:`PostgresElection`: a session advisory lock (``pg_try_advisory_lock``) held on a
  dedicated connection. PostgreSQL releases it when that connection closes (its process died,
  was stopped, or lost the network), and another process, trying every ``retry_seconds``, takes
  the role over. The holder runs a trivial query at the same pace, so it learns within seconds
  that it lost its connection, and with it the role. The same connection LISTENs on the wake-up
  channel while it holds the role.
- :class:`FileElection`: an exclusive ``flock`` on a file of the data dir (SQLite: one machine);
  the kernel releases it when its holder exits.

``on_change(leading)`` is called, in the event loop, each time the role is won or lost.

:func:`election_for` picks the kind for a database; :class:`ElectedLoop` runs a loop in the
holder only (the remote-orders poller, the fiscal reconcile schedule).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import logging
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.engine import URL

log = logging.getLogger("posmodern.election")

#: Seconds between two attempts to take the role (and between two checks of the holder's
#: connection): how long a deployment may go without its sweeping relay after the holder died.
RETRY_SECONDS = 2.0


def lock_key(role: str) -> int:
    """A signed 64-bit advisory-lock key for ``role`` (the same in every process)."""
    digest = hashlib.blake2b(f"posmodern:{role}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class Election:
    """Who holds a role; subclasses campaign for it in a task of their own."""

    def __init__(self, on_change: Callable[[bool], None],
                 retry_seconds: float = RETRY_SECONDS) -> None:
        self.on_change = on_change
        self.retry_seconds = retry_seconds
        self.leading = False
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        """Start campaigning (the first attempt is made at once)."""
        self._task = asyncio.create_task(self._campaign(), name=f"pos-{type(self).__name__}")

    async def stop(self) -> None:
        """Give the role up (if held) and stop campaigning."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._set(False)

    def _set(self, leading: bool) -> None:
        if leading != self.leading:
            self.leading = leading
            log.info("outbox relay role %s", "taken" if leading else "given up")
            self.on_change(leading)

    async def _campaign(self) -> None:
        raise NotImplementedError


class PostgresElection(Election):
    """The role is a session advisory lock on ``key``, held on a connection of its own.

    While held, that connection LISTENs on ``channel`` and passes each notification's payload
    to ``on_notify``.
    """

    def __init__(self, url: URL, key: int, on_change: Callable[[bool], None], *,
                 channel: str | None = None, on_notify: Callable[[str], None] | None = None,
                 retry_seconds: float = RETRY_SECONDS) -> None:
        super().__init__(on_change, retry_seconds)
        self.dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self.key = key
        self.channel = channel
        self.on_notify = on_notify

    async def _campaign(self) -> None:
        while True:
            conn = None
            try:
                conn = await asyncpg.connect(self.dsn, timeout=10)
                conn.add_termination_listener(lambda _conn: self._set(False))
                while not conn.is_closed():
                    if not self.leading:
                        if await conn.fetchval("SELECT pg_try_advisory_lock($1)", self.key):
                            if self.channel and self.on_notify:
                                await conn.add_listener(self.channel, self._heard)
                            self._set(True)
                    else:
                        await conn.fetchval("SELECT 1")  # still connected: still holding it
                    await asyncio.sleep(self.retry_seconds)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the database is away: try again later
                log.warning("relay election: %s: %s", type(exc).__name__, exc)
            finally:
                self._set(False)
                if conn is not None:
                    # Closing the session is what releases the lock.
                    with contextlib.suppress(Exception):
                        await asyncio.shield(conn.close(timeout=5))
            await asyncio.sleep(self.retry_seconds)

    def _heard(self, _conn, _pid: int, _channel: str, payload: str) -> None:
        self.on_notify(payload)


class FileElection(Election):
    """The role is an exclusive ``flock`` on ``path`` (processes of one machine)."""

    def __init__(self, path: Path, on_change: Callable[[bool], None], *,
                 retry_seconds: float = RETRY_SECONDS) -> None:
        super().__init__(on_change, retry_seconds)
        self.path = path

    async def _campaign(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Each open file is its own lock holder, so two elections of one process exclude each
        # other as two processes do.
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    await asyncio.sleep(self.retry_seconds)
                    continue
                self._set(True)
                await asyncio.Event().wait()  # held until stopped (the task is cancelled)
        finally:
            self._set(False)
            os.close(fd)


def election_for(db: Any, role: str, on_change: Callable[[bool], None], *,
                 channel: str | None = None, on_notify: Callable[[str], None] | None = None,
                 retry_seconds: float = RETRY_SECONDS) -> Election:
    """The election of ``role`` among the processes sharing ``db``: an advisory lock on
    PostgreSQL (listening on ``channel`` while held), a file lock in the data dir on SQLite
    (named after the role's first part)."""
    key = lock_key(role)
    if db.is_sqlite:
        path = db.data_dir / f".{role.split(':', 1)[0]}-{key & 0xFFFFFFFF:08x}.lock"
        return FileElection(path, on_change, retry_seconds=retry_seconds)
    return PostgresElection(db.url, key, on_change, channel=channel, on_notify=on_notify,
                            retry_seconds=retry_seconds)


class ElectedLoop:
    """``body`` run by the one process of the deployment holding ``role``: started in a task of
    its own when this process wins the role, cancelled when it loses it or stops."""

    def __init__(self, db: Any, role: str, body: Callable[[], Awaitable[None]], *,
                 name: str) -> None:
        self.db, self.role, self.body, self.name = db, role, body, name
        self.election: Election | None = None
        self._task: asyncio.Task | None = None

    @property
    def leading(self) -> bool:
        return self.election is not None and self.election.leading

    async def start(self) -> None:
        """Campaign for the role (the loop starts when it is won)."""
        self.election = election_for(self.db, self.role, self._role_changed)
        await self.election.start()

    async def stop(self) -> None:
        """Give the role up and stop the loop."""
        if self.election is not None:
            await self.election.stop()
        await self._stop_loop()

    def _role_changed(self, leading: bool) -> None:
        if leading and self._task is None:
            self._task = asyncio.create_task(self.body(), name=self.name)
        elif not leading:
            asyncio.create_task(self._stop_loop())

    async def _stop_loop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
