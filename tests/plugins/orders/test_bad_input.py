"""Bad input to the orders API: each a 4xx in SPEC's error shape, and nothing written."""

import json
import uuid

import pytest
from sqlalchemy import func, select

from posmodern.schema.tables import (audit_log, counters, idempotency_keys, order_items, orders,
                                     outbox)
from support.api import Api, assert_error, make_tenant
from support.menu import create_menu, order_body
from support.tenant_db import counts, fetch

WRITTEN = (orders, order_items, counters, idempotency_keys, audit_log)
# The outbox's events but the catalog's (tests add or remove a product on the way).
NOT_CATALOG = select(func.count()).select_from(outbox).where(
    outbox.c.event_type.not_like("catalog.%"))


def _written(settings, client_id):
    return (counts(settings, client_id, *WRITTEN), fetch(settings, client_id, NOT_CATALOG))
GHOST = "0b3c9d58-7f3e-4a59-8c43-2f4d9a6f1e10"


@pytest.fixture
def refused(staff, menu, settings):
    """Assert a request is refused with ``status`` (and ``code``) and wrote nothing at all."""
    def check(response, status, code=None):
        error = assert_error(response, status, code)
        assert _written(settings, staff.tenant.client_id) == before, response.text
        return error
    # One good order first, so "nothing written" also means "nothing more"; every role signed
    # in first, since a sign-in is audited.
    staff.post("/api/v1/orders", json=order_body(menu, ("X-Burger", "1")))
    for role in staff.tenant.passwords:
        staff.token(role)
    before = _written(settings, staff.tenant.client_id)
    return check


def _raw(staff, content: bytes, content_type="application/json", key: str | None = "k-1"):
    headers = {"Content-Type": content_type}
    if key:
        headers["Idempotency-Key"] = key
    return staff.post("/api/v1/orders", "cashier", content=content, headers=headers)


def test_malformed_empty_oversized_or_not_json(staff, menu, refused, settings):
    assert refused(_raw(staff, b'{"items": [{"product_id": '), 400, "malformed_json")["message"]
    refused(_raw(staff, b'{"items": []'), 400, "malformed_json")
    refused(_raw(staff, b'{"items": NaN}'), 400)
    refused(_raw(staff, b"\xff\xfe{}"), 400)
    refused(_raw(staff, b""), 400, "missing_body")
    refused(_raw(staff, b"items=1", "application/x-www-form-urlencoded"), 415)
    limit = settings.max_body_bytes
    big = json.dumps({"items": [{"product_id": GHOST, "quantity": "1",
                                 "notes": "x" * limit}]}).encode()
    refused(_raw(staff, big), 413, "payload_too_large")
    refused(staff.post("/api/v1/orders", headers={"Idempotency-Key": "k" * 256},
                       json=order_body(menu, ("X-Burger", "1"))), 400, "invalid_idempotency_key")


def test_wrong_types_and_missing_fields(staff, menu, refused):
    burger = menu["X-Burger"]["product_id"]
    item = {"product_id": burger, "quantity": "1"}
    bodies = {
        "no items": {},
        "items null": {"items": None},
        "items not a list": {"items": "X-Burger"},
        "items empty": {"items": []},
        "body a list": [item],
        "body a string": "order",
        "item a string": {"items": ["X-Burger"]},
        "no product": {"items": [{"quantity": "1"}]},
        "no quantity": {"items": [{"product_id": burger}]},
        "product not a uuid": {"items": [{**item, "product_id": 123}]},
        "quantity a word": {"items": [{**item, "quantity": "two"}]},
        "quantity a bool": {"items": [{**item, "quantity": True}]},
        "quantity an object": {"items": [{**item, "quantity": {"n": 1}}]},
        "notes a number": {"items": [item], "notes": 5},
        "notes too long": {"items": [item], "notes": "x" * 1001},
        "item notes too long": {"items": [{**item, "notes": "x" * 501}]},
        "customizations a number": {"items": [{**item, "customizations": 3}]},
        "discount a word": {"items": [item], "discount": "some"},
        "discount negative": {"items": [item], "discount": "-1.00"},
        "discount in fractions of a cent": {"items": [item], "discount": "1.005"},
        "customer not a uuid": {"items": [item], "customer_id": "ana"},
        "table not a uuid": {"items": [item], "table_id": 7},
        "unknown source": {"items": [item], "source": "phone"},
        "unknown field": {"items": [item], "coupon": "FREE"},
        "client price": {"items": [{**item, "unit_price": "0.01"}]},
        "client total": {"items": [item], "total": "0.01"},
        "client status": {"items": [item], "status": "COMPLETED"},
    }
    for name, body in bodies.items():
        error = refused(staff.post("/api/v1/orders", "cashier", json=body,
                                   headers={"Idempotency-Key": f"k-{name}"}), 422,
                        "validation_error")
        assert error["details"], name


