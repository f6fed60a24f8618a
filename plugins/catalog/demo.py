"""A small Brazilian menu for the demo tenant."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.core.db import insert_ignore
from posmodern.schema.tables import (categories, modifier_groups, product_modifier_groups,
                                     products)
from posmodern.schema.types import utcnow

_NAMESPACE = uuid.UUID("6f1c2d4e-8a51-4c1b-9a57-0c3f7d0f4b21")

MENU: dict[str, list[tuple[str, str, str]]] = {
    "Salgados": [("Pão de queijo (porção)", "12.00", "4.10"), ("Coxinha", "8.50", "2.60"),
                 ("Pastel de carne", "9.00", "2.90")],
    "Pratos": [("Feijoada completa", "49.90", "18.00"), ("PF de frango grelhado", "32.00", "11.50"),
               ("Moqueca de peixe", "69.00", "27.00")],
    "Lanches": [("X-Burger", "26.90", "9.80"), ("Misto quente", "14.00", "4.20")],
    "Bebidas": [("Guaraná lata", "6.50", "2.40"), ("Suco de laranja", "9.00", "2.70"),
                ("Caipirinha", "22.00", "6.00"), ("Café expresso", "5.50", "0.90")],
    "Sobremesas": [("Pudim de leite", "12.00", "3.50"), ("Brigadeiro", "4.00", "1.00")],
}


#: Modifier groups: (name, min, max, options as (name, price), the products that ask them).
#: Optional only, so every demo product can still be ordered with nothing chosen (the kiosk).
GROUPS: list[tuple[str, int, int, list[tuple[str, str]], list[str]]] = [
    ("Adicionais do lanche", 0, 3, [("Bacon", "4.00"), ("Cheddar", "3.00"), ("Ovo", "2.50")],
     ["X-Burger", "Misto quente"]),
]


def _id(client_id: str, store_id: str, name: str) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, f"{client_id}/{store_id}/{name}")


async def add_menu(conn: AsyncConnection, client_id: str, store_id: str) -> None:
    """Add the demo menu's rows that are missing (fixed ids make it safe to run again)."""
    now = utcnow()
    tenant = dict(client_id=client_id, store_id=store_id, created_at=now, updated_at=now)
    for category, items in MENU.items():
        category_id = _id(client_id, store_id, "category:" + category)
        await insert_ignore(conn, categories, category_id=category_id, name=category, **tenant)
        for name, price, cost in items:
            await insert_ignore(conn, products, product_id=_id(client_id, store_id, name),
                                name=name, price=Decimal(price), cost=Decimal(cost),
                                category_id=category_id, **tenant)
    for group, low, high, options, asked_by in GROUPS:
        group_id = _id(client_id, store_id, "modifier_group:" + group)
        await insert_ignore(conn, modifier_groups, modifier_group_id=group_id, name=group,
                            min_choices=low, max_choices=high, options=[
                                {"option_id": str(_id(client_id, store_id, f"{group}:{option}")),
                                 "name": option, "price": price, "active": True}
                                for option, price in options], **tenant)
        for position, product in enumerate(asked_by):
            await insert_ignore(conn, product_modifier_groups, modifier_group_id=group_id,
                                product_id=_id(client_id, store_id, product), position=position)
