"""A small menu made through the API, for tests that take orders."""

from __future__ import annotations

from typing import Any

MENU = {
    "Lanches": [("X-Burger", "26.90"), ("Misto quente", "14.00")],
    "Bebidas": [("Guaraná lata", "6.50"), ("Suco de laranja", "9.00")],
    "Sobremesas": [("Pudim de leite", "12.00")],
}


def create_menu(api, role: str = "admin") -> dict[str, dict[str, Any]]:
    """Categories and products through the API; returns the products by name."""
    products = {}
    for category, items in MENU.items():
        made = api.post("/api/v1/categories", role, json={"name": category})
        assert made.status_code == 201, made.text
        for name, price in items:
            product = api.post("/api/v1/products", role, json={
                "name": name, "price": price, "category_id": made.json()["category_id"]})
            assert product.status_code == 201, product.text
            products[name] = product.json()
    return products


def order_body(products: dict[str, dict], *lines: tuple[str, str], **extra) -> dict:
    """An order body from (product name, quantity) pairs."""
    return {"items": [{"product_id": products[name]["product_id"], "quantity": quantity}
                      for name, quantity in lines], **extra}
