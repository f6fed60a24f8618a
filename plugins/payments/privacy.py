"""LGPD for payments: the payer's name and e-mail a tender keeps (``metadata.customer``, given
when a provider charges a named customer) are exported with the customer's data and removed on
erasure. The tenders themselves (amounts, methods, statuses) stay: they are the store's books."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.schema.tables import orders, payments


def _of_customer(customer_id: uuid.UUID, store_id: str):
    order_ids = select(orders.c.order_id).where(orders.c.customer_id == customer_id,
                                                orders.c.store_id == store_id)
    return (select(payments.c.payment_id, payments.c.order_id, payments.c.payment_method,
                   payments.c.amount, payments.c.status, payments.c.created_at,
                   payments.c.metadata)
            .where(payments.c.order_id.in_(order_ids)).order_by(payments.c.created_at))


async def export_payments(conn: AsyncConnection, customer_id: uuid.UUID,
                          store_id: str) -> dict[str, Any]:
    rows = (await conn.execute(_of_customer(customer_id, store_id))).all()
    if not rows:
        return {}
    return {"payments": [
        {"payment_id": str(row.payment_id), "order_id": str(row.order_id),
         "method": row.payment_method, "amount": str(row.amount), "status": row.status,
         "created_at": row.created_at.isoformat(),
         "payer": (row.metadata or {}).get("customer")} for row in rows]}


async def erase_payers(conn: AsyncConnection, customer_id: uuid.UUID,
                       store_id: str) -> dict[str, int]:
    changed = 0
    for row in (await conn.execute(_of_customer(customer_id, store_id))).all():
        meta = dict(row.metadata or {})
        if meta.pop("customer", None) is None:
            continue
        await conn.execute(update(payments).where(payments.c.payment_id == row.payment_id)
                           .values(metadata=meta))
        changed += 1
    return {"payments": changed}
