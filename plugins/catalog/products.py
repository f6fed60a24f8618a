"""Endpoints for the menu's products: what is sold, and at what price."""

from __future__ import annotations

import uuid


from posmodern.core.api import Reply, RequestContext
from posmodern.core.records import as_dict, fetch_one, insert_one, list_by_name, update_one
from posmodern.plugins.catalog.categories import check_category
from posmodern.plugins.catalog.models import ProductCreate, ProductQuery, ProductUpdate
from posmodern.schema.tables import products


async def list_products(ctx: RequestContext) -> dict:
    query: ProductQuery = ctx.query
    async with ctx.transaction() as conn:
        return await list_by_name(conn, products, ctx.store_id, limit=query.limit,
                                  cursor=query.cursor, search=query.q,
                                  equal={"category_id": query.category_id, "active": query.active})


async def create_product(ctx: RequestContext) -> Reply:
    body: ProductCreate = ctx.body
    values = dict(body.model_dump(), product_id=uuid.uuid4(), client_id=ctx.client_id,
                  store_id=ctx.store_id)
    async with ctx.transaction() as conn:
        await check_category(conn, ctx.store_id, body.category_id, "category_id")
        row = await insert_one(conn, products, values)
    return Reply(as_dict(row), 201)


async def get_product(ctx: RequestContext) -> dict:
    async with ctx.transaction() as conn:
        row = await fetch_one(conn, products, ctx.store_id, ctx.path["product_id"],
                              what="product")
    return as_dict(row)


async def _change(ctx: RequestContext, changes: dict) -> dict:
    async with ctx.transaction() as conn:
        await check_category(conn, ctx.store_id, changes.get("category_id"), "category_id")
        row = await update_one(conn, products, ctx.store_id, ctx.path["product_id"], changes,
                               what="product")
    return as_dict(row)


async def update_product(ctx: RequestContext) -> dict:
    body: ProductUpdate = ctx.body
    return await _change(ctx, body.changes())


async def deactivate_product(ctx: RequestContext) -> dict:
    """Soft delete: past orders keep their lines; the product can no longer be ordered."""
    return await _change(ctx, {"active": False})