def test_zero_negative_huge_and_too_many(staff, menu, refused):
    burger = menu["X-Burger"]["product_id"]
    for quantity in ("0", "0.000", "-1", "1001", "1e9", "99999999999", "0.0001", "1.2345",
                     "Infinity", "NaN"):
        error = refused(staff.post("/api/v1/orders", json={
            "items": [{"product_id": burger, "quantity": quantity}]}), 422)
        assert error["details"][0]["loc"] == ["items", "0", "quantity"], quantity
    too_many = {"items": [{"product_id": burger, "quantity": "1"}] * 101}
    assert refused(staff.post("/api/v1/orders", json=too_many), 422)["details"][0]["type"] == \
        "too_long"
    # Each line is allowed, but the order does not fit the money columns.
    lobster = staff.post("/api/v1/products", json={"name": "Lagosta", "price": "99999999.99"})
    assert lobster.status_code == 201
    refused(staff.post("/api/v1/orders", json=order_body(
        {"Lagosta": lobster.json()}, ("Lagosta", "1000"))), 422, "order_too_large")


def test_unknown_inactive_and_foreign_ids(staff, menu, refused, counter_client, settings):
    refused(staff.post("/api/v1/orders", json={"items": [
        {"product_id": GHOST, "quantity": "1"}]}), 422, "unknown_product")
    staff.delete(f"/api/v1/products/{menu['Misto quente']['product_id']}")
    inactive = refused(staff.post("/api/v1/orders", json=order_body(
        menu, ("X-Burger", "1"), ("Misto quente", "1"))), 422, "inactive_product")
    assert inactive["details"] == [{
        "loc": ["items", 1, "product_id"], "msg": "Misto quente is not on sale",
        "type": "inactive_product", "product_id": menu["Misto quente"]["product_id"]}]
    mixed = refused(staff.post("/api/v1/orders", json={"items": [
        {"product_id": menu["Misto quente"]["product_id"], "quantity": "1"},
        {"product_id": GHOST, "quantity": "1"}]}), 422, "invalid_products")
    assert [d["type"] for d in mixed["details"]] == ["inactive_product", "unknown_product"]
    # Another tenant's menu, customer and table are unknown here.
    other = Api(counter_client, make_tenant(settings, roles=("admin",)))
    theirs = create_menu(other)
    customer = other.post("/api/v1/customers", json={"name": "Bia"}).json()["customer_id"]
    table = other.post("/api/v1/waiter/tables", json={"table_number": "1",
                                                      "capacity": 2}).json()["table_id"]
    refused(staff.post("/api/v1/orders", json=order_body(theirs, ("X-Burger", "1"))), 422,
            "unknown_product")
    refused(staff.post("/api/v1/orders", json=order_body(menu, ("X-Burger", "1"),
                                                         customer_id=customer)), 422,
            "unknown_customer")
    refused(staff.post("/api/v1/orders", json=order_body(menu, ("X-Burger", "1"),
                                                         table_id=table)), 422, "unknown_table")


def test_changes_to_an_order_refused_without_a_trace(staff, menu, refused):
    order = staff.get("/api/v1/orders").json()["items"][0]
    base = f"/api/v1/orders/{order['order_id']}"
    refused(staff.post(base + "/status", json={}), 422)
    refused(staff.post(base + "/status", json={"status": 2}), 422)
    refused(staff.post(base + "/status", json={"status": "pending"}), 422)
    refused(staff.post(base + "/status", json={"status": "COMPLETED"}), 409,
            "transition_not_allowed")
    refused(staff.post(f"/api/v1/orders/{uuid.uuid4()}/status", json={"status": "CONFIRMED"}),
            404, "order_not_found")
    refused(staff.post("/api/v1/orders/not-an-id/status", json={"status": "CONFIRMED"}), 404)
    refused(staff.post(base + "/items", "waiter", json={"items": [
        {"product_id": GHOST, "quantity": "1"}]}), 422, "unknown_product")
    refused(staff.post(base + "/items", "waiter", json={"items": [
        {"product_id": menu["X-Burger"]["product_id"], "quantity": "-2"}]}), 422)
    refused(staff.post(base + "/items", "waiter", json={"items": [
        {"product_id": menu["X-Burger"]["product_id"], "quantity": "1"}] * 100}), 422,
        "too_many_items")
    refused(staff.delete(f"{base}/items/{uuid.uuid4()}"), 404, "item_not_found")
    refused(staff.post(base + "/items", "kitchen", json=order_body(menu, ("X-Burger", "1"))),
            403)
    refused(staff.post("/api/v1/orders", "kitchen", json=order_body(menu, ("X-Burger", "1"))),
            403)
    refused(staff.post("/api/v1/orders", None, json=order_body(menu, ("X-Burger", "1")),
                       headers={"Authorization": "Bearer forged"}), 401)
