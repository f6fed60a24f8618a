"""Opening stock for a store's products (the demo tenant's shelves)."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.core.money import ZERO_QUANTITY
from posmodern.plugins.stock.movements import Movement, MovementType, move
from posmodern.schema.tables import products, stock_items
from posmodern.schema.types import utcnow


async def stock_every_product(conn: AsyncConnection, client_id: str, store_id: str, *,
                              quantity: Decimal = Decimal("50"),
                              minimum: Decimal = Decimal("10")) -> int:
    """Give each active product of the store without a stock item one, with an opening balance.

    Idempotent: products that have an item are left alone. Returns how many items were made.
    """
    tracked = select(stock_items.c.product_id).where(stock_items.c.store_id == store_id)
    missing = (await conn.execute(
        select(products.c.product_id).where(products.c.store_id == store_id,
                                            products.c.active.is_(True),
                                            products.c.product_id.not_in(tracked))
        .order_by(products.c.product_id))).scalars().all()
    for product_id in missing:
        now = utcnow()
        row = {"stock_item_id": uuid.uuid4(), "client_id": client_id, "store_id": store_id,
               "product_id": product_id, "quantity": ZERO_QUANTITY, "min_quantity": minimum,
               "max_quantity": None, "created_at": now, "updated_at": now}
        await conn.execute(insert(stock_items).values(**row))
        item = (await conn.execute(select(stock_items).where(
            stock_items.c.stock_item_id == row["stock_item_id"]))).one()
        await move(conn, item, Movement(MovementType.IN, quantity, reason="opening_balance"),
                   client_id=client_id)
    return len(missing)
