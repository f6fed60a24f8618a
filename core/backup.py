"""Backups of tenants: one file holding the data and a manifest that says what is in it.

A backup is a tar archive. Its first member, ``manifest.json``, names the format, the POS Modern
version, the database kind, each tenant with its schema revisions and the row count of each of its
tables, and the sha256 of every other member. On PostgreSQL the data is one ``pg_dump`` custom
format file (:mod:`posmodern.core.backup_postgres`); on SQLite a copy of each tenant's file made
with SQLite's online backup API (:mod:`posmodern.core.backup_sqlite`). Either is taken while the
tenants keep working: the counts are read in the same snapshot as the data.

Restoring checks the whole file first (a foreign or damaged file changes nothing), refuses a
tenant that exists unless told to replace it, refuses revisions this code does not know (a backup
from a newer version), restores, and then migrates the tenant forward to this code's head.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import tarfile
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from importlib import metadata as package_metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert, select, table, update
from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.core.db import Database, check_client_id, insert_ignore
from posmodern.core.errors import Conflict, PosError
from posmodern.schema import migrate
from posmodern.schema.control import tenant_references, tenants
from posmodern.schema.types import utcnow

if TYPE_CHECKING:
    from posmodern.core.migrations import MigrationBranch

FORMAT = "posmodern-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
#: Tables a backup does not count (Alembic's bookkeeping).
UNCOUNTED = ("alembic_version",)


class BackupError(PosError):
    """A backup file that cannot be used, or a tool that is missing: nothing was changed."""

    status, code = 422, "backup_invalid"


@dataclass
class TenantEntry:
    """One tenant in a backup."""

    client_id: str
    name: str
    schema_name: str
    #: Applied revisions of every migration branch (Alembic version numbers).
    revisions: list[str]
    #: Rows per table, read in the snapshot the data was taken in.
    rows: dict[str, int]
    #: The tenant's identifiers shared with outside systems (control table).
    references: list[dict[str, str]] = field(default_factory=list)


@dataclass
class Manifest:
    backend: str
    scope: str  # "tenant" or "all"
    tenants: list[TenantEntry]
    files: dict[str, str] = field(default_factory=dict)  # member name -> sha256
    created_at: str = field(default_factory=lambda: utcnow().isoformat())
    version: str = field(default_factory=lambda: pos_version())
    format: str = FORMAT
    format_version: int = FORMAT_VERSION

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), indent=2, sort_keys=True).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        try:
            data = json.loads(raw)
            if data.get("format") != FORMAT:
                raise ValueError("not a POS Modern backup")
            if data.get("format_version") != FORMAT_VERSION:
                raise ValueError(f"backup format {data.get('format_version')} is not supported")
            data["tenants"] = [TenantEntry(**entry) for entry in data["tenants"]]
            return cls(**data)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise BackupError(f"the backup's manifest is unreadable: {exc}") from None

    def tenant(self, client_id: str) -> TenantEntry:
        for entry in self.tenants:
            if entry.client_id == client_id:
                return entry
        raise BackupError(f"tenant {client_id!r} is not in this backup (it holds: "
                          f"{', '.join(e.client_id for e in self.tenants) or 'none'})",
                          code="backup_tenant_missing")


@dataclass(frozen=True)
class RestoredTenant:
    """What a restore did to one tenant."""

    client_id: str
    source: str
    rows: dict[str, int]
    migrated_from: list[str]


def pos_version() -> str:
    try:
        return package_metadata.version("pos-modern")
    except package_metadata.PackageNotFoundError:
        return "0+unknown"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --- counting and describing tenants --------------------------------------------------------

async def count_rows(conn: AsyncConnection, names: Sequence[str],
                     schema: str | None) -> dict[str, int]:
    """Rows of each table ``names`` in ``schema`` (None: the connection's own), in ``conn``'s
    snapshot."""
    counts = {}
    for name in sorted(set(names) - set(UNCOUNTED)):
        counts[name] = int(await conn.scalar(
            select(func.count()).select_from(table(name, schema=schema))))
    return counts


async def tenant_references_of(conn: AsyncConnection, client_id: str) -> list[dict[str, str]]:
    rows = await conn.execute(select(tenant_references.c.namespace, tenant_references.c.reference)
                              .where(tenant_references.c.client_id == client_id))
    return [{"namespace": row.namespace, "reference": row.reference} for row in rows]


async def applied_revisions(conn: AsyncConnection, schema: str | None) -> list[str]:
    versions = migrate.version_table(schema)
    return sorted(await conn.scalars(select(versions.c.version_num)))


def check_revisions(entry: TenantEntry, branches: Sequence[MigrationBranch]) -> None:
    """Refuse a tenant at revisions this code does not know (taken by a newer version)."""
    scripts = migrate.tenant_scripts(branches)
    known = {script.revision for script in scripts.walk_revisions("base", "heads")}
    unknown = sorted(set(entry.revisions) - known)
    if unknown:
        raise BackupError(
            f"tenant {entry.client_id!r} was backed up at revision(s) {', '.join(unknown)}, which "
            "this version does not know (a backup of a newer version, or of a plugin not "
            "loaded): upgrade POS Modern or load the plugin first", code="backup_too_new")


# --- the archive ----------------------------------------------------------------------------

def write_archive(target: Path, manifest: Manifest, payload: dict[str, Path]) -> Path:
    """Write the backup file: the manifest first, then each payload file (hashed into it).

    Written to a temporary name beside ``target`` and renamed, so a backup cut short never
    leaves a file that looks whole.
    """
    manifest.files = {name: sha256_of(path) for name, path in payload.items()}
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    with tarfile.open(partial, "w") as archive:
        raw = manifest.to_json()
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mode, info.mtime = len(raw), 0o600, int(utcnow().timestamp())
        archive.addfile(info, io.BytesIO(raw))
        for name, path in payload.items():
            archive.add(path, arcname=name, recursive=False)
    partial.chmod(0o600)
    partial.replace(target)
    return target


def read_manifest(source: Path) -> Manifest:
    """The manifest of a backup file (:class:`BackupError` for anything else)."""
    try:
        with tarfile.open(source, "r:") as archive:
            member = archive.next()
            if member is None or member.name != MANIFEST:
                raise BackupError(f"{source} is not a POS Modern backup (no manifest first)")
            return Manifest.from_json(archive.extractfile(member).read())
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise BackupError(f"{source} is not a readable POS Modern backup: {exc}") from None


def unpack(source: Path, into: Path) -> tuple[Manifest, dict[str, Path]]:
    """Check every member of a backup against the manifest's sha256 and extract it into
    ``into``; :class:`BackupError` before anything else happens when one does not match."""
    manifest = read_manifest(source)
    found: dict[str, Path] = {}
    try:
        with tarfile.open(source, "r:") as archive:
            for member in archive:
                if member.name == MANIFEST:
                    continue
                expected = manifest.files.get(member.name)
                if expected is None or not member.isfile() or "/" in member.name.strip("./"):
                    raise BackupError(f"unexpected member {member.name!r} in the backup")
                path = into / member.name
                with archive.extractfile(member) as stream, path.open("wb") as out:
                    shutil.copyfileobj(stream, out, 1 << 20)
                if sha256_of(path) != expected:
                    raise BackupError(f"{member.name} does not match its sha256: the backup is "
                                      "damaged", code="backup_corrupt")
                found[member.name] = path
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise BackupError(f"{source} is damaged: {exc}", code="backup_corrupt") from None
    missing = sorted(set(manifest.files) - set(found))
    if missing:
        raise BackupError(f"the backup lacks {', '.join(missing)}: it is damaged or cut short",
                          code="backup_corrupt")
    return manifest, found


# --- the control tables ---------------------------------------------------------------------

async def registered(db: Database, client_id: str) -> bool:
    async with db.control_connection() as conn:
        return await conn.scalar(select(tenants.c.client_id).where(
            tenants.c.client_id == client_id)) is not None


def refuse_existing(client_id: str, exists: bool, force: bool) -> None:
    if exists and not force:
        raise Conflict(f"tenant {client_id!r} exists: pass --force to replace its data with the "
                       "backup's", code="tenant_exists")


async def register(db: Database, entry: TenantEntry, client_id: str, schema: str) -> None:
    """Register the restored tenant (active), with its outside references when it keeps its
    own client id (under a new one they belong to the original)."""
    async with db.control_connection() as conn:
        values = {"name": entry.name if client_id == entry.client_id else client_id,
                  "schema_name": schema, "status": "active"}
        changed = await conn.execute(update(tenants).where(tenants.c.client_id == client_id)
                                     .values(**values))
        if not changed.rowcount:
            await conn.execute(insert(tenants).values(client_id=client_id, created_at=utcnow(),
                                                      **values))
        if client_id != entry.client_id:
            return
        for reference in entry.references:
            await insert_ignore(conn, tenant_references, client_id=client_id,
                                created_at=utcnow(), **reference)


def target_of(manifest: Manifest, tenant: str | None, new_id: str | None) -> list[tuple[TenantEntry, str]]:
    """The (backed-up tenant, client id to restore it as) pairs a restore works on."""
    if new_id is not None:
        check_client_id(new_id)
        if tenant is None and len(manifest.tenants) != 1:
            raise BackupError("--as needs --tenant: this backup holds several tenants",
                              code="backup_tenant_missing")
    chosen = [manifest.tenant(tenant)] if tenant else list(manifest.tenants)
    return [(entry, new_id or entry.client_id) for entry in chosen]


def scratch_dir(near: Path | None = None) -> tempfile.TemporaryDirectory:
    """A private working folder, beside the backup file when given (``/tmp`` may be a small
    tmpfs, and a dump is as large as the data)."""
    if near is not None:
        near.mkdir(parents=True, exist_ok=True)
    return tempfile.TemporaryDirectory(prefix=".pos-backup-", dir=near)


async def backup(db: Database, to: Path, client_id: str | None = None) -> Manifest:
    """Back up one tenant (``client_id``) or every tenant with the control tables to ``to``."""
    if db.is_sqlite:
        from posmodern.core import backup_sqlite as engine
    else:
        from posmodern.core import backup_postgres as engine
    return await engine.backup(db, to, client_id)


async def restore(db: Database, source: Path, *, client_id: str | None = None,
                  new_id: str | None = None, force: bool = False,
                  branches: Sequence[MigrationBranch] = ()) -> list[RestoredTenant]:
    """Restore a backup file (every tenant in it, or ``client_id``; as ``new_id`` if given),
    then migrate each restored tenant forward."""
    if db.is_sqlite:
        from posmodern.core import backup_sqlite as engine
    else:
        from posmodern.core import backup_postgres as engine
    manifest = read_manifest(source)
    if manifest.backend != db.dialect:
        raise BackupError(f"this is a {manifest.backend} backup; the database is {db.dialect}",
                          code="backup_foreign")
    pairs = target_of(manifest, client_id, new_id)
    for entry, _ in pairs:
        check_revisions(entry, branches)
    for _, target in pairs:
        refuse_existing(target, await engine.exists(db, target), force)
    with scratch_dir() as work:
        manifest, files = unpack(source, Path(work))
        restored = []
        for entry, target in pairs:
            rows = await engine.restore_tenant(db, manifest, files, entry, target)
            restored.append(await _finish(db, entry, target, rows, branches))
    return restored


async def _finish(db: Database, entry: TenantEntry, target: str, rows: dict[str, int],
                  branches: Sequence[MigrationBranch]) -> RestoredTenant:
    from posmodern.core import tenancy

    db.forget_tenant(target)
    await db.dispose_retired()
    heads = set(migrate.head_revisions(branches))
    before = entry.revisions
    if not heads <= set(before):
        await tenancy.upgrade_tenant(db, target, branches)
    return RestoredTenant(target, entry.client_id, rows,
                          [] if heads <= set(before) else list(before))


def describe(manifest: Manifest) -> dict[str, Any]:
    """A short summary of a backup for the command line."""
    return {"backend": manifest.backend, "scope": manifest.scope, "version": manifest.version,
            "created_at": manifest.created_at,
            "tenants": {e.client_id: sum(e.rows.values()) for e in manifest.tenants}}
