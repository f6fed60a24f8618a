"""Fixtures of the payments tests: an app with the payments plugin, the catalog and orders it
pays, and a third-party provider; a tenant; orders made through the API. The fake Asaas
(``asaas``) is tests/plugins/conftest.py's."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from posmodern.hosts.app import create_app
from support.api import Api, make_store_users, make_tenant
from support.settings import make_settings
from support.tenders import WEBHOOK_TOKEN

THIRDPARTY = Path(__file__).resolve().parents[2] / "fixtures" / "thirdparty"
PLUGINS = ["auth", "catalog", "orders", "payments", "meal_voucher"]


@pytest.fixture
def pay_settings(database_url, tmp_path, exchange, asaas):
    return make_settings(database_url, tmp_path, exchange=exchange, ASAAS_BASE_URL=asaas.url,
                         ASAAS_API_KEY=asaas.api_key, ASAAS_WEBHOOK_TOKEN=WEBHOOK_TOKEN,
                         ASAAS_TIMEOUT="1")


@pytest.fixture
def client(pay_settings, monkeypatch):
    monkeypatch.syspath_prepend(str(THIRDPARTY))
    with TestClient(create_app(pay_settings, plugins=PLUGINS)) as test_client:
        yield test_client


@pytest.fixture
def api(client, pay_settings):
    return Api(client, make_tenant(pay_settings, roles=("admin", "manager", "cashier")))


@pytest.fixture
def new_order(api, client, pay_settings):
    """``new_order("59.40")``: an order of one product of that price, made through the API
    (``status="CANCELLED"`` cancels it; ``store_id="store-2"`` makes it in the other store)."""
    other: list[Api] = []

    def make(total: str = "29.70", status: str = "PENDING", store_id: str | None = None) -> str:
        staff = api
        if store_id == "store-2":
            if not other:
                other.append(Api(client, make_store_users(pay_settings, api.tenant.client_id,
                                                          "store-2", roles=("admin", "cashier"))))
            staff = other[0]
        product = staff.post("/api/v1/products", "admin", json={"name": "Prato", "price": total})
        assert product.status_code == 201, product.text
        made = staff.post("/api/v1/orders", "cashier", json={
            "items": [{"product_id": product.json()["product_id"], "quantity": "1"}]})
        assert made.status_code == 201, made.text
        order_id = made.json()["order_id"]
        if status != "PENDING":
            moved = staff.post(f"/api/v1/orders/{order_id}/status", "cashier",
                               json={"status": status})
            assert moved.status_code == 200, moved.text
        return order_id
    return make
