"""The till's menu in one answer: the store's active categories and products (declared reads of
the catalog's tables), so the POS draws its grid after one request instead of a page per 100."""

from __future__ import annotations

from sqlalchemy import select

from posmodern.core.api import RequestContext
from posmodern.schema.tables import categories, products

#: What the till needs of a product: the barcode and the unit (``kg``: weighed) are in metadata.
PRODUCT_COLUMNS = (products.c.product_id, products.c.name, products.c.price,
                   products.c.category_id, products.c.metadata)


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
    return {"categories": [dict(row._mapping) for row in found_categories],
            "products": [dict(row._mapping) for row in found_products]}
