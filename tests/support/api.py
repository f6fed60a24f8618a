"""A small API client for tests: tokens, JSON, and the SPEC error shape."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import Any

from posmodern.core import security, tenancy
from posmodern.core.config import Settings
from posmodern.core.db import Database


@dataclass
class TenantUsers:
    """A tenant made for one test, with a user (and password) per role."""

    client_id: str
    store_id: str
    passwords: dict[str, str] = field(default_factory=dict)
    usernames: dict[str, str] = field(default_factory=dict)  # role -> username, when not the role


def new_client_id(prefix: str = "t") -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


async def create_tenant_with_users(settings: Settings, client_id: str | None = None,
                                   store_id: str = "store-1",
                                   roles: tuple[str, ...] = ("admin", "manager", "cashier",
                                                             "waiter", "kitchen", "kiosk",
                                                             "integration")) -> TenantUsers:
    client_id = client_id or new_client_id()
    db = Database(settings.database_url)
    try:
        await tenancy.create_tenant(db, client_id)
        made = TenantUsers(client_id, store_id)
        for role in roles:
            password = f"{role}-pass-123"
            await security.create_user(db, client_id=client_id, store_id=store_id,
                                       username=role, password=password, roles=[role])
            made.passwords[role] = password
        return made
    finally:
        await db.dispose()


def make_tenant(settings: Settings, **kwargs: Any) -> TenantUsers:
    """Synchronous :func:`create_tenant_with_users`, for tests driving a TestClient."""
    return asyncio.run(create_tenant_with_users(settings, **kwargs))


class Api:
    """Wraps an httpx-style client (TestClient or httpx.Client) with per-role tokens."""

    def __init__(self, client: Any, tenant: TenantUsers | None = None) -> None:
        self.client = client
        self.tenant = tenant
        self._tokens: dict[str, str] = {}

    def token(self, role: str = "admin") -> str:
        if role not in self._tokens:
            assert self.tenant is not None
            response = self.client.post("/api/v1/auth/token", json={
                "client_id": self.tenant.client_id,
                "username": self.tenant.usernames.get(role, role),
                "password": self.tenant.passwords[role]})
            assert response.status_code == 200, response.text
            self._tokens[role] = response.json()["access_token"]
        return self._tokens[role]

    def headers(self, role: str | None, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = dict(extra or {})
        if role is not None:
            headers["Authorization"] = f"Bearer {self.token(role)}"
        return headers

    def request(self, method: str, path: str, role: str | None = "admin", *,
                headers: dict[str, str] | None = None, **kwargs: Any):
        return self.client.request(method, path, headers=self.headers(role, headers), **kwargs)

    def get(self, path: str, role: str | None = "admin", **kwargs: Any):
        return self.request("GET", path, role, **kwargs)

    def post(self, path: str, role: str | None = "admin", **kwargs: Any):
        return self.request("POST", path, role, **kwargs)

    def patch(self, path: str, role: str | None = "admin", **kwargs: Any):
        return self.request("PATCH", path, role, **kwargs)

    def delete(self, path: str, role: str | None = "admin", **kwargs: Any):
        return self.request("DELETE", path, role, **kwargs)


def assert_error(response, status: int, code: str | None = None) -> dict:
    """Assert the SPEC §3 error shape and return the error object."""
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    assert "details" in error
    if code is not None:
        assert error["code"] == code, error
    return error


def make_store_users(settings: Settings, client_id: str, store_id: str,
                     roles: tuple[str, ...] = ("admin",)) -> TenantUsers:
    """Users of another store of an existing tenant (stores share the tenant's tables)."""
    async def create() -> TenantUsers:
        db = Database(settings.database_url)
        try:
            made = TenantUsers(client_id, store_id)
            for role in roles:
                password = f"{role}-{store_id}-pass"
                await security.create_user(db, client_id=client_id, store_id=store_id,
                                           username=f"{role}@{store_id}", password=password,
                                           roles=[role])
                made.passwords[role] = password
                made.usernames[role] = f"{role}@{store_id}"
            return made
        finally:
            await db.dispose()
    return asyncio.run(create())
