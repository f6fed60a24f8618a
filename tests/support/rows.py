"""Rows written straight into a tenant, for tests of plugins that read what another plugin owns
(products of the catalog, orders of the orders plugin) without loading that plugin."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal

from sqlalchemy import insert, update

from posmodern.core.config import Settings
from posmodern.core.db import Database
from posmodern.core.events import Envelope, emit
from posmodern.schema.tables import order_items, orders, products
from posmodern.schema.types import utcnow


async def _in_tenant(settings: Settings, client_id: str, work):
    db = Database(settings.database_url)
    try:
        async with db.transaction(client_id) as conn:
            return await work(conn)
    finally:
        await db.dispose()


def add_product(settings: Settings, client_id: str, store_id: str, name: str,
                price: str) -> uuid.UUID:
    product_id = uuid.uuid4()

    async def work(conn):
        await conn.execute(insert(products).values(
            product_id=product_id, client_id=client_id, store_id=store_id, name=name,
            price=Decimal(price)))
    asyncio.run(_in_tenant(settings, client_id, work))
    return product_id


def add_order(settings: Settings, client_id: str, store_id: str,
              lines: list[tuple[uuid.UUID, str, str]], status: str = "PENDING") -> uuid.UUID:
    """An order of ``(product_id, quantity, unit_price)`` lines, totals computed."""
    order_id = uuid.uuid4()
    subtotal = sum((Decimal(q) * Decimal(p) for _, q, p in lines), Decimal("0")).quantize(
        Decimal("0.01"))

    async def work(conn):
        await conn.execute(insert(orders).values(
            order_id=order_id, client_id=client_id, store_id=store_id,
            order_number=uuid.uuid4().hex[:8], status=status, subtotal=subtotal, tax=0,
            discount=0, total=subtotal, payment_status="PENDING"))
        for product_id, quantity, price in lines:
            await conn.execute(insert(order_items).values(
                item_id=uuid.uuid4(), order_id=order_id, product_id=product_id,
                quantity=Decimal(quantity), unit_price=Decimal(price),
                subtotal=Decimal(quantity) * Decimal(price), status="PENDING"))
    asyncio.run(_in_tenant(settings, client_id, work))
    return order_id


def change_order(settings: Settings, client_id: str, order_id: uuid.UUID, event_type: str,
                 data: dict | None = None, **values) -> Envelope:
    """Change an order as the orders plugin does: the row and its event in one transaction."""
    async def work(conn):
        row = await conn.execute(update(orders).where(orders.c.order_id == order_id)
                                 .values(updated_at=utcnow(), **values)
                                 .returning(orders.c.store_id))
        store_id = row.scalar_one()
        return await emit(conn, event_type, client_id=client_id, store_id=store_id,
                          data={"order_id": order_id, **(data or {})})
    return asyncio.run(_in_tenant(settings, client_id, work))


def set_order_status(settings: Settings, client_id: str, order_id: uuid.UUID,
                     status: str, previous: str) -> Envelope:
    """Move an order as the orders plugin does (``order.status_updated``)."""
    return change_order(settings, client_id, order_id, "order.status_updated",
                        {"previous_status": previous, "new_status": status}, status=status)


def outbox_events(settings: Settings, client_id: str, prefix: str = "") -> list[dict]:
    """The events a tenant published (its outbox), oldest first, optionally by type prefix."""
    from sqlalchemy import select

    from posmodern.schema.tables import outbox

    async def work(conn):
        rows = await conn.execute(select(outbox.c.payload).where(
            outbox.c.event_type.startswith(prefix)).order_by(outbox.c.seq))
        return [row.payload for row in rows]
    return asyncio.run(_in_tenant(settings, client_id, work))


def count_rows(settings: Settings, client_id: str, table) -> int:
    from sqlalchemy import func, select

    async def work(conn):
        return await conn.scalar(select(func.count()).select_from(table))
    return asyncio.run(_in_tenant(settings, client_id, work))
