"""Orders naming options of their products' modifier groups: priced from the catalog, checked
against each group's rules, stored as sold; bad choices are a 422 at the item, nothing written."""

import uuid

import pytest

from posmodern.schema.tables import order_items, orders
from support.api import assert_error
from support.menu import order_body
from support.modifiers import add_burger_options, chosen
from support.tenant_db import counts


@pytest.fixture
def options(staff, menu):
    return add_burger_options(staff, menu)["options"]


def _burger(menu, options, *names, quantity="1"):
    return {"product_id": menu["X-Burger"]["product_id"], "quantity": quantity,
            "modifiers": chosen(options, *names)}


def test_options_price_the_item_and_are_kept_as_sold(staff, menu, options):
    body = {"items": [_burger(menu, options, "Ao ponto", "Bacon", "Cheddar", quantity="2"),
                      {"product_id": menu["Guaraná lata"]["product_id"], "quantity": "1"}]}
    made = staff.post("/api/v1/orders", "cashier", json=body)
    assert made.status_code == 201, made.text
    order = made.json()
    burger, soda = order["items"]
    assert burger["unit_price"] == "33.90"            # 26.90 + 4.00 + 3.00
    assert burger["subtotal"] == "67.80" and soda["modifiers"] is None
    assert order["subtotal"] == "74.30" and order["total"] == "74.30"
    assert [(m["group"], m["name"], m["price"]) for m in burger["modifiers"]] == [
        ("Ponto da carne", "Ao ponto", "0.00"), ("Adicionais", "Bacon", "4.00"),
        ("Adicionais", "Cheddar", "3.00")]
    # The menu changes; the order keeps what it was sold with.
    group = staff.get(f"/api/v1/products/{menu['X-Burger']['product_id']}").json()[
        "modifier_groups"][1]
    staff.patch(f"/api/v1/modifier-groups/{group['modifier_group_id']}", json={"options": [
        {"option_id": options["Bacon"], "name": "Bacon artesanal", "price": "6.00"}]})
    read = staff.get(f"/api/v1/orders/{order['order_id']}").json()
    assert read["items"][0]["modifiers"] == burger["modifiers"] and read["total"] == "74.30"
    listed = staff.get("/api/v1/orders").json()["items"][0]
    assert listed["items"][0]["modifiers"] == burger["modifiers"]
    # A new order is priced from the menu as it is now.
    again = staff.post("/api/v1/orders", json={"items": [
        _burger(menu, options, "Mal passada", "Bacon")]}).json()
    assert again["items"][0]["unit_price"] == "32.90"
    assert again["items"][0]["modifiers"][1]["name"] == "Bacon artesanal"


def test_a_round_added_to_an_order_is_priced_with_its_options(staff, menu, options):
    order = staff.post("/api/v1/orders", json=order_body(menu, ("Guaraná lata", "1"))).json()
    added = staff.post(f"/api/v1/orders/{order['order_id']}/items", "waiter", json={"items": [
        _burger(menu, options, "Bem passada", "Ovo")]})
    assert added.status_code == 200, added.text
    assert added.json()["total"] == "35.90"            # 6.50 + 26.90 + 2.50
    assert added.json()["items"][1]["modifiers"][1]["name"] == "Ovo"
    # Pricing the order again (an item taken off) keeps the options' prices.
    soda = added.json()["items"][0]["item_id"]
    left = staff.delete(f"/api/v1/orders/{order['order_id']}/items/{soda}")
    assert left.status_code == 200, left.text
    assert left.json()["total"] == "29.40"


def test_a_waiters_round_goes_through_the_same_pricing(staff, menu, options):
    table = staff.post("/api/v1/waiter/tables", json={"table_number": "7", "capacity": 4}).json()
    url = f"/api/v1/waiter/tables/{table['table_id']}/rounds"
    bad = staff.post(url, "waiter", json={"items": [_burger(menu, options, "Bacon")]})
    assert_error(bad, 422, "too_few_modifiers")
    tab = staff.post(url, "waiter", json={"items": [
        {**_burger(menu, options, "Ao ponto", "Cheddar"), "course": 2}]})
    assert tab.status_code in (200, 201), tab.text
    item = tab.json()["order"]["items"][0]
    assert item["unit_price"] == "29.90" and item["customizations"] == {"course": 2}
    assert [m["name"] for m in item["modifiers"]] == ["Ao ponto", "Cheddar"]


