"""The till's menu: the store's active categories and products in one answer."""

from support.api import assert_error

MENU = "/api/v1/counter/menu"


def test_the_menu_has_the_active_products_with_their_barcode(staff, menu):
    made = staff.post("/api/v1/products", "admin", json={
        "name": "Pão de queijo (kg)", "price": "39.90", "metadata": {"unit": "kg",
                                                                      "barcode": "2000001"}})
    assert made.status_code == 201, made.text
    hidden = menu["Suco de laranja"]["product_id"]
    assert staff.patch(f"/api/v1/products/{hidden}", "admin",
                       json={"active": False}).status_code == 200
    answer = staff.get(MENU, "cashier").json()
    names = [p["name"] for p in answer["products"]]
    assert "Suco de laranja" not in names and "X-Burger" in names
    weighed = next(p for p in answer["products"] if p["name"] == "Pão de queijo (kg)")
    assert weighed["metadata"] == {"unit": "kg", "barcode": "2000001"}
    assert weighed["price"] == "39.90"
    assert {c["name"] for c in answer["categories"]} == {"Lanches", "Bebidas", "Sobremesas"}


def test_the_menu_is_for_the_till(staff):
    assert_error(staff.get(MENU, "kitchen"), 403)
    assert_error(staff.get(MENU, None), 401)


def test_the_menu_has_each_products_active_groups_and_options(staff, menu):
    from support.modifiers import add_burger_options

    add_burger_options(staff, menu)
    answer = {p["name"]: p for p in staff.get(MENU, "cashier").json()["products"]}
    groups = answer["X-Burger"]["modifier_groups"]
    assert [(g["name"], g["min_choices"], g["max_choices"]) for g in groups] == [
        ("Ponto da carne", 1, 1), ("Adicionais", 0, 3)]
    # Picles is off the menu: the till does not offer it.
    assert [(o["name"], o["price"]) for o in groups[1]["options"]] == [
        ("Bacon", "4.00"), ("Cheddar", "3.00"), ("Ovo", "2.50")]
    assert answer["Guaraná lata"]["modifier_groups"] == []
    staff.delete(f"/api/v1/modifier-groups/{groups[0]['modifier_group_id']}")
    answer = {p["name"]: p for p in staff.get(MENU, "cashier").json()["products"]}
    assert [g["name"] for g in answer["X-Burger"]["modifier_groups"]] == ["Adicionais"]
