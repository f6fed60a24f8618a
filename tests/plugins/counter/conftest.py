"""Fixtures of the counter's tests: an app with the plugins a till uses and a tenant's menu."""

from __future__ import annotations

import pytest

from support.menu import order_body

TILL_PLUGINS = ["auth", "catalog", "customers", "orders", "payments", "counter"]


@pytest.fixture
def app_plugins() -> list[str]:
    return TILL_PLUGINS


@pytest.fixture
def sell(staff, menu):
    """``sell(("X-Burger", "1"), method="cash", amount="30.00")``: an order paid by one tender."""
    def make(*lines, method="cash", amount=None, provider=None):
        order = staff.post("/api/v1/orders", "cashier", json=order_body(menu, *lines))
        assert order.status_code == 201, order.text
        order = order.json()
        body = {"method": method, "amount": amount or order["total"],
                **({"provider": provider} if provider else {})}
        paid = staff.post(f"/api/v1/orders/{order['order_id']}/payments", "cashier", json=body)
        assert paid.status_code == 201, paid.text
        return order, paid.json()
    return make
