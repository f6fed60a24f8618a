"""Sensitive acts land in the audit log with who did them (issue 12, item 9): a price changed,
an order cancelled, a stock movement; through the HTTP API on both backends."""

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from posmodern.hosts.app import create_app
from posmodern.schema.tables import audit_log
from support.api import Api, make_tenant
from support.tenant_db import fetch


@pytest.fixture
def api(settings):
    app = create_app(settings, plugins=["auth", "catalog", "orders", "stock"])
    with TestClient(app) as client:
        yield Api(client, make_tenant(settings, roles=("admin", "manager", "cashier")))


def _audited(settings, api, action):
    return fetch(settings, api.tenant.client_id, select(
        audit_log.c.username, audit_log.c.resource_id, audit_log.c.details)
        .where(audit_log.c.action == action).order_by(audit_log.c.seq))


def test_price_changes_cancellations_and_stock_movements_are_audited(api, settings):
    product = api.post("/api/v1/products", json={"name": "Coxinha", "price": "7.50"}).json()
    product_id = product["product_id"]
    assert api.patch(f"/api/v1/products/{product_id}", "manager",
                     json={"name": "Coxinha grande"}).status_code == 200
    assert api.patch(f"/api/v1/products/{product_id}", "manager",
                     json={"price": "8.90"}).status_code == 200
    changes = _audited(settings, api, "product.price_changed")
    assert [(a.username, a.resource_id) for a in changes] == [("manager", product_id)]
    assert changes[0].details == {"name": "Coxinha grande", "from": "7.50", "to": "8.90"}

    order = api.post("/api/v1/orders", "cashier", json={"items": [
        {"product_id": product_id, "quantity": "1"}]}).json()
    cancelled = api.post(f"/api/v1/orders/{order['order_id']}/status", "manager",
                         json={"status": "CANCELLED"})
    assert cancelled.status_code == 200, cancelled.text
    cancels = _audited(settings, api, "order.cancelled")
    assert [(a.username, a.resource_id) for a in cancels] == [("manager", order["order_id"])]
    assert cancels[0].details["previous_status"] == "PENDING"

    item = api.post("/api/v1/stock/items", "manager",
                    json={"product_id": product_id, "quantity": "10"}).json()
    moved = api.post("/api/v1/stock/movements", "manager", json={
        "stock_item_id": item["stock_item_id"], "movement_type": "OUT", "quantity": "2",
        "reason": "loss"})
    assert moved.status_code == 201, moved.text
    movements = _audited(settings, api, "stock.movement")
    assert [(a.username, a.resource_id) for a in movements] == [
        ("manager", item["stock_item_id"])]
    assert movements[0].details["movement_type"] == "OUT"
