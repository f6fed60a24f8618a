"""Sign-in throttling through the API, with the counters in Redis and in process memory."""

import asyncio
import logging
import time
import uuid

import pytest
import redis
from sqlalchemy import select
from starlette.testclient import TestClient

from posmodern.core.db import Database
from posmodern.hosts.app import create_app
from posmodern.schema.tables import audit_log
from support import services
from support.api import assert_error, make_tenant
from support.settings import make_settings


@pytest.fixture(params=["memory", "redis"])
def counters(request) -> dict[str, str]:
    return {} if request.param == "memory" else {"REDIS_URL": services.REDIS_URL}


@pytest.fixture
def address() -> str:
    return f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"


@pytest.fixture
def tenant(database_url, tmp_path, counters):
    settings = make_settings(database_url, tmp_path, **counters)
    made = make_tenant(settings, roles=("admin", "cashier"))
    yield settings, made
    if counters:
        store = redis.Redis.from_url(services.REDIS_URL)
        for key in store.scan_iter(f"pos:*login:*{made.client_id}*"):
            store.delete(key)


@pytest.fixture
def client(tenant, address):
    settings, _ = tenant
    with TestClient(create_app(settings, plugins=["auth"]), client=(address, 50000)) as made:
        yield made


def sign_in(client, tenant, username: str, password: str):
    return client.post("/api/v1/auth/token", json={
        "client_id": tenant[1].client_id, "username": username, "password": password})


def test_wrong_passwords_lock_the_account_with_growing_waits(client, tenant):
    right = tenant[1].passwords["cashier"]
    for _ in range(5):
        assert_error(sign_in(client, tenant, "cashier", "wrong-guess"), 401, "invalid_credentials")
    locked = sign_in(client, tenant, "cashier", "wrong-guess")
    error = assert_error(locked, 429, "account_locked")
    assert locked.headers["Retry-After"] == "1" and error["details"]["retry_after"] == 1
    # The right password is refused as well while the lock holds, and the answer says why.
    during = sign_in(client, tenant, "cashier", right)
    assert "right password" in assert_error(during, 429, "account_locked")["message"]
    time.sleep(1.1)
    # One more failure after the lock: twice as long.
    assert_error(sign_in(client, tenant, "cashier", "wrong-guess"), 401)
    again = sign_in(client, tenant, "cashier", right)
    assert_error(again, 429, "account_locked")
    assert again.headers["Retry-After"] == "2"
    time.sleep(2.1)
    assert sign_in(client, tenant, "cashier", right).status_code == 200
    # The success forgot the failures: four more are four 401s, and the password still works.
    for _ in range(4):
        assert_error(sign_in(client, tenant, "cashier", "wrong-guess"), 401)
    assert sign_in(client, tenant, "cashier", right).status_code == 200


def test_an_address_is_limited_across_accounts(client, tenant):
    for _ in range(5):
        assert_error(sign_in(client, tenant, "cashier", "wrong-guess"), 401)
    assert_error(sign_in(client, tenant, "cashier", "wrong-guess"), 429, "account_locked")
    # Another account from the same address is not affected by that lock...
    assert sign_in(client, tenant, "admin", tenant[1].passwords["admin"]).status_code == 200
    # ... until the address has failed 20 times in the minute (unknown usernames count too).
    for name in ("ghost-1", "ghost-2", "ghost-3"):
        for _ in range(5):
            assert_error(sign_in(client, tenant, name, "wrong-guess"), 401)
    refused = sign_in(client, tenant, "admin", tenant[1].passwords["admin"])
    assert_error(refused, 429, "address_locked")
    assert 1 <= int(refused.headers["Retry-After"]) <= 60


def test_failed_sign_ins_are_logged_and_audited_without_the_password(client, tenant, address,
                                                                     caplog):
    settings, made = tenant
    with caplog.at_level(logging.WARNING, logger="posmodern.auth"):
        assert_error(sign_in(client, tenant, "cashier", "secret-guess-1"), 401)
        assert_error(sign_in(client, tenant, "nobody", "secret-guess-2"), 401)
    logged = [r for r in caplog.records if r.name == "posmodern.auth"]
    assert [(r.client_id, r.username, r.address) for r in logged] == [
        (made.client_id, "cashier", address), (made.client_id, "nobody", address)]
    assert "secret-guess" not in caplog.text

    async def audit_rows():
        db = Database(settings.database_url)
        try:
            async with db.transaction(made.client_id) as conn:
                return (await conn.execute(select(audit_log).order_by(
                    audit_log.c.occurred_at))).all()
        finally:
            await db.dispose()
    rows = asyncio.run(audit_rows())
    assert [(r.action, r.username, r.details["address"]) for r in rows] == [
        ("auth.login_failed", "cashier", address), ("auth.login_failed", "nobody", address)]
    assert all("secret-guess" not in str(tuple(r)) for r in rows)
