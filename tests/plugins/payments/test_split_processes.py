"""Payments and orders served by different apps (one container per plugin), sharing the database
and RabbitMQ: the order's payment status reaches its owner through ``payment.balance_changed``."""

from __future__ import annotations

from starlette.testclient import TestClient

from posmodern.hosts.app import create_app
from support import services
from support.api import Api, make_tenant
from support.settings import make_settings
from support.tenant_db import events, wait_for
from support.tenders import pay


def test_a_payment_taken_in_another_process_marks_the_order_paid(database_url, tmp_path,
                                                                 exchange):
    settings = make_settings(database_url, tmp_path, broker=services.AMQP_URL, exchange=exchange)
    counter = create_app(settings, plugins=["auth", "catalog", "orders"])
    till = create_app(settings, plugins=["auth", "payments"])
    try:
        with TestClient(counter) as at_counter, TestClient(till) as at_till:
            tenant = make_tenant(settings, roles=("admin", "cashier"))
            orders, payments = Api(at_counter, tenant), Api(at_till, tenant)
            product = orders.post("/api/v1/products", json={"name": "Prato", "price": "32.50"})
            order = orders.post("/api/v1/orders", "cashier", json={
                "items": [{"product_id": product.json()["product_id"], "quantity": "2"}]}).json()

            paid = pay(payments, order["order_id"], "cash", "65.00")
            assert paid.status_code == 201, paid.text
            assert paid.json()["order"]["payment_status"] == "PAID"

            def status() -> str:
                return orders.get(f"/api/v1/orders/{order['order_id']}").json()["payment_status"]
            assert wait_for(lambda: status() == "PAID")
            told = events(settings, tenant.client_id, "payment.balance_changed")
            assert [e["data"]["payment_status"] for e in told] == ["PAID"]
            assert told[0]["data"]["paid"] == "65.00"
    finally:
        services.delete_bus(exchange, [f"{exchange}.orders.follow_payments",
                                       f"{exchange}.payments.follow_bills"])


def test_in_one_process_the_order_shows_its_payment_at_once_and_no_event_is_needed(
        database_url, tmp_path, exchange):
    settings = make_settings(database_url, tmp_path, exchange=exchange)
    with TestClient(create_app(settings, plugins=["auth", "catalog", "orders", "payments"])) as c:
        tenant = make_tenant(settings, roles=("admin", "cashier"))
        api = Api(c, tenant)
        product = api.post("/api/v1/products", json={"name": "Prato", "price": "10.00"})
        order = api.post("/api/v1/orders", "cashier", json={
            "items": [{"product_id": product.json()["product_id"], "quantity": "1"}]}).json()
        assert pay(api, order["order_id"], "cash", "4.00").status_code == 201
        assert api.get(f"/api/v1/orders/{order['order_id']}").json()["payment_status"] == \
            "PARTIALLY_PAID"
        assert pay(api, order["order_id"], "cash", "6.00").status_code == 201
        assert api.get(f"/api/v1/orders/{order['order_id']}").json()["payment_status"] == "PAID"
        assert events(settings, tenant.client_id, "payment.balance_changed") == []
