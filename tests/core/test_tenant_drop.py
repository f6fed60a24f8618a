"""A tenant dropped while an app serves it (by `pos tenant drop`, another process): the next
request is a 401 in the SPEC's error shape and writes nothing, on both backends."""

import asyncio

import pytest
from click.testing import CliRunner
from sqlalchemy import text
from starlette.testclient import TestClient

from posmodern.cli import commands  # noqa: F401 - registers the commands
from posmodern.cli.main import cli
from posmodern.core import tenancy
from posmodern.core.db import Database, schema_name
from posmodern.hosts.app import create_app
from support.api import Api, assert_error, make_tenant
from support.tenant_db import wait_for


@pytest.fixture
def app_client(settings):
    with TestClient(create_app(settings, plugins=["auth", "catalog"])) as client:
        yield client


def _drop_elsewhere(settings, client_id):
    async def go():
        db = Database(settings.database_url)  # not the app's: another process's view
        try:
            await tenancy.drop_tenant(db, client_id)
        finally:
            await db.dispose()
    asyncio.run(go())


def _schema_exists(settings, client_id):
    async def go():
        db = Database(settings.database_url)
        try:
            async with db.control.connect() as conn:
                return await conn.scalar(text(
                    "SELECT count(*) FROM information_schema.schemata WHERE schema_name = :s"),
                    {"s": schema_name(client_id)})
        finally:
            await db.dispose()
    return asyncio.run(go())


@pytest.mark.parametrize("how", ["cli", "tenancy"])
def test_requests_of_a_dropped_tenant_are_401_at_once(app_client, settings, backend, how,
                                                     monkeypatch):
    api = Api(app_client, make_tenant(settings, roles=("admin", "cashier")))
    client_id = api.tenant.client_id
    assert api.post("/api/v1/categories", json={"name": "Pratos"}).status_code == 201
    cashier = api.token("cashier")
    assert api.get("/api/v1/categories", "cashier").status_code == 200
    if how == "cli":
        monkeypatch.setenv("DATABASE_URL", settings.database_url)
        monkeypatch.setenv("POS_DATA_DIR", str(settings.data_dir))
        result = CliRunner().invoke(cli, ["tenant", "drop", client_id, "--yes"],
                                    catch_exceptions=False)
        assert result.exit_code == 0, result.output
    else:
        _drop_elsewhere(settings, client_id)
    written = api.post("/api/v1/categories", json={"name": "Bebidas"})
    assert_error(written, 401, "tenant_inactive")
    assert_error(app_client.get("/api/v1/categories",
                                headers={"Authorization": f"Bearer {cashier}"}), 401)
    assert_error(app_client.post("/api/v1/auth/token", json={
        "client_id": client_id, "username": "admin",
        "password": api.tenant.passwords["admin"]}), 401)
    # Nothing was written anywhere: no file came back, no schema either.
    if backend == "sqlite":
        assert not (settings.data_dir / "tenants" / f"{client_id}.db").exists()
    else:
        assert _schema_exists(settings, client_id) == 0


def test_a_tenant_dropped_and_made_again_refuses_the_old_tokens(app_client, settings):
    api = Api(app_client, make_tenant(settings, roles=("admin",)))
    client_id = api.tenant.client_id
    old = api.token("admin")
    assert api.get("/api/v1/categories").status_code == 200
    _drop_elsewhere(settings, client_id)
    make_tenant(settings, client_id=client_id, roles=("admin",))
    # Another process dropped it: this one's cached tenant check lasts at most a second
    # (core/revocation.py), so the old token is refused within that.
    wait_for(lambda: app_client.get("/api/v1/categories", headers={
        "Authorization": f"Bearer {old}"}).status_code == 401, timeout=5)
    assert_error(app_client.get("/api/v1/categories",
                                headers={"Authorization": f"Bearer {old}"}), 401)
    fresh = Api(app_client, api.tenant)
    assert fresh.get("/api/v1/categories").status_code == 200
