"""Fixtures of the peripherals tests: an app with the counter, payments and peripherals
plugins, a tenant, and a network printer listening on 127.0.0.1."""

from __future__ import annotations

import pytest
from posmodern.hosts.app import create_app
from starlette.testclient import TestClient
from support.api import Api, make_tenant
from support.fake_printer import NetworkPrinter
from support.settings import make_settings

PLUGINS = ["auth", "catalog", "orders", "payments", "peripherals"]
FAST = {"POS_PRINT_POLL_SECONDS": "0.1", "POS_PRINT_SCAN_SECONDS": "0.2",
        "POS_PRINT_RETRY_SECONDS": "0.1", "POS_PRINT_RETRY_MAX_SECONDS": "0.3"}


@pytest.fixture
def fast_settings(database_url, tmp_path, exchange):
    return make_settings(database_url, tmp_path, exchange=exchange, **FAST)


@pytest.fixture
def client(fast_settings):
    with TestClient(create_app(fast_settings, plugins=PLUGINS)) as test_client:
        yield test_client


@pytest.fixture
def api(client, fast_settings):
    return Api(client, make_tenant(fast_settings))


@pytest.fixture
def printer():
    device = NetworkPrinter().start()
    yield device
    device.stop()
