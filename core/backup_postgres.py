"""Backups on PostgreSQL: ``pg_dump``/``pg_restore`` in the custom format.

The counts of the manifest and the dump come from one snapshot: a REPEATABLE READ transaction
exports it (``pg_export_snapshot``), counts the rows, and ``pg_dump --snapshot`` reads the same
state while orders keep being written. A tenant backup holds its schema; a full one the control
schema and every tenant's, so that file alone rebuilds the whole database with ``pg_restore``.

A restore puts the schema back under its own name with ``pg_restore --single-transaction``; a
tenant being replaced (``--force``) is moved aside first and put back if the restore fails. Under
a new client id (``--as``) the schema is renamed after the restore; while the original schema
still exists it is restored into a scratch database, renamed there and copied over.
"""

from __future__ import annotations

import asyncio
import glob
import os
import re
import shutil
import uuid
from pathlib import Path

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import create_async_engine

from posmodern.core import backup as common
from posmodern.core.backup import BackupError, Manifest, TenantEntry
from posmodern.core.db import Database, schema_name
from posmodern.schema.control import CONTROL_SCHEMA, tenants

DUMP = "database.dump"
SEARCH = ("/usr/lib/postgresql/*/bin", "/usr/local/pgsql/bin", "/opt/homebrew/opt/libpq/bin")


def client_tool(name: str) -> str:
    """The path of ``pg_dump``/``pg_restore``: on PATH, else the newest in PostgreSQL's usual
    folders (a newer client reads older servers, not the reverse)."""
    found = shutil.which(name)
    if found:
        return found
    candidates = [path for pattern in SEARCH for path in glob.glob(os.path.join(pattern, name))]

    def major(path: str) -> int:
        match = re.search(r"/(\d+)/bin/", path)
        return int(match.group(1)) if match else 0
    if candidates:
        return max(candidates, key=major)
    raise BackupError(f"{name} was not found on PATH nor in /usr/lib/postgresql/*/bin: install "
                      "the PostgreSQL client tools (Debian: postgresql-client-15, the server's "
                      "version or newer)", code="backup_tool_missing")


def _environment(db: Database, database: str | None = None) -> dict[str, str]:
    """libpq's variables for the database (the password never on a command line)."""
    url = db.url
    env = {**os.environ, "PGHOST": url.host or "localhost", "PGPORT": str(url.port or 5432),
           "PGUSER": url.username or "postgres", "PGDATABASE": database or url.database or ""}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return env


