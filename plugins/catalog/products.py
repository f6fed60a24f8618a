"""The menu's products: what is sold, and at what price."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.plugins.catalog.categories import check_category
from posmodern.plugins.catalog.modifiers import PRODUCT_GROUPS
from posmodern.plugins.catalog.resource import MenuResource
from posmodern.schema.tables import products


async def _check_category(conn: AsyncConnection, store_id: str, product_id: uuid.UUID | None,
                          values: dict) -> None:
    await check_category(conn, store_id, values.get("category_id"), "category_id")


PRODUCTS = MenuResource(products, "product", ("category_id", "active"), _check_category,
                        private=("cost",),
                        private_to=frozenset({"admin", "manager", "cashier", "integration"}),
                        related=PRODUCT_GROUPS)
