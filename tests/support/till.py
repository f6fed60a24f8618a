"""Driving the POS page in headless Chromium: signing in, tapping products, taking cash."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

PLUGINS = "auth,catalog,customers,orders,payments,counter"


def sign_in(page: Page, url: str, staff, role: str = "cashier") -> None:
    page.goto(url + "/pos/")
    page.fill("input[name=client_id]", staff.tenant.client_id)
    page.fill("input[name=username]", role)
    page.fill("input[name=password]", staff.tenant.passwords[role])
    page.click("#login-form button[type=submit]")
    expect(page.locator("body[data-ready=true]")).to_have_count(1, timeout=20000)


def tap(page: Page, name: str) -> None:
    page.locator("#products button", has_text=name).click()


def brl(amount: str, before: str = "") -> re.Pattern:
    """"R$ 16,60" as Intl writes it (a no-break space after R$); with ``before``, the whole
    text is ``before`` and the amount."""
    pattern = re.escape(before) + r"R\$\s" + re.escape(amount)
    return re.compile(f"^{pattern}$" if before else pattern)


def pay_cash(page: Page, received: str) -> None:
    page.fill("#dialog input[name=received]", received)
    page.click("#pay-cash")


def sell_offline(page: Page, *names: str) -> None:
    """A sale while the server is out of reach: queued with its cash tender."""
    for name in names:
        tap(page, name)
    page.click("#checkout")
    expect(page.locator("#dialog-title")).to_have_text("Sem conexão: venda guardada")
    page.click("#offline-cash")
    expect(page.locator("#dialog")).not_to_be_visible()


def pos_orders(staff) -> list[dict]:
    """Every order of the store, through the API."""
    items, cursor = [], None
    while True:
        answer = staff.get("/api/v1/orders", "manager",
                           params={"limit": 100, **({"cursor": cursor} if cursor else {})}).json()
        items += answer["items"]
        cursor = answer["next_cursor"]
        if not cursor:
            return items
