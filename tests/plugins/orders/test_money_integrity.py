"""A discount stays within what the one changing the order may give: removing items re-checks
the cashier's cap (the store's POS_CASHIER_MAX_DISCOUNT_PERCENT) against the new subtotal."""

from __future__ import annotations

import pytest
from posmodern.hosts.app import create_app
from starlette.testclient import TestClient
from support.api import Api, assert_error, make_tenant
from support.menu import create_menu, order_body

DISCOUNT = "POS_CASHIER_MAX_DISCOUNT_PERCENT"


@pytest.fixture
def api(settings):
    plugins = ["auth", "catalog", "orders", "settings"]
    with TestClient(create_app(settings, plugins=plugins)) as client:
        yield Api(client, make_tenant(settings))


@pytest.fixture
def menu(api):
    return create_menu(api)


def _discounted_order(api, menu) -> dict:
    # 26.90 + 14.00 + 6.50 = 47.40; 10 % of it is 4.74, the most a cashier may give.
    made = api.post("/api/v1/orders", "cashier", json=order_body(
        menu, ("X-Burger", "1"), ("Misto quente", "1"), ("Guaraná lata", "1"), discount="4.74"))
    assert made.status_code == 201, made.text
    return made.json()


def test_a_cashier_cannot_grow_a_capped_discount_by_removing_items(api, menu):
    order = _discounted_order(api, menu)
    path = f"/api/v1/orders/{order['order_id']}"
    burger, toast, soda = (item["item_id"] for item in order["items"])
    # Without the burger the subtotal is 20.50: 4.74 of it would be 23 %.
    refused = assert_error(api.delete(f"{path}/items/{burger}", "cashier"), 403,
                           "discount_not_allowed")
    assert refused["details"] == {"limit": "2.05", "discount": "4.74"}
    assert_error(api.delete(f"{path}/items/{burger}", "waiter"), 403, "discount_not_allowed")
    unchanged = api.get(path, "cashier").json()
    assert (len(unchanged["items"]), unchanged["subtotal"], unchanged["total"]) == \
        (3, "47.40", "42.66")
    # Adding a round only makes the discount a smaller share: anyone taking orders may.
    more = api.post(f"{path}/items", "waiter", json=order_body(menu, ("Pudim de leite", "1")))
    assert more.status_code == 200, more.text
    assert (more.json()["subtotal"], more.json()["total"]) == ("59.40", "54.66")
    # A manager may give any discount, so a manager may take the burger off.
    removed = api.delete(f"{path}/items/{burger}", "manager")
    assert removed.status_code == 200, removed.text
    assert (removed.json()["subtotal"], removed.json()["total"]) == ("32.50", "27.76")
    # Without the soda 4.74 would be 18 % of 26.00: the cashier is refused again.
    assert_error(api.delete(f"{path}/items/{soda}", "cashier"), 403, "discount_not_allowed")
    assert api.get(path).json()["items"][0]["item_id"] == toast


def test_the_cap_is_the_stores_own_setting(api, menu):
    order = _discounted_order(api, menu)
    path = f"/api/v1/orders/{order['order_id']}"
    burger = order["items"][0]["item_id"]
    assert api.patch("/api/v1/settings", json={DISCOUNT: "25"}).status_code == 200
    removed = api.delete(f"{path}/items/{burger}", "cashier")  # 4.74 of 20.50: 23 %
    assert removed.status_code == 200, removed.text
    assert removed.json()["total"] == "15.76"
