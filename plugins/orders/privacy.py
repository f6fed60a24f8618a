"""LGPD for the orders: a customer's orders exported; on erasure the orders stay (tax law keeps
them five years) while their free-text notes and the personal parts of their metadata (delivery
address, contact) go."""

from __future__ import annotations

from sqlalchemy import select, update

from posmodern.core.records import as_dict
from posmodern.schema.tables import order_items, orders

#: Metadata keys that can carry who a customer is (delivery apps send these).
PERSONAL_KEYS = ("customer", "customer_name", "name", "phone", "email", "document", "cpf",
                 "address", "delivery", "delivery_address", "contact")


async def export_orders(conn, customer_id, store_id) -> dict:
    rows = (await conn.execute(select(orders).where(orders.c.customer_id == customer_id,
                                                    orders.c.store_id == store_id)
                               .order_by(orders.c.created_at))).all()
    if not rows:
        return {}
    items: dict = {}
    for item in await conn.execute(select(order_items).where(
            order_items.c.order_id.in_([row.order_id for row in rows]))):
        items.setdefault(item.order_id, []).append(as_dict(item))
    return {"orders": [{**as_dict(row), "items": items.get(row.order_id, [])} for row in rows]}


async def erase_orders(conn, customer_id, store_id) -> dict:
    rows = (await conn.execute(select(orders.c.order_id, orders.c.notes, orders.c.metadata)
                               .where(orders.c.customer_id == customer_id,
                                      orders.c.store_id == store_id)
                               .with_for_update())).all()
    changed = 0
    for row in rows:
        meta = row.metadata if isinstance(row.metadata, dict) else None
        kept = {k: v for k, v in meta.items() if k not in PERSONAL_KEYS} if meta else meta
        if row.notes is None and kept == meta:
            continue
        await conn.execute(update(orders).where(orders.c.order_id == row.order_id)
                           .values(notes=None, metadata=kept))
        changed += 1
    return {"orders": changed}
