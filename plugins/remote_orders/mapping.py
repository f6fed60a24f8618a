"""A marketplace order as one of ours: its items by the external code on our products, its
fees, discount, customer and delivery address.

A product is found by ``metadata.external_code`` (set it to the code the store gave the item in
the marketplace's menu, ``externalCode`` at iFood and Open Delivery). An item with no code, or a
code no product of the store carries, refuses the whole order: nothing is written, and the
marketplace is told (the order is cancelled there with an "item unavailable" reason).

An item's options (complements) are found among the active options of its product's active
modifier groups by their ``external_code``, and become the item's ``modifiers``, priced from our
menu as the product is. Our model takes an option once: one chosen more than once (quantity 2 of
"Bacon") is taken once and its quantity written in the item's notes for the kitchen ("2x
Bacon"). An option we cannot match is written in the notes by its name, never refused, and the
groups' min and max choices are not enforced (``chosen_elsewhere``): the customer has already
ordered, so the order is cooked from the marketplace's words rather than lost. What the
marketplace charged for those (an unmatched option, the repeats of one) our menu cannot price:
it is added as a fee at the marketplace's price, so the order's total is still what the
customer paid.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.core.errors import ValidationFailed
from posmodern.core.marketplaces import MalformedOrder, MarketItem, MarketOrder
from posmodern.core.money import ZERO, cents
from posmodern.core.orders import Adjustment, ItemRequest, OrderRequest
from posmodern.schema.tables import modifier_groups, product_modifier_groups, products

#: The longest notes of an order item (the orders API's limit).
MAX_ITEM_NOTES = 500
#: The fee that carries what the customer paid the marketplace for options our menu cannot
#: price (no option with their code, or chosen more than once), so our total is what was paid.
UNPRICED_OPTIONS = "Complementos sem código"

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


async def options_by_code(conn: AsyncConnection, store_id: str, product_ids: set[uuid.UUID]
                          ) -> dict[uuid.UUID, dict[str, dict[str, Any]]]:
    """For each product, the active options of its active modifier groups that carry an
    external code, by code (the first in the order the groups are asked, should two share one).
    """
    found: dict[uuid.UUID, dict[str, dict[str, Any]]] = defaultdict(dict)
    if not product_ids:
        return found
    rows = await conn.execute(
        select(product_modifier_groups.c.product_id, modifier_groups.c.options)
        .join(modifier_groups, modifier_groups.c.modifier_group_id
              == product_modifier_groups.c.modifier_group_id)
        .where(product_modifier_groups.c.product_id.in_(product_ids),
               modifier_groups.c.store_id == store_id, modifier_groups.c.active.is_(True))
        .order_by(product_modifier_groups.c.product_id, product_modifier_groups.c.position))
    for row in rows:
        for option in row.options or []:
            code = option.get("external_code")
            if code and option.get("active", True):
                found[row.product_id].setdefault(str(code), option)
    return found


def _times(quantity: Decimal, name: str) -> str:
    return f"{quantity.normalize():f}x {name}" if quantity != 1 else name


def item_request(product_id: uuid.UUID, item: MarketItem,
                 offered: dict[str, dict[str, Any]]) -> tuple[ItemRequest, Decimal]:
    """Our line for ``item``: its options matched by code become modifiers; the rest (and the
    quantities our model cannot hold) go to its notes for the kitchen. Also what the
    marketplace charged for what the line cannot price (unmatched options, an option's
    repeats), at the marketplace's prices."""
    chosen: list[uuid.UUID] = []
    for_kitchen: list[str] = []
    unpriced = ZERO
    for option in item.options:
        ours = offered.get(option.external_code) if option.external_code else None
        if ours is not None and uuid.UUID(ours["option_id"]) not in chosen:
            chosen.append(uuid.UUID(ours["option_id"]))
            if option.quantity != 1:
                for_kitchen.append(_times(option.quantity, ours["name"]))
                unpriced += max(option.quantity - 1, ZERO) * option.unit_price
        else:
            for_kitchen.append(_times(option.quantity, option.name))
            unpriced += option.quantity * option.unit_price
    notes = " | ".join(part for part in (", ".join(for_kitchen), item.notes) if part)
    return (ItemRequest(product_id, item.quantity, notes[:MAX_ITEM_NOTES] or None,
                        modifiers=tuple(chosen), chosen_elsewhere=True),
            unpriced * item.quantity)


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
    options = await options_by_code(
        conn, store_id, {codes[item.external_code] for item in order.items if item.options})
    lines = [item_request(codes[item.external_code], item,
                          options.get(codes[item.external_code], {}))
             for item in order.items]
    items = [line for line, _ in lines]
    unpriced = cents(sum((amount for _, amount in lines), ZERO))
    fees = tuple(Adjustment(name, "fee", amount) for name, amount in (
        *order.fees, (f"{UNPRICED_OPTIONS} ({channel})", unpriced)) if amount > ZERO)
    notes = " | ".join(part for part in (
        f"{channel} #{order.display_id}",
        f"agendado {order.scheduled_for.isoformat()}" if order.scheduled_for else None,
        order.notes) if part)
    return OrderRequest(client_id=client_id, store_id=store_id, source=SOURCE, items=items,
                        discount=max(order.discount, Decimal("0.00")), notes=notes[:500],
                        external_id=order.external_id, fees=fees,
                        delivery=delivery_of(order, channel))
