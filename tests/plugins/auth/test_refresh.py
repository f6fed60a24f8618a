"""Refreshing a token (a kitchen screen left signed in for days): a valid token gets a new one
with the same sign-in; a revoked user, an expired token and a sign-in older than
POS_SESSION_MAX_HOURS are refused."""

import time

import jwt
import pytest
from starlette.testclient import TestClient

from posmodern.core import security
from posmodern.core.api import Principal
from posmodern.hosts.app import create_app
from support.api import Api, assert_error, make_tenant

REFRESH = "/api/v1/auth/refresh"


@pytest.fixture
def api(settings):
    with TestClient(create_app(settings, plugins=["auth"])) as client:
        yield Api(client, make_tenant(settings, roles=("admin", "kitchen")))


def _claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_a_token_is_refreshed_with_the_same_sign_in_and_the_new_one_works(api):
    first = api.token("kitchen")
    time.sleep(1.1)  # iat is in whole seconds
    answer = api.client.post(REFRESH, headers=_bearer(first))
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    fresh = answer.json()["access_token"]
    old, new = _claims(first), _claims(fresh)
    assert new["auth_time"] == old["auth_time"] and new["exp"] > old["exp"]
    assert (new["sub"], new["roles"], new["ver"]) == (old["sub"], old["roles"], old["ver"])
    me = api.client.get("/api/v1/auth/me", headers=_bearer(fresh))
    assert me.status_code == 200 and me.json()["roles"] == ["kitchen"]


def test_a_deactivated_user_and_a_missing_or_bad_token_get_no_new_token(api):
    token = api.token("kitchen")
    users = api.get("/api/v1/auth/users").json()["items"]
    kitchen = next(u["user_id"] for u in users if u["username"] == "kitchen")
    assert api.patch(f"/api/v1/users/{kitchen}", json={"active": False}).status_code == 200
    assert_error(api.client.post(REFRESH, headers=_bearer(token)), 401, "token_revoked")
    assert_error(api.client.post(REFRESH), 401, "missing_token")
    assert_error(api.client.post(REFRESH, headers=_bearer("not-a-token")), 401, "invalid_token")


def test_a_sign_in_older_than_the_session_limit_asks_for_the_password(api, settings):
    token = api.token("kitchen")
    claims = _claims(token)
    principal = Principal(user_id=claims["sub"], username=claims["name"],
                          client_id=claims["cid"], store_id=claims["sid"],
                          roles=frozenset(claims["roles"]))
    eight_days_ago = int(time.time()) - 8 * 24 * 3600  # the default limit is 7 days
    stale, _ = security.issue_token(settings, principal, claims["ver"],
                                    signed_in_at=eight_days_ago)
    assert api.client.get("/api/v1/auth/me", headers=_bearer(stale)).status_code == 200
    assert_error(api.client.post(REFRESH, headers=_bearer(stale)), 401, "session_expired")
