"""Fixtures of the kitchen display's tests: an app with the counter's plugins and the kds."""

from __future__ import annotations

import pytest
from posmodern.hosts.app import create_app
from starlette.testclient import TestClient
from support.api import Api, make_tenant
from support.menu import create_menu

KDS_PLUGINS = ["auth", "catalog", "customers", "orders", "waiter", "kds"]


@pytest.fixture
def kds_client(settings):
    with TestClient(create_app(settings, plugins=KDS_PLUGINS)) as client:
        yield client


@pytest.fixture
def staff(kds_client, settings) -> Api:
    return Api(kds_client, make_tenant(settings))


@pytest.fixture
def menu(staff) -> dict[str, dict]:
    return create_menu(staff)


@pytest.fixture
def bar(staff, menu):
    """A bar station taking the drinks (the category of Guaraná lata)."""
    made = staff.post("/api/v1/kds/stations", "manager", json={
        "code": "bar", "name": "Bar", "category_ids": [menu["Guaraná lata"]["category_id"]],
        "warn_minutes": 3, "late_minutes": 6, "position": 1})
    assert made.status_code == 201, made.text
    return made.json()
