"""Fixtures of the payments tests: the fake Asaas, an app with the payments plugin and a
third-party provider, a tenant, and orders written as the orders plugin writes them."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from posmodern.hosts.app import create_app
from support.api import Api, make_tenant
from support.fake_asaas import FakeAsaas
from support.rows import add_order, add_product
from support.settings import make_settings
from support.tenders import WEBHOOK_TOKEN

THIRDPARTY = Path(__file__).resolve().parents[2] / "fixtures" / "thirdparty"


@pytest.fixture
def asaas():
    with FakeAsaas() as fake:
        yield fake


@pytest.fixture
def pay_settings(database_url, tmp_path, exchange, asaas):
    return make_settings(database_url, tmp_path, exchange=exchange, ASAAS_BASE_URL=asaas.url,
                         ASAAS_API_KEY=asaas.api_key, ASAAS_WEBHOOK_TOKEN=WEBHOOK_TOKEN,
                         ASAAS_TIMEOUT="1")


@pytest.fixture
def client(pay_settings, monkeypatch):
    monkeypatch.syspath_prepend(str(THIRDPARTY))
    app = create_app(pay_settings, plugins=["auth", "payments", "meal_voucher"])
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def api(client, pay_settings):
    return Api(client, make_tenant(pay_settings, roles=("admin", "manager", "cashier")))


@pytest.fixture
def new_order(api, pay_settings):
    """``new_order("59.40")``: a one-line order of that total in the cashier's store."""
    tenant = api.tenant

    def make(total: str = "29.70", status: str = "PENDING", store_id: str | None = None):
        store = store_id or tenant.store_id
        product = add_product(pay_settings, tenant.client_id, store, "X-Burger", total)
        return str(add_order(pay_settings, tenant.client_id, store, [(product, "1", total)],
                             status=status))
    return make
