"""Modifier groups through the API: defined once per store, attached to products, read with them;
bad input is a 4xx in the SPEC's shape and writes nothing."""

import uuid

import pytest

from posmodern.schema.tables import modifier_groups, product_modifier_groups
from support.api import Api, assert_error, make_store_users, make_tenant
from support.modifiers import DONENESS, EXTRAS, add_burger_options
from support.tenant_db import counts


def test_groups_are_attached_to_products_and_read_with_them(staff, menu):
    made = add_burger_options(staff, menu)
    burger = made["product"]
    assert [g["name"] for g in burger["modifier_groups"]] == ["Ponto da carne", "Adicionais"]
    extras = burger["modifier_groups"][1]
    assert (extras["min_choices"], extras["max_choices"]) == (0, 3)
    assert [(o["name"], o["price"], o["active"]) for o in extras["options"]] == [
        ("Bacon", "4.00", True), ("Cheddar", "3.00", True), ("Ovo", "2.50", True),
        ("Picles", "1.00", False)]
    assert all(uuid.UUID(o["option_id"]) for o in extras["options"])
    # Read with the product, one by one and in the listing (for any role: the pages need them).
    path = f"/api/v1/products/{burger['product_id']}"
    assert staff.get(path, "cashier").json()["modifier_groups"] == burger["modifier_groups"]
    listed = {p["name"]: p for p in staff.get("/api/v1/products", "waiter").json()["items"]}
    assert listed["X-Burger"]["modifier_groups"] == burger["modifier_groups"]
    assert listed["Guaraná lata"]["modifier_groups"] == []
    # The same group on another product; order follows the list given; [] detaches.
    misto = menu["Misto quente"]["product_id"]
    group_ids = [g["modifier_group_id"] for g in made["groups"].values()]
    both = staff.patch(f"/api/v1/products/{misto}", json={"modifier_group_ids": group_ids[::-1]})
    assert [g["name"] for g in both.json()["modifier_groups"]] == ["Adicionais", "Ponto da carne"]
    cleared = staff.patch(f"/api/v1/products/{misto}", json={"modifier_group_ids": []})
    assert cleared.json()["modifier_groups"] == []
    assert staff.get(path).json()["modifier_groups"] == burger["modifier_groups"]
    # A new product may come with its groups.
    created = staff.post("/api/v1/products", json={"name": "X-Salada", "price": "24.00",
                                                   "modifier_group_ids": group_ids[:1]})
    assert created.status_code == 201, created.text
    assert [g["name"] for g in created.json()["modifier_groups"]] == ["Ponto da carne"]


def test_a_changed_group_keeps_its_option_ids(staff, menu):
    made = add_burger_options(staff, menu)
    extras = made["groups"]["Adicionais"]
    path = f"/api/v1/modifier-groups/{extras['modifier_group_id']}"
    bacon = made["options"]["Bacon"]
    changed = staff.patch(path, json={"max_choices": 2, "options": [
        {"option_id": bacon, "name": "Bacon", "price": "5.00"},
        {"name": "Catupiry", "price": "3.5"}]})
    assert changed.status_code == 200, changed.text
    options = changed.json()["options"]
    assert options[0] == {"option_id": bacon, "name": "Bacon", "price": "5.00", "active": True}
    assert options[1]["name"] == "Catupiry" and options[1]["price"] == "3.50" and options[1]["option_id"] != bacon
    assert changed.json()["max_choices"] == 2
    burger = staff.get(f"/api/v1/products/{menu['X-Burger']['product_id']}").json()
    assert burger["modifier_groups"][1]["options"] == options
    listed = staff.get("/api/v1/modifier-groups", params={"q": "adic"}).json()["items"]
    assert [g["name"] for g in listed] == ["Adicionais"]
    gone = staff.delete(path)
    assert gone.status_code == 200 and gone.json()["active"] is False
    assert staff.get("/api/v1/modifier-groups", params={"active": "true"}).json()["items"][0][
        "name"] == "Ponto da carne"


def test_an_option_carries_a_delivery_apps_code_kept_through_changes(staff, menu):
    made = staff.post("/api/v1/modifier-groups", json={**EXTRAS, "options": [
        {"name": "Bacon", "price": "4.00", "external_code": " BAC "}, {"name": "Ovo"}]})
    assert made.status_code == 201, made.text
    bacon, egg = made.json()["options"]
    assert bacon["external_code"] == "BAC" and "external_code" not in egg
    path = f"/api/v1/modifier-groups/{made.json()['modifier_group_id']}"
    # A change that leaves the code out (the back office's form) keeps it; null clears it.
    renamed = staff.patch(path, json={"options": [
        {"option_id": bacon["option_id"], "name": "Bacon crocante", "price": "4.50"},
        {"option_id": egg["option_id"], "name": "Ovo", "external_code": "OVO"}]})
    assert renamed.status_code == 200, renamed.text
    assert [(o["name"], o.get("external_code")) for o in renamed.json()["options"]] == [
        ("Bacon crocante", "BAC"), ("Ovo", "OVO")]
    assert staff.patch(path, json={"name": "Extras"}).json()["options"] == renamed.json()[
        "options"]
    cleared = staff.patch(path, json={"options": [
        {"option_id": bacon["option_id"], "name": "Bacon", "external_code": None}]})
    assert "external_code" not in cleared.json()["options"][0]
    assert staff.get(path).json()["options"] == cleared.json()["options"]


