"""The audit log: sign-ins recorded, read through GET /api/v1/audit by admins with filters and
cursor pages, and a hash chain `pos audit verify` checks, on both backends."""

import asyncio

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, select, update
from starlette.testclient import TestClient

from posmodern.cli import commands  # noqa: F401 - registers the commands
from posmodern.cli.main import cli
from posmodern.core import audit
from posmodern.core.db import Database
from posmodern.hosts.app import create_app
from posmodern.schema.tables import audit_log
from support.api import Api, assert_error, make_tenant


@pytest.fixture
def api(settings):
    with TestClient(create_app(settings, plugins=["auth"])) as client:
        yield Api(client, make_tenant(settings, roles=("admin", "cashier")))


@pytest.fixture
def pos(settings, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("POS_DATA_DIR", str(settings.data_dir))

    def invoke(*args):
        return CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return invoke


def _in_tenant(settings, client_id, work):
    async def go():
        db = Database(settings.database_url)
        try:
            return await work(db)
        finally:
            await db.dispose()
    return asyncio.run(go())


def test_sign_ins_are_audited_and_admins_read_the_log(api):
    client_id = api.tenant.client_id
    api.client.post("/api/v1/auth/token", json={"client_id": client_id, "username": "cashier",
                                                "password": "wrong-password-1"})
    api.token("cashier")
    assert_error(api.get("/api/v1/audit", "cashier"), 403)
    log = api.get("/api/v1/audit").json()["items"]
    assert [(e["action"], e["username"]) for e in log] == [
        ("auth.login", "admin"), ("auth.login", "cashier"), ("auth.login_failed", "cashier")]
    assert [e["seq"] for e in log] == [3, 2, 1]
    assert log[0]["details"]["address"]
    assert [e["action"] for e in api.get("/api/v1/audit", params={
        "action": "auth.login_failed"}).json()["items"]] == ["auth.login_failed"]
    assert len(api.get("/api/v1/audit", params={"action": "auth."}).json()["items"]) == 3
    assert [e["username"] for e in api.get("/api/v1/audit", params={
        "user": "cashier"}).json()["items"]] == ["cashier", "cashier"]
    until = log[1]["occurred_at"]
    assert [e["seq"] for e in api.get("/api/v1/audit", params={
        "until": until}).json()["items"]] == [1]
    assert [e["seq"] for e in api.get("/api/v1/audit", params={
        "since": until}).json()["items"]] == [3, 2]
    first = api.get("/api/v1/audit", params={"limit": 2}).json()
    assert [e["seq"] for e in first["items"]] == [3, 2] and first["next_cursor"]
    rest = api.get("/api/v1/audit", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [e["seq"] for e in rest["items"]] == [1] and rest["next_cursor"] is None
    assert_error(api.get("/api/v1/audit", params={"cursor": "nonsense"}), 422, "invalid_cursor")
    assert_error(api.post("/api/v1/audit", json={}), 405)


def test_the_chain_shows_a_row_changed_or_removed(api, settings, pos):
    client_id = api.tenant.client_id
    for role in ("admin", "cashier"):
        api.token(role)
    made = pos("users", "create", "--client", client_id, "--store", "s1", "--username", "rui",
               "--password", "rui-secret-9", "--role", "waiter")
    assert made.exit_code == 0, made.output
    assert pos("users", "deactivate", "--client", client_id, "--username", "rui").exit_code == 0
    intact = pos("audit", "verify", "--client", client_id)
    assert intact.exit_code == 0 and f"{client_id}: 4 row(s), chain intact" in intact.output
    assert client_id in pos("audit", "verify").output

    async def tamper(db):
        async with db.transaction(client_id) as conn:
            await conn.execute(update(audit_log).where(audit_log.c.seq == 3)
                               .values(details={"username": "someone-else"}))
    _in_tenant(settings, client_id, tamper)
    broken = pos("audit", "verify", "--client", client_id)
    assert broken.exit_code == 1 and "BROKEN at row 3" in broken.output, broken.output

    async def remove(db):
        async with db.transaction(client_id) as conn:
            await conn.execute(delete(audit_log).where(audit_log.c.seq.in_([2, 3])))
    _in_tenant(settings, client_id, remove)
    gap = pos("audit", "verify", "--client", client_id)
    assert gap.exit_code == 1 and "BROKEN at row 2" in gap.output and "missing" in gap.output


def test_concurrent_appends_do_not_fork_the_chain(api, settings):
    client_id = api.tenant.client_id

    async def many(db):
        async def one(n):
            async with db.transaction(client_id) as conn:
                await audit.append(conn, client_id=client_id, action="test.concurrent",
                                   details={"n": n})
        await asyncio.gather(*(one(n) for n in range(30)))
        async with db.transaction(client_id) as conn:
            seqs = (await conn.execute(select(audit_log.c.seq)
                                       .order_by(audit_log.c.seq))).scalars().all()
        return seqs, await audit.verify(db, client_id)
    seqs, (checked, problem) = _in_tenant(settings, client_id, many)
    assert seqs == list(range(1, 31)) and checked == 30 and problem is None
