"""The till's menu in one answer: the store's active categories and products (declared reads of
the catalog's tables), so the POS draws its grid after one request instead of a page per 100.

Each product comes with its active modifier groups (their active options only: what the till may
sell), in the order they are asked; the orders plugin checks and prices the choice again."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from posmodern.core.api import RequestContext
from posmodern.schema.tables import categories, modifier_groups, product_modifier_groups, products

#: What the till needs of a product: the barcode and the unit (``kg``: weighed) are in metadata.
PRODUCT_COLUMNS = (products.c.product_id, products.c.name, products.c.price,
                   products.c.category_id, products.c.metadata)


def _group(row) -> dict:
    return {"modifier_group_id": row.modifier_group_id, "name": row.name,
            "min_choices": row.min_choices, "max_choices": row.max_choices,
            "options": [option for option in row.options or [] if option.get("active", True)]}


async def till_menu(ctx: RequestContext) -> dict:
    async with ctx.transaction() as conn:
        found_categories = (await conn.execute(
            select(categories.c.category_id, categories.c.name, categories.c.parent_id)
            .where(categories.c.store_id == ctx.store_id, categories.c.active.is_(True))
            .order_by(categories.c.name))).all()
        found_products = (await conn.execute(
            select(*PRODUCT_COLUMNS)
            .where(products.c.store_id == ctx.store_id, products.c.active.is_(True))
            .order_by(products.c.name, products.c.product_id))).all()
        attached = (await conn.execute(
            select(product_modifier_groups.c.product_id, modifier_groups)
            .join(modifier_groups, modifier_groups.c.modifier_group_id
                  == product_modifier_groups.c.modifier_group_id)
            .where(modifier_groups.c.store_id == ctx.store_id,
                   modifier_groups.c.active.is_(True))
            .order_by(product_modifier_groups.c.product_id,
                      product_modifier_groups.c.position))).all()
    groups = defaultdict(list)
    for row in attached:
        groups[row.product_id].append(_group(row))
    return {"categories": [dict(row._mapping) for row in found_categories],
            "products": [dict(row._mapping, modifier_groups=groups.get(row.product_id, []))
                         for row in found_products]}
