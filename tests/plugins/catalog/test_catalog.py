"""The menu through the API: categories and products, on both backends."""

from posmodern.schema.tables import categories, products
from support.api import Api, assert_error, make_store_users, make_tenant
from support.tenant_db import counts


def test_categories_nest_and_refuse_cycles(staff):
    drinks = staff.post("/api/v1/categories", json={"name": "Bebidas"}).json()
    juices = staff.post("/api/v1/categories", json={"name": "Sucos",
                                                    "parent_id": drinks["category_id"]})
    assert juices.status_code == 201, juices.text
    juices = juices.json()
    assert juices["parent_id"] == drinks["category_id"] and juices["active"] is True
    assert "client_id" not in juices
    children = staff.get("/api/v1/categories", params={"parent_id": drinks["category_id"]})
    assert [c["name"] for c in children.json()["items"]] == ["Sucos"]
    cycle = staff.patch(f"/api/v1/categories/{drinks['category_id']}",
                        json={"parent_id": juices["category_id"]})
    assert_error(cycle, 422, "category_cycle")
    assert_error(staff.patch(f"/api/v1/categories/{drinks['category_id']}",
                             json={"parent_id": drinks["category_id"]}), 422, "category_cycle")
    renamed = staff.patch(f"/api/v1/categories/{juices['category_id']}",
                          json={"name": "Sucos naturais"})
    assert renamed.json()["name"] == "Sucos naturais"
    assert renamed.json()["parent_id"] == drinks["category_id"]


def test_product_crud_soft_delete_and_prices_as_decimal_strings(staff, menu):
    burger = menu["X-Burger"]
    assert burger["price"] == "26.90" and burger["cost"] is None and burger["active"] is True
    path = f"/api/v1/products/{burger['product_id']}"
    changed = staff.patch(path, json={"price": "28.5", "cost": "9.80",
                                      "metadata": {"kcal": 780}})
    assert changed.status_code == 200, changed.text
    assert changed.json()["price"] == "28.50" and changed.json()["cost"] == "9.80"
    assert changed.json()["name"] == "X-Burger" and changed.json()["metadata"] == {"kcal": 780}
    assert staff.get(path, "waiter").json()["price"] == "28.50"
    deleted = staff.delete(path)
    assert deleted.status_code == 200 and deleted.json()["active"] is False
    assert staff.get(path).json()["active"] is False
    active = staff.get("/api/v1/products", params={"active": "true"}).json()["items"]
    assert "X-Burger" not in {p["name"] for p in active}
    assert "X-Burger" in {p["name"] for p in staff.get("/api/v1/products").json()["items"]}


