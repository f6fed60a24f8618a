"""Pricing an order: lines from the catalog in one query, totals in ``Decimal``, the order hooks.

Unit prices always come from the catalog, never from the client. Taxes and fees come from
``pos_order_adjustments`` (a tax plugin adds them); validation from ``pos_order_validate``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.core.api import Principal
from posmodern.core.asyncio_hooks import call_hook, collect
from posmodern.core.config import Settings
from posmodern.core.errors import Forbidden, ValidationFailed
from posmodern.core.money import MAX_MONEY, ZERO, cents, quantity
from posmodern.core.orders import Adjustment, ItemRequest, OrderDraft, OrderLine
from posmodern.core.plugin_settings import SettingSpec
from posmodern.core.store_settings import store_value
from posmodern.core.writes import fetch, one_of
from posmodern.plugins.orders import modifiers
from posmodern.schema.tables import products

#: Roles that may give any discount; a cashier may give up to a share of the subtotal.
DISCOUNT_ROLES = frozenset({"admin", "manager"})
CASHIER_MAX_DISCOUNT = SettingSpec(
    "POS_CASHIER_MAX_DISCOUNT_PERCENT", Decimal, Decimal(10), "the largest discount a cashier may "
    "give, in % of the subtotal (managers and admins: any)", scope="store", min=Decimal(0),
    max=Decimal(100))
SETTINGS = [CASHIER_MAX_DISCOUNT]


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal
    tax: Decimal
    fees: Decimal
    discount: Decimal
    total: Decimal
    adjustments: list[dict]


_PRICE_COLUMNS = (products.c.product_id, products.c.name, products.c.price,
                  products.c.category_id, products.c.active)
_CATALOG_PRICES = {
    dialect: select(*_PRICE_COLUMNS).where(ids, products.c.store_id == bindparam("store_id"))
    for dialect, ids in one_of(products.c.product_id, "product_ids").items()}


def _problem(index: int, product_id: uuid.UUID, kind: str, message: str) -> dict:
    return {"loc": ["items", index, "product_id"], "msg": message, "type": kind,
            "product_id": str(product_id)}


async def price_lines(conn: AsyncConnection, store_id: str, items: Sequence[ItemRequest], *,
                      first_index: int = 0) -> list[OrderLine]:
    """Lines priced from the store's catalog: one query for all products, one for their
    modifier groups.

    Unknown products (including other tenants' or stores' ids) and inactive ones are a 422 that
    points at each offending item, as are options the product's groups do not allow
    (:mod:`posmodern.plugins.orders.modifiers`). An item's unit price is its product's price
    plus its options' prices.
    """
    wanted = list({item.product_id for item in items})
    found = {row.product_id: row for row in await fetch(
        conn, _CATALOG_PRICES[conn.dialect.name], {"product_ids": wanted, "store_id": store_id})}
    groups = await modifiers.groups_of(conn, store_id, wanted)
    problems, chosen = [], []
    for index, item in enumerate(items, start=first_index):
        product = found.get(item.product_id)
        options: list[dict] = []
        if product is None:
            problems.append(_problem(index, item.product_id, "unknown_product",
                                     "no such product in this store"))
        elif not product.active:
            problems.append(_problem(index, item.product_id, "inactive_product",
                                     f"{product.name} is not on sale"))
        else:
            options, wrong = modifiers.choose(index, product.name,
                                              groups.get(product.product_id, []),
                                              item.modifiers, counted=not item.chosen_elsewhere)
            problems += [dict(problem, product_id=str(item.product_id)) for problem in wrong]
            if product.price + modifiers.price_of(options) > MAX_MONEY:
                problems.append(_problem(index, item.product_id, "price_too_large",
                                         f"an item's price cannot exceed {MAX_MONEY}"))
        chosen.append(options)
    if problems:
        kinds = {p["type"] for p in problems}
        code = kinds.pop() if len(kinds) == 1 else "invalid_products"
        raise ValidationFailed("some items cannot be ordered", code=code, details=problems)
    lines = []
    for item, options in zip(items, chosen):
        product = found[item.product_id]
        amount = quantity(item.quantity)
        unit_price = product.price + modifiers.price_of(options)
        lines.append(OrderLine(product_id=item.product_id, name=product.name, quantity=amount,
                               unit_price=unit_price, subtotal=cents(amount * unit_price),
                               category_id=product.category_id, notes=item.notes,
                               customizations=item.customizations, modifiers=options or None))
    return lines


def subtotal_of(lines: Sequence[OrderLine]) -> Decimal:
    return sum((line.subtotal for line in lines), ZERO)


async def check_discount(conn: AsyncConnection, principal: Principal, settings: Settings,
                         discount: Decimal, subtotal: Decimal) -> None:
    """Managers and admins give any discount; cashiers a bounded share (the store's
    POS_CASHIER_MAX_DISCOUNT_PERCENT); other roles none."""
    if discount == 0 or principal.has_any(DISCOUNT_ROLES):
        return
    if "cashier" in principal.roles:
        percent = await store_value(conn, settings, principal.store_id, CASHIER_MAX_DISCOUNT)
        limit = cents(subtotal * percent / 100)
        if discount <= limit:
            return
        raise Forbidden(f"a cashier may give up to {percent}% ({limit}); ask a manager",
                        code="discount_not_allowed",
                        details={"limit": str(limit), "discount": str(discount)})
    raise Forbidden("only a cashier, manager or admin may give a discount",
                    code="discount_not_allowed", details={"discount": str(discount)})


async def price_order(conn: AsyncConnection, pm, settings: Settings,
                      draft: OrderDraft) -> Totals:
    """Validate ``draft`` through the hooks and total it with its taxes, fees and discount."""
    await call_hook(pm.hook.pos_order_validate, conn=conn, draft=draft, settings=settings)
    adjustments: list[Adjustment] = [*draft.fees, *await collect(
        pm.hook.pos_order_adjustments, conn=conn, draft=draft, settings=settings)]
    for adjustment in adjustments:
        if not isinstance(adjustment, Adjustment):
            raise TypeError(f"pos_order_adjustments returned {adjustment!r}, not an Adjustment")
    tax = cents(sum((a.amount for a in adjustments if a.kind == "tax"), ZERO))
    fees = cents(sum((a.amount for a in adjustments if a.kind == "fee"), ZERO))
    gross = draft.subtotal + tax + fees
    if draft.discount > gross:
        raise ValidationFailed(f"the discount {draft.discount} is more than the order ({gross})",
                               code="discount_too_large",
                               details={"discount": str(draft.discount), "order": str(gross)})
    if gross > MAX_MONEY:
        raise ValidationFailed(f"an order cannot exceed {MAX_MONEY}", code="order_too_large",
                               details={"order": str(gross), "limit": str(MAX_MONEY)})
    return Totals(subtotal=draft.subtotal, tax=tax, fees=fees, discount=draft.discount,
                  total=gross - draft.discount,
                  adjustments=[{"name": a.name, "kind": a.kind, "amount": str(cents(a.amount))}
                               for a in adjustments])
