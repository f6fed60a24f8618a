"""Fixtures of the domain plugins' tests: an app with the order-taking plugins and a tenant; the
fake Asaas (payments, kiosk)."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from posmodern.hosts.app import create_app
from support.api import Api, make_tenant
from support.fake_asaas import FakeAsaas
from support.menu import create_menu

COUNTER_PLUGINS = ["auth", "catalog", "customers", "orders", "waiter"]


@pytest.fixture
def app_plugins() -> list[str]:
    """The plugins ``counter_client`` serves; a folder's conftest.py overrides it."""
    return COUNTER_PLUGINS


@pytest.fixture
def counter_client(settings, app_plugins):
    """A TestClient of an app serving ``app_plugins`` (by default COUNTER_PLUGINS)."""
    with TestClient(create_app(settings, plugins=app_plugins)) as client:
        yield client


@pytest.fixture
def staff(counter_client, settings) -> Api:
    """An API client for a fresh tenant with one user per role."""
    return Api(counter_client, make_tenant(settings))


@pytest.fixture
def menu(staff) -> dict[str, dict]:
    """The tenant's menu (see support/menu.py), products by name."""
    return create_menu(staff)


@pytest.fixture
def asaas():
    """Our fake Asaas on 127.0.0.1 for the test (support/fake_asaas.py)."""
    with FakeAsaas() as fake:
        yield fake
