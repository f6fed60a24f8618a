"""Fixtures of the back office's tests: an app with the plugins whose data it shows."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from posmodern.hosts.app import create_app
from support.api import Api, make_tenant
from support.menu import create_menu

BACKOFFICE_PLUGINS = ["auth", "catalog", "customers", "orders", "payments", "settings",
                      "backoffice"]


@pytest.fixture
def office_client(settings):
    with TestClient(create_app(settings, plugins=BACKOFFICE_PLUGINS)) as client:
        yield client


@pytest.fixture
def staff(office_client, settings) -> Api:
    return Api(office_client, make_tenant(settings))


@pytest.fixture
def menu(staff) -> dict[str, dict]:
    return create_menu(staff)
