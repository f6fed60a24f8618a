"""The menu's categories: a category may sit under a parent category, never under itself."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.core.errors import ValidationFailed
from posmodern.core.records import missing_ids
from posmodern.plugins.catalog.resource import MenuResource
from posmodern.schema.tables import categories


async def check_category(conn: AsyncConnection, store_id: str, category_id: uuid.UUID | None,
                         field: str) -> None:
    """A 422 ``unknown_category`` unless ``category_id`` is None or a category of the store."""
    if category_id is not None and await missing_ids(conn, categories, store_id, {category_id}):
        raise ValidationFailed(f"no category {category_id} in this store", code="unknown_category",
                               details=[{"loc": [field], "msg": "unknown category",
                                         "type": "unknown_category"}])


async def _check_no_cycle(conn: AsyncConnection, store_id: str, category_id: uuid.UUID,
                          parent_id: uuid.UUID) -> None:
    parents = dict((await conn.execute(
        select(categories.c.category_id, categories.c.parent_id)
        .where(categories.c.store_id == store_id))).all())
    seen, current = set(), parent_id
    while current is not None and current not in seen:
        if current == category_id:
            raise ValidationFailed("a category cannot sit under itself or its own subcategory",
                                   code="category_cycle", details={"parent_id": str(parent_id)})
        seen.add(current)
        current = parents.get(current)


async def _check_parent(conn: AsyncConnection, store_id: str, category_id: uuid.UUID | None,
                        values: dict) -> None:
    parent_id = values.get("parent_id")
    if parent_id is None:
        return
    await check_category(conn, store_id, parent_id, "parent_id")
    if category_id is not None:
        await _check_no_cycle(conn, store_id, category_id, parent_id)


CATEGORIES = MenuResource(categories, "category", ("parent_id", "active"), _check_parent)
