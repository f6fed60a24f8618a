"""The options a customer chose on iFood or Open Delivery become our modifiers, matched by the
options' external codes: priced from our menu, shown on the kitchen display and the printed
ticket; an option we do not know (even one answering a required group) reaches the kitchen by
name and the order is taken, its total still what the customer paid."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from posmodern.plugins.peripherals.layouts import kitchen_ticket
from support.fake_marketplace import CLIENT_ID, CLIENT_SECRET
from support.modifiers import DONENESS, EXTRAS
from support.remote_orders import poll, remote_orders
from support.tenant_db import wait_for

CODES = {"Mal passada": "MP", "Ao ponto": "AP", "Bem passada": "BP", "Bacon": "BAC",
         "Cheddar": "CHE", "Ovo": "OVO"}


@pytest.fixture
def burger(api):
    """The X-Burger asks "Ponto da carne" (exactly 1) and "Adicionais" (0 to 3, priced), each
    option with the code the store gave it at the marketplaces."""
    group_ids = []
    for body in (DONENESS, EXTRAS):
        options = [dict(option, external_code=CODES[option["name"]])
                   if option["name"] in CODES else option for option in body["options"]]
        made = api.post("/api/v1/modifier-groups", json={**body, "options": options})
        assert made.status_code == 201, made.text
        group_ids.append(made.json()["modifier_group_id"])
    products = api.get("/api/v1/products", params={"q": "X-Burger"}).json()["items"]
    changed = api.patch(f"/api/v1/products/{products[0]['product_id']}",
                        json={"modifier_group_ids": group_ids})
    assert changed.status_code == 200, changed.text
    return changed.json()


def _kitchen_lines(order: dict) -> list[str]:
    """The printed kitchen ticket of ``order``, as its lines of text."""
    doc = kitchen_ticket("new", "cozinha", order, order["items"], datetime.now(UTC),
                         "America/Sao_Paulo")
    return [op["text"].strip() for op in doc if op["op"] == "text"]


def _ticket_items(api, order_id: str) -> list[dict]:
    tickets = api.get("/api/v1/kds/tickets", "kitchen").json()["items"]
    return [item for t in tickets if t["order_id"] == order_id for item in t["items"]]


def test_an_ifood_burger_with_its_options_is_our_item_with_modifiers(api, ifood, burger):
    placed = ifood.place([("XB", "2", "26.90", [("AP", "Ao ponto", "1", "0"),
                                                ("BAC", "Bacon", "1", "4.00")]),
                          ("GUA", "1", "6.50")])
    plc = ifood.events[0]
    ifood.repeat(plc)
    [report] = poll(api)
    assert report["taken"] == [placed["id"]] and ifood.events == []
    [order] = remote_orders(api)
    item = next(i for i in order["items"] if i["product_name"] == "X-Burger")
    assert [(m["group"], m["name"], m["price"]) for m in item["modifiers"]] == [
        ("Ponto da carne", "Ao ponto", "0.00"), ("Adicionais", "Bacon", "4.00")]
    assert (item["unit_price"], item["subtotal"], item["notes"]) == ("30.90", "61.80", None)
    # Priced from our menu, and what the customer paid at iFood: 2 × 30.90 + 6.50 + 5.00.
    assert (order["subtotal"], order["total"]) == ("68.30", "73.30")
    assert order["total"] == order["delivery"]["marketplace_total"]
    assert order["payment_status"] == "PAID"
    wait_for(lambda: _ticket_items(api, order["order_id"]))
    on_screen = {i["product_name"]: i for i in _ticket_items(api, order["order_id"])}
    assert [m["name"] for m in on_screen["X-Burger"]["modifiers"]] == ["Ao ponto", "Bacon"]
    printed = _kitchen_lines(order)
    assert printed[printed.index("2x X-Burger") + 1:][:2] == ["Ao ponto", "+ Bacon"]
    # The same order again (a repeated event, a second poll) is neither taken nor changed.
    ifood.repeat(plc)
    assert poll(api)[0]["repeated"] == [plc["id"]]
    assert remote_orders(api) == [order]


def test_an_option_we_do_not_know_reaches_the_kitchen_by_name_and_the_order_is_taken(
        api, ifood, burger):
    # No doneness we know (the required group stays unanswered), bacon twice, one unknown extra.
    placed = ifood.place([("XB", "1", "26.90", [("PDC", "Ponto da casa", "1", "0"),
                                                ("BAC", "Bacon", "2", "4.00"),
                                                ("CAT", "Catupiry", "1", "3.50")])])
    [report] = poll(api)
    assert report["taken"] == [placed["id"]] and report["refused"] == []
    [order] = remote_orders(api)
    [item] = order["items"]
    assert [m["name"] for m in item["modifiers"]] == ["Bacon"]
    assert item["notes"] == "Ponto da casa, 2x Bacon, Catupiry"
    assert (item["unit_price"], order["subtotal"]) == ("30.90", "30.90")
    # The second bacon and the catupiry are charged as iFood charged them: 4.00 + 3.50.
    assert order["adjustments"] == [
        {"name": "Taxa de entrega", "kind": "fee", "amount": "5.00"},
        {"name": "Complementos sem código (ifood)", "kind": "fee", "amount": "7.50"}]
    assert order["total"] == order["delivery"]["marketplace_total"] == "43.40"
    assert order["payment_status"] == "PAID"
    wait_for(lambda: _ticket_items(api, order["order_id"]))
    [on_screen] = _ticket_items(api, order["order_id"])
    assert on_screen["notes"] == "Ponto da casa, 2x Bacon, Catupiry"
    assert "Obs: Ponto da casa, 2x Bacon, Catupiry" in _kitchen_lines(order)
    wait_for(lambda: poll(api) and "confirm" in ifood.actions_of(placed["id"]))
    assert "requestCancellation" not in ifood.actions_of(placed["id"])


def test_open_delivery_options_become_our_modifiers_too(api, opendelivery, burger):
    changed = api.patch("/api/v1/settings", json={
        "OPENDELIVERY_MERCHANT_ID": opendelivery.merchant, "OPENDELIVERY_API_URL": opendelivery.url,
        "OPENDELIVERY_CLIENT_ID": CLIENT_ID, "OPENDELIVERY_CLIENT_SECRET": CLIENT_SECRET})
    assert changed.status_code == 200, changed.text
    placed = opendelivery.place([("XB", "1", "26.90", [("BP", "Bem passada", "1", "0"),
                                                       ("CHE", "Cheddar", "1", "3.00"),
                                                       ("SC", "Sem cebola", "1", "0")])])
    opendelivery.events.append(dict(opendelivery.events[0]))  # sent twice
    reports = {r["channel"]: r for r in poll(api)}
    assert reports["opendelivery"]["taken"] == [placed["id"]]
    [order] = remote_orders(api)
    [item] = order["items"]
    assert [m["name"] for m in item["modifiers"]] == ["Bem passada", "Cheddar"]
    assert (item["unit_price"], item["notes"]) == ("29.90", "Sem cebola")
    assert order["total"] == order["delivery"]["marketplace_total"] == "33.90"
    wait_for(lambda: _ticket_items(api, order["order_id"]))
    [on_screen] = _ticket_items(api, order["order_id"])
    assert [m["name"] for m in on_screen["modifiers"]] == ["Bem passada", "Cheddar"]
    poll(api)
    assert opendelivery.events == [] and remote_orders(api) == [order]
