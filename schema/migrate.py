"""Run the Alembic migrations of the control tables and of each tenant.

PostgreSQL: the control tables live in schema ``pos_modern``; each tenant's migrations run with
``SET LOCAL search_path`` pointing at the tenant's schema, so the same migration files build every
tenant, and the tenant's ``alembic_version`` sits in its own schema. An advisory lock keeps two
processes (two migration jobs, say) from migrating at once. SQLite: the control tables in the main
file, each tenant in its own file.

A tenant's migrations are the main branch (``migrations/tenant/versions``) and one branch per
plugin that brings tables of its own (``pos_migrations``), all in the tenant's one
``alembic_version`` table: a tenant is upgraded to the heads of the main branch and of the
branches passed in. A branch applied once and not passed now (its plugin is not loaded in this
process) is left as it is, its row kept.
"""

from __future__ import annotations

import asyncio
import re
import weakref
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import Script, ScriptDirectory
from sqlalchemy import (Column, Connection, MetaData, String, Table, delete, event, insert,
                        text)
from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.schema import control, tables

if TYPE_CHECKING:
    from posmodern.core.migrations import MigrationBranch

MIGRATIONS = Path(__file__).parent / "migrations"
TENANT_SCRIPTS = MIGRATIONS / "tenant"
CONTROL_SCRIPTS = MIGRATIONS / "control"
#: The name ``pos db current`` gives the built-in tenant migrations.
MAIN_BRANCH = "main"
_LOCK_KEY = 0x506F534D  # "PoSM": one advisory lock for every migration run


@dataclass(frozen=True)
class BranchRevision:
    """Where a tenant is on one branch of its migrations."""

    #: ``main``, a loaded plugin's branch, or None for a revision no loaded branch knows (the
    #: branch of a plugin this process does not load).
    branch: str | None
    #: The revision applied (None: never applied); several, comma-separated, if the branch forks.
    revision: str | None
    #: The branch's newest revision (None when its plugin is not loaded).
    head: str | None


def alembic_config(scripts: Path, connection: Connection | None,
                   metadata: MetaData | Sequence[MetaData],
                   version_table_schema: str | None) -> Config:
    """An Alembic ``Config`` for one migration folder, bound to an open connection."""
    config = Config()
    config.set_main_option("script_location", str(scripts))
    config.attributes.update(
        connection=connection, metadata=metadata, version_table_schema=version_table_schema
    )
    return config


def tenant_config(connection: Connection | None, branches: Sequence[MigrationBranch] = (),
                  version_table_schema: str | None = None) -> Config:
    """The ``Config`` of the tenant migrations: the main branch and the plugins' ``branches``."""
    metadata = [tables.metadata, *(b.metadata for b in branches if b.metadata is not None)]
    config = alembic_config(TENANT_SCRIPTS, connection, metadata, version_table_schema)
    folders = [TENANT_SCRIPTS / "versions", *(Path(b.versions) for b in branches)]
    config.set_main_option("path_separator", "newline")
    # configparser reads "%" as interpolation.
    config.set_main_option("version_locations",
                           "\n".join(str(f.resolve()).replace("%", "%%") for f in folders))
    return config


def tenant_scripts(branches: Sequence[MigrationBranch] = ()) -> ScriptDirectory:
    """The tenant revisions of the main branch and ``branches``, checked.

    Raises ``ValueError`` when a plugin's revision does not carry its branch's label, and
    Alembic's ``CommandError`` when the revisions do not form a history (a ``depends_on`` on a
    revision that does not exist, two revisions with one id).
    """
    scripts = ScriptDirectory.from_config(tenant_config(None, branches))
    for script in scripts.walk_revisions("base", "heads"):
        name = _branch_of(script, branches)
        if name != MAIN_BRANCH and name not in script.branch_labels:
            raise ValueError(
                f"revision {script.revision} ({script.path}) is not on branch {name!r}: the "
                f"branch's first revision needs branch_labels = ({name!r},)")
    return scripts


