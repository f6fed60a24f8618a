"""Database access: engines, connections, transactions, one tenant at a time.

The only module that creates engines. Tenant isolation:

- PostgreSQL: one schema per tenant. Each transaction gets its own ``Connection`` with a
  ``schema_translate_map`` pointing the schema-less tenant tables at that schema; the map lives on
  that ``Connection`` object, never on the pooled DBAPI connection, so it cannot leak to the next
  request that checks the same connection out.
- SQLite: one database file per tenant (``<data dir>/tenants/<client_id>.db``) with its own engine;
  the control tables live in the main file. Write transactions start with ``BEGIN IMMEDIATE`` so
  concurrent writers queue on the busy timeout instead of failing.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import event, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from posmodern.core import outbox
from posmodern.core.errors import NotFound, ServiceUnavailable
from posmodern.core.jsonable import dumps
from posmodern.core.tenant_pool import TenantConnections
from posmodern.core.writes import insert_ignore, upsert, write  # noqa: F401 - part of this API
from posmodern.schema.control import CONTROL_SCHEMA, tenants

CLIENT_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
OUTBOX_WRITTEN = outbox.WRITTEN
#: The topics a transaction's writes concern (:func:`written`), told to their listeners after
#: its commit.
_TOPICS = "posmodern.commit_topics"


class TenantGone(NotFound):
    """The tenant was dropped or suspended while this process was serving it.

    A :class:`NotFound` to the process's own loops (the relay and the consumers drop the work
    of an unknown tenant); to an API client, whose token now speaks for no one, a 401.
    """

    status, code = 401, "tenant_inactive"

    def __init__(self, client_id: str) -> None:
        super().__init__(f"client {client_id!r} no longer exists or is suspended; sign in again",
                         details={"client_id": client_id})


def written(conn: AsyncConnection, topic: str) -> None:
    """Mark ``conn``'s transaction as writing what listeners of ``topic`` (:meth:`Database.
    on_commit`) want to hear of once it committed; nothing is told if it rolls back."""
    conn.sync_connection.info.setdefault(_TOPICS, set()).add(topic)


def check_client_id(client_id: str) -> str:
    """Return ``client_id`` if it can name a tenant (schema and file names derive from it)."""
    if not isinstance(client_id, str) or not CLIENT_ID.match(client_id):
        raise ValueError(
            f"invalid client id {client_id!r}: 1-40 characters, lowercase letters, digits, '-' or '_'"
        )
    return client_id


def schema_name(client_id: str) -> str:
    """The PostgreSQL schema holding a tenant's tables."""
    return "tenant_" + check_client_id(client_id).replace("-", "_")


def _private_file(path: Path) -> None:
    """Create a SQLite file readable by its owner only (customers' names, phones, e-mails);
    SQLite gives its -wal and -shm files the same mode. An existing file is left alone: opening
    and closing it here would drop this process's locks on it (see :func:`_hold`)."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        pass


#: One read-only descriptor per SQLite tenant file per process, by (device, inode). Closing any
#: descriptor of a file drops every POSIX lock this process holds on it, SQLite's included: a
#: writer in another process could then take the file as unused and checkpoint and delete the
#: WAL under this process's readers ("database disk image is malformed";
#: https://www.sqlite.org/howtocorrupt.html, 2.2). So a descriptor is shared by every
#: :class:`Database` of the process and closed only once its file is deleted. Holding it keeps
#: the inode from being reused by a file made again under the same name.
_HELD: dict[tuple[int, int], int] = {}


def _hold(path: Path) -> tuple[int, int]:
    """Hold the SQLite file at ``path`` open in this process; its (device, inode)."""
    _close_deleted()
    try:
        named = path.stat()
        if (named.st_dev, named.st_ino) in _HELD:
            return named.st_dev, named.st_ino
    except FileNotFoundError:
        pass
    fd = os.open(path, os.O_RDONLY)
    opened = os.fstat(fd)
    key = (opened.st_dev, opened.st_ino)
    if _HELD.setdefault(key, fd) != fd:
        os.close(fd)  # pragma: no cover - another thread held it first: the same locks' owner
    return key


def _close_deleted() -> None:
    """Close the held descriptors of deleted files (no lock on those matters any more)."""
    for key, fd in list(_HELD.items()):
        if os.fstat(fd).st_nlink == 0:
            del _HELD[key]
            os.close(fd)


def _same_file(key: tuple[int, int], path: Path) -> bool:
    """Whether the file held as ``key`` still exists and is the one at ``path``."""
    fd = _HELD.get(key)
    if fd is None or os.fstat(fd).st_nlink == 0:
        return False
    try:
        named = path.stat()
    except FileNotFoundError:
        return False
    return (named.st_dev, named.st_ino) == key


#: Seconds a SQLite writer waits for another's lock (``?timeout=`` on the URL sets it).
SQLITE_BUSY_SECONDS = 30.0
#: What a client is told to wait before retrying when the database cannot serve.
RETRY_AFTER_SECONDS = 2
# PostgreSQL error classes that mean "not now" rather than "wrong": connection exceptions (08),
# insufficient resources (53: too many connections), operator intervention (57: shutting down,
# starting up), and a statement cancelled on a lock or statement timeout (55P03, 57014).
_PG_UNAVAILABLE = ("08", "53", "57", "55P03")
_SQLITE_BUSY = ("database is locked", "database table is locked", "database is busy")


def _sqlite_busy_seconds(url) -> float:
    try:
        return float(url.query.get("timeout", SQLITE_BUSY_SECONDS))
    except ValueError:
        raise ValueError(f"invalid SQLite timeout {url.query.get('timeout')!r}") from None


def unavailable(exc: BaseException) -> ServiceUnavailable | None:
    """The 503 (with ``Retry-After``) that ``exc`` means when it says the database cannot serve
    now (refused, lost or exhausted connections; a lock held past the busy timeout), or None
    for any other error."""
    reason = None
    cause = exc.orig if isinstance(exc, DBAPIError) else exc
    state = str(getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None) or "")
    text = str(cause).lower()
    if isinstance(exc, PoolTimeout):
        reason = "no database connection was free in time"
    elif any(busy in text for busy in _SQLITE_BUSY):
        reason = "the database is busy"
    elif (state.startswith(_PG_UNAVAILABLE)
          or (isinstance(exc, DBAPIError) and exc.connection_invalidated)
          or isinstance(cause, (OSError, ConnectionError, asyncio.TimeoutError))
          # asyncpg's own errors (core/tenant_pool.py drives it directly) for a dead link
          or (type(cause).__module__.startswith("asyncpg") and "connection" in text)):
        reason = "the database connection failed"
    if reason is None:
        return None
    return ServiceUnavailable(f"{reason}; retry shortly", code="database_unavailable",
                              retry_after=RETRY_AFTER_SECONDS)


def _sqlite_pragmas(busy_seconds: float):
    def pragmas(dbapi_connection, _record) -> None:
        # Let SQLAlchemy's "begin" event decide how transactions start (pysqlite's is lazy).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_seconds * 1000)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
    return pragmas


def _sqlite_begin(conn) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """Engines and transactions for the control tables and every tenant."""

    def __init__(self, url: str, *, pool_size: int = 20, max_overflow: int = 10) -> None:
        self.url = make_url(url)
        self.dialect = self.url.get_backend_name()
        self._pool = dict(pool_size=pool_size, max_overflow=max_overflow)
        self._engines: dict[str, AsyncEngine] = {}
        #: The (device, inode) of the file each SQLite tenant engine opened, held open by
        #: :func:`_hold`: its link count drops to zero when another process deletes the file.
        self._files: dict[str, tuple[int, int]] = {}
        self._known_tenants: set[str] = set()
        #: Tenants this process served and then forgot (dropped): their requests are 401.
        self._gone: set[str] = set()
        #: How many times each tenant was forgotten: what is cached about a tenant under an
        #: older count is about one since dropped (core/revocation.py).
        self.generations: dict[str, int] = {}
        self._lock = asyncio.Lock()
        self._commit_listeners: list[Callable[[str], None]] = []
        self._topic_listeners: dict[str, list[Callable[[str], None]]] = {}
        self._retired: list[AsyncEngine] = []
        self._autonomous: AsyncEngine | None = None
        self._scoped: dict[str | tuple[str, str], AsyncEngine] = {}
        #: Counter sequences known to exist, per tenant (:mod:`posmodern.core.counters`).
        self.sequences: dict[str, set[str]] = {}
        self.control = self._create_engine(self.url)
        # PostgreSQL: tenant transactions on connections kept open (core/tenant_pool.py).
        self._tenant_connections = None if self.is_sqlite else TenantConnections(
            self.url, pool_size + max_overflow, own_relay=lambda: bool(self._commit_listeners))

    # --- engines ---------------------------------------------------------------------------

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @property
    def data_dir(self) -> Path:
        """Where SQLite keeps the main file and the tenants' files."""
        return Path(self.url.database or ".").resolve().parent

    def tenant_file(self, client_id: str) -> Path:
        return self.data_dir / "tenants" / f"{check_client_id(client_id)}.db"

    def _create_engine(self, url) -> AsyncEngine:
        if self.dialect == "sqlite":
            if url.database and url.database != ":memory:":
                _private_file(Path(url.database))
            busy = _sqlite_busy_seconds(url)
            engine = create_async_engine(url.difference_update_query(["timeout"]),
                                         connect_args={"timeout": busy}, pool_size=5,
                                         max_overflow=10, json_serializer=dumps,
                                         hide_parameters=True)
            event.listen(engine.sync_engine, "connect", _sqlite_pragmas(busy))
            event.listen(engine.sync_engine, "begin", _sqlite_begin)
            return engine
        # No pre-ping: with asyncpg it costs three round trips (BEGIN, a query, ROLLBACK) on every
        # checkout. After a database restart the first statement on a dead connection fails,
        # SQLAlchemy then drops every connection made before it, and the client retries (with
        # its Idempotency-Key). Connections above pool_size are closed when returned, so the
        # pool is sized for the usual concurrency.
        return create_async_engine(url, pool_recycle=1800, json_serializer=dumps,
                                   hide_parameters=True, **self._pool)

    @property
    def engines(self) -> list[AsyncEngine]:
        """Every engine this database has opened so far (to instrument: statements, pools)."""
        extra = [self._tenant_connections.engine] if self._tenant_connections else []
        if self._autonomous is not None:
            extra.append(self._autonomous)
        return [self.control, *extra, *self._engines.values()]

    def tenant_engine(self, client_id: str) -> AsyncEngine:
        """The engine a tenant's transactions run on (shared on PostgreSQL)."""
        if not self.is_sqlite:
            return self.control
        engine = self._engines.get(client_id)
        if engine is None:
            path = self.tenant_file(client_id)
            engine = self._create_engine(self.url.set(database=str(path)))
            self._engines[client_id] = engine
            self._files[client_id] = _hold(path)
        return engine

    def _scoped_engine(self, client_id: str) -> AsyncEngine:
        # The tenant's schema set once on an engine view sharing the pool, rather than on every
        # connection (which costs a trip through SQLAlchemy's greenlet bridge each time).
        engine = self._scoped.get(client_id)
        if engine is None:
            engine = self.tenant_engine(client_id)
            options = self.tenant_options(client_id)
            if options:
                engine = engine.execution_options(**options)
            self._scoped[client_id] = engine
        return engine

    def control_options(self) -> dict:
        # On SQLite the control tables are in the main file's own (unnamed) schema.
        return {"schema_translate_map": {CONTROL_SCHEMA: None}} if self.is_sqlite else {}

    def tenant_options(self, client_id: str) -> dict:
        if self.is_sqlite:
            return {}
        return {"schema_translate_map": {None: schema_name(client_id)}}

    # --- tenants -----------------------------------------------------------------------------

    async def tenant_exists(self, client_id: str) -> bool:
        """Whether the tenant is registered (cached once seen; :meth:`forget_tenant` clears)."""
        if client_id in self._known_tenants:
            return True
        if not CLIENT_ID.match(client_id or ""):
            return False
        try:
            async with self.control_connection() as conn:
                found = await conn.scalar(
                    select(tenants.c.client_id).where(tenants.c.client_id == client_id,
                                                      tenants.c.status == "active"))
        except DBAPIError as exc:
            if "tenants" in str(exc.orig):
                raise ServiceUnavailable("the database is not migrated: run `pos db upgrade`",
                                         code="not_migrated") from None
            raise
        if found:
            self._known_tenants.add(client_id)
            self._gone.discard(client_id)
        return bool(found)

    def forget_tenant(self, client_id: str) -> None:
        """Drop what is cached about a tenant (after it is dropped)."""
        if client_id in self._known_tenants:
            self._gone.add(client_id)
        self.generations[client_id] = self.generations.get(client_id, 0) + 1
        self._known_tenants.discard(client_id)
        self.sequences.pop(client_id, None)
        self._scoped.pop(client_id, None)
        self._scoped.pop(("autonomous", client_id), None)
        self._files.pop(client_id, None)
        engine = self._engines.pop(client_id, None)
        if engine is not None:
            self._retired.append(engine)

    async def _require_tenant(self, client_id: str) -> None:
        if client_id in self._files and not _same_file(self._files[client_id],
                                                        self.tenant_file(client_id)):
            # Dropped (`pos tenant drop`) or replaced (`pos db restore`) by another process:
            # this engine would go on with the deleted file, and every answer would be a lie.
            # A tenant still registered is served from its new file; one dropped is gone.
            self.forget_tenant(client_id)
            await self.dispose_retired()
        if not await self.tenant_exists(client_id):
            if client_id in self._gone:
                raise TenantGone(client_id)
            raise NotFound(f"unknown tenant {client_id!r}", code="unknown_tenant")

    async def _tenant_gone(self, client_id: str) -> None:
        self.forget_tenant(client_id)
        await self.dispose_retired()
        raise TenantGone(client_id)

    async def _still_active(self, client_id: str) -> bool:
        """Whether the control tables still list the tenant as active (read now); True when
        they cannot say, so the original error is the one reported."""
        try:
            async with self.control_connection() as conn:
                status = await conn.scalar(select(tenants.c.status).where(
                    tenants.c.client_id == client_id))
        except Exception:  # noqa: BLE001 - the database is down: report that error instead
            return True
        return status == "active"

    # --- connections and transactions --------------------------------------------------------

    @asynccontextmanager
    async def control_connection(self) -> AsyncIterator[AsyncConnection]:
        """A connection to the control tables, in a transaction committed on success."""
        async with self.control.connect() as conn:
            await conn.execution_options(**self.control_options())
            async with conn.begin():
                yield conn

    @asynccontextmanager
    async def transaction(self, client_id: str) -> AsyncIterator[AsyncConnection]:
        """One transaction in a tenant's tables: committed on success, rolled back on error.

        Outbox rows written inside it are announced to commit listeners (the relay) only after
        the commit succeeded.
        """
        await self._require_tenant(client_id)
        try:
            async with self._tenant_transaction(client_id) as conn:
                info = conn.sync_connection.info
                info.pop(OUTBOX_WRITTEN, None)
                info.pop(_TOPICS, None)
                outbox.forget(conn)
                try:
                    yield conn
                    await outbox.flush(conn)
                except BaseException:
                    info.pop(OUTBOX_WRITTEN, None)
                    info.pop(_TOPICS, None)
                    outbox.forget(conn)
                    raise
        except DBAPIError:
            # PostgreSQL: a schema dropped by another process fails every statement.
            if not await self._still_active(client_id):
                await self._tenant_gone(client_id)
            raise
        if info.pop(OUTBOX_WRITTEN, False):
            for listener in self._commit_listeners:
                listener(client_id)
        for topic in info.pop(_TOPICS, ()):
            for listener in self._topic_listeners.get(topic, ()):
                listener(client_id)

    @asynccontextmanager
    async def _tenant_transaction(self, client_id: str) -> AsyncIterator[AsyncConnection]:
        if self._tenant_connections is not None:
            async with self._tenant_connections.transaction(
                    client_id, self.tenant_options(client_id)) as conn:
                yield conn
            return
        async with self._scoped_engine(client_id).connect() as conn, conn.begin():
            yield conn

    @asynccontextmanager
    async def autonomous(self, client_id: str) -> AsyncIterator[AsyncConnection]:
        """A connection of a tenant whose statements commit at once, each on its own.

        PostgreSQL only (SQLite has one writer at a time: use the caller's transaction). For a
        short write that must not wait for, or hold locks until, the caller's transaction ends
        (creating a counter's sequence). Its commits do not wait for the disk
        (``synchronous_commit = off``): fine for what a later, durable commit depends on, since
        that one's log record is written after it, but nothing that must survive a crash on its
        own belongs here; neither do events. It draws from a small pool of its own, so a request
        holding a connection of the main pool never waits for a second one from it: with every
        main connection taken by requests each needing another, a shared pool would deadlock.
        """
        if self.is_sqlite:
            raise RuntimeError("autonomous statements need PostgreSQL; SQLite has one writer")
        await self._require_tenant(client_id)
        if self._autonomous is None:
            self._autonomous = create_async_engine(
                # No overflow: a connection opened and closed per use would cost more than
                # the wait for one of these, each held for one statement.
                self.url, pool_size=8, max_overflow=0, isolation_level="AUTOCOMMIT",
                json_serializer=dumps, hide_parameters=True,
                connect_args={"server_settings": {"synchronous_commit": "off"}})
        engine = self._scoped.get(("autonomous", client_id))
        if engine is None:
            engine = self._autonomous.execution_options(**self.tenant_options(client_id))
            self._scoped[("autonomous", client_id)] = engine
        async with engine.connect() as conn:
            yield conn

    def on_outbox_commit(self, listener: Callable[[str], None]) -> None:
        """Call ``listener(client_id)`` after each commit that wrote outbox rows (must not block)."""
        self._commit_listeners.append(listener)

    def off_outbox_commit(self, listener: Callable[[str], None]) -> None:
        if listener in self._commit_listeners:
            self._commit_listeners.remove(listener)

    def on_commit(self, topic: str, listener: Callable[[str], None]) -> None:
        """Call ``listener(client_id)`` after each commit of :meth:`transaction` whose writes
        :func:`written` marked with ``topic`` (must not block): a worker of this process takes
        up what was just made visible instead of finding it at its next poll."""
        self._topic_listeners.setdefault(topic, []).append(listener)

    def off_commit(self, topic: str, listener: Callable[[str], None]) -> None:
        listeners = self._topic_listeners.get(topic, [])
        if listener in listeners:
            listeners.remove(listener)

    async def dispose_retired(self) -> None:
        """Close the pools of forgotten tenants."""
        while self._retired:
            await self._retired.pop().dispose()

    async def ping(self) -> None:
        """Raise if the database cannot answer a trivial query."""
        async with self.control.connect() as conn:
            await conn.exec_driver_sql("SELECT 1")

    async def dispose(self) -> None:
        """Close every pool."""
        if self._tenant_connections is not None:
            await self._tenant_connections.dispose()
        autonomous = [self._autonomous] if self._autonomous is not None else []
        for engine in [*self._engines.values(), *self._retired, *autonomous, self.control]:
            await engine.dispose()
        self._autonomous = None
        self._engines.clear()
        self._files.clear()
        self._scoped.clear()
        self._retired.clear()
        self._known_tenants.clear()
        self._gone.clear()
        self.sequences.clear()
