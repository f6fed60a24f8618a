"""A database that cannot serve is a 503 with ``Retry-After`` on every route, never a 500: a
PostgreSQL that refuses or loses connections (through a TCP proxy the test stops, never the real
server) and a SQLite file locked by another writer past the busy timeout."""

from __future__ import annotations

import contextlib
import re
import socket
import sqlite3
import uuid

import pytest
from posmodern.hosts.app import create_app
from starlette.testclient import TestClient
from support.api import Api, make_tenant
from support.settings import make_settings
from support.tcp_proxy import TcpProxy

PLUGINS = ["auth", "catalog", "customers", "orders", "waiter", "payments", "stock", "settings"]


def _fill(match: re.Match) -> str:
    return "asaas" if match.group(1) == "provider" else str(uuid.uuid4())


def _every_route(app) -> list[tuple[str, str]]:
    """Each API route once, its path parameters filled in with ids nobody has; but the live
    streams (server-sent events), which once connected never end."""
    return [(route.method.upper(), re.sub(r"\{(\w+)[^}]*\}", _fill, route.path))
            for route in app.state.api_routes if not route.path.endswith("/stream")]


def _assert_all_unavailable(api: Api, app, *, refused: bool = True) -> None:
    answers = {}
    for method, path in _every_route(app):
        response = api.request(method, path, None, json={},
                               headers={"Authorization": f"Bearer {api._tokens['admin']}"})
        answers[(method, path)] = response.status_code
        assert response.status_code < 500 or response.status_code == 503, \
            (method, path, response.status_code, response.text)
        if response.status_code == 503:
            assert int(response.headers["retry-after"]) >= 1
            assert response.json()["error"]["code"] == "database_unavailable"
    if not refused:
        return  # connections were cut: the first request on each fails, then new ones work
    # Every read needs the database, but the payment providers, who the token names and the
    # pages their roles open (the token's check may be answered from the cache).
    reads = [key for key in answers if key[0] == "GET"
             and not key[1].endswith(("/payments/providers", "/auth/me", "/api/v1/apps"))]
    assert reads and all(answers[key] == 503 for key in reads), \
        [(key, answers[key]) for key in reads if answers[key] != 503]
    login = api.post("/api/v1/auth/token", None, json={
        "client_id": api.tenant.client_id, "username": "admin",
        "password": api.tenant.passwords["admin"]})
    assert login.status_code == 503 and login.headers["retry-after"], login.text


def test_postgresql_refusing_or_losing_connections_is_a_503(pg_url, tmp_path):
    host_port = re.search(r"@([^/]+)/", pg_url).group(1)
    proxy = TcpProxy(int(host_port.rsplit(":", 1)[1]))
    url = pg_url.replace(f"@{host_port}/", f"@127.0.0.1:{proxy.port}/")
    settings = make_settings(url, tmp_path)
    tenant = make_tenant(settings, roles=("admin",))
    app = create_app(settings, plugins=PLUGINS)
    try:
        with TestClient(app) as client:
            api = Api(client, tenant)
            api.token("admin")
            assert api.get("/api/v1/orders").status_code == 200
            proxy.drop()  # connections lost mid-life: the pool's are dead
            _assert_all_unavailable(api, app, refused=False)
            _stop(proxy)  # and refused from now on
            _assert_all_unavailable(api, app)
    finally:
        _stop(proxy)


def _stop(proxy: TcpProxy) -> None:
    # close() alone leaves a listener blocked in accept() listening on Linux; shutdown stops it.
    with contextlib.suppress(OSError):
        proxy.listener.shutdown(socket.SHUT_RDWR)
    proxy.close()


def test_sqlite_locked_past_its_busy_timeout_is_a_503(tmp_path):
    settings = make_settings(f"sqlite+aiosqlite:///{tmp_path / 'var' / 'pos.db'}?timeout=0.2",
                             tmp_path)
    tenant = make_tenant(settings, roles=("admin",))
    app = create_app(settings, plugins=PLUGINS)
    with TestClient(app) as client:
        api = Api(client, tenant)
        api.token("admin")
        assert api.get("/api/v1/orders").status_code == 200
        holder = sqlite3.connect(tmp_path / "var" / "tenants" / f"{tenant.client_id}.db",
                                 isolation_level=None)
        control = sqlite3.connect(tmp_path / "var" / "pos.db", isolation_level=None)
        try:
            holder.execute("BEGIN EXCLUSIVE")
            control.execute("BEGIN EXCLUSIVE")
            made = api.post("/api/v1/products", json={"name": "Pastel", "price": "8.00"})
            assert made.status_code == 503, made.text
            assert made.json()["error"]["code"] == "database_unavailable"
            assert int(made.headers["retry-after"]) >= 1
            _assert_all_unavailable(api, app)
        finally:
            holder.execute("ROLLBACK")
            control.execute("ROLLBACK")
            holder.close()
            control.close()
        assert api.post("/api/v1/products", json={"name": "Pastel", "price": "8.00"}
                        ).status_code == 201


@pytest.fixture(autouse=True)
def _quiet_logs(caplog):
    caplog.set_level("CRITICAL", logger="posmodern.http")
