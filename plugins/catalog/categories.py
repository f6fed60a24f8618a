"""Endpoints for the menu's categories (a category may sit under a parent category)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.core.api import Reply, RequestContext
from posmodern.core.errors import ValidationFailed
from posmodern.core.records import (as_dict, fetch_one, insert_one, missing_ids, list_by_name,
                                    update_one)
from posmodern.plugins.catalog.models import CategoryCreate, CategoryQuery, CategoryUpdate
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


async def list_categories(ctx: RequestContext) -> dict:
    query: CategoryQuery = ctx.query
    async with ctx.transaction() as conn:
        return await list_by_name(conn, categories, ctx.store_id, limit=query.limit,
                                  cursor=query.cursor, search=query.q,
                                  equal={"parent_id": query.parent_id, "active": query.active})


async def create_category(ctx: RequestContext) -> Reply:
    body: CategoryCreate = ctx.body
    values = dict(body.model_dump(), category_id=uuid.uuid4(), client_id=ctx.client_id,
                  store_id=ctx.store_id)
    async with ctx.transaction() as conn:
        await check_category(conn, ctx.store_id, body.parent_id, "parent_id")
        row = await insert_one(conn, categories, values)
    return Reply(as_dict(row), 201)


async def get_category(ctx: RequestContext) -> dict:
    async with ctx.transaction() as conn:
        row = await fetch_one(conn, categories, ctx.store_id, ctx.path["category_id"],
                              what="category")
    return as_dict(row)


async def _change(ctx: RequestContext, changes: dict) -> dict:
    category_id = ctx.path["category_id"]
    async with ctx.transaction() as conn:
        if changes.get("parent_id") is not None:
            await check_category(conn, ctx.store_id, changes["parent_id"], "parent_id")
            await _check_no_cycle(conn, ctx.store_id, category_id, changes["parent_id"])
        row = await update_one(conn, categories, ctx.store_id, category_id, changes,
                               what="category")
    return as_dict(row)


async def update_category(ctx: RequestContext) -> dict:
    body: CategoryUpdate = ctx.body
    return await _change(ctx, body.changes())


async def deactivate_category(ctx: RequestContext) -> dict:
    """Soft delete: the category stays (products keep pointing at it) but is inactive."""
    return await _change(ctx, {"active": False})