def _branch_of(script: Script, branches: Sequence[MigrationBranch]) -> str:
    folder = Path(script.path).parent.resolve()
    for branch in branches:
        if Path(branch.versions).resolve() == folder:
            return branch.name
    return MAIN_BRANCH


def head(scripts: Path = TENANT_SCRIPTS) -> str:
    """The newest revision of a migration folder (of the main branch, by default)."""
    return ScriptDirectory(str(scripts)).get_current_head()


def branch_heads(branches: Sequence[MigrationBranch] = ()) -> dict[str, str]:
    """The newest revision of the main branch and of each of ``branches``, by branch name
    (several, comma-separated, where a branch forks)."""
    return _heads(tenant_scripts(branches), branches)


def _heads(scripts: ScriptDirectory, branches: Sequence[MigrationBranch]) -> dict[str, str]:
    found: dict[str, list[str]] = defaultdict(list)
    for rev in scripts.get_heads():
        found[_branch_of(scripts.get_revision(rev), branches)].append(rev)
    return {name: ", ".join(sorted(revs)) for name, revs in found.items()}


def _prepare(conn: Connection, schema: str | None) -> str | None:
    """Point a PostgreSQL transaction at ``schema`` (creating it); SQLite needs nothing.

    An advisory lock per schema keeps two processes from migrating one schema at once, and
    lets tenants be created and migrated in parallel.
    """
    if conn.dialect.name != "postgresql":
        return None
    conn.execute(text("SELECT pg_advisory_xact_lock(:key, hashtext(:schema))"),
                 {"key": _LOCK_KEY, "schema": schema or ""})
    if schema:
        quoted = conn.dialect.identifier_preparer.quote_identifier(schema)
        conn.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {quoted}")
        conn.exec_driver_sql(f"SET LOCAL search_path TO {quoted}")
    return schema


def _upgrade(conn: Connection, scripts: Path, metadata: MetaData, schema: str | None,
             revision: str) -> None:
    version_schema = _prepare(conn, schema)
    command.upgrade(alembic_config(scripts, conn, metadata, version_schema), revision)


def version_table(schema: str | None) -> Table:
    """Alembic's version table of a tenant (in ``schema``; SQLite: None)."""
    return _version_table(schema)


def head_revisions(branches: Sequence[MigrationBranch] = ()) -> tuple[str, ...]:
    """Every head revision of the main branch and ``branches`` (a tenant at all of them is up
    to date)."""
    return tuple(tenant_scripts(branches).get_heads())


def _version_table(schema: str | None) -> Table:
    # Alembic's own table, as Alembic creates it.
    return Table("alembic_version", MetaData(), Column("version_num", String(32), primary_key=True),
                 schema=schema)


def _applied(conn: Connection, schema: str | None) -> tuple[str, ...]:
    opts = {"version_table_schema": schema} if conn.dialect.name == "postgresql" else {}
    return MigrationContext.configure(conn, opts=opts).get_current_heads()


def _migrate_tenant(conn: Connection, schema: str | None, branches: Sequence[MigrationBranch],
                    step: Callable[[Config, str], None], revision: str) -> None:
    _migrate_prepared(conn, _prepare(conn, schema), branches, step, revision)


def _migrate_prepared(conn: Connection, version_schema: str | None,
                      branches: Sequence[MigrationBranch], step: Callable[[Config, str], None],
                      revision: str) -> None:
    known = {s.revision for s in tenant_scripts(branches).walk_revisions("base", "heads")}
    # Alembic refuses a version row it has no revision for: the rows of branches not loaded here
    # are taken out while it works and put back after, in the same transaction.
    absent = [rev for rev in _applied(conn, version_schema) if rev not in known]
    versions = _version_table(version_schema)
    if absent:
        conn.execute(delete(versions).where(versions.c.version_num.in_(absent)))
    step(tenant_config(conn, branches, version_schema), revision)
    if absent:
        conn.execute(insert(versions), [{"version_num": rev} for rev in absent])


