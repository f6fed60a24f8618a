"""A small menu made through the API, for tests that take orders."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

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


def confirm_at_rate(url: str, staff, products: dict[str, dict], orders: int, rate: float, *,
                    workers: int = 16) -> dict[Any, float]:
    """Place ``orders`` orders of one X-Burger at ``rate`` per second from a thread pool (one
    keep-alive client per thread), each confirmed by the manager: when each confirmation was
    answered (ms since the epoch), by order number. For benches against a running server."""
    answered: dict[Any, float] = {}
    lock = threading.Lock()
    clients = threading.local()

    def one() -> None:
        own = getattr(clients, "client", None)
        if own is None:
            own = clients.client = httpx.Client(base_url=url, timeout=30)
        made = own.post("/api/v1/orders", json=order_body(products, ("X-Burger", "1")),
                        headers=staff.headers("cashier")).json()
        own.post(f"/api/v1/orders/{made['order_id']}/status", json={"status": "CONFIRMED"},
                 headers=staff.headers("manager"))
        with lock:
            answered[made["order_number"]] = time.time() * 1000

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for n in range(orders):
            time.sleep(max(0.0, started + n / rate - time.monotonic()))
            pool.submit(one)
    return answered