def test_product_listing_filters_search_and_cursor_pages(staff, menu):
    listed = staff.get("/api/v1/products").json()
    assert [p["name"] for p in listed["items"]] == sorted(menu)
    assert listed["next_cursor"] is None
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = staff.get("/api/v1/products", params=params).json()
        assert len(page["items"]) <= 2
        seen += [p["name"] for p in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(menu)
    drinks = menu["Guaraná lata"]["category_id"]
    by_category = staff.get("/api/v1/products", params={"category_id": drinks}).json()["items"]
    assert {p["name"] for p in by_category} == {"Guaraná lata", "Suco de laranja"}
    found = staff.get("/api/v1/products", params={"q": "SUCO"}).json()["items"]
    assert [p["name"] for p in found] == ["Suco de laranja"]
    assert staff.get("/api/v1/products", params={"q": "100%"}).json()["items"] == []
    assert_error(staff.get("/api/v1/products", params={"cursor": "not-a-cursor"}), 422,
                 "invalid_cursor")
    assert_error(staff.get("/api/v1/products", params={"limit": 0}), 422)
    assert_error(staff.get("/api/v1/products", params={"limit": 101}), 422)
    assert_error(staff.get("/api/v1/products", params={"colour": "red"}), 422)


def test_bad_products_and_categories_are_422_and_write_nothing(staff, settings):
    client_id = staff.tenant.client_id
    before = counts(settings, client_id, products, categories)
    bad_products = [
        {"price": "10.00"},                                   # no name
        {"name": "", "price": "10.00"},                       # empty name
        {"name": "x" * 101, "price": "10.00"},                # over the column's 100
        {"name": "Café"},                                     # no price
        {"name": "Café", "price": "-1.00"},                   # negative
        {"name": "Café", "price": "5.555"},                   # three places
        {"name": "Café", "price": "100000000.00"},            # over DECIMAL(10, 2)
        {"name": "Café", "price": "cinco"},                   # not a number
        {"name": "Café", "price": "5.00", "cost": "-2"},      # negative cost
        {"name": "Café", "price": "5.00", "active": "maybe"},
        {"name": "Café", "price": "5.00", "metadata": [1, 2]},
        {"name": "Café", "price": "5.00", "sku": "x"},        # unknown field
    ]
    for body in bad_products:
        assert_error(staff.post("/api/v1/products", json=body), 422)
    unknown = assert_error(staff.post("/api/v1/products", json={
        "name": "Café", "price": "5.00", "category_id": "6f1c2d4e-8a51-4c1b-9a57-0c3f7d0f4b21"}),
        422, "unknown_category")
    assert unknown["details"][0]["loc"] == ["category_id"]
    assert_error(staff.post("/api/v1/categories", json={"name": "x" * 51}), 422)
    assert_error(staff.post("/api/v1/categories", json={
        "name": "Ok", "parent_id": "6f1c2d4e-8a51-4c1b-9a57-0c3f7d0f4b21"}), 422,
        "unknown_category")
    assert counts(settings, client_id, products, categories) == before


def test_partial_update_rules(staff, menu):
    path = f"/api/v1/products/{menu['Pudim de leite']['product_id']}"
    assert_error(staff.patch(path, json={}), 422)
    assert_error(staff.patch(path, json={"name": None}), 422)
    assert_error(staff.patch(path, json={"price": None}), 422)
    cleared = staff.patch(path, json={"category_id": None, "description": "Com calda"})
    assert cleared.json()["category_id"] is None
    assert cleared.json()["description"] == "Com calda"
    assert_error(staff.patch("/api/v1/products/6f1c2d4e-8a51-4c1b-9a57-0c3f7d0f4b21",
                             json={"name": "Ghost"}), 404, "product_not_found")


def test_only_admins_and_managers_edit_the_menu(staff, menu):
    assert_error(staff.post("/api/v1/products", "cashier",
                            json={"name": "Café", "price": "5.00"}), 403)
    assert_error(staff.delete(f"/api/v1/products/{menu['X-Burger']['product_id']}", "waiter"),
                 403)
    made = staff.post("/api/v1/products", "manager", json={"name": "Café", "price": "5.00"})
    assert made.status_code == 201
    assert staff.get("/api/v1/products", "kitchen").status_code == 200


def test_another_tenant_or_store_sees_nothing(staff, menu, counter_client, settings):
    other = Api(counter_client, make_tenant(settings))
    burger = menu["X-Burger"]["product_id"]
    assert other.get("/api/v1/products").json()["items"] == []
    assert_error(other.get(f"/api/v1/products/{burger}"), 404)
    assert_error(other.patch(f"/api/v1/products/{burger}", json={"price": "1.00"}), 404)
    assert_error(other.delete(f"/api/v1/products/{burger}"), 404)
    # Same tenant, another store: the menu is per store.
    branch = Api(counter_client, make_store_users(settings, staff.tenant.client_id, "store-2"))
    assert branch.get("/api/v1/products").json()["items"] == []
    assert_error(branch.get(f"/api/v1/products/{burger}"), 404)
    assert staff.get(f"/api/v1/products/{burger}").json()["price"] == "26.90"


def test_every_change_to_the_menu_is_published(staff, settings):
    from support.tenant_db import events

    drinks = staff.post("/api/v1/categories", json={"name": "Bebidas"}).json()
    juice = staff.post("/api/v1/products", json={"name": "Suco", "price": "9.00",
                                                 "category_id": drinks["category_id"]}).json()
    path = f"/api/v1/products/{juice['product_id']}"
    assert staff.patch(path, json={"description": "Laranja"}).status_code == 200
    assert staff.delete(path).status_code == 200
    assert staff.patch(f"/api/v1/categories/{drinks['category_id']}",
                       json={"name": "Drinks"}).status_code == 200
    assert_error(staff.patch(path, json={"category_id": juice["product_id"]}), 422)
    client_id = staff.tenant.client_id
    assert [e["data"] for e in events(settings, client_id, "catalog.product_changed")] == [
        {"product_id": juice["product_id"], "change": change, "active": active}
        for change, active in (("created", True), ("updated", True), ("deactivated", False))]
    assert [e["data"] for e in events(settings, client_id, "catalog.category_changed")] == [
        {"category_id": drinks["category_id"], "change": change, "active": True}
        for change in ("created", "updated")]
