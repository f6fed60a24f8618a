"""Signing in and managing users, through the HTTP API, on both backends."""

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from posmodern.hosts.app import create_app
from posmodern.schema.tables import audit_log
from support.api import Api, assert_error, make_tenant


@pytest.fixture
def client(settings):
    with TestClient(create_app(settings, plugins=["auth"])) as test_client:
        yield test_client


@pytest.fixture
def api(client, settings):
    return Api(client, make_tenant(settings, roles=("admin", "cashier")))


def test_token_for_good_credentials_only(api, client):
    tenant = api.tenant
    good = client.post("/api/v1/auth/token", json={"client_id": tenant.client_id,
                                                    "username": "cashier",
                                                    "password": tenant.passwords["cashier"]})
    assert good.status_code == 200
    body = good.json()
    assert body["token_type"] == "bearer" and body["expires_in"] > 0
    for wrong in ({"client_id": tenant.client_id, "username": "cashier", "password": "nope"},
                  {"client_id": tenant.client_id, "username": "ghost", "password": "nope"},
                  {"client_id": "no-such-client", "username": "cashier",
                   "password": tenant.passwords["cashier"]}):
        error = assert_error(client.post("/api/v1/auth/token", json=wrong), 401,
                             "invalid_credentials")
        assert "password" in error["message"]
    assert_error(client.post("/api/v1/auth/token", json={"username": "x"}), 422)


def test_the_tenant_comes_from_the_token_only(api, client, settings):
    other = Api(client, make_tenant(settings, roles=("admin",)))
    mine = api.get("/api/v1/auth/users").json()["items"]
    theirs = other.get("/api/v1/auth/users").json()["items"]
    assert {u["username"] for u in mine} == {"admin", "cashier"}
    assert {u["username"] for u in theirs} == {"admin"}
    assert {u["user_id"] for u in mine}.isdisjoint({u["user_id"] for u in theirs})


def test_only_admins_create_users_and_it_is_audited(api, settings):
    body = {"username": "maria", "password": "maria-pass-1", "roles": ["waiter"]}
    assert_error(api.post("/api/v1/auth/users", "cashier", json=body), 403)
    created = api.post("/api/v1/auth/users", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["roles"] == ["waiter"]
    assert_error(api.post("/api/v1/auth/users", json=body), 409)
    assert_error(api.post("/api/v1/auth/users", json={**body, "username": "x",
                                                      "roles": ["chef"]}), 422)
    assert_error(api.post("/api/v1/auth/users", json={**body, "username": "y",
                                                      "password": "short"}), 422)
    import asyncio

    from posmodern.core.db import Database

    async def audit_rows():
        db = Database(settings.database_url)
        try:
            async with db.transaction(api.tenant.client_id) as conn:
                return (await conn.execute(select(audit_log.c.action, audit_log.c.username,
                                                  audit_log.c.details)
                                           .where(audit_log.c.action != "auth.login"))).all()
        finally:
            await db.dispose()
    rows = asyncio.run(audit_rows())
    assert [(r.action, r.username) for r in rows] == [("user.created", "admin")]
    assert rows[0].details == {"username": "maria", "roles": ["waiter"]}


def test_weak_passwords_and_look_alike_usernames_are_refused(api):
    body = {"username": "maria", "password": "maria-pass-1", "roles": ["waiter"]}
    for password in ("senha123", "Password1", "MARIA.LIMA"):
        error = assert_error(api.post("/api/v1/auth/users", json={
            **body, "username": "maria.lima", "password": password}), 422, "weak_password")
        assert "password" in error["message"]
    error = assert_error(api.post("/api/v1/auth/users", json={
        **body, "username": "m\u0430ria"}), 422, "invalid_username")  # Cyrillic 'а'
    assert "alphabets" in error["message"]


def test_usernames_are_one_whatever_their_case_or_width(api, client):
    created = api.post("/api/v1/auth/users", json={"username": "Maria", "roles": ["waiter"],
                                                   "password": "maria-pass-1"})
    assert created.status_code == 201 and created.json()["username"] == "maria"
    for twin in ("maria", "MARIA", "ｍａｒｉａ"):
        assert_error(api.post("/api/v1/auth/users", json={
            "username": twin, "password": "maria-pass-2", "roles": ["waiter"]}), 409)
    for typed in ("MARIA", " Maria", "ｍａｒｉａ"):
        signed_in = client.post("/api/v1/auth/token", json={
            "client_id": api.tenant.client_id, "username": typed, "password": "maria-pass-1"})
        assert signed_in.status_code == 200, (typed, signed_in.text)
        assert signed_in.headers["Cache-Control"] == "no-store"
