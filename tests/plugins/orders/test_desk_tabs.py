"""A table's tab through the order desk: rounds while the kitchen cooks, items moved between
orders and tables (``add_order_items(while_cooking=True)``, ``transfer_order_items``)."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from pydantic import BaseModel
from starlette.testclient import TestClient

from posmodern.core import hookimpl
from posmodern.core.api import ApiRoute
from posmodern.core.order_desk import add_order_items, transfer_order_items
from posmodern.core.orders import ItemRequest
from posmodern.core.plugins import get_plugin_manager
from posmodern.hosts.app import create_app
from support.api import Api, assert_error, make_tenant
from support.menu import create_menu, order_body
from support.tenant_db import events


class Round(BaseModel):
    items: list[dict]
    while_cooking: bool = False


class Move(BaseModel):
    item_ids: list[uuid.UUID] | None = None
    to_order_id: uuid.UUID | None = None
    to_table_id: uuid.UUID | None = None


async def _round(ctx):
    async with ctx.transaction() as conn:
        return await add_order_items(
            conn, ctx.runtime, ctx.store_id, ctx.path["order_id"],
            [ItemRequest(uuid.UUID(i["product_id"]), Decimal(i["quantity"]))
             for i in ctx.body.items], while_cooking=ctx.body.while_cooking)


async def _move(ctx):
    async with ctx.transaction() as conn:
        return await transfer_order_items(conn, ctx.runtime, ctx.store_id, ctx.path["order_id"],
                                          **ctx.body.model_dump())


class Tabs:
    @hookimpl
    def pos_routes(self, settings):
        one = "/api/v1/test-tab/{order_id:uuid}"
        return [ApiRoute("tab.round", "POST", one + "/round", _round, frozenset({"admin"}),
                         body=Round),
                ApiRoute("tab.move", "POST", one + "/move", _move, frozenset({"admin"}),
                         body=Move)]


@pytest.fixture
def api(settings):
    pm = get_plugin_manager(["auth", "catalog", "orders", "waiter"], extra=[("tabs", Tabs())])
    with TestClient(create_app(settings, pm=pm)) as client:
        yield Api(client, make_tenant(settings))


def _order(api, menu, *lines, **extra):
    made = api.post("/api/v1/orders", json=order_body(menu, *lines, **extra))
    assert made.status_code == 201, made.text
    return made.json()


def _walk(api, order_id, *statuses):
    for status in statuses:
        moved = api.post(f"/api/v1/orders/{order_id}/status", json={"status": status})
        assert moved.status_code == 200, moved.text


def test_a_tab_takes_rounds_while_cooking_and_a_ready_one_goes_back_to_the_kitchen(api):
    menu = create_menu(api)
    order = _order(api, menu, ("X-Burger", "1"))
    _walk(api, order["order_id"], "CONFIRMED", "IN_PREPARATION", "READY")
    line = {"product_id": menu["Guaraná lata"]["product_id"], "quantity": "2"}
    # The API (and the desk without while_cooking) still refuses a round the kitchen started.
    assert_error(api.post(f"/api/v1/orders/{order['order_id']}/items", json={"items": [line]}),
                 409, "order_not_editable")
    assert_error(api.post(f"/api/v1/test-tab/{order['order_id']}/round",
                          json={"items": [line]}), 409, "order_not_editable")
    tab = api.post(f"/api/v1/test-tab/{order['order_id']}/round",
                   json={"items": [line], "while_cooking": True})
    assert tab.status_code == 200, tab.text
    assert tab.json()["status"] == "IN_PREPARATION" and tab.json()["total"] == "39.90"
    _walk(api, order["order_id"], "READY", "DELIVERED", "COMPLETED")
    assert_error(api.post(f"/api/v1/test-tab/{order['order_id']}/round",
                          json={"items": [line], "while_cooking": True}), 409,
                 "order_not_editable")


def test_items_move_to_another_order_or_table_and_an_emptied_order_closes(api, settings):
    menu = create_menu(api)
    one = api.post("/api/v1/waiter/tables", json={"table_number": "1", "capacity": 4}).json()
    two = api.post("/api/v1/waiter/tables", json={"table_number": "2", "capacity": 4}).json()
    first = _order(api, menu, ("X-Burger", "1"), ("Guaraná lata", "1"), table_id=one["table_id"])
    _walk(api, first["order_id"], "CONFIRMED")
    drink = first["items"][1]["item_id"]
    moved = api.post(f"/api/v1/test-tab/{first['order_id']}/move",
                     json={"item_ids": [drink], "to_table_id": two["table_id"]}).json()
    assert moved["from"]["total"] == "26.90" and moved["to"]["total"] == "6.50"
    assert moved["to"]["table_id"] == two["table_id"] and moved["to"]["status"] == "CONFIRMED"
    assert moved["to"]["items"][0]["item_id"] == drink
    assert moved["to"]["items"][0]["customizations"] == {"sent_with": first["order_number"]}
    # Everything left goes to the second order: the first closes with nothing to pay.
    merged = api.post(f"/api/v1/test-tab/{first['order_id']}/move",
                      json={"to_order_id": moved["to"]["order_id"]}).json()
    assert merged["from"]["status"] == "COMPLETED" and merged["from"]["total"] == "0.00"
    assert merged["to"]["total"] == "33.40" and len(merged["to"]["items"]) == 2
    whole = api.post(f"/api/v1/test-tab/{merged['to']['order_id']}/move",
                     json={"to_table_id": one["table_id"]}).json()
    assert whole["to"]["order_id"] == merged["to"]["order_id"]
    assert whole["to"]["table_id"] == one["table_id"]
    changed = events(settings, api.tenant.client_id, "order.table_changed")
    assert [e["data"]["table_id"] for e in changed] == [one["table_id"]]


def test_bad_transfers_are_refused_and_change_nothing(api):
    menu = create_menu(api)
    order = _order(api, menu, ("X-Burger", "1"), ("Guaraná lata", "1"))
    before = api.get(f"/api/v1/orders/{order['order_id']}").json()
    url = f"/api/v1/test-tab/{order['order_id']}/move"
    item = order["items"][0]["item_id"]
    assert_error(api.post(url, json={"to_table_id": str(uuid.uuid4())}), 422, "unknown_table")
    assert_error(api.post(url, json={"item_ids": [item], "to_table_id": str(uuid.uuid4())}),
                 422, "unknown_table")
    assert_error(api.post(url, json={"to_order_id": order["order_id"]}), 409, "same_order")
    assert_error(api.post(url, json={"item_ids": [item], "to_order_id": str(uuid.uuid4())}),
                 404, "order_not_found")
    other = _order(api, menu, ("Pudim de leite", "1"))
    assert_error(api.post(url, json={"item_ids": [str(uuid.uuid4())],
                                     "to_order_id": other["order_id"]}), 404, "item_not_found")
    assert api.get(f"/api/v1/orders/{order['order_id']}").json() == before
    assert len(api.get("/api/v1/orders").json()["items"]) == 2