def _tenant_revisions(conn: Connection, schema: str | None,
                      branches: Sequence[MigrationBranch]) -> list[BranchRevision]:
    scripts = tenant_scripts(branches)
    branch_of = {s.revision: _branch_of(s, branches)
                 for s in scripts.walk_revisions("base", "heads")}
    heads = _heads(scripts, branches)
    at: dict[str, list[str]] = defaultdict(list)
    unknown = []
    for rev in _applied(conn, schema):
        if rev in branch_of:
            at[branch_of[rev]].append(rev)
        else:
            unknown.append(rev)

    def joined(revisions: list[str]) -> str | None:
        return ", ".join(sorted(revisions)) or None
    names = [MAIN_BRANCH, *(b.name for b in branches)]
    return ([BranchRevision(name, joined(at[name]), heads.get(name)) for name in names]
            + [BranchRevision(None, rev, None) for rev in sorted(unknown)])


# --- new tenants from a recording of the migrations (PostgreSQL) ------------------------------
#
# Running the migrations costs about half a second per tenant, nearly all of it Alembic's Python
# work. On an empty schema they always send the same statements, so the first tenant a process
# creates (for one set of branches) runs them for real and records what they send; the next ones
# get those statements replayed, the ones without parameters in a single round trip. The schema's
# name appears in none of them (the migrations run with the search_path pointed at the schema,
# the version table found through it): a recording that holds it is not reused.

#: Statements the tenant migrations sent on an empty schema: (SQL, parameters or None), by the
#: migration folders (main and branches) they came from.
_recordings: dict[tuple[str, ...], list[tuple[str, Any]]] = {}
_alembic_turns: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # a lock per event loop


def _recording_key(branches: Sequence[MigrationBranch]) -> tuple[str, ...]:
    return (str(TENANT_SCRIPTS.resolve()), *(f"{b.name}={Path(b.versions).resolve()}"
                                             for b in branches))


def _record_new_tenant(conn: Connection, schema: str,
                       branches: Sequence[MigrationBranch]) -> None:
    sent: list[tuple[str, Any]] = []

    def record(_conn, _cursor, statement, parameters, _context, executemany) -> None:
        sent.append((statement, (executemany, parameters) if parameters else None))
    _prepare(conn, schema)
    event.listen(conn, "before_cursor_execute", record)
    try:
        _migrate_prepared(conn, None, branches, command.upgrade, "heads")
    finally:
        event.remove(conn, "before_cursor_execute", record)
    if not any(schema in statement or schema in repr(parameters)
               for statement, parameters in sent):
        _recordings[_recording_key(branches)] = [
            replayed for statement, parameters in sent
            for replayed in _cheap_on_a_new_table(statement, parameters)]


#: A column added with a default, as SQLAlchemy writes it (a type in capitals, then the default,
#: then NOT NULL or not).
_ADD_WITH_DEFAULT = re.compile(
    r"^ALTER TABLE (?P<table>[a-z_][a-z0-9_]*) ADD COLUMN (?P<column>[a-z_][a-z0-9_]*) "
    r"(?P<type>[A-Z][A-Z0-9 (),]*?) DEFAULT (?P<default>.+?)(?P<not_null> NOT NULL)?$", re.S)


#: SQLAlchemy's has_table(), which Alembic asks of the version table.
_CATALOG_QUESTION = re.compile(
    r"^\s*SELECT pg_catalog\.pg_class\.relname\s+FROM pg_catalog\.pg_class JOIN ")


