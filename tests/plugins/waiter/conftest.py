"""Fixtures of the waiter's tests: an app with the floor, the kitchen display and payments."""

from __future__ import annotations

import jwt
import pytest
from support.api import Api

SERVICE_PLUGINS = ["auth", "catalog", "customers", "orders", "waiter", "kds", "payments",
                   "settings"]


@pytest.fixture
def app_plugins() -> list[str]:
    return SERVICE_PLUGINS


@pytest.fixture
def floor(staff) -> Api:
    return staff


@pytest.fixture
def carte(menu) -> dict[str, dict]:
    return menu


def user_id(api: Api, role: str) -> str:
    """The id of the tenant's user of ``role`` (the subject of its token)."""
    return jwt.decode(api.token(role), options={"verify_signature": False})["sub"]


def line(menu, name, quantity="1", **extra) -> dict:
    return {"product_id": menu[name]["product_id"], "quantity": quantity, **extra}
