"""Orders placed by another plugin through ``core/order_desk.py`` (a kiosk, a waiter's tab, a
marketplace), as a plugin of this test does from its own route: priced, validated, numbered and
published exactly as the API's, in the calling plugin's transaction."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from pydantic import BaseModel
from starlette.testclient import TestClient

from posmodern.core import hookimpl
from posmodern.core.api import ApiRoute
from posmodern.core.errors import Conflict
from posmodern.core.order_desk import add_order_items, move_order, place_order
from posmodern.core.orders import Adjustment, ItemRequest, OrderRequest
from posmodern.core.plugins import get_plugin_manager
from posmodern.hosts.app import create_app
from support.api import Api, assert_error, make_tenant
from support.menu import create_menu
from support.tenant_db import events

ROLES = frozenset({"admin"})


class Desk(BaseModel):
    items: list[dict]
    rounds: list[list[dict]] = []
    statuses: list[str] = []
    external_id: str | None = None
    fail: bool = False
    fees: dict[str, str] = {}
    discount: str = "0"
    delivery: dict | None = None


async def _desk(ctx):
    """Places, adds a round and moves as the body says; ``fail`` then refuses the lot."""
    body = ctx.body.model_dump()
    runtime, store = ctx.runtime, ctx.store_id
    async with ctx.transaction() as conn:
        order = await place_order(conn, runtime, OrderRequest(
            client_id=ctx.client_id, store_id=store, source="kiosk",
            external_id=body.get("external_id"), notes="Ana",
            fees=tuple(Adjustment(name, "fee", Decimal(amount))
                       for name, amount in body["fees"].items()),
            discount=Decimal(body["discount"]), delivery=body["delivery"],
            items=[ItemRequest(uuid.UUID(i["product_id"]), Decimal(i["quantity"]))
                   for i in body["items"]]))
        order_id = order["order_id"]
        for round_ in body.get("rounds", []):
            order = await add_order_items(conn, runtime, store, order_id, [
                ItemRequest(uuid.UUID(i["product_id"]), Decimal(i["quantity"]), i.get("notes"))
                for i in round_])
        for status in body.get("statuses", []):
            order = await move_order(conn, runtime, store, order_id, status)
        if body.get("fail"):
            raise Conflict("the kiosk changed its mind", code="kiosk_refused")
    return order


class Kiosk:
    @hookimpl
    def pos_routes(self, settings):
        return [ApiRoute("desk.place", "POST", "/api/v1/test-desk", _desk, ROLES, body=Desk)]


def _api(settings, plugins):
    pm = get_plugin_manager(plugins, extra=[("test_kiosk", Kiosk())])
    return TestClient(create_app(settings, pm=pm))


@pytest.fixture
def api(settings):
    with _api(settings, ["auth", "catalog", "orders"]) as client:
        yield Api(client, make_tenant(settings))


def _line(menu, name, quantity="1"):
    return {"product_id": menu[name]["product_id"], "quantity": quantity}


def test_a_plugin_places_an_order_adds_a_round_and_moves_it(api, settings):
    menu = create_menu(api)
    made = api.post("/api/v1/test-desk", json={
        "external_id": "K-77", "items": [_line(menu, "X-Burger", "2")],
        "rounds": [[{**_line(menu, "Guaraná lata"), "notes": "gelado"}]],
        "statuses": ["CONFIRMED"]})
    assert made.status_code == 200, made.text
    order = api.get(f"/api/v1/orders/{made.json()['order_id']}").json()
    assert (order["source"], order["external_id"], order["notes"]) == ("kiosk", "K-77", "Ana")
    assert order["status"] == "CONFIRMED" and order["order_number"] == "1"
    assert [(i["product_name"], i["quantity"], i["notes"]) for i in order["items"]] == [
        ("X-Burger", "2.000", None), ("Guaraná lata", "1.000", "gelado")]
    assert order["total"] == "60.30"  # priced from the catalog: 2 x 26.90 + 6.50
    client = api.tenant.client_id
    assert [e["data"]["order_id"] for e in events(settings, client, "order.created")] == [
        order["order_id"]]
    assert len(events(settings, client, "order.items_changed")) == 1
    assert [e["data"]["new_status"] for e in events(settings, client, "order.status_updated")
            ] == ["CONFIRMED"]


def test_what_the_api_refuses_the_desk_refuses_and_a_refusal_of_the_caller_undoes_it(api,
                                                                                    settings):
    menu = create_menu(api)
    unknown = api.post("/api/v1/test-desk", json={
        "items": [{"product_id": str(uuid.uuid4()), "quantity": "1"}]})
    assert_error(unknown, 422, "unknown_product")
    too_many = api.post("/api/v1/test-desk", json={"items": [_line(menu, "X-Burger", "1001")]})
    assert_error(too_many, 422, "bad_quantity")
    backwards = api.post("/api/v1/test-desk", json={
        "items": [_line(menu, "X-Burger")], "statuses": ["READY"]})
    assert_error(backwards, 409, "transition_not_allowed")
    refused = api.post("/api/v1/test-desk", json={
        "items": [_line(menu, "X-Burger")], "fail": True})
    assert_error(refused, 409, "kiosk_refused")
    assert api.get("/api/v1/orders").json()["items"] == []
    assert events(settings, api.tenant.client_id, "order.created") == []


def test_without_the_orders_plugin_the_desk_answers_503(settings):
    with _api(settings, ["auth", "catalog"]) as client:
        api = Api(client, make_tenant(settings))
        menu = create_menu(api)
        answer = api.post("/api/v1/test-desk", json={"items": [_line(menu, "X-Burger")]})
    assert_error(answer, 503, "orders_unavailable")


def test_a_marketplace_order_keeps_its_fees_discount_and_delivery_through_a_new_round(api):
    menu = create_menu(api)
    delivery = {"customer": {"name": "Bia", "phone": "11999990000"},
                "address": {"street": "Rua A", "number": "10", "city": "São Paulo"}}
    made = api.post("/api/v1/test-desk", json={
        "items": [_line(menu, "X-Burger")], "fees": {"Taxa de entrega": "7.99"},
        "discount": "5.00", "delivery": delivery,
        "rounds": [[_line(menu, "Guaraná lata")]]})
    assert made.status_code == 200, made.text
    order = api.get(f"/api/v1/orders/{made.json()['order_id']}").json()
    assert order["adjustments"] == [{"name": "Taxa de entrega", "kind": "fee", "amount": "7.99"}]
    assert (order["subtotal"], order["discount"], order["total"]) == ("33.40", "5.00", "36.39")
    assert order["delivery"] == delivery
    negative = api.post("/api/v1/test-desk", json={
        "items": [_line(menu, "X-Burger")], "fees": {"Taxa": "-1"}})
    assert_error(negative, 422, "bad_fee")


def test_an_order_of_the_api_has_no_delivery(api):
    menu = create_menu(api)
    made = api.post("/api/v1/orders", "cashier", json={"items": [_line(menu, "X-Burger")]})
    assert made.status_code == 201, made.text
    assert made.json()["delivery"] is None and made.json()["adjustments"] == []
