"""Least privilege in reads (issue 12, item 6), through the HTTP API on both backends: a
product's cost is not the floor's, nor are payments the kitchen's or a kiosk's; floor roles see
a customer's CPF masked; a kiosk cannot record cash."""

import pytest
from starlette.testclient import TestClient

from posmodern.hosts.app import create_app
from posmodern.schema.tables import payments
from support.api import Api, assert_error, make_tenant
from support.tenant_db import count
from support.tenders import pay

FLOOR = ("waiter", "kitchen", "kiosk")
ROLES = ("admin", "manager", "cashier", "waiter", "kitchen", "kiosk", "integration")


@pytest.fixture
def api(settings):
    app = create_app(settings, plugins=["auth", "catalog", "customers", "orders", "payments"])
    with TestClient(app) as client:
        yield Api(client, make_tenant(settings, roles=ROLES))


def test_product_cost_is_hidden_from_the_floor(api):
    made = api.post("/api/v1/products", json={"name": "Feijoada", "price": "59.90",
                                               "cost": "21.40"})
    assert made.status_code == 201 and made.json()["cost"] == "21.40"
    product_id = made.json()["product_id"]
    for role in ROLES:
        one = api.get(f"/api/v1/products/{product_id}", role).json()
        listed = api.get("/api/v1/products", role).json()["items"]
        assert [p["price"] for p in listed] == ["59.90"] and one["price"] == "59.90"
        if role in FLOOR:
            assert "cost" not in one and "cost" not in listed[0], role
        else:
            assert one["cost"] == "21.40" and listed[0]["cost"] == "21.40", role


def _order(api):
    product = api.post("/api/v1/products", json={"name": "Pastel", "price": "8.00"}).json()
    order = api.post("/api/v1/orders", "cashier", json={"items": [
        {"product_id": product["product_id"], "quantity": "2"}]})
    assert order.status_code == 201, order.text
    return order.json()["order_id"]


def test_kitchen_and_kiosk_cannot_read_payments_and_a_kiosk_takes_no_cash(api, settings):
    order_id = _order(api)
    assert_error(pay(api, order_id, "cash", "16.00", role="kiosk"), 403,
                 "method_not_allowed_for_role")
    assert count(settings, api.tenant.client_id, payments) == 0
    paid = pay(api, order_id, "cash", "16.00", role="cashier")
    assert paid.status_code == 201, paid.text
    payment_id = paid.json()["payment_id"]
    for role in ("kitchen", "kiosk"):
        assert_error(api.get(f"/api/v1/orders/{order_id}/payments", role), 403)
        assert_error(api.get(f"/api/v1/payments/{payment_id}", role), 403)
    for role in ("admin", "manager", "cashier", "waiter", "integration"):
        assert api.get(f"/api/v1/payments/{payment_id}", role).status_code == 200, role
        assert api.get(f"/api/v1/orders/{order_id}/payments", role).status_code == 200, role


def test_floor_roles_see_the_cpf_masked(api):
    made = api.post("/api/v1/customers", "cashier", json={
        "name": "Ana Souza", "document_number": "529.982.247-25"})
    assert made.status_code == 201 and made.json()["document_number"] == "52998224725"
    customer_id = made.json()["customer_id"]
    company = api.post("/api/v1/customers", json={"name": "Bar do Zé",
                                                  "document_number": "11.222.333/0001-81"})
    for role in ("admin", "manager", "cashier", "integration"):
        assert api.get(f"/api/v1/customers/{customer_id}", role).json()[
            "document_number"] == "52998224725", role
    seen = api.get(f"/api/v1/customers/{customer_id}", "waiter").json()
    assert seen["document_number"] == "***.982.247-**" and seen["name"] == "Ana Souza"
    found = api.get("/api/v1/customers", "waiter", params={"document": "52998224725"}).json()
    assert [c["document_number"] for c in found["items"]] == ["***.982.247-**"]
    other = api.get(f"/api/v1/customers/{company.json()['customer_id']}", "waiter").json()
    assert other["document_number"] == "**.222.333/****-**"
    changed = api.patch(f"/api/v1/customers/{customer_id}", "waiter", json={"name": "Ana S."})
    assert changed.json()["document_number"] == "***.982.247-**"
