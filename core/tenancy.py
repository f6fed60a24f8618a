"""Tenants (clients): create, list, migrate and drop them.

A tenant is a client of the platform (a restaurant chain); its stores share its tables. Creating
one registers it in the control tables and builds its schema (PostgreSQL) or file (SQLite) through
the tenant migrations.

``branches`` are the migration branches of the loaded plugins that bring tables of their own
(:func:`posmodern.core.migrations.migration_branches`); a tenant gets the built-in tables and
theirs. A branch applied before and not passed now stays as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import delete, insert, select

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


async def upgrade_control(db: Database) -> None:
    """Create or migrate the control tables."""
    async with db.control.begin() as conn:
        await conn.execution_options(**db.control_options())
        await migrate.upgrade_control(conn)


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
    if db.is_sqlite:
        await upgrade_tenant(db, client_id, branches)
        async with db.control_connection() as conn:
            await conn.execute(insert(tenants).values(**row))
    else:
        # One transaction: the schema, its tables and the registry row appear together or not at all.
        async with db.control.begin() as conn:
            await migrate.upgrade_tenant(conn, row["schema_name"], branches)
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


async def upgrade_all(db: Database, branches: Sequence[MigrationBranch] = ()) -> list[str]:
    """Migrate the control tables and every tenant (with the plugins' ``branches``); returns
    the tenants migrated."""
    await upgrade_control(db)
    migrated = []
    for tenant in await list_tenants(db):
        await upgrade_tenant(db, tenant.client_id, branches)
        migrated.append(tenant.client_id)
    return migrated


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


__all__ = ["Tenant", "create_tenant", "drop_tenant", "get_tenant", "list_tenants", "upgrade_all",
           "upgrade_control", "upgrade_tenant", "remember_reference", "tenant_for_reference",
           "CONTROL_SCHEMA"]
