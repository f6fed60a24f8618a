"""Items of an order that money was taken for are fixed: a paid order whose items change would
stay PAID with more paid than it costs. A manager refunds first; then the order can change."""

from __future__ import annotations

from support.api import assert_error
from support.tenders import pay


def _order(api, *prices: str) -> dict:
    items = []
    for number, price in enumerate(prices):
        product = api.post("/api/v1/products", json={"name": f"Prato {number}", "price": price})
        assert product.status_code == 201, product.text
        items.append({"product_id": product.json()["product_id"], "quantity": "1"})
    made = api.post("/api/v1/orders", "cashier", json={"items": items})
    assert made.status_code == 201, made.text
    return made.json()


def test_a_paid_order_keeps_its_items_until_a_manager_refunds(api):
    order = _order(api, "69.00", "4.00")
    path = f"/api/v1/orders/{order['order_id']}"
    dish, coffee = (item["item_id"] for item in order["items"])
    payment = pay(api, order["order_id"], "cash", "73.00")
    assert payment.status_code == 201, payment.text
    for role in ("cashier", "manager", "admin"):
        refused = assert_error(api.delete(f"{path}/items/{dish}", role), 409, "order_paid")
        assert refused["details"] == {"payment_status": "PAID",
                                      "editable_when": ["PENDING", "REFUNDED"]}
    assert_error(api.post(f"{path}/items", "cashier",
                          json={"items": [{"product_id": order["items"][1]["product_id"],
                                           "quantity": "1"}]}), 409, "order_paid")
    kept = api.get(path, "cashier").json()
    assert (kept["total"], kept["payment_status"], len(kept["items"])) == ("73.00", "PAID", 2)
    refunded = api.post(f"/api/v1/payments/{payment.json()['payment_id']}/refund", "manager",
                        json={"reason": "wrong order"})
    assert refunded.status_code == 201, refunded.text
    changed = api.delete(f"{path}/items/{dish}", "cashier")
    assert changed.status_code == 200, changed.text
    assert (changed.json()["total"], changed.json()["payment_status"]) == ("4.00", "REFUNDED")
    again = pay(api, order["order_id"], "cash", "4.00")
    assert again.status_code == 201, again.text
    assert api.get(path).json()["payment_status"] == "PAID"
    assert_error(api.delete(f"{path}/items/{coffee}", "cashier"), 409, "order_paid")


def test_part_of_the_money_taken_fixes_the_items_too(api):
    order = _order(api, "69.00", "4.00")
    path = f"/api/v1/orders/{order['order_id']}"
    assert pay(api, order["order_id"], "cash", "10.00").status_code == 201
    refused = assert_error(api.delete(f"{path}/items/{order['items'][0]['item_id']}", "manager"),
                           409, "order_paid")
    assert refused["details"]["payment_status"] == "PARTIALLY_PAID"
    assert api.get(path).json()["total"] == "73.00"
