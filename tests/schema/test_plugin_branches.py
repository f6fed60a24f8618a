"""A third-party plugin's own tables (tests/fixtures/loyalty, installed through its entry point):
its Alembic branch applied to every tenant by `pos db upgrade`, listed by `pos db current`, on
SQLite and PostgreSQL."""

import asyncio
import re
import time
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy import inspect, select
from starlette.testclient import TestClient

from posmodern.cli import commands  # noqa: F401 - registers the commands
from posmodern.cli.main import cli
from posmodern.core.db import Database, schema_name
from posmodern.core.migrations import migration_branches
from posmodern.core.plugins import get_plugin_manager
from posmodern.hosts.app import create_app
from posmodern.plugins.sat import tables as sat_tables
from posmodern.schema import migrate, tables
from posmodern.schema.migrations import include_name
from support.api import Api, make_tenant
from support.menu import create_menu, order_body
from support.tenant_db import fetch

LOYALTY = Path(__file__).resolve().parents[1] / "fixtures" / "loyalty"
WITHOUT_LOYALTY = "auth,customers"
#: The built-in plugin with a branch of its own (sat), loaded with every installed plugin.
SAT = "; sat: sat_0002"


@pytest.fixture
def loyalty(monkeypatch):
    """The fixture package pos-loyalty, installed (found through its `posmodern` entry point)."""
    monkeypatch.syspath_prepend(str(LOYALTY))
    import pos_loyalty

    return pos_loyalty


