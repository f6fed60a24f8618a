"""Revocation: a user deactivated, given other roles or a new password, and a tenant dropped,
lose their tokens at once, through the API and the `pos` command line, on both backends."""

import dataclasses

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from starlette.testclient import TestClient

from posmodern.cli import commands  # noqa: F401 - registers the commands
from posmodern.cli.main import cli
from posmodern.hosts.app import create_app
from posmodern.schema.tables import audit_log
from support.api import Api, assert_error, make_tenant
from support.tenant_db import fetch


@pytest.fixture(params=["memory", "redis"])
def cache(request):
    return request.param


@pytest.fixture
def client(settings, cache):
    if cache == "redis":
        from support import services
        settings = dataclasses.replace(settings, redis_url=services.REDIS_URL)
    with TestClient(create_app(settings, plugins=["auth"])) as test_client:
        yield test_client


@pytest.fixture
def api(client, settings):
    return Api(client, make_tenant(settings, roles=("admin", "cashier", "waiter")))


def _user_id(api, username):
    users = api.get("/api/v1/auth/users").json()["items"]
    return next(u["user_id"] for u in users if u["username"] == username)


def _me(api, token):
    return api.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})


def _sign_in(api, username, password):
    return api.client.post("/api/v1/auth/token", json={
        "client_id": api.tenant.client_id, "username": username, "password": password})


def test_deactivating_a_user_refuses_their_token_at_once(api):
    cashier = api.token("cashier")
    assert _me(api, cashier).status_code == 200
    user_id = _user_id(api, "cashier")
    assert_error(api.patch(f"/api/v1/users/{user_id}", "cashier", json={"active": False}), 403)
    changed = api.patch(f"/api/v1/users/{user_id}", json={"active": False})
    assert changed.status_code == 200, changed.text
    assert changed.json()["active"] is False
    assert_error(_me(api, cashier), 401, "token_revoked")
    assert_error(_sign_in(api, "cashier", api.tenant.passwords["cashier"]), 401,
                 "invalid_credentials")
    # Back again: a new sign-in works, the old token stays dead.
    assert api.patch(f"/api/v1/users/{user_id}", json={"active": True}).status_code == 200
    assert _sign_in(api, "cashier", api.tenant.passwords["cashier"]).status_code == 200
    assert_error(_me(api, cashier), 401, "token_revoked")


def test_new_roles_refuse_the_old_token(api):
    waiter = api.token("waiter")
    user_id = _user_id(api, "waiter")
    changed = api.patch(f"/api/v1/users/{user_id}", json={"roles": ["waiter", "cashier"]})
    assert changed.json()["roles"] == ["cashier", "waiter"]
    assert_error(_me(api, waiter), 401, "token_revoked")
    fresh = _sign_in(api, "waiter", api.tenant.passwords["waiter"]).json()["access_token"]
    assert _me(api, fresh).json()["roles"] == ["cashier", "waiter"]
    assert_error(api.patch(f"/api/v1/users/{user_id}", json={"roles": ["chef"]}), 422)
    assert_error(api.patch(f"/api/v1/users/{user_id}", json={}), 422)
    assert_error(api.patch("/api/v1/users/00000000-0000-0000-0000-000000000000",
                           json={"active": False}), 404)
    admin_id = _user_id(api, "admin")
    assert_error(api.patch(f"/api/v1/users/{admin_id}", json={"active": False}), 409)
    assert_error(api.patch(f"/api/v1/users/{admin_id}", json={"roles": ["cashier"]}), 409)


