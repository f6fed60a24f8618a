"""Modifier groups made through the API: the burger's "Ponto da carne" (choose exactly 1) and
"Adicionais" (0 to 3, priced)."""

from __future__ import annotations

from typing import Any

DONENESS = {"name": "Ponto da carne", "min_choices": 1, "max_choices": 1, "options": [
    {"name": "Mal passada"}, {"name": "Ao ponto"}, {"name": "Bem passada"}]}
EXTRAS = {"name": "Adicionais", "min_choices": 0, "max_choices": 3, "options": [
    {"name": "Bacon", "price": "4.00"}, {"name": "Cheddar", "price": "3.00"},
    {"name": "Ovo", "price": "2.50"}, {"name": "Picles", "price": "1.00", "active": False}]}


def add_burger_options(api, menu: dict[str, dict], product: str = "X-Burger",
                       role: str = "admin") -> dict[str, Any]:
    """Both groups attached to ``product``; returns ``{"groups": {name: group}, "options":
    {option name: option_id}, "product": the product as read back}``."""
    groups = {}
    for body in (DONENESS, EXTRAS):
        made = api.post("/api/v1/modifier-groups", role, json=body)
        assert made.status_code == 201, made.text
        groups[body["name"]] = made.json()
    product_id = menu[product]["product_id"]
    changed = api.patch(f"/api/v1/products/{product_id}", role, json={
        "modifier_group_ids": [g["modifier_group_id"] for g in groups.values()]})
    assert changed.status_code == 200, changed.text
    options = {option["name"]: option["option_id"]
               for group in groups.values() for option in group["options"]}
    return {"groups": groups, "options": options, "product": changed.json()}


def chosen(options: dict[str, str], *names: str) -> list[dict[str, str]]:
    """The ``modifiers`` of an order item choosing ``names``."""
    return [{"option_id": options[name]} for name in names]
