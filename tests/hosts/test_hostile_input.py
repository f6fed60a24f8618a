"""Input that used to be a 500 is a 4xx, on both backends: JSON nested thousands deep (on the
token route too), times at the edges of the calendar with offsets in filters and cursors, lone
surrogates in cursors, NUL characters in strings, stock past its column, and a payment with a
provider that is not configured (422: retrying cannot help)."""

from __future__ import annotations

import base64
import json

import pytest
from posmodern.hosts.app import create_app
from starlette.testclient import TestClient
from support.api import Api, assert_error, make_tenant

PLUGINS = ["auth", "catalog", "customers", "orders", "payments", "stock"]


@pytest.fixture
def api(settings):
    with TestClient(create_app(settings, plugins=PLUGINS)) as client:
        yield Api(client, make_tenant(settings, roles=("admin", "cashier")))


def _cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode("utf-8", "surrogatepass")).decode().rstrip("=")


def test_deeply_nested_json_is_a_400(api):
    deep = "[" * 100_000 + "]" * 100_000
    for path, role in (("/api/v1/auth/token", None), ("/api/v1/products", "admin")):
        answer = api.request("POST", path, role, content=deep,
                             headers={"Content-Type": "application/json"})
        assert_error(answer, 400, "malformed_json")
        # As deep as the parser goes, every string still looked at for NUL: a 422, not a 500.
        for depth in (500, 900, 990):
            nested = '{"name":' * depth + '"x\\u0000"' + "}" * depth
            answer = api.request("POST", path, role, content=nested,
                                 headers={"Content-Type": "application/json"})
            assert answer.status_code in (400, 422), (depth, answer.status_code)


def test_times_at_the_edges_of_the_calendar_are_a_422(api):
    for value in ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00",
                  "0001-01-01T00:30:00+00:45"):
        for name in ("created_from", "created_to"):
            assert_error(api.get("/api/v1/orders", params={name: value}), 422)
        for raw in (f'["{value}","00000000-0000-4000-8000-000000000000"]',):
            assert_error(api.get("/api/v1/orders", params={"cursor": _cursor(raw)}), 422,
                         "invalid_cursor")
    # The edges themselves, in UTC, are fine.
    assert api.get("/api/v1/orders",
                   params={"created_from": "0001-01-01T00:00:00+00:00"}).status_code == 200


def test_lone_surrogates_in_a_cursor_are_a_422(api):
    for raw in ('["\\ud800","x"]', '["\ud800","x"]'):
        assert_error(api.get("/api/v1/orders", params={"cursor": _cursor(raw)}), 422,
                     "invalid_cursor")
        assert_error(api.get("/api/v1/products", params={"cursor": _cursor(raw)}), 422)


def test_nul_characters_are_refused_in_every_string(api):
    login = api.post("/api/v1/auth/token", None, json={
        "client_id": api.tenant.client_id, "username": "ad\x00min", "password": "x"})
    assert login.status_code in (400, 401, 422), login.text
    assert_error(api.post("/api/v1/products", json={"name": "Pas\x00tel", "price": "8.00"}),
                 422)
    assert_error(api.post("/api/v1/customers", json={"name": "Maria", "email": "m\x00@x.com"}),
                 422)
    assert_error(api.post("/api/v1/products", json={"name": "Pastel", "price": "8.00",
                                                    "description\x00": "x"}), 422)
    assert_error(api.get("/api/v1/customers", params={"q": "a\x00b"}), 422)


def test_stock_past_its_column_is_a_422(api):
    product = api.post("/api/v1/products", json={"name": "Farinha", "price": "5.00"}).json()
    item = api.post("/api/v1/stock/items", json={"product_id": product["product_id"],
                                                 "quantity": "9999999.000"})
    assert item.status_code == 201, item.text
    move = {"stock_item_id": item.json()["stock_item_id"], "movement_type": "IN",
            "quantity": "9999999.999"}
    assert_error(api.post("/api/v1/stock/movements", json=move), 422,
                 "stock_quantity_out_of_range")
    assert_error(api.post("/api/v1/stock/movements", json={**move, "quantity": "1e30"}), 422)
    assert api.get(f"/api/v1/stock/items/{item.json()['stock_item_id']}").json()["quantity"] \
        == "9999999.000"


def test_a_provider_that_is_not_configured_is_a_422(api):
    product = api.post("/api/v1/products", json={"name": "Suco", "price": "8.00"}).json()
    order = api.post("/api/v1/orders", "cashier", json={
        "items": [{"product_id": product["product_id"], "quantity": "1"}]}).json()
    answer = api.post(f"/api/v1/orders/{order['order_id']}/payments", "cashier", json={
        "method": "pix", "amount": "8.00",
        "customer": {"name": "Maria", "cpf_cnpj": "52998224725"}})
    assert_error(answer, 422, "provider_not_configured")
    assert "retry-after" not in answer.headers
    json.dumps(answer.json())