def test_own_password_needs_the_current_one_and_revokes_old_tokens(api, settings):
    cashier = api.token("cashier")
    user_id = _user_id(api, "cashier")
    path = f"/api/v1/users/{user_id}/password"
    assert_error(api.post(path, "cashier", json={"password": "new-cashier-pw-9"}), 422,
                 "current_password_required")
    assert_error(api.post(path, "cashier", json={"password": "new-cashier-pw-9",
                                                 "current_password": "wrong-one-1"}), 403)
    assert _me(api, cashier).status_code == 200  # nothing changed yet
    assert_error(api.post(path, "cashier", json={"password": "password1",
                                                 "current_password": "cashier-pass-123"}), 422)
    changed = api.post(path, "cashier", json={"password": "new-cashier-pw-9",
                                              "current_password": "cashier-pass-123"})
    assert changed.status_code == 200, changed.text
    assert_error(_me(api, cashier), 401, "token_revoked")
    assert_error(_sign_in(api, "cashier", "cashier-pass-123"), 401)
    assert _sign_in(api, "cashier", "new-cashier-pw-9").status_code == 200
    # Another's password: admins only, and it revokes too.
    waiter = api.token("waiter")
    waiter_path = f"/api/v1/users/{_user_id(api, 'waiter')}/password"
    fresh_cashier = _sign_in(api, "cashier", "new-cashier-pw-9").json()["access_token"]
    assert_error(api.client.post(waiter_path, json={"password": "taken-over-77"},
                                 headers={"Authorization": f"Bearer {fresh_cashier}"}), 403)
    assert api.post(waiter_path, json={"password": "reset-by-admin-7"}).status_code == 200
    assert_error(_me(api, waiter), 401, "token_revoked")
    rows = fetch(settings, api.tenant.client_id, select(audit_log.c.action, audit_log.c.username)
                 .where(audit_log.c.action.like("user.%")).order_by(audit_log.c.occurred_at))
    assert [(r.action, r.username) for r in rows] == [
        ("user.password_changed", "cashier"), ("user.password_reset", "admin")]


def test_changes_are_audited(api, settings):
    user_id = _user_id(api, "cashier")
    api.patch(f"/api/v1/users/{user_id}", json={"roles": ["cashier", "waiter"], "active": False})
    rows = fetch(settings, api.tenant.client_id, select(audit_log.c.action, audit_log.c.username,
                                                        audit_log.c.details)
                 .where(audit_log.c.action == "user.updated"))
    assert [(r.action, r.username) for r in rows] == [("user.updated", "admin")]
    assert rows[0].details["changes"] == {"roles": {"from": ["cashier"],
                                                    "to": ["cashier", "waiter"]},
                                          "active": {"from": True, "to": False}}


def test_cli_changes_refuse_tokens_at_once(api, settings, monkeypatch, cache):
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("POS_DATA_DIR", str(settings.data_dir))
    if cache == "redis":
        from support import services
        monkeypatch.setenv("REDIS_URL", services.REDIS_URL)
    runner = CliRunner()
    client_id = api.tenant.client_id

    def pos(*args):
        result = runner.invoke(cli, list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    tokens = {role: api.token(role) for role in ("cashier", "waiter", "admin")}
    for token in tokens.values():
        assert _me(api, token).status_code == 200
    assert "deactivated user cashier" in pos("users", "deactivate", "--client", client_id,
                                             "--username", "cashier")
    assert "now has roles kitchen" in pos("users", "roles", "--client", client_id,
                                          "--username", "waiter", "--role", "kitchen")
    assert "reset" in pos("users", "password", "--client", client_id, "--username", "admin",
                          "--password", "admin-new-pass-5")
    if cache == "memory":
        # Another process's change reaches an embedded server's memory within a second.
        import time
        time.sleep(1.1)
    for token in tokens.values():
        assert_error(_me(api, token), 401, "token_revoked")
    assert _sign_in(api, "admin", "admin-new-pass-5").status_code == 200
    result = runner.invoke(cli, ["users", "deactivate", "--client", client_id,
                                 "--username", "ghost"])
    assert result.exit_code == 1 and "no user" in result.output
    rows = fetch(settings, client_id, select(audit_log.c.action, audit_log.c.username,
                                             audit_log.c.resource_id)
                 .where(audit_log.c.action.like("user.%")))
    assert sorted(r.action for r in rows) == ["user.password_reset", "user.updated",
                                              "user.updated"]
    assert all(r.username.startswith("cli") for r in rows)