def _cheap_on_a_new_table(statement: str, parameters: Any) -> list[tuple[str, Any]]:
    """``statement`` as replayed into a new, empty schema.

    PostgreSQL adds a column with a default to a table that has rows by recording that default
    for them ("fast default"); that costs a time that grows with the number of relations in the
    database: 60 ms a column with 4,000 tenants, most of a new tenant's time. On a table just
    made, and so empty, adding the column, then its default, then NOT NULL builds the same
    column (tests/schema/test_tenant_template.py compares the catalogs) in under a millisecond.
    Alembic's questions to the catalogs ("is there a version table?") are answered already:
    not asked again (each reads a row per tenant: 25 ms with 4,000).
    """
    if _CATALOG_QUESTION.match(statement):
        return []
    found = _ADD_WITH_DEFAULT.match(statement.strip()) if parameters is None else None
    if found is None:
        return [(statement, parameters)]
    alter = f"ALTER TABLE {found['table']} ALTER COLUMN {found['column']}"
    split = [(f"ALTER TABLE {found['table']} ADD COLUMN {found['column']} {found['type']}", None),
             (f"{alter} SET DEFAULT {found['default']}", None)]
    if found["not_null"]:
        split.append((f"{alter} SET NOT NULL", None))
    return split


async def create_tenant_schema(conn: AsyncConnection, schema: str | None,
                               branches: Sequence[MigrationBranch] = ()) -> None:
    """Build a new tenant's tables (the main branch and ``branches``, at their heads) in an
    empty ``schema``: what :func:`upgrade_tenant` does, faster on PostgreSQL (a recording of the
    migrations replayed; tests/schema/test_tenant_template.py proves the two alike)."""
    recorded = _recordings.get(_recording_key(branches)) if schema else None
    if recorded is None:
        # Alembic's context is one per process: tenants created at once take turns here.
        loop = asyncio.get_running_loop()
        async with _alembic_turns.setdefault(loop, asyncio.Lock()):
            recorded = _recordings.get(_recording_key(branches)) if schema else None
            if recorded is None:
                if conn.dialect.name == "postgresql" and schema:
                    await conn.run_sync(_record_new_tenant, schema, branches)
                else:
                    await upgrade_tenant(conn, schema, branches)
                return
    await conn.run_sync(_prepare, schema)
    driver = (await conn.get_raw_connection()).driver_connection
    batch: list[str] = []
    for statement, parameters in [*recorded, ("", None)]:
        if parameters is None and statement:
            batch.append(statement)
            continue
        if batch:  # statements without parameters: one round trip (a simple query) for all
            await driver.execute(";\n".join(batch))
            batch = []
        if parameters is not None:
            many, values = parameters
            await (driver.executemany(statement, values) if many
                   else driver.execute(statement, *values))


async def upgrade_control(conn: AsyncConnection, revision: str = "head") -> None:
    """Create or migrate the control tables (the tenant registry)."""
    await conn.run_sync(_upgrade, CONTROL_SCRIPTS, control.metadata, control.CONTROL_SCHEMA,
                        revision)


async def upgrade_tenant(conn: AsyncConnection, schema: str | None,
                         branches: Sequence[MigrationBranch] = (),
                         revision: str = "heads") -> None:
    """Create or migrate one tenant's tables: the main branch and ``branches``.

    ``schema`` is ignored on SQLite. Branches applied before and not in ``branches`` stay as
    they are.
    """
    await conn.run_sync(_migrate_tenant, schema, branches, command.upgrade, revision)


async def downgrade_tenant(conn: AsyncConnection, schema: str | None,
                           branches: Sequence[MigrationBranch], revision: str) -> None:
    """Take one tenant back to ``revision``; ``loyalty@base`` removes a plugin's branch alone."""
    await conn.run_sync(_migrate_tenant, schema, branches, command.downgrade, revision)


async def tenant_revisions(conn: AsyncConnection, schema: str | None,
                           branches: Sequence[MigrationBranch] = ()) -> list[BranchRevision]:
    """Where a tenant is on the main branch, on each of ``branches``, and on branches not
    passed (listed with ``branch=None``)."""
    return await conn.run_sync(_tenant_revisions, schema, branches)


async def current_revision(conn: AsyncConnection, schema: str | None) -> str | None:
    """The revision of the main branch a tenant is at."""
    return (await tenant_revisions(conn, schema))[0].revision
