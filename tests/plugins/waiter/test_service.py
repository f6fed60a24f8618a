"""A table served from the first round to the payment, as a black-box client does it: a layout,
a tab with two rounds (two kitchen tickets) and a held course, a transfer, a merge, a split, the
bill, the tenders, and the table free again. Bad input is refused and changes nothing."""

from __future__ import annotations

import uuid

from support.api import Api, assert_error, make_store_users
from support.kitchen import of_order, tickets
from support.tenant_db import events, wait_for
from support.tenders import pay

from .conftest import line

API = "/api/v1/waiter"


def _table(api, number, **extra):
    made = api.post(f"{API}/tables", "manager", json={"table_number": number, "capacity": 4,
                                                       **extra})
    assert made.status_code == 201, made.text
    return made.json()["table_id"]


def _tab(api, table_id):
    return api.get(f"{API}/tables/{table_id}/tab", "waiter").json()


def _state(api, table_id):
    return api.get(f"{API}/tables/{table_id}", "waiter").json()["status"]


def _round(api, table_id, *items, **extra):
    made = api.post(f"{API}/tables/{table_id}/rounds", "waiter",
                    json={"items": list(items), **extra})
    assert made.status_code == 200, made.text
    return made.json()


def test_a_table_from_the_first_round_to_the_payment(floor, carte, settings):
    assert floor.patch("/api/v1/settings", json={"POS_SERVICE_CHARGE_PERCENT": "10"}
                       ).status_code == 200
    layout = floor.post(f"{API}/layouts", "manager", json={
        "name": "Salão principal", "sections": [{"name": "Janela"}],
        "elements": [{"kind": "wall", "x": 0, "y": 0, "width": 100}]}).json()
    one, two, three = (_table(floor, n, layout_id=layout["layout_id"], section="Janela",
                              x=10 * int(n), y=10) for n in ("1", "2", "3"))
    first = _round(floor, one, line(carte, "X-Burger", "2", notes="sem cebola"), guests=3)
    order_id = first["order"]["order_id"]
    assert first["order"]["status"] == "CONFIRMED" and first["table"]["status"] == "OCCUPIED"
    assert first["table"]["occupied_seats"] == 3
    of_order(floor, order_id, 1)
    floor.post(f"/api/v1/kds/tickets/{of_order(floor, order_id, 1)[0]['ticket_id']}/start",
               "kitchen")
    # The second round is taken while the first cooks: the kitchen gets it as an addition.
    _round(floor, one, line(carte, "Guaraná lata", "2"))
    rounds = of_order(floor, order_id, 2)
    assert [(t["round"], [i["product_name"] for i in t["items"]]) for t in rounds] == [
        (0, ["X-Burger"]), (1, ["Guaraná lata"])]
    assert rounds[0]["items"][0]["notes"] == "sem cebola"
    # Dessert is a later course: held in the kitchen until the waiter fires it.
    _round(floor, one, line(carte, "Pudim de leite", course=2, hold=True))
    held = of_order(floor, order_id, 1, status="HELD")
    assert [i["product_name"] for i in held[0]["items"]] == ["Pudim de leite"]
    assert _tab(floor, one)["order"]["items"][-1]["kitchen"] == "held"
    assert floor.post(f"/api/v1/kds/orders/{order_id}/fire", "waiter").status_code == 200
    for ticket in of_order(floor, order_id, 3):
        floor.post(f"/api/v1/kds/tickets/{ticket['ticket_id']}/bump", "kitchen")
    tab = wait_for(lambda: (t := _tab(floor, one))["order"]["status"] == "READY" and t)
    assert {i["product_name"]: i["kitchen"] for i in tab["order"]["items"]} == {
        "X-Burger": "ready", "Guaraná lata": "ready", "Pudim de leite": "ready"}
    # 53.80 + 13.00 + 12.00, and the store's 10 % service charge.
    assert (tab["order"]["subtotal"], tab["order"]["total"]) == ("78.80", "86.68")
    assert tab["order"]["adjustments"][0]["name"] == "Taxa de serviço (10%)"

    # The drinks go to table 2 (the kitchen is not asked again), then table 2 joins table 1.
    drinks = [i["item_id"] for i in tab["order"]["items"] if i["product_name"] == "Guaraná lata"]
    moved = floor.post(f"{API}/tables/{one}/transfer", "waiter",
                       json={"to_table_id": two, "item_ids": drinks})
    assert moved.status_code == 200, moved.text
    assert moved.json()["to"]["order"]["total"] == "14.30" and _state(floor, two) == "OCCUPIED"
    assert _tab(floor, one)["order"]["total"] == "72.38"
    merged = floor.post(f"{API}/tables/{one}/merge", "waiter", json={"table_id": two})
    assert merged.status_code == 200, merged.text
    assert merged.json()["from"]["status"] == "FREE" and _state(floor, two) == "FREE"
    # The whole tab moves to table 3: table 1 is free, table 3 holds the order.
    whole = floor.post(f"{API}/tables/{one}/transfer", "waiter", json={"to_table_id": three})
    assert whole.status_code == 200, whole.text
    tab = _tab(floor, three)
    assert tab["order"]["order_id"] == order_id and tab["order"]["total"] == "86.68"
    assert wait_for(lambda: _state(floor, one) == "FREE")
    assert len(tickets(floor)) + len(tickets(floor, status="BUMPED")) == 3

    billed = floor.post(f"{API}/tables/{three}/bill", "waiter")
    assert billed.status_code == 200, billed.text
    assert billed.json()["table"]["status"] == "BILL_REQUESTED"
    assert [e["data"]["table_number"] for e in events(settings, floor.tenant.client_id,
                                                       "waiter.bill_requested")] == ["3"]
    equal = floor.post(f"{API}/tables/{three}/split", "waiter",
                       json={"by": "equal", "people": 3}).json()
    assert [p["amount"] for p in equal["parts"]] == ["28.90", "28.89", "28.89"]
    assert pay(floor, order_id, "cash", "28.90").status_code == 201
    assert_error(floor.post(f"{API}/tables/{three}/close", "waiter"), 409, "not_paid")
    by_items = floor.post(f"{API}/tables/{three}/split", "waiter", json={
        "by": "items", "parts": [[i["item_id"]] for i in tab["order"]["items"]
                                 if i["product_name"] != "X-Burger"]}).json()
    assert [p["amount"] for p in by_items["parts"]] == ["14.30", "13.20"]
    assert by_items["remaining"] == "57.78"
    for part in ("14.30", "13.20", "30.28"):
        assert pay(floor, order_id, "cash", part).status_code == 201
    # Paid in full: the order is completed and the table is free.
    assert wait_for(lambda: _state(floor, three) == "FREE")
    order = floor.get(f"/api/v1/orders/{order_id}").json()
    assert (order["status"], order["payment_status"]) == ("COMPLETED", "PAID")
    assert_error(floor.get(f"{API}/tables/{three}/tab", "waiter"), 409, "no_open_tab")