BAD_GROUPS = [
    ({**EXTRAS, "min_choices": 4, "max_choices": 3}, "min_above_max"),
    ({**EXTRAS, "max_choices": 0}, None),
    ({**EXTRAS, "min_choices": -1}, None),
    ({**EXTRAS, "options": []}, None),
    ({**EXTRAS, "options": [{"name": "Bacon", "price": "-1.00"}]}, None),
    ({**EXTRAS, "options": [{"name": "Bacon", "price": "99999999.99"}]}, None),
    ({**EXTRAS, "options": [{"name": "Bacon", "price": "1e30"}]}, None),
    ({**EXTRAS, "options": [{"name": "Bacon", "price": "4.001"}]}, None),
    ({**EXTRAS, "options": [{"name": "", "price": "1.00"}]}, None),
    ({**EXTRAS, "options": [{"name": "Bacon", "cost": "1.00"}]}, None),
    ({**EXTRAS, "options": [{"option_id": str(uuid.uuid4()), "name": "Bacon"}]},
     "unknown_option"),
    ({**EXTRAS, "name": "x" * 51}, None),
    ({**EXTRAS, "options": [{"name": "Bacon", "external_code": "  "}]}, None),
    ({**EXTRAS, "options": [{"name": "Bacon", "external_code": "x" * 51}]}, None),
    ({**EXTRAS, "options": [{"name": "Bacon", "external_code": "B"},
                            {"name": "Ovo", "external_code": "B"}]}, None),
    ({"options": EXTRAS["options"]}, None),
]


@pytest.mark.parametrize("body, code", BAD_GROUPS)
def test_bad_groups_are_422_and_write_nothing(staff, settings, body, code):
    before = counts(settings, staff.tenant.client_id, modifier_groups)
    assert_error(staff.post("/api/v1/modifier-groups", json=body), 422, code)
    assert counts(settings, staff.tenant.client_id, modifier_groups) == before


def test_bad_changes_are_422_or_404_and_change_nothing(staff, menu, settings):
    made = add_burger_options(staff, menu)
    doneness = made["groups"]["Ponto da carne"]
    path = f"/api/v1/modifier-groups/{doneness['modifier_group_id']}"
    assert_error(staff.patch(path, json={"max_choices": 0}), 422)
    # min 1 stored: max below it is refused, whichever field is sent.
    staff.patch(path, json={"max_choices": 2})
    assert_error(staff.patch(path, json={"min_choices": 3}), 422, "min_above_max")
    assert_error(staff.patch(path, json={"options": None}), 422)
    assert_error(staff.patch(path, json={"options": [
        {"option_id": made["options"]["Bacon"], "name": "Bacon"}]}), 422, "unknown_option")
    assert staff.get(path).json()["options"] == doneness["options"]
    assert_error(staff.patch(f"/api/v1/modifier-groups/{uuid.uuid4()}", json={"name": "X"}),
                 404, "modifier_group_not_found")
    assert_error(staff.patch(path, "cashier", json={"name": "X"}), 403)
    # Products: unknown, repeated or other stores' groups are 422 and attach nothing.
    product = f"/api/v1/products/{menu['Misto quente']['product_id']}"
    links = counts(settings, staff.tenant.client_id, product_modifier_groups)
    unknown = assert_error(staff.patch(product, json={"modifier_group_ids": [
        doneness["modifier_group_id"], str(uuid.uuid4())]}), 422, "unknown_modifier_group")
    assert unknown["details"][0]["loc"] == ["modifier_group_ids", 1]
    assert_error(staff.patch(product, json={"modifier_group_ids": [
        doneness["modifier_group_id"]] * 2}), 422)
    assert_error(staff.patch(product, json={"modifier_group_ids": None}), 422)
    assert_error(staff.patch(product, json={"modifier_group_ids": ["not-an-id"]}), 422)
    assert_error(staff.post("/api/v1/products", json={
        "name": "Novo", "price": "1.00", "modifier_group_ids": [str(uuid.uuid4())]}), 422,
        "unknown_modifier_group")
    assert counts(settings, staff.tenant.client_id, product_modifier_groups) == links
    assert staff.get(product).json()["modifier_groups"] == []


def test_another_tenant_or_store_cannot_use_the_groups(staff, menu, counter_client, settings):
    made = add_burger_options(staff, menu)
    group_id = made["groups"]["Adicionais"]["modifier_group_id"]
    for other in (Api(counter_client, make_tenant(settings)),
                  Api(counter_client, make_store_users(settings, staff.tenant.client_id,
                                                       "store-2"))):
        assert other.get("/api/v1/modifier-groups").json()["items"] == []
        assert_error(other.get(f"/api/v1/modifier-groups/{group_id}"), 404)
        assert_error(other.patch(f"/api/v1/modifier-groups/{group_id}", json={"name": "X"}),
                     404)
        own = other.post("/api/v1/products", json={"name": "Café", "price": "5.00"}).json()
        assert_error(other.patch(f"/api/v1/products/{own['product_id']}", json={
            "modifier_group_ids": [group_id]}), 422, "unknown_modifier_group")
    assert staff.get(f"/api/v1/modifier-groups/{group_id}").json()["name"] == "Adicionais"
