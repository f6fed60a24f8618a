"""Fixtures of the kiosk's tests: an app with the counter's plugins, payments (the fake Asaas),
the kitchen display and the kiosk; a tenant with its menu; the kiosk's clock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from starlette.testclient import TestClient

from posmodern.hosts.app import create_app
from posmodern.schema.types import utcnow
from support.api import Api, make_tenant
from support.menu import create_menu
from support.services import REDIS_URL
from support.settings import make_settings
from support.tenders import WEBHOOK_TOKEN

KIOSK_PLUGINS = ["auth", "catalog", "customers", "orders", "waiter", "payments", "kds", "kiosk"]


def asaas_env(asaas) -> dict[str, str]:
    """The settings of a store paying through the fake Asaas, kiosk sales charged to the
    store's counter-sale customer."""
    return {"ASAAS_BASE_URL": asaas.url, "ASAAS_API_KEY": asaas.api_key,
            "ASAAS_WEBHOOK_TOKEN": WEBHOOK_TOKEN, "ASAAS_TIMEOUT": "2",
            "ASAAS_CUSTOMER_ID": asaas.add_customer()}


@pytest.fixture(params=["memory", "redis"])
def cache(request) -> dict[str, str]:
    """The menu's cache: process memory (embedded) or Redis."""
    return {"REDIS_URL": REDIS_URL} if request.param == "redis" else {}


@pytest.fixture
def kiosk_settings(database_url, tmp_path, exchange, asaas):
    return make_settings(database_url, tmp_path, exchange=exchange, **asaas_env(asaas))


@pytest.fixture
def kiosk_client(kiosk_settings):
    with TestClient(create_app(kiosk_settings, plugins=KIOSK_PLUGINS)) as client:
        yield client


@pytest.fixture
def staff(kiosk_client, kiosk_settings) -> Api:
    return Api(kiosk_client, make_tenant(kiosk_settings))


@pytest.fixture
def menu(staff) -> dict[str, dict]:
    return create_menu(staff)


class Clock:
    """The kiosk's "now", moved forward by a test instead of waiting."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self):
        return utcnow() + self.offset

    def advance(self, **delta) -> None:
        self.offset += timedelta(**delta)


@pytest.fixture
def clock(kiosk_client) -> Clock:
    moved = Clock()
    kiosk_client.app.state.runtime.state["kiosk"].clock = moved
    return moved