def test_bad_choices_are_422_at_the_item_and_write_nothing(staff, menu, options, settings,
                                                           counter_client):
    client_id = staff.tenant.client_id
    before = counts(settings, client_id, orders, order_items)
    misto = menu["Misto quente"]["product_id"]
    soda = {"product_id": menu["Guaraná lata"]["product_id"], "quantity": "1"}

    def refused(items, code, loc=None):
        error = assert_error(staff.post("/api/v1/orders", json={"items": items}), 422, code)
        if loc is not None:
            assert error["details"][0]["loc"] == loc, error
        assert counts(settings, client_id, orders, order_items) == before
        return error

    refused([soda, _burger(menu, options, "Bacon")], "too_few_modifiers",
            ["items", 1, "modifiers"])
    refused([_burger(menu, options)], "too_few_modifiers")
    refused([_burger(menu, options, "Ao ponto", "Mal passada")], "too_many_modifiers")
    refused([_burger(menu, options, "Ao ponto", "Bacon", "Cheddar", "Ovo", "Bacon")],
            "repeated_modifier", ["items", 0, "modifiers", 4])
    refused([_burger(menu, options, "Ao ponto", "Picles")], "inactive_modifier",
            ["items", 0, "modifiers", 1])
    unknown = refused([{**_burger(menu, options, "Ao ponto"),
                        "modifiers": [{"option_id": options["Ao ponto"]},
                                      {"option_id": str(uuid.uuid4())}]}], "unknown_modifier",
                      ["items", 0, "modifiers", 1])
    assert unknown["details"][0]["product_id"] == menu["X-Burger"]["product_id"]
    # An option of another product is not this one's.
    refused([soda, {"product_id": misto, "quantity": "1",
                    "modifiers": chosen(options, "Bacon")}], "unknown_modifier",
            ["items", 1, "modifiers", 0])
    refused([{**soda, "modifiers": [{"option_id": "not-an-id"}]}], None)
    refused([{**soda, "modifiers": [{"option_id": options["Bacon"], "price": "0.01"}]}], None)
    refused([{**soda, "modifiers": "Bacon"}], None)
    # Several items wrong: each one named.
    error = refused([_burger(menu, options), {"product_id": misto, "quantity": "1",
                                               "modifiers": chosen(options, "Bacon")}], None)
    assert [d["loc"][:2] for d in error["details"]] == [["items", 0], ["items", 1]]
    # An inactive group is not asked, and its options cannot be chosen.
    doneness = staff.get(f"/api/v1/products/{menu['X-Burger']['product_id']}").json()[
        "modifier_groups"][0]
    staff.delete(f"/api/v1/modifier-groups/{doneness['modifier_group_id']}")
    refused([_burger(menu, options, "Ao ponto")], "unknown_modifier")
    plain = staff.post("/api/v1/orders", json={"items": [_burger(menu, options, "Bacon")]})
    assert plain.status_code == 201 and plain.json()["total"] == "30.90"


def test_another_stores_options_cannot_be_chosen(staff, menu, options, counter_client,
                                                 settings):
    from support.api import Api, make_store_users
    from support.menu import create_menu

    branch = Api(counter_client, make_store_users(settings, staff.tenant.client_id, "store-2"))
    theirs = create_menu(branch)
    error = assert_error(branch.post("/api/v1/orders", json={"items": [
        {"product_id": theirs["X-Burger"]["product_id"], "quantity": "1",
         "modifiers": chosen(options, "Bacon")}]}), 422, "unknown_modifier")
    assert error["details"][0]["loc"] == ["items", 0, "modifiers", 0]
