"""A marketplace order as one of ours: its items by the external code on our products, its
fees, discount, customer and delivery address.

A product is found by ``metadata.external_code`` (set it to the code the store gave the item in
the marketplace's menu, ``externalCode`` at iFood and Open Delivery). An item with no code, or a
code no product of the store carries, refuses the whole order: nothing is written, and the
marketplace is told (the order is cancelled there with an "item unavailable" reason).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.core.errors import ValidationFailed
from posmodern.core.marketplaces import MalformedOrder, MarketOrder
from posmodern.core.money import ZERO
from posmodern.core.orders import Adjustment, ItemRequest, OrderRequest
from posmodern.schema.tables import products

SOURCE = "remote"


class UnknownProducts(ValidationFailed):
    """Items whose external code names no product of the store."""

    code = "unknown_products"


async def products_by_code(conn: AsyncConnection, store_id: str) -> dict[str, Any]:
    """The store's products that carry an external code, by code."""
    rows = await conn.execute(select(products.c.product_id, products.c.metadata).where(
        products.c.store_id == store_id, products.c.metadata.is_not(None)))
    found = {}
    for row in rows:
        code = (row.metadata or {}).get("external_code") if isinstance(row.metadata, dict) else None
        if code not in (None, ""):
            found[str(code)] = row.product_id
    return found


def check_order(order: MarketOrder) -> None:
    """What any marketplace order needs before it is mapped."""
    if not order.items:
        raise MalformedOrder("the marketplace order has no items", details={
            "external_id": order.external_id})
    for index, item in enumerate(order.items):
        if item.quantity <= 0:
            raise MalformedOrder("an item's quantity is not positive", details={
                "external_id": order.external_id, "item": index, "name": item.name})


def delivery_of(order: MarketOrder, channel: str) -> dict[str, Any]:
    """The order's ``delivery`` as our order shows it."""
    return {"channel": channel, "display_id": order.display_id, "type": order.order_type,
            "customer": order.customer, "address": order.address,
            "scheduled_for": order.scheduled_for.isoformat() if order.scheduled_for else None,
            "marketplace_total": str(order.total), "prepaid": str(order.prepaid)}


async def order_request(conn: AsyncConnection, client_id: str, store_id: str, channel: str,
                        order: MarketOrder) -> OrderRequest:
    """Our order for ``order``; :class:`UnknownProducts` names every item we cannot map."""
    check_order(order)
    codes = await products_by_code(conn, store_id)
    unknown = [{"item": index, "name": item.name, "external_code": item.external_code}
               for index, item in enumerate(order.items)
               if item.external_code is None or item.external_code not in codes]
    if unknown:
        raise UnknownProducts("items of the marketplace order are not on our menu",
                              details=unknown)
    items = [ItemRequest(codes[item.external_code], item.quantity, item.notes)
             for item in order.items]
    fees = tuple(Adjustment(name, "fee", amount) for name, amount in order.fees if amount > ZERO)
    notes = " | ".join(part for part in (
        f"{channel} #{order.display_id}",
        f"agendado {order.scheduled_for.isoformat()}" if order.scheduled_for else None,
        order.notes) if part)
    return OrderRequest(client_id=client_id, store_id=store_id, source=SOURCE, items=items,
                        discount=max(order.discount, Decimal("0.00")), notes=notes[:500],
                        external_id=order.external_id, fees=fees,
                        delivery=delivery_of(order, channel))
