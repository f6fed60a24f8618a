"""Backups on SQLite: each tenant's file copied with SQLite's online backup API.

The copy is a consistent state of the file even while orders are being written (the API copies
pages and restarts if a writer changed them), and the manifest counts the rows of the copy
itself. A restore writes the file beside the tenant's and renames it into place, so a tenant
being replaced keeps its data until the new file is whole.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from sqlalchemy import select

from posmodern.core import backup as common
from posmodern.core.backup import BackupError, Manifest, TenantEntry
from posmodern.core.db import Database, schema_name
from posmodern.schema.control import tenants


def _copy(source: Path, target: Path) -> None:
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as src, \
            sqlite3.connect(target) as dst:
        src.backup(dst)
    # One self-contained file: no -wal beside it.
    with sqlite3.connect(target) as dst:
        dst.execute("PRAGMA journal_mode=DELETE")


def _describe(path: Path) -> tuple[list[str], dict[str, int]]:
    """(applied revisions, rows per table) of a tenant file."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        names = [row[0] for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        revisions = sorted(row[0] for row in conn.execute(
            "SELECT version_num FROM alembic_version")) if "alembic_version" in names else []
        counts = {}
        for name in sorted(set(names) - set(common.UNCOUNTED)):
            quoted = '"' + name.replace('"', '""') + '"'
            counts[name] = conn.execute(f"SELECT count(*) FROM {quoted}").fetchone()[0]
    return revisions, counts


async def backup(db: Database, to: Path, client_id: str | None) -> Manifest:
    query = select(tenants).order_by(tenants.c.client_id)
    if client_id is not None:
        query = query.where(tenants.c.client_id == client_id)
    async with db.control_connection() as conn:
        registered = (await conn.execute(query)).all()
        references = {row.client_id: await common.tenant_references_of(conn, row.client_id)
                      for row in registered}
    if client_id is not None and not registered:
        raise BackupError(f"unknown tenant {client_id!r}", code="unknown_tenant")
    entries, payload = [], {}
    with common.scratch_dir(to.parent) as work:
        for row in registered:
            copy = Path(work) / f"{row.client_id}.db"
            await asyncio.to_thread(_copy, db.tenant_file(row.client_id), copy)
            revisions, counts = await asyncio.to_thread(_describe, copy)
            entries.append(TenantEntry(row.client_id, row.name, row.schema_name, revisions,
                                       counts, references[row.client_id]))
            payload[copy.name] = copy
        manifest = Manifest("sqlite", "all" if client_id is None else "tenant", entries)
        await asyncio.to_thread(common.write_archive, to, manifest, payload)
    return manifest


async def exists(db: Database, client_id: str) -> bool:
    return db.tenant_file(client_id).exists() or await common.registered(db, client_id)


async def restore_tenant(db: Database, manifest: Manifest, files: dict[str, Path],
                         entry: TenantEntry, client_id: str) -> dict[str, int]:
    source = files.get(f"{entry.client_id}.db")
    if source is None:
        raise BackupError(f"the backup has no file for tenant {entry.client_id!r}",
                          code="backup_corrupt")
    target = db.tenant_file(client_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".restoring")
    partial.unlink(missing_ok=True)
    await asyncio.to_thread(_copy, source, partial)
    partial.chmod(0o600)
    _, counts = await asyncio.to_thread(_describe, partial)
    db.forget_tenant(client_id)
    await db.dispose_retired()
    for suffix in ("-wal", "-shm"):
        target.with_name(target.name + suffix).unlink(missing_ok=True)
    partial.replace(target)
    await common.register(db, entry, client_id, schema_name(client_id))
    return counts
