"""The printed kitchen ticket shows the options chosen for each item under it, with the notes
and customizations it always showed."""

from support.menu import create_menu
from support.modifiers import add_burger_options, chosen
from support.peripherals import add_printer, wait_job
from support.tenant_db import wait_for


def test_the_kitchen_ticket_lists_the_options_under_the_item(api, printer):
    add_printer(api, "Cozinha", role="cozinha", connection=printer.connection)
    menu = create_menu(api)
    options = add_burger_options(api, menu)["options"]
    made = api.post("/api/v1/orders", "cashier", json={"items": [
        {"product_id": menu["X-Burger"]["product_id"], "quantity": "2", "notes": "sem cebola",
         "customizations": [{"name": "Sem picles"}],
         "modifiers": chosen(options, "Ao ponto", "Bacon")},
        {"product_id": menu["Pudim de leite"]["product_id"], "quantity": "1"}]})
    assert made.status_code == 201, made.text
    order = made.json()
    assert order["total"] == "73.80"  # 2 × (26.90 + 4.00) + 12.00
    moved = api.post(f"/api/v1/orders/{order['order_id']}/status", "manager",
                     json={"status": "CONFIRMED"})
    assert moved.status_code == 200, moved.text
    jobs = wait_for(lambda: api.get("/api/v1/peripherals/print-jobs", params={
        "reference_id": order["order_id"]}).json()["print_jobs"])
    wait_job(api, jobs[0]["job_id"])
    text = printer.text()
    # Under the item, in this order: the options, the notes, the customizations.
    where = [text.index(words) for words in ("2x X-Burger", "  Ao ponto", "  + Bacon",
                                             "  Obs: sem cebola", "  + Sem picles",
                                             "1x Pudim de leite")]
    assert where == sorted(where)


def test_the_receipt_lists_the_options_under_the_item_at_its_price():
    from datetime import datetime, timezone

    from posmodern.plugins.peripherals.layouts import receipt

    order = {"order_number": "7", "subtotal": "33.90", "total": "33.90", "discount": "0.00",
             "items": [{"quantity": "1", "product_name": "X-Burger", "subtotal": "33.90",
                        "modifiers": [{"name": "Ao ponto", "price": "0.00"},
                                      {"name": "Bacon", "price": "4.00"},
                                      {"name": "Cheddar", "price": "3.00"}]}]}
    doc = receipt(order, [], "Lanchonete", datetime(2026, 12, 2, tzinfo=timezone.utc),
                  "America/Sao_Paulo", [])
    texts = [op.get("text") or op.get("left") for op in doc]
    burger = texts.index("1x X-Burger")
    assert texts[burger + 1:burger + 4] == ["  Ao ponto", "  + Bacon", "  + Cheddar"]
