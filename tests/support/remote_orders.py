"""Helpers of the delivery-app tests: a store selling through a marketplace, polls."""

from __future__ import annotations

from support.api import Api
from support.fake_marketplace import CLIENT_ID, CLIENT_SECRET

#: name, price, external code
WEBHOOK_SECRET = "hook-secret"
MENU = [("X-Burger", "26.90", "XB"), ("Guaraná lata", "6.50", "GUA"),
        ("Pudim de leite", "12.00", None)]


def sell_through_ifood(api: Api, merchant: str, secret: str = CLIENT_SECRET) -> None:
    changed = api.patch("/api/v1/settings", json={
        "IFOOD_MERCHANT_ID": merchant, "IFOOD_CLIENT_ID": CLIENT_ID,
        "IFOOD_CLIENT_SECRET": secret})
    assert changed.status_code == 200, changed.text


def add_menu(api: Api) -> dict[str, dict]:
    category = api.post("/api/v1/categories", json={"name": "Lanches"}).json()
    products = {}
    for name, price, code in MENU:
        made = api.post("/api/v1/products", json={
            "name": name, "price": price, "category_id": category["category_id"],
            "metadata": {"external_code": code} if code else None})
        assert made.status_code == 201, made.text
        products[name] = made.json()
    return products


def poll(api: Api) -> list[dict]:
    answer = api.post("/api/v1/remote-orders/poll", "manager")
    assert answer.status_code == 200, answer.text
    return answer.json()["merchants"]


def remote_orders(api: Api) -> list[dict]:
    return api.get("/api/v1/orders?limit=100").json()["items"]
