"""New tenants built from a recording of the migrations (PostgreSQL): the same schema, down to
the triggers and the plugins' branches, as running every migration builds."""

import uuid
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from posmodern.core import tenancy
from posmodern.core.db import Database
from posmodern.core.migrations import migration_branches
from posmodern.core.plugins import get_plugin_manager
from posmodern.schema import migrate, tables
from posmodern.schema.migrations import include_name

LOYALTY = Path(__file__).resolve().parents[1] / "fixtures" / "loyalty"

# What a schema holds, from the catalogs, with the schema's name taken out.
CATALOG = {
    "columns": """SELECT table_name, column_name, ordinal_position, data_type, is_nullable,
                         column_default, character_maximum_length, numeric_precision,
                         numeric_scale
                  FROM information_schema.columns WHERE table_schema = :schema""",
    "constraints": """SELECT t.relname, c.conname, c.contype, pg_get_constraintdef(c.oid)
                      FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
                      WHERE c.connamespace = CAST(:schema AS regnamespace)""",
    "indexes": """SELECT tablename, indexname, indexdef FROM pg_indexes
                  WHERE schemaname = :schema""",
    "triggers": """SELECT c.relname, t.tgname, pg_get_triggerdef(t.oid), t.tgenabled
                   FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
                   WHERE c.relnamespace = CAST(:schema AS regnamespace)
                     AND NOT t.tgisinternal""",
    "functions": """SELECT proname, prosrc, pg_get_function_result(oid) FROM pg_proc
                    WHERE pronamespace = CAST(:schema AS regnamespace)""",
    "sequences": """SELECT sequencename, data_type, start_value, increment_by, cache_size
                    FROM pg_sequences WHERE schemaname = :schema""",
    "relations": """SELECT relname, relkind, relpersistence FROM pg_class
                    WHERE relnamespace = CAST(:schema AS regnamespace)""",
}


async def _catalog(db: Database, schema: str) -> dict[str, list]:
    found = {}
    async with db.control.connect() as conn:
        for name, query in CATALOG.items():
            rows = (await conn.execute(text(query), {"schema": schema})).all()
            found[name] = sorted(tuple(str(v).replace(schema, "<schema>") for v in row)
                                 for row in rows)
        found["versions"] = sorted((await conn.exec_driver_sql(
            f'SELECT version_num FROM "{schema}".alembic_version')).scalars())
    return found


def _differences(sync_conn, schema, metadata):
    sync_conn.exec_driver_sql(f'SET LOCAL search_path TO "{schema}"')
    context = MigrationContext.configure(sync_conn, opts={
        "version_table_schema": schema, "compare_type": False, "include_name": include_name})
    return compare_metadata(context, metadata)


@pytest.mark.parametrize("backend", ["postgresql"])
async def test_a_tenant_made_from_the_recording_is_the_tenant_the_migrations_make(
        database_url, monkeypatch):
    monkeypatch.syspath_prepend(str(LOYALTY))
    import pos_loyalty

    branches = migration_branches(get_plugin_manager(["loyalty"]))
    db = Database(database_url)
    clients = [f"m{uuid.uuid4().hex[:10]}" for _ in range(3)]
    migrated = f"tenant_m{uuid.uuid4().hex[:10]}"
    try:
        recorded, replayed, _ = [await tenancy.create_tenant(db, client, branches=branches)
                                    for client in clients]
        async with db.control.begin() as conn:  # every migration, run for real
            await migrate.upgrade_tenant(conn, migrated, branches)
        expected = await _catalog(db, migrated)
        assert any("outbox_wakeup" in row[1] for row in expected["triggers"])
        assert any("update_orders_updated_at" in row[1] for row in expected["triggers"])
        assert any(row[0] == "loyalty_points" for row in expected["columns"])
        assert await _catalog(db, recorded.schema_name) == expected
        assert await _catalog(db, replayed.schema_name) == expected
        async with db.control.connect() as conn:
            assert await conn.run_sync(_differences, replayed.schema_name,
                                       [tables.metadata, pos_loyalty.tables.metadata]) == []
        # And it is a tenant like any other.
        async with db.transaction(replayed.client_id) as conn:
            await conn.execute(tables.categories.insert().values(
                category_id=uuid.uuid4(), client_id=replayed.client_id, store_id="s1",
                name="Lanches"))
    finally:
        for client in clients:
            if await db.tenant_exists(client):
                await tenancy.drop_tenant(db, client)
        async with db.control.begin() as conn:
            await conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{migrated}" CASCADE')
        await db.dispose()
