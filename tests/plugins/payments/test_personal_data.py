"""LGPD and payments: the payer's name and e-mail a tender keeps are exported with the customer's
data and removed on erasure; the tender itself (amount, method, status) stays in the books."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from posmodern.hosts.app import create_app
from posmodern.schema.tables import payments
from support.api import Api, make_tenant
from support.tenant_db import fetch
from support.tenders import pay

PAYER = {"name": "Ana Souza", "cpf_cnpj": "529.982.247-25", "email": "ana@example.com.br"}


@pytest.fixture
def staff(pay_settings):
    with TestClient(create_app(pay_settings, plugins=["auth", "catalog", "customers", "orders",
                                                      "payments"])) as client:
        yield Api(client, make_tenant(pay_settings, roles=("admin", "manager", "cashier")))


def test_a_payers_name_is_exported_and_erased_the_tender_kept(staff, pay_settings):
    ana = staff.post("/api/v1/customers", "cashier", json={"name": "Ana Souza"}).json()
    product = staff.post("/api/v1/products", json={"name": "Prato", "price": "30.00"}).json()
    order = staff.post("/api/v1/orders", "cashier", json={
        "customer_id": ana["customer_id"],
        "items": [{"product_id": product["product_id"], "quantity": "1"}]}).json()
    paid = pay(staff, order["order_id"], "cash", "50.00", customer=PAYER)
    assert paid.status_code == 201, paid.text

    path = f"/api/v1/customers/{ana['customer_id']}"
    [tender] = staff.get(path + "/personal-data", "manager").json()["payments"]
    assert tender["payer"] == {"name": "Ana Souza", "email": "ana@example.com.br"}
    assert (tender["amount"], tender["method"], tender["status"]) == ("30.00", "cash",
                                                                      "CONFIRMED")
    erased = staff.post(path + "/erase", "manager")
    assert erased.status_code == 200, erased.text
    assert erased.json()["changed"]["payments"] == 1
    [row] = fetch(pay_settings, staff.tenant.client_id, select(payments))
    assert "Ana" not in json.dumps(row.metadata) and str(row.amount) == "30.00"
    [again] = staff.get(path + "/personal-data", "manager").json()["payments"]
    assert again["payer"] is None
