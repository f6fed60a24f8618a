"""Fixtures of the delivery-app tests: fake iFood and Open Delivery servers on 127.0.0.1, an app
with the order-taking plugins, remote_orders and both marketplaces, and a store that sells
through them (its products carry the marketplaces' external codes)."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from posmodern.hosts.app import create_app
from support.api import Api, make_tenant
from support.fake_marketplace import FakeIFood, FakeOpenDelivery
from support.remote_orders import WEBHOOK_SECRET, add_menu, sell_through_ifood
from support.settings import make_settings

PLUGINS = ["auth", "catalog", "customers", "orders", "payments", "kds", "settings",
           "remote_orders", "ifood", "opendelivery"]



@pytest.fixture
def ifood():
    with FakeIFood() as fake:
        yield fake


@pytest.fixture
def opendelivery():
    with FakeOpenDelivery() as fake:
        yield fake


@pytest.fixture
def remote_settings(database_url, tmp_path, exchange, ifood):
    # The poller does not run on its own: each test polls when it wants (the poll route).
    return make_settings(database_url, tmp_path, exchange=exchange, IFOOD_API_URL=ifood.url,
                         IFOOD_WEBHOOK_SECRET=WEBHOOK_SECRET,
                         OPENDELIVERY_WEBHOOK_SECRET=WEBHOOK_SECRET,
                         REMOTE_ORDERS_POLLING="false")


@pytest.fixture
def remote_client(remote_settings):
    with TestClient(create_app(remote_settings, plugins=PLUGINS)) as client:
        yield client


@pytest.fixture
def api(remote_client, remote_settings, ifood) -> Api:
    staff = Api(remote_client, make_tenant(remote_settings))
    add_menu(staff)
    sell_through_ifood(staff, ifood.merchant)
    return staff
