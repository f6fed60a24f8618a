"""Tenants (clients): create, list, migrate and drop them.

A tenant is a client of the platform (a restaurant chain); its stores share its tables. Creating
one registers it in the control tables and builds its schema (PostgreSQL) or file (SQLite) through
the tenant migrations (on PostgreSQL, after the first, from a recording of them:
:func:`posmodern.schema.migrate.create_tenant_schema`). ``pos db upgrade`` migrates the tenants in
parallel, skipping those at the heads, and reports on each (:func:`upgrade_tenants`).

``branches`` are the migration branches of the loaded plugins that bring tables of their own
(:func:`posmodern.core.migrations.migration_branches`); a tenant gets the built-in tables and
theirs. A branch applied before and not passed now stays as it is.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import delete, insert, select, text
from sqlalchemy.exc import DBAPIError

from posmodern.core.db import Database, check_client_id, insert_ignore, schema_name
from posmodern.core.errors import Conflict, NotFound
from posmodern.schema import migrate
from posmodern.schema.control import CONTROL_SCHEMA, tenant_references, tenants
from posmodern.schema.migrate import BranchRevision
from posmodern.schema.types import utcnow

if TYPE_CHECKING:
    from posmodern.core.migrations import MigrationBranch


@dataclass(frozen=True)
class Tenant:
    client_id: str
    name: str
    schema_name: str
    status: str
    created_at: datetime
    #: The revision of the built-in tables (when asked for).
    revision: str | None = None
    #: Every branch's revision, the built-in one first (when asked for).
    branches: tuple[BranchRevision, ...] = ()


#: Databases whose control tables this process has brought to their head already.
_control_ready: weakref.WeakSet[Database] = weakref.WeakSet()


async def upgrade_control(db: Database) -> None:
    """Create or migrate the control tables (once per :class:`Database` object)."""
    if db in _control_ready:
        return
    async with db.control.begin() as conn:
        await conn.execution_options(**db.control_options())
        await migrate.upgrade_control(conn)
    _control_ready.add(db)


async def upgrade_tenant(db: Database, client_id: str,
                         branches: Sequence[MigrationBranch] = ()) -> None:
    """Create or migrate one tenant's tables, and those of the plugins' ``branches``."""
    async with db.tenant_engine(client_id).begin() as conn:
        await migrate.upgrade_tenant(conn, None if db.is_sqlite else schema_name(client_id),
                                     branches)


async def create_tenant(db: Database, client_id: str, name: str | None = None, *,
                        branches: Sequence[MigrationBranch] = ()) -> Tenant:
    """Register a tenant and build its tables, and those of the plugins' ``branches``.

    A tenant that exists is a :class:`Conflict`.
    """
    check_client_id(client_id)
    await upgrade_control(db)
    if await db.tenant_exists(client_id):
        raise Conflict(f"tenant {client_id!r} already exists")
    row = {"client_id": client_id, "name": name or client_id, "schema_name": schema_name(client_id)}
    async with db.control_connection() as conn:
        twin = await conn.scalar(select(tenants.c.client_id).where(
            tenants.c.schema_name == row["schema_name"]))
    if twin is not None:  # "acme_x" after "acme-x": one schema name for both
        raise Conflict(f"tenant {client_id!r} would share the schema of tenant {twin!r}; "
                       "choose another id", code="tenant_id_taken", details={"tenant": twin})
    if db.is_sqlite:
        await upgrade_tenant(db, client_id, branches)
        async with db.control_connection() as conn:
            await conn.execute(insert(tenants).values(**row))
    else:
        # One transaction: the schema, its tables and the registry row appear together or not at all.
        async with db.control.begin() as conn:
            await migrate.create_tenant_schema(conn, row["schema_name"], branches)
            await conn.execute(insert(tenants).values(**row))
    return await get_tenant(db, client_id)


async def get_tenant(db: Database, client_id: str) -> Tenant:
    async with db.control_connection() as conn:
        row = (await conn.execute(select(tenants).where(tenants.c.client_id == client_id))).first()
    if row is None:
        raise NotFound(f"unknown tenant {client_id!r}", code="unknown_tenant")
    return Tenant(**row._mapping)


async def list_tenants(db: Database, *, with_revision: bool = False,
                       branches: Sequence[MigrationBranch] = ()) -> list[Tenant]:
    """Every registered tenant, with the revisions each is at when asked (of the built-in
    tables, of ``branches``, and of branches applied before that are not passed)."""
    await upgrade_control(db)
    async with db.control_connection() as conn:
        rows = (await conn.execute(select(tenants).order_by(tenants.c.client_id))).all()
    found = [Tenant(**row._mapping) for row in rows]
    if not with_revision:
        return found
    result = []
    for tenant in found:
        async with db.tenant_engine(tenant.client_id).connect() as conn:
            revisions = await migrate.tenant_revisions(
                conn, None if db.is_sqlite else tenant.schema_name, branches)
        result.append(Tenant(**{**tenant.__dict__, "revision": revisions[0].revision,
                                "branches": tuple(revisions)}))
    return result


@dataclass(frozen=True)
class TenantUpgrade:
    """What ``pos db upgrade`` did to one tenant."""

    client_id: str
    #: ``migrated``, ``current`` (at the heads already: nothing to do) or ``failed``.
    outcome: str
    seconds: float
    #: The revisions applied before (comma-separated), and why it failed.
    before: str | None = None
    error: str | None = None


async def _applied(db: Database, client_id: str) -> set[str]:
    schema = None if db.is_sqlite else schema_name(client_id)
    versions = migrate.version_table(schema)
    async with db.tenant_engine(client_id).connect() as conn:
        try:
            return set(await conn.scalars(select(versions.c.version_num)))
        except DBAPIError:  # no version table yet: never migrated
            return set()


def _upgrade_elsewhere(url: str, client_id: str, branches: list[tuple[str, str]]) -> str | None:
    """Migrate one tenant in a worker process (Alembic runs one migration at a time per
    process); returns the error, if any, as text."""
    from posmodern.core.migrations import MigrationBranch

    async def go() -> None:
        db = Database(url, pool_size=1, max_overflow=0)
        try:
            await upgrade_tenant(db, client_id, [MigrationBranch(name, Path(versions))
                                                 for name, versions in branches])
        finally:
            await db.dispose()
    try:
        asyncio.run(go())
    except Exception as exc:  # noqa: BLE001 - reported by the parent
        return f"{type(exc).__name__}: {exc}"
    return None


async def upgrade_tenants(db: Database, branches: Sequence[MigrationBranch] = (), *,
                          concurrency: int = 4,
                          progress: Callable[[TenantUpgrade, int, int], None] | None = None
                          ) -> list[TenantUpgrade]:
    """Migrate the control tables, then every tenant, each in its own transaction; returns what
    happened to each, in the order of the client ids.

    A tenant at the heads already is skipped after one query, so a run interrupted half-way is
    resumed by running it again. The others are migrated ``concurrency`` at a time, in as many
    worker processes (Alembic's work is Python's, and its context is one per process); with
    ``concurrency=1``, one after the other in this process. A tenant that fails is rolled back
    and reported; the others go on. ``progress(outcome, done, total)`` is called as each tenant
    is done.
    """
    await upgrade_control(db)
    clients = [tenant.client_id for tenant in await list_tenants(db)]
    heads = set(migrate.head_revisions(branches))
    slots = asyncio.Semaphore(max(1, concurrency))
    in_process = asyncio.Lock()
    workers: list[ProcessPoolExecutor] = []
    url = db.url.render_as_string(hide_password=False)
    specs = [(branch.name, str(branch.versions)) for branch in branches]
    done = 0

    async def migrate_one(client_id: str) -> None:
        if concurrency == 1:
            async with in_process:
                await upgrade_tenant(db, client_id, branches)
            return
        if not workers:
            workers.append(ProcessPoolExecutor(max_workers=concurrency,
                                               mp_context=multiprocessing.get_context("spawn")))
        error = await asyncio.get_running_loop().run_in_executor(
            workers[0], _upgrade_elsewhere, url, client_id, specs)
        if error is not None:
            raise RuntimeError(error)

    async def upgrade_one(client_id: str) -> TenantUpgrade:
        nonlocal done
        async with slots:
            started = time.perf_counter()
            before = None
            try:
                applied = await _applied(db, client_id)
                before = ", ".join(sorted(applied)) or None
                if heads <= applied:
                    outcome = TenantUpgrade(client_id, "current", 0.0, before)
                else:
                    await migrate_one(client_id)
                    outcome = TenantUpgrade(client_id, "migrated", 0.0, before)
            except Exception as exc:  # noqa: BLE001 - reported; the other tenants go on
                error = str(exc) if isinstance(exc, RuntimeError) and concurrency > 1 else \
                    f"{type(exc).__name__}: {exc}"
                outcome = TenantUpgrade(client_id, "failed", 0.0, before, error)
            outcome = replace(outcome, seconds=time.perf_counter() - started)
            done += 1
            if progress is not None:
                progress(outcome, done, len(clients))
            return outcome
    try:
        return list(await asyncio.gather(*(upgrade_one(client) for client in clients)))
    finally:
        for pool in workers:
            pool.shutdown(wait=True)


async def upgrade_all(db: Database, branches: Sequence[MigrationBranch] = ()) -> list[str]:
    """Migrate the control tables and every tenant (with the plugins' ``branches``); returns
    every tenant, at the heads now. Raises the first failure after trying every tenant."""
    outcomes = await upgrade_tenants(db, branches, concurrency=1)
    failed = [outcome for outcome in outcomes if outcome.outcome == "failed"]
    if failed:
        raise RuntimeError("; ".join(f"{f.client_id}: {f.error}" for f in failed))
    return [outcome.client_id for outcome in outcomes]


async def remember_reference(db: Database, namespace: str, reference: str, client_id: str) -> None:
    """Record that ``reference`` (an id shared with an outside system) belongs to ``client_id``.

    Recording it again for the same tenant is harmless; for another tenant it is a
    :class:`Conflict` (references must be unique per namespace).
    """
    async with db.control_connection() as conn:
        if await insert_ignore(conn, tenant_references, namespace=namespace, reference=reference,
                               client_id=client_id, created_at=utcnow()):
            return
        owner = await conn.scalar(select(tenant_references.c.client_id).where(
            tenant_references.c.namespace == namespace,
            tenant_references.c.reference == reference))
    if owner != client_id:
        raise Conflict(f"reference {namespace}:{reference} belongs to another tenant")


async def tenant_for_reference(db: Database, namespace: str, reference: str) -> str | None:
    """The tenant a reference was recorded for, or None."""
    async with db.control_connection() as conn:
        return await conn.scalar(select(tenant_references.c.client_id).where(
            tenant_references.c.namespace == namespace,
            tenant_references.c.reference == reference))


async def drop_tenant(db: Database, client_id: str) -> None:
    """Delete a tenant and all its data."""
    await get_tenant(db, client_id)
    async with db.control_connection() as conn:
        await conn.execute(delete(tenant_references).where(
            tenant_references.c.client_id == client_id))
    if db.is_sqlite:
        async with db.control_connection() as conn:
            await conn.execute(delete(tenants).where(tenants.c.client_id == client_id))
        db.forget_tenant(client_id)
        await db.dispose_retired()
        for suffix in ("", "-wal", "-shm"):
            path = db.tenant_file(client_id).with_name(db.tenant_file(client_id).name + suffix)
            path.unlink(missing_ok=True)
        return
    async with db.control.begin() as conn:
        quoted = conn.dialect.identifier_preparer.quote_identifier(schema_name(client_id))
        await conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {quoted} CASCADE")
        await conn.execute(delete(tenants).where(tenants.c.client_id == client_id))
    db.forget_tenant(client_id)


_ACTIVE_CLIENTS = select(tenants.c.client_id).where(tenants.c.status == "active")
# The active tenants' schemas holding a table with rows, from the statistics and the planner's
# estimate: one query over the catalogs, whatever the number of tenants.
_WITH_ROWS = text(
    "SELECT t.client_id FROM pg_catalog.pg_class c "
    "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
    f"JOIN {CONTROL_SCHEMA}.tenants t ON t.schema_name = n.nspname AND t.status = 'active' "
    "WHERE c.relname = :table AND c.relkind = 'r' "
    "AND (pg_stat_get_live_tuples(c.oid) > 0 OR c.reltuples > 0)")


async def active_tenants(db: Database) -> list[str]:
    """The client ids of the active tenants."""
    async with db.control_connection() as conn:
        return list(await conn.scalars(_ACTIVE_CLIENTS))


async def tenants_with_rows(db: Database, table_name: str) -> list[str]:
    """The active tenants whose table ``table_name`` may hold rows, for a background task that
    serves only those (a print spool looks for printers) without visiting every tenant.

    On PostgreSQL from the statistics, in one query: rows a transaction of another process just
    wrote are counted once its statistics are flushed (about a second, at most some seconds
    later), so a task of the writing process is told directly, and a rare full pass over
    :func:`active_tenants` remains the safety net. On SQLite (a few tenants) every active tenant.
    """
    if db.is_sqlite:
        return await active_tenants(db)
    async with db.control_connection() as conn:
        return list(await conn.scalars(_WITH_ROWS, {"table": table_name}))


__all__ = ["Tenant", "TenantUpgrade", "create_tenant", "upgrade_tenants", "drop_tenant",
           "get_tenant", "list_tenants", "upgrade_all", "active_tenants", "tenants_with_rows",
           "upgrade_control", "upgrade_tenant", "remember_reference", "tenant_for_reference",
           "CONTROL_SCHEMA"]
