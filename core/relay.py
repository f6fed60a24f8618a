"""The outbox relay: committed outbox rows of every tenant, sent to the bus's transport.

A change and its event commit together (core/outbox.py); this is what sends the event after.
:class:`OutboxRelay` runs one task per process. What it costs while nothing happens does not grow
with the number of tenants:

- **Own commits.** :meth:`OutboxRelay.notify` is called after each local commit that wrote
  outbox rows (``Database.on_outbox_commit``); the relay waits ``linger_seconds`` for the commits
  of a busy moment to gather, then sends the rows of the tenants that committed. Every process
  does this for its own commits.
- **One sweeping relay per deployment** (core/election.py): on PostgreSQL a session advisory
  lock, on SQLite a file lock. Its holder also relays what other processes committed (CLI
  commands, replicas, a process that died before sending) and what failed:

  - PostgreSQL: it LISTENs on :data:`WAKEUP_CHANNEL`, where the outbox's trigger (tenant
    migrations 0004 and 0013) notifies the tenant's schema at each commit that wrote rows,
    except on the connections of a process whose relay runs (they carry
    ``posmodern.own_relay``, core/tenant_pool.py): it sends those itself; every
    ``sweep_seconds`` it reads, in one query over the catalogs, how many rows each tenant's
    outbox has had inserted (``pg_stat_get_tuples_inserted``) and relays the tenants whose count
    moved (:meth:`pending_tenants`): a commit whose wake-up was lost still goes out; and every
    ``full_sweep_seconds`` (and when it takes the role) it visits every tenant.
  - SQLite (a few tenants on one machine): it visits every tenant every ``poll_seconds``.

  Tenants whose relay failed are remembered and tried again at each sweep. The holder also
  runs the purge of core/retention.py when it is due and counts the backlog.
- **Batches.** Rows go oldest first, :data:`BATCH` at a time, each batch in one transaction:
  claimed (on PostgreSQL ``FOR UPDATE SKIP LOCKED``, so several relays never send the same
  batch twice), handed to the transport, which returns once the broker has them, then marked
  sent. A failure leaves them pending for the next round; a consumer drops a row sent twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import Text, bindparam, cast, column, func, select, table, text, update

from posmodern.core.db import Database
from posmodern.core.election import Election, election_for
from posmodern.core.errors import NotFound
from posmodern.core.retention import PurgeSchedule, Retention
from posmodern.core.writes import fetch, one_of, write
from posmodern.schema.control import tenants
from posmodern.schema.tables import outbox
from posmodern.schema.types import utcnow

log = logging.getLogger("posmodern.relay")

BATCH = 200
#: The channel of the outbox's wake-ups (the trigger of tenant migrations 0004 and 0013).
WAKEUP_CHANNEL = "posmodern_outbox"

#: Sends outbox rows (``event_id``, ``event_type``, ``payload`` as stored JSON text) and returns
#: once the broker holds every one of them; raises if it cannot.
Send = Callable[[list], Awaitable[None]]

# Pending outbox rows, oldest first; on PostgreSQL several relays skip each other's rows.
_PENDING = (select(outbox.c.seq, outbox.c.event_id, outbox.c.event_type,
                   cast(outbox.c.payload, Text).label("payload"))
            .where(outbox.c.published_at.is_(None)).order_by(outbox.c.seq)
            .limit(bindparam("batch")).with_for_update(skip_locked=True))
_MARK_SENT = {
    dialect: update(outbox).where(seqs).values(published_at=bindparam("now"),
                                               attempts=outbox.c.attempts + 1)
    for dialect, seqs in one_of(outbox.c.seq, "seqs").items()}
_BACKLOG = select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
_ACTIVE = tenants.c.status == "active"
_ACTIVE_TENANTS = select(tenants.c.client_id).where(_ACTIVE)
_SCHEMAS = select(tenants.c.schema_name, tenants.c.client_id).where(_ACTIVE)

# PostgreSQL: each tenant's outbox table (found through the catalogs when the tenants change),
# then the rows ever inserted into each, from the statistics in shared memory: one query that
# reads no table, whatever the number of tenants.
_pg_namespace = table("pg_namespace", column("oid"), column("nspname"), schema="pg_catalog")
_pg_class = table("pg_class", column("oid"), column("relname"), column("relnamespace"),
                  column("relkind"), schema="pg_catalog")
_OUTBOXES = (select(_pg_class.c.oid, _pg_namespace.c.nspname)
             .join(_pg_namespace, _pg_class.c.relnamespace == _pg_namespace.c.oid)
             .where(_pg_class.c.relname == outbox.name, _pg_class.c.relkind == "r"))
_ACTIVE_COUNT = select(func.count()).select_from(tenants).where(_ACTIVE)
_INSERTED = text("SELECT relid, pg_stat_get_tuples_inserted(relid) "
                 "FROM unnest(CAST(:relids AS oid[])) AS relid")


@dataclass
class RelayStats:
    """What the relay counts (part of the bus's stats, shown by the dashboard and /metrics)."""

    published: int = 0
    backlog: int = 0
    purged: int = 0
    last_sweep: float = 0.0
    #: Whether this process holds the deployment's sweeping relay role.
    leading: bool = False


class OutboxRelay:
    """Moves one database's committed outbox rows to a transport, in one task of this process.

    ``send`` is the transport (:data:`Send`); ``stats`` is where it counts (its own
    :class:`RelayStats` unless given one to share). Without ``retention`` nothing is purged.
    ``deployment`` names the processes among which one sweeps (the bus's exchange: processes
    publishing to one exchange share the work); ``elect=False`` never takes that role.
    """

    def __init__(self, db: Database, send: Send, *, poll_seconds: float = 0.5,
                 linger_seconds: float = 0.0, retention: Retention | None = None,
                 stats: RelayStats | None = None, sweep_seconds: float = 5.0,
                 full_sweep_seconds: float = 3600.0, deployment: str = "posmodern.events",
                 elect: bool = True, election_seconds: float | None = None) -> None:
        self.db = db
        self.send = send
        self.poll_seconds = poll_seconds
        self.linger_seconds = linger_seconds
        # SQLite's sweep visits every tenant (a few, on one machine) at the old pace.
        self.sweep_seconds = poll_seconds if db.is_sqlite else sweep_seconds
        self.full_sweep_seconds = poll_seconds if db.is_sqlite else full_sweep_seconds
        self.deployment = deployment
        self.elect = elect
        self.election_seconds = election_seconds
        self.purge = PurgeSchedule(db, retention) if retention is not None else None
        self.stats = stats if stats is not None else RelayStats()
        self.election: Election | None = None
        self._dirty: set[str] = set()
        self._retry: set[str] = set()  # tenants whose last relay failed
        self._backlogs: dict[str, int] = {}  # rows left behind, per tenant, when last counted
        self._inserted: dict[str, int] = {}  # PostgreSQL: outbox inserts seen, per tenant
        self._clients: dict[str, str] = {}  # PostgreSQL: client id by schema
        self._outboxes: dict[int, str] = {}  # PostgreSQL: client id by its outbox's table oid
        self._next_sweep = 0.0
        self._next_full = 0.0
        self._wake = asyncio.Event()
        self._sweep_wake = asyncio.Event()
        self._closing = False
        self._tasks: list[asyncio.Task] = []
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def leading(self) -> bool:
        """Whether this process is the deployment's sweeping relay."""
        return self.election is not None and self.election.leading

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen to the database's commits, campaign for the sweeping role and start relaying
        (the transport must be up)."""
        self._loop = asyncio.get_running_loop()
        self._closing = False
        self.db.on_outbox_commit(self.notify)
        self._tasks = [asyncio.create_task(self._run(), name="pos-outbox-relay"),
                       asyncio.create_task(self._sweeper(), name="pos-outbox-sweeper")]
        if self.elect:
            self.election = self._election()
            await self.election.start()

    def _election(self) -> Election:
        timing = {} if self.election_seconds is None else {"retry_seconds": self.election_seconds}
        return election_for(self.db, f"outbox-relay:{self.deployment}", self._role_changed,
                            channel=WAKEUP_CHANNEL, on_notify=self._heard, **timing)

    async def stop(self) -> None:
        """Finish the round under way, send what this process committed, and stop listening.

        The transport must still be up: this is the last chance of this process to send.
        """
        self._closing = True
        if self.election is not None:
            await self.election.stop()  # another process takes the role over
            self.election = None
        if self._tasks:
            # Let the relay finish what it is sending (cancelling it in the middle of a database
            # transaction could leave that connection's transaction, and its locks, behind).
            self._wake.set()
            self._sweep_wake.set()
            for task in self._tasks:
                try:
                    await asyncio.wait_for(asyncio.shield(task), timeout=30)
                except TimeoutError:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            self._tasks = []
            left, self._dirty = self._dirty | self._retry, set()
            for client_id in sorted(left):
                await self._relay_tracked(client_id)
        self.db.off_outbox_commit(self.notify)

    def notify(self, client_id: str | None = None) -> None:
        """Wake the relay: ``client_id`` committed outbox rows (thread-safe, never blocks)."""
        def wake() -> None:
            if client_id:
                self._dirty.add(client_id)
            self._wake.set()
        if self._loop is None:
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self._loop:
            wake()
        else:
            self._loop.call_soon_threadsafe(wake)

    def _heard(self, schema: str) -> None:
        # A wake-up from the outbox trigger, of any process: it names the tenant's schema.
        client_id = self._clients.get(schema)
        if client_id is None:
            self._dirty.add(f"schema:{schema}")  # a tenant created since: looked up in the round
        self.notify(client_id)

    def _role_changed(self, leading: bool) -> None:
        self.stats.leading = leading
        if leading:
            self._next_full = 0.0  # a full pass first: what was committed while nobody listened
            self._sweep_wake.set()

    async def _run(self) -> None:
        """The fast path: the tenants that committed (here, or heard of), as they commit."""
        while not self._closing:
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=60)
                if self._closing:
                    return
                if self.linger_seconds:
                    # Let the commits of a busy moment gather: one relay transaction sends them
                    # all, instead of one per commit.
                    await asyncio.sleep(self.linger_seconds)
            except TimeoutError:
                continue
            self._wake.clear()
            try:
                await self._relay_dirty()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - keep relaying; rows stay pending and are retried
                log.exception("outbox relay failed; retrying")
                await asyncio.sleep(1.0)

    async def _relay_dirty(self) -> None:
        dirty, self._dirty = self._dirty, set()
        if any(name.startswith("schema:") for name in dirty):
            await self._load_schemas()
            dirty = {self._clients.get(name[7:]) if name.startswith("schema:") else name
                     for name in dirty} - {None}
        for client_id in sorted(dirty):
            await self._relay_tracked(client_id)

    async def _sweeper(self) -> None:
        """The sweeps, in a task of their own so that they never hold up the fast path (a
        sweep under load visits every tenant that had orders, already relayed)."""
        while not self._closing:
            try:
                await asyncio.wait_for(self._sweep_wake.wait(), timeout=self._until_due())
            except TimeoutError:
                pass
            self._sweep_wake.clear()
            if self._closing:
                return
            try:
                await self._sweep_round()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - keep sweeping; rows stay pending and are retried
                log.exception("outbox sweep failed; retrying")
                await asyncio.sleep(min(5.0, self.sweep_seconds))

    def _until_due(self) -> float:
        if self.leading:
            due = min(self._next_sweep, self._next_full)
        elif self._retry:
            due = self._next_sweep
        else:
            return 60.0
        return max(0.0, due - time.monotonic())

    async def _sweep_round(self) -> None:
        now = time.monotonic()
        if self.leading and now >= self._next_full:
            self._next_full = now + self.full_sweep_seconds
            self._next_sweep = now + self.sweep_seconds
            await self._count_inserts()  # first, so what commits during the pass is seen next
            await self.relay_once()
            await self.purge_due()
        elif (self.leading or self._retry) and now >= self._next_sweep:
            self._next_sweep = now + self.sweep_seconds
            await self.sweep()
            if self.leading:
                await self.purge_due()

    # --- tenants -----------------------------------------------------------------------------

    async def active_tenants(self) -> list[str]:
        """Every active tenant (the full sweep's and the purge's round)."""
        async with self.db.control_connection() as conn:
            return list(await conn.scalars(_ACTIVE_TENANTS))

    async def pending_tenants(self) -> list[str]:
        """The tenants a sweep relays: those that may have outbox rows not yet sent.

        On PostgreSQL (as the sweeping relay) the tenants whose outbox had rows inserted since
        the last sweep, read from the statistics in one query, and those whose last relay
        failed; a process that does not sweep, only the latter. On SQLite every active tenant.
        """
        sweeping = self.election is None or self.election.leading  # or asked to, directly
        if self.db.is_sqlite:
            return await self.active_tenants() if sweeping else sorted(self._retry)
        moved = await self._count_inserts() if sweeping else set()
        return sorted(moved | self._retry)

    async def _count_inserts(self) -> set[str]:
        """PostgreSQL: the tenants whose outbox count of inserted rows moved since last read."""
        if self.db.is_sqlite:
            return set()
        async with self.db.control_connection() as conn:
            if await conn.scalar(_ACTIVE_COUNT) != len(self._outboxes):
                await self._load_schemas(conn)  # a tenant was created or dropped
            counts = {self._outboxes[relid]: count for relid, count in (await conn.execute(
                _INSERTED, {"relids": list(self._outboxes)})).all()}
        moved = {client for client, count in counts.items()
                 if count != self._inserted.get(client, 0)}
        self._inserted = counts
        return moved

    async def _load_schemas(self, conn=None) -> None:
        if conn is None:
            async with self.db.control_connection() as conn:
                return await self._load_schemas(conn)
        self._clients = dict((await conn.execute(_SCHEMAS)).all())
        if not self.db.is_sqlite:
            self._outboxes = {relid: self._clients[schema]
                              for relid, schema in (await conn.execute(_OUTBOXES)).all()
                              if schema in self._clients}

    # --- relaying ----------------------------------------------------------------------------

    async def relay_once(self) -> int:
        """The full sweep: relay the pending rows of every active tenant and count the backlog;
        returns how many rows were sent."""
        sent = 0
        self._backlogs.clear()
        if not self.db.is_sqlite:
            await self._load_schemas()
        for client_id in await self.active_tenants():
            if self._closing and self._tasks:
                break  # stopping: the next holder of the role does a full pass
            sent += await self._relay_tracked(client_id)
            try:
                left = await self.backlog(client_id)
            except NotFound:
                continue
            if left:
                self._backlogs[client_id] = left
        self._swept()
        return sent

    async def sweep(self) -> int:
        """Relay the tenants of :meth:`pending_tenants`; returns how many rows were sent."""
        sent = 0
        for client_id in await self.pending_tenants():
            if self._closing and self._tasks:
                break
            sent += await self._relay_tracked(client_id)
        self._swept()
        return sent

    def _swept(self) -> None:
        self.stats.backlog = sum(self._backlogs.values())
        self.stats.last_sweep = time.time()

    async def _relay_tracked(self, client_id: str) -> int:
        """Relay a tenant, remembering it for the next sweep if that fails."""
        try:
            sent = await self.relay_tenant(client_id)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - one tenant's failure must not stop the others'
            if client_id in self._retry:  # told already: a broker down fails every round
                log.debug("outbox relay failed again for tenant %s", client_id, exc_info=True)
            else:
                log.exception("outbox relay failed for tenant %s; retrying later", client_id)
            if not self._retry:
                self._next_sweep = time.monotonic() + self.sweep_seconds
            self._retry.add(client_id)
            self._sweep_wake.set()
            with contextlib.suppress(Exception):
                self._backlogs[client_id] = await self.backlog(client_id)
            return 0
        if client_id in self._retry:
            self._retry.discard(client_id)
            log.info("outbox relay works again for tenant %s", client_id)
        self._backlogs.pop(client_id, None)
        return sent

    async def backlog(self, client_id: str) -> int:
        """Outbox rows of a tenant not yet sent."""
        async with self.db.transaction(client_id) as conn:
            return await conn.scalar(_BACKLOG)

    async def relay_tenant(self, client_id: str) -> int:
        """Send one tenant's pending outbox rows, in batches, oldest first."""
        sent = 0
        while True:
            try:
                count = await self._relay_batch(client_id)
            except NotFound:
                return sent  # tenant dropped meanwhile
            sent += count
            if count < BATCH:
                return sent

    async def _relay_batch(self, client_id: str) -> int:
        async with self.db.transaction(client_id) as conn:
            rows = await fetch(conn, _PENDING, {"batch": BATCH})
            if not rows:
                return 0
            await self.send(rows)
            await write(conn, _MARK_SENT[conn.dialect.name],
                        {"seqs": [row.seq for row in rows], "now": utcnow()})
        self.stats.published += len(rows)
        return len(rows)

    async def purge_due(self) -> int:
        """Purge every active tenant if the retention interval has passed; returns rows
        deleted."""
        if self.purge is None or not self.purge.due():
            return 0
        deleted = 0
        tenants_now = await self.active_tenants()
        for start in range(0, len(tenants_now), 100):
            if self._closing and self._tasks:
                break  # stopping: the next holder of the role purges
            deleted += await self.purge.run(tenants_now[start:start + 100])
        self.stats.purged += deleted
        return deleted
