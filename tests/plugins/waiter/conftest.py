"""Fixtures of the waiter's tests: an app with the floor, the kitchen display and payments."""

from __future__ import annotations

import jwt
import pytest
from posmodern.hosts.app import create_app
from starlette.testclient import TestClient
from support.api import Api, make_tenant
from support.menu import create_menu

SERVICE_PLUGINS = ["auth", "catalog", "customers", "orders", "waiter", "kds", "payments",
                   "settings"]


@pytest.fixture
def service_client(settings):
    with TestClient(create_app(settings, plugins=SERVICE_PLUGINS)) as client:
        yield client


@pytest.fixture
def floor(service_client, settings) -> Api:
    return Api(service_client, make_tenant(settings))


@pytest.fixture
def carte(floor) -> dict[str, dict]:
    return create_menu(floor)


def user_id(api: Api, role: str) -> str:
    """The id of the tenant's user of ``role`` (the subject of its token)."""
    return jwt.decode(api.token(role), options={"verify_signature": False})["sub"]


def line(menu, name, quantity="1", **extra) -> dict:
    return {"product_id": menu[name]["product_id"], "quantity": quantity, **extra}