@pytest.fixture
def pos(database_url, tmp_path, monkeypatch, loyalty):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("POS_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("POS_PLUGINS", raising=False)
    runner = CliRunner()
    made = []

    def invoke(*args, ok=True):
        result = runner.invoke(cli, list(args), catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, result.output
        if ok and "tenant" in args and args[args.index("tenant") + 1] == "create":
            made.append(args[args.index("tenant") + 2])
        return result
    yield invoke
    # The PostgreSQL database is shared by the session: leave no tenant with the plugin's tables.
    for client in made:
        invoke("tenant", "drop", client, "--yes")


def _client() -> str:
    return f"l{uuid.uuid4().hex[:10]}"


def _in_tenant(database_url: str, client: str, work):
    """Run ``work(connection, schema)`` in a transaction of a tenant's database; returns what it
    returns."""
    async def go():
        db = Database(database_url)
        try:
            async with db.tenant_engine(client).begin() as conn:
                return await work(conn, None if db.is_sqlite else schema_name(client))
        finally:
            await db.dispose()
    return asyncio.run(go())


def _sync(work):
    async def run(conn, schema):
        return await conn.run_sync(work, schema)
    return run


def _columns(database_url: str, client: str) -> list[str] | None:
    """The columns of the tenant's loyalty_points table, None when it has none."""
    def columns(sync_conn, schema):
        inspector = inspect(sync_conn)
        if not inspector.has_table("loyalty_points", schema=schema):
            return None
        return [c["name"] for c in inspector.get_columns("loyalty_points", schema=schema)]
    return _in_tenant(database_url, client, _sync(columns))


def _revisions(output: str, client: str) -> str:
    found = re.search(rf"^{client}\s+(.*)$", output, flags=re.MULTILINE)
    assert found, output
    return found.group(1)


def test_db_upgrade_builds_the_plugins_table_in_every_tenant(pos, database_url):
    before = [_client(), _client()]
    for client in before:
        pos("--plugins", WITHOUT_LOYALTY, "tenant", "create", client)
        assert _columns(database_url, client) is None
    current = pos("db", "current").output
    assert current.splitlines()[0] == f"head: {migrate.head()}; loyalty: loyalty_0002{SAT}"
    assert all(_revisions(current, c) == f"{migrate.head()}; loyalty: none; sat: none"
               for c in before)

    assert "with the tables of: loyalty, sat" in pos("db", "upgrade").output
    current = pos("db", "current").output
    for client in before:
        assert _revisions(current, client) == f"{migrate.head()}; loyalty: loyalty_0002{SAT}"
        assert _columns(database_url, client) == ["entry_id", "client_id", "store_id",
                                                  "customer_id", "points", "created_at",
                                                  "order_id"]
    # A second run changes nothing.
    pos("db", "upgrade")
    assert pos("db", "current").output == current

    # A tenant created afterwards gets the plugin's table with the built-in ones.
    after = _client()
    pos("tenant", "create", after)
    assert _revisions(pos("db", "current").output, after) == (
        f"{migrate.head()}; loyalty: loyalty_0002{SAT}")
    assert _columns(database_url, after) is not None


def test_a_branch_applied_before_stays_when_its_plugin_is_not_loaded(pos, database_url):
    client = _client()
    pos("tenant", "create", client)
    upgraded = pos("--plugins", WITHOUT_LOYALTY, "db", "upgrade").output
    assert client in upgraded and "with the tables of" not in upgraded
    assert _revisions(pos("--plugins", WITHOUT_LOYALTY, "db", "current").output, client) == (
        f"{migrate.head()}; loyalty_0002 (of a plugin not loaded: not migrated); "
        "sat_0002 (of a plugin not loaded: not migrated)")
    assert _columns(database_url, client) is not None
    # Loaded again, it is where it was.
    assert _revisions(pos("db", "current").output, client) == (
        f"{migrate.head()}; loyalty: loyalty_0002{SAT}")
    pos("db", "upgrade")


def test_the_plugins_branch_goes_back_alone_and_its_migrations_match_its_tables(
        pos, database_url, loyalty):
    client = _client()
    pos("tenant", "create", client)
    branches = migration_branches(get_plugin_manager(["loyalty"]))

    def differences(sync_conn, schema):
        if schema:
            sync_conn.exec_driver_sql(f'SET LOCAL search_path TO "{schema}"')
        context = MigrationContext.configure(sync_conn, opts={
            "version_table_schema": schema, "compare_type": False, "include_name": include_name})
        return compare_metadata(context, [tables.metadata, loyalty.tables.metadata,
                                          sat_tables.metadata])
    assert _in_tenant(database_url, client, _sync(differences)) == []

    def downgrade(revision):
        _in_tenant(database_url, client, lambda conn, schema: migrate.downgrade_tenant(
            conn, schema, branches, revision))
    downgrade("loyalty@-1")
    assert "order_id" not in _columns(database_url, client)
    assert _revisions(pos("db", "current").output, client) == (
        f"{migrate.head()}; loyalty: loyalty_0001{SAT}")
    downgrade("loyalty@base")
    assert _columns(database_url, client) is None
    assert _revisions(pos("db", "current").output, client) == (
        f"{migrate.head()}; loyalty: none{SAT}")
    pos("db", "upgrade")
    assert _revisions(pos("db", "current").output, client) == (
        f"{migrate.head()}; loyalty: loyalty_0002{SAT}")


def test_the_plugin_writes_its_table_from_an_event_and_serves_it(settings, loyalty):
    """A tenant made before the plugin was installed gets its table at start (POS_AUTO_MIGRATE);
    orders placed over the API earn a customer points, written by the plugin's subscription."""
    tenant = make_tenant(settings)
    app = create_app(settings, plugins=["auth", "catalog", "customers", "orders", "loyalty"])
    with TestClient(app) as client:
        staff = Api(client, tenant)
        menu = create_menu(staff)
        ana = staff.post("/api/v1/customers", "cashier", json={"name": "Ana"}).json()
        placed = []
        for quantity in ("2", "1"):
            order = staff.post("/api/v1/orders", "cashier", json=order_body(
                menu, ("X-Burger", quantity), customer_id=ana["customer_id"]))
            assert order.status_code == 201, order.text
            placed.append(order.json())
        staff.post("/api/v1/orders", "cashier", json=order_body(menu, ("X-Burger", "1")))
        expected = sum(int(Decimal(order["total"])) for order in placed)
        points = None
        for _ in range(200):
            points = staff.get(f"/api/v1/loyalty/customers/{ana['customer_id']}", "cashier")
            assert points.status_code == 200, points.text
            if points.json()["points"] == expected:
                break
            time.sleep(0.05)
        assert points.json() == {"customer_id": ana["customer_id"], "points": expected}
    rows = fetch(settings, tenant.client_id, select(loyalty.tables.loyalty_points))
    assert sorted(str(row.order_id) for row in rows) == sorted(o["order_id"] for o in placed)
