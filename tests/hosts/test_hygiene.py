"""Security headers, redirects that stay on this host, and what errors may not leak."""

import logging
import os
import stat

import pytest
from sqlalchemy import text
from starlette.testclient import TestClient

from posmodern.core import tenancy
from posmodern.core.db import Database
from posmodern.hosts.app import create_app
from support.settings import make_settings


@pytest.fixture
def settings(tmp_path):
    return make_settings(f"sqlite+aiosqlite:///{tmp_path / 'var' / 'pos.db'}", tmp_path)


@pytest.fixture
def client(settings):
    with TestClient(create_app(settings, plugins=["auth", "dashboard"])) as made:
        yield made


def assert_hygiene(response):
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and "default-src 'self'" in policy
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_every_answer_carries_the_security_headers(client):
    for response in (client.get("/health"), client.get("/api/v1/nowhere"),
                     client.get("/dashboard/"), client.get("/dashboard/dashboard.js"),
                     client.post("/api/v1/auth/token", json={})):
        assert_hygiene(response)
        assert "Strict-Transport-Security" not in response.headers  # plain HTTP


def test_hsts_only_over_tls(settings):
    with TestClient(create_app(settings, plugins=["auth"]),
                    base_url="https://pos.example") as client:
        answer = client.get("/health")
    assert answer.headers["Strict-Transport-Security"].startswith("max-age=")
    assert_hygiene(answer)


def test_the_dashboard_redirect_stays_on_this_host_whatever_host_is_named(client):
    moved = client.get("/dashboard", headers={"Host": "evil.example"}, follow_redirects=False)
    assert moved.status_code in (301, 307, 308)
    assert moved.headers["Location"] == "/dashboard/"
    assert client.get("/dashboard").status_code == 200


async def test_database_errors_do_not_log_the_values_sent(database_url, caplog):
    db = Database(database_url)
    try:
        with pytest.raises(Exception) as failed:
            async with db.control.connect() as conn:
                await conn.execute(text("SELECT * FROM no_such_table WHERE phone = :phone"),
                                   {"phone": "+55 11 91234-5678"})
    finally:
        await db.dispose()
    logging.getLogger("test").error("failed", exc_info=failed.value)
    assert "91234-5678" not in str(failed.value) and "91234-5678" not in caplog.text
    assert "parameters hidden" in str(failed.value)


async def test_sqlite_files_are_readable_by_their_owner_only(tmp_path):
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'var' / 'pos.db'}")
    try:
        await tenancy.create_tenant(db, "cantina")
        async with db.transaction("cantina") as conn:
            await conn.execute(text("SELECT 1"))
            files = [tmp_path / "var" / "pos.db", db.tenant_file("cantina")]
            files += list((tmp_path / "var").rglob("*.db-wal"))
            assert len(files) > 2
            for path in files:
                assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path
    finally:
        await db.dispose()