def test_bad_service_input_is_refused_and_changes_nothing(floor, carte, settings):
    one, two = _table(floor, "1"), _table(floor, "2")
    tab = _round(floor, one, line(carte, "X-Burger", "1"), line(carte, "Guaraná lata", "1"))
    branch = Api(floor.client, make_store_users(settings, floor.tenant.client_id, "store-2",
                                                roles=("manager",)))
    elsewhere = _table(branch, "1")
    before = _tab(floor, one)
    url = f"{API}/tables/{one}"
    item = before["order"]["items"][0]["item_id"]
    assert_error(floor.post(url + "/transfer", "waiter", json={"to_table_id": str(uuid.uuid4())}),
                 422, "unknown_table")
    assert_error(floor.post(url + "/transfer", "waiter", json={"to_table_id": elsewhere}),
                 422, "unknown_table")
    assert_error(floor.post(url + "/transfer", "waiter", json={"to_table_id": one}), 409,
                 "same_table")
    assert_error(floor.post(url + "/transfer", "waiter", json={
        "to_table_id": two, "item_ids": [str(uuid.uuid4())]}), 404, "item_not_found")
    assert_error(floor.post(url + "/merge", "waiter", json={"table_id": one}), 409,
                 "same_table")
    assert_error(floor.post(url + "/merge", "waiter", json={"table_id": two}), 409,
                 "no_open_tab")
    assert_error(floor.post(url + "/split", "waiter", json={"by": "equal", "people": 0}), 422)
    assert_error(floor.post(url + "/split", "waiter", json={"by": "items",
                                                           "parts": [[str(uuid.uuid4())]]}),
                 422, "unknown_item")
    assert_error(floor.post(url + "/split", "waiter", json={"by": "items",
                                                           "parts": [[item], [item]]}),
                 422, "item_in_two_parts")
    assert pay(floor, tab["order"]["order_id"], "cash", "30.00").status_code == 201
    # 3.40 remains: the X-Burger's share is more than that; a part-paid tab stays where it is.
    assert_error(floor.post(url + "/split", "waiter", json={"by": "items", "parts": [[item]]}),
                 409, "split_exceeds_remaining")
    assert_error(floor.post(url + "/transfer", "waiter", json={"to_table_id": two}), 409,
                 "order_paid")
    assert_error(floor.post(url + "/state", "waiter", json={"status": "RESERVED"}), 409,
                 "state_not_allowed")
    assert_error(floor.post(f"{API}/tables/{two}/bill", "waiter"), 409, "no_open_tab")
    assert_error(floor.post(f"{API}/tables/{two}/rounds", "waiter", json={"items": [
        {"product_id": str(uuid.uuid4()), "quantity": "1"}]}), 422, "unknown_product")
    after = _tab(floor, one)
    assert after["order"]["items"] == before["order"]["items"]
    assert after["order"]["total"] == before["order"]["total"] == "33.40"
    assert after["table"] == before["table"]
    assert after["balance"]["paid"] == "30.00" and _state(floor, two) == "FREE"
    assert len(floor.get("/api/v1/orders").json()["items"]) == 1


def test_a_tab_moved_to_another_table_moves_its_tickets_on_the_kitchen_screen(floor, carte):
    one, two = _table(floor, "7"), _table(floor, "12")
    order_id = _round(floor, one, line(carte, "X-Burger"))["order"]["order_id"]
    _round(floor, one, line(carte, "Pudim de leite", course=2, hold=True))
    [cooking] = of_order(floor, order_id, 1)
    [held] = of_order(floor, order_id, 1, status="HELD")
    assert cooking["table_number"] == held["table_number"] == "7"
    moved = floor.post(f"{API}/tables/{one}/transfer", "waiter", json={"to_table_id": two})
    assert moved.status_code == 200, moved.text
    # The cook and the held course now say table 12.
    assert wait_for(lambda: [t["table_number"] for t in of_order(floor, order_id, 1)] == ["12"])
    assert [t["table_number"] for t in of_order(floor, order_id, 1, status="HELD")] == ["12"]
    ticket = floor.get(f"/api/v1/kds/tickets/{cooking['ticket_id']}", "kitchen").json()
    assert ticket["table_number"] == "12" and ticket["status"] == "NEW"
