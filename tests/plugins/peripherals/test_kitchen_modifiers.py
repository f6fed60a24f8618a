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
