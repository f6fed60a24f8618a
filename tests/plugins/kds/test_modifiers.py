"""The kitchen display's tickets carry the options chosen for each item (the screen shows them
under the item), and a held course still waits."""

from support.kitchen import move, of_order, tickets
from support.modifiers import add_burger_options, chosen


def test_a_ticket_shows_the_options_chosen_for_each_item(staff, menu):
    options = add_burger_options(staff, menu)["options"]
    made = staff.post("/api/v1/orders", "cashier", json={"items": [
        {"product_id": menu["X-Burger"]["product_id"], "quantity": "1",
         "modifiers": chosen(options, "Bem passada", "Cheddar", "Bacon")},
        {"product_id": menu["X-Burger"]["product_id"], "quantity": "1",
         "customizations": {"hold": True, "course": 2},
         "modifiers": chosen(options, "Mal passada")}]})
    assert made.status_code == 201, made.text
    order = made.json()
    move(staff, order["order_id"], "CONFIRMED")
    [now] = of_order(staff, order["order_id"], 1)
    (item,) = now["items"]
    assert [(m["name"], m["price"]) for m in item["modifiers"]] == [
        ("Bem passada", "0.00"), ("Bacon", "4.00"), ("Cheddar", "3.00")]
    [held] = tickets(staff, status="HELD")
    assert held["items"][0]["course"] == 2
    assert [m["name"] for m in held["items"][0]["modifiers"]] == ["Mal passada"]
