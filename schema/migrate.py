"""Run the Alembic migrations of the control tables and of each tenant.

PostgreSQL: the control tables live in schema ``pos_modern``; each tenant's migrations run with
``SET LOCAL search_path`` pointing at the tenant's schema, so the same migration files build every
tenant, and the tenant's ``alembic_version`` sits in its own schema. An advisory lock keeps two
processes (two migration jobs, say) from migrating at once. SQLite: the control tables in the main
file, each tenant in its own file.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, MetaData
from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.schema import control, tables

MIGRATIONS = Path(__file__).parent / "migrations"
TENANT_SCRIPTS = MIGRATIONS / "tenant"
CONTROL_SCRIPTS = MIGRATIONS / "control"
_LOCK_KEY = 0x506F534D  # "PoSM": one advisory lock for every migration run


def alembic_config(scripts: Path, connection: Connection | None, metadata: MetaData,
                   version_table_schema: str | None) -> Config:
    """An Alembic ``Config`` for one migration folder, bound to an open connection."""
    config = Config()
    config.set_main_option("script_location", str(scripts))
    config.attributes.update(
        connection=connection, metadata=metadata, version_table_schema=version_table_schema
    )
    return config


def head(scripts: Path = TENANT_SCRIPTS) -> str:
    """The newest revision of a migration folder."""
    return ScriptDirectory(str(scripts)).get_current_head()


def _prepare(conn: Connection, schema: str | None) -> str | None:
    """Point a PostgreSQL transaction at ``schema`` (creating it); SQLite needs nothing."""
    if conn.dialect.name != "postgresql":
        return None
    conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_LOCK_KEY})")
    if schema:
        quoted = conn.dialect.identifier_preparer.quote_identifier(schema)
        conn.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {quoted}")
        conn.exec_driver_sql(f"SET LOCAL search_path TO {quoted}")
    return schema


def _upgrade(conn: Connection, scripts: Path, metadata: MetaData, schema: str | None,
             revision: str) -> None:
    version_schema = _prepare(conn, schema)
    command.upgrade(alembic_config(scripts, conn, metadata, version_schema), revision)


def _current(conn: Connection, schema: str | None) -> str | None:
    opts = {"version_table_schema": schema} if conn.dialect.name == "postgresql" else {}
    return MigrationContext.configure(conn, opts=opts).get_current_revision()


async def upgrade_control(conn: AsyncConnection, revision: str = "head") -> None:
    """Create or migrate the control tables (the tenant registry)."""
    await conn.run_sync(_upgrade, CONTROL_SCRIPTS, control.metadata, control.CONTROL_SCHEMA, revision)


async def upgrade_tenant(conn: AsyncConnection, schema: str | None, revision: str = "head") -> None:
    """Create or migrate one tenant's tables (``schema`` is ignored on SQLite)."""
    await conn.run_sync(_upgrade, TENANT_SCRIPTS, tables.metadata, schema, revision)


async def current_revision(conn: AsyncConnection, schema: str | None) -> str | None:
    """The revision a tenant (or, with ``pos_modern``, the control tables) is at."""
    return await conn.run_sync(_current, schema)