async def _run(tool: str, *args: str, env: dict[str, str]) -> None:
    process = await asyncio.create_subprocess_exec(
        client_tool(tool), *args, env=env, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    _, err = await process.communicate()
    if process.returncode != 0:
        raise BackupError(f"{tool} failed: {err.decode(errors='replace').strip()[-2000:]}",
                          code="backup_failed")


async def _schemas(conn) -> dict[str, list[str]]:
    rows = await conn.execute(text(
        "SELECT table_schema, table_name FROM information_schema.tables "
        "WHERE table_type = 'BASE TABLE' AND table_schema LIKE 'tenant\\_%'"))
    found: dict[str, list[str]] = {}
    for row in rows:
        found.setdefault(row.table_schema, []).append(row.table_name)
    return found


async def backup(db: Database, to: Path, client_id: str | None) -> Manifest:
    entries = []
    async with db.control.connect() as conn:
        await conn.execution_options(isolation_level="REPEATABLE READ")
        async with conn.begin():
            snapshot = await conn.scalar(text("SELECT pg_export_snapshot()"))
            query = select(tenants).order_by(tenants.c.client_id)
            if client_id is not None:
                query = query.where(tenants.c.client_id == client_id)
            registered = (await conn.execute(query)).all()
            if client_id is not None and not registered:
                raise BackupError(f"unknown tenant {client_id!r}", code="unknown_tenant")
            tables = await _schemas(conn)
            for row in registered:
                entries.append(TenantEntry(
                    row.client_id, row.name, row.schema_name,
                    await common.applied_revisions(conn, row.schema_name),
                    await common.count_rows(conn, tables.get(row.schema_name, []),
                                            row.schema_name),
                    await common.tenant_references_of(conn, row.client_id)))
            schemas = [entry.schema_name for entry in entries]
            if client_id is None:
                schemas.append(CONTROL_SCHEMA)
            with common.scratch_dir(to.parent) as work:
                dump = Path(work) / DUMP
                await _run("pg_dump", "--format=custom", f"--snapshot={snapshot}",
                           "--no-owner", "--no-privileges", f"--file={dump}",
                           *(f"--schema={name}" for name in schemas), env=_environment(db))
                manifest = Manifest("postgresql", "all" if client_id is None else "tenant",
                                    entries)
                common.write_archive(to, manifest, {DUMP: dump})
    return manifest


async def exists(db: Database, client_id: str) -> bool:
    async with db.control_connection() as conn:
        found = await conn.scalar(text("SELECT to_regnamespace(:name) IS NOT NULL"),
                                  {"name": schema_name(client_id)})
    return bool(found) or await common.registered(db, client_id)


async def _execute(db: Database, statement: str, database: str | None = None) -> None:
    """One statement of DDL, committed on its own (on another database when named)."""
    if database is None:
        async with db.control.begin() as conn:
            await conn.exec_driver_sql(statement)
        return
    engine = create_async_engine(db.url.set(database=database))
    try:
        async with engine.begin() as conn:
            await conn.exec_driver_sql(statement)
    finally:
        await engine.dispose()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def _restore_schema(db: Database, dump: Path, schema: str, database: str | None = None
                          ) -> None:
    await _execute(db, f"CREATE SCHEMA {_quote(schema)}", database)
    await _run("pg_restore", "--single-transaction", "--exit-on-error", "--no-owner",
               "--no-privileges", f"--schema={schema}", f"--dbname={database or db.url.database}",
               str(dump), env=_environment(db, database))


async def _restore_renamed(db: Database, dump: Path, source: str, target: str, live: bool) -> None:
    """Restore schema ``source`` of the dump as ``target``."""
    if not live:
        await _restore_schema(db, dump, source)
        await _execute(db, f"ALTER SCHEMA {_quote(source)} RENAME TO {_quote(target)}")
        return
    # The original is live under ``source``: rename in a scratch database, then copy over.
    scratch = f"pos_restore_{uuid.uuid4().hex[:12]}"
    async with db.control.connect() as conn:
        await (await conn.execution_options(isolation_level="AUTOCOMMIT")).exec_driver_sql(
            f"CREATE DATABASE {_quote(scratch)}")
    try:
        await _restore_schema(db, dump, source, scratch)
        await _execute(db, f"ALTER SCHEMA {_quote(source)} RENAME TO {_quote(target)}", scratch)
        renamed = dump.with_name("renamed.dump")
        await _run("pg_dump", "--format=custom", "--no-owner", "--no-privileges",
                   f"--schema={target}", f"--file={renamed}", env=_environment(db, scratch))
        await _restore_schema(db, renamed, target)
    finally:
        async with db.control.connect() as conn:
            await (await conn.execution_options(isolation_level="AUTOCOMMIT")).exec_driver_sql(
                f"DROP DATABASE IF EXISTS {_quote(scratch)} WITH (FORCE)")


async def _schema_exists(db: Database, schema: str) -> bool:
    async with db.control_connection() as conn:
        return bool(await conn.scalar(text("SELECT to_regnamespace(:name) IS NOT NULL"),
                                      {"name": schema}))


async def restore_tenant(db: Database, manifest: Manifest, files: dict[str, Path],
                         entry: TenantEntry, client_id: str) -> dict[str, int]:
    target = schema_name(client_id)
    aside = None
    if await _schema_exists(db, target):
        aside = f"{target[:50]}_old_{uuid.uuid4().hex[:8]}"
        await _execute(db, f"ALTER SCHEMA {_quote(target)} RENAME TO {_quote(aside)}")
    try:
        if target == entry.schema_name:
            await _restore_schema(db, files[DUMP], target)
        else:
            await _restore_renamed(db, files[DUMP], entry.schema_name, target,
                                   await _schema_exists(db, entry.schema_name))
    except BaseException:
        await _execute(db, f"DROP SCHEMA IF EXISTS {_quote(target)} CASCADE")
        if aside is not None:
            await _execute(db, f"ALTER SCHEMA {_quote(aside)} RENAME TO {_quote(target)}")
        raise
    if aside is not None:
        await _execute(db, f"DROP SCHEMA {_quote(aside)} CASCADE")
    await common.register(db, entry, client_id, target)
    async with db.control_connection() as conn:
        return await common.count_rows(conn, (await _schemas(conn)).get(target, []), target)
