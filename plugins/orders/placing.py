"""Placing an order and adding a round to it: the one path for the API and for other plugins.

A request to ``POST /api/v1/orders`` and a kiosk, a waiter's tab or a marketplace asking through
``pos_order_place`` (core/order_desk.py) go through :func:`place`; both kinds of rounds through
:func:`add_round`. The API adds what depends on who asks (the role's discount limit, the audit
entry); a plugin answers for what it asks.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.core.api import Principal
from posmodern.core.counters import NextNumber, take_number
from posmodern.core.errors import ValidationFailed
from posmodern.core.events import emit
from posmodern.core.ids import new_uuid
from posmodern.core.jsonable import Encoded, encode
from posmodern.core.orders import (Adjustment, ItemRequest, OrderDraft, OrderLine, OrderRequest,
                                   OrderStatus, PaymentStatus)
from posmodern.core.records import fetch_one, missing_ids
from posmodern.core.runtime import Runtime
from posmodern.plugins.orders import lifecycle, storage
from posmodern.plugins.orders.kitchen import move_order
from posmodern.plugins.orders.models import MAX_ITEMS, MAX_QUANTITY
from posmodern.plugins.orders.pricing import (check_discount, price_lines, price_order,
                                              subtotal_of)
from posmodern.schema.tables import customers, layouts, orders, tables
from posmodern.schema.types import utcnow


def _reference_problem(field: str, kind: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, code=kind,
                            details=[{"loc": [field], "msg": message, "type": kind}])


def check_fees(fees: Sequence[Adjustment]) -> None:
    """A plugin's fees are ``fee`` adjustments of 0 or more."""
    for index, fee in enumerate(fees):
        if not isinstance(fee, Adjustment) or fee.kind != "fee" or fee.amount < 0:
            raise _reference_problem(f"fees.{index}", "bad_fee",
                                     "a fee is an Adjustment of kind fee, 0 or more")


def check_items(items: Sequence[ItemRequest], *, already: int = 0) -> None:
    """What the API's body model checks, for a plugin's request: 1 to MAX_ITEMS lines in all,
    each quantity more than 0 and at most MAX_QUANTITY."""
    if not items:
        raise ValidationFailed("an order needs at least one item", code="no_items")
    if already + len(items) > MAX_ITEMS:
        raise ValidationFailed(f"an order holds at most {MAX_ITEMS} items",
                               code="too_many_items",
                               details={"items": already, "adding": len(items)})
    for index, item in enumerate(items):
        if not 0 < item.quantity <= MAX_QUANTITY:
            raise _reference_problem(f"items.{index}.quantity", "bad_quantity",
                                     f"a quantity is more than 0 and at most {MAX_QUANTITY}")


async def _check_references(conn: AsyncConnection, request: OrderRequest) -> None:
    """The customer and table an order names must be the store's (422 otherwise)."""
    store_id = request.store_id
    if request.customer_id and await missing_ids(conn, customers, store_id,
                                                 {request.customer_id}):
        raise _reference_problem("customer_id", "unknown_customer",
                                 f"no customer {request.customer_id} in this store")
    if request.table_id:
        await check_table(conn, store_id, request.table_id)


async def check_table(conn: AsyncConnection, store_id: str, table_id: uuid.UUID) -> None:
    """A table of the store (422 ``unknown_table`` otherwise)."""
    # Tables belong to a store through their layout; the waiter plugin owns them.
    found = await conn.scalar(
        select(tables.c.table_id).join(layouts, layouts.c.layout_id == tables.c.layout_id)
        .where(tables.c.table_id == table_id, layouts.c.store_id == store_id))
    if found is None:
        raise _reference_problem("table_id", "unknown_table",
                                 f"no table {table_id} in this store")


def _operator(principal: Principal | None) -> dict[str, Any] | None:
    """Who took the order (the back office's sales by operator): the API's caller."""
    if principal is None:
        return None
    return {"operator": {"user_id": principal.user_id, "username": principal.username}}


async def place(conn: AsyncConnection, runtime: Runtime, request: OrderRequest, *,
                principal: Principal | None = None) -> tuple[dict[str, Any], Encoded]:
    """Price, validate, number and write ``request`` and publish ``order.created``; returns the
    order as the API shows it, and as JSON (encoded once, for the event and the answer).
    ``principal``: the API's caller, whose role bounds the discount."""
    check_items(request.items)
    check_fees(request.fees)
    order_id = new_uuid()
    lines = await price_lines(conn, request.store_id, request.items)
    await _check_references(conn, request)
    draft = OrderDraft(client_id=request.client_id, store_id=request.store_id,
                       source=request.source, lines=lines, subtotal=subtotal_of(lines),
                       discount=request.discount, customer_id=request.customer_id,
                       table_id=request.table_id, order_id=order_id,
                       fees=list(request.fees), metadata={"delivery": request.delivery})
    if principal is not None:
        await check_discount(conn, principal, runtime.settings, request.discount, draft.subtotal)
    totals = await price_order(conn, runtime.pm, runtime.settings, draft)
    # Taken last, once the order is known to be valid, so refused orders use no number.
    number = await take_number(runtime.db, request.client_id, conn, request.store_id, "order")
    now = utcnow()
    order = dict(order_id=order_id, client_id=request.client_id, store_id=request.store_id,
                 order_number=number if isinstance(number, NextNumber) else str(number),
                 status=OrderStatus.PENDING, payment_status=PaymentStatus.PENDING,
                 source=request.source, external_id=request.external_id,
                 customer_id=request.customer_id, table_id=request.table_id,
                 waiter_id=request.waiter_id, notes=request.notes, created_at=now,
                 updated_at=now, **storage.totals_values(totals, draft, _operator(principal)))
    items = storage.item_rows(order_id, lines)
    await storage.insert_order(conn, order, items)
    view = storage.order_view(order, items)
    encoded = encode(view)
    await emit(conn, "order.created", client_id=request.client_id, store_id=request.store_id,
               data=encoded)
    return view, encoded


async def reprice_and_save(conn: AsyncConnection, runtime: Runtime, current,
                           lines: list[OrderLine], *,
                           principal: Principal | None = None) -> dict[str, Any]:
    """Total the order's new lines through the hooks and store the totals.

    A discount is an amount: fewer lines make it a larger share of the bill, so taking lines off
    a discounted order asks whether the caller could give that share (a cashier's capped 10 %
    must not become 96 %). More lines only make it smaller.
    """
    subtotal = subtotal_of(lines)
    if principal is not None and current.discount and subtotal < current.subtotal:
        await check_discount(conn, principal, runtime.settings, current.discount, subtotal)
    draft = OrderDraft(client_id=current.client_id, store_id=current.store_id,
                       source=current.source, lines=lines, subtotal=subtotal,
                       discount=current.discount, customer_id=current.customer_id,
                       table_id=current.table_id, order_id=current.order_id,
                       fees=storage.given_fees(current.metadata),
                       metadata={"delivery": (current.metadata or {}).get("delivery")})
    totals = await price_order(conn, runtime.pm, runtime.settings, draft)
    values = dict(storage.totals_values(totals, draft, current.metadata), updated_at=utcnow())
    await conn.execute(update(orders).where(orders.c.order_id == current.order_id)
                       .values(**values))
    return {**current._mapping, **values}


async def items_changed(conn: AsyncConnection, order: dict[str, Any], added: list,
                        removed: list, *, extra: dict[str, Any] | None = None) -> dict:
    """Publish ``order.items_changed`` for ``order`` (a mapping of its row); returns its view.
    ``extra``: more fields of the event (a transfer's ``moved_in``/``moved_out``)."""
    items = await storage.load_items(conn, [order["order_id"]])
    view = storage.order_view(order, items.get(order["order_id"], []))
    await emit(conn, "order.items_changed", client_id=order["client_id"],
               store_id=order["store_id"], data={
                   "order_id": order["order_id"], "order_number": order["order_number"],
                   "added": [storage.item_view(i) for i in added],
                   "removed": [storage.item_view(i) for i in removed], "order": view,
                   **(extra or {})})
    return view


async def load(conn: AsyncConnection, store_id: str, order_id: uuid.UUID, *, lock: bool = False):
    return await fetch_one(conn, orders, store_id, order_id, what="order", lock=lock)


async def add_round(conn: AsyncConnection, runtime: Runtime, store_id: str,
                    order_id: uuid.UUID, items: Sequence[ItemRequest], *,
                    while_cooking: bool = False) -> dict:
    """A new round, priced now from the catalog: for an order the kitchen has not started, or
    ``while_cooking`` (a table's tab) for any open one, a READY/DELIVERED order going back to
    IN_PREPARATION first (so the round's event shows it in the kitchen)."""
    current = await load(conn, store_id, order_id, lock=True)
    lifecycle.check_editable(current.status, lifecycle.TAB_EDITABLE if while_cooking
                             else lifecycle.EDITABLE)
    lifecycle.check_unpaid(current.payment_status)
    existing = (await storage.load_items(conn, [current.order_id], with_category=True)
                ).get(current.order_id, [])
    check_items(items, already=len(existing))
    new_lines = await price_lines(conn, store_id, items)
    if current.status in lifecycle.BACK_TO_KITCHEN:
        await move_order(conn, runtime.pm.hook, current, OrderStatus.IN_PREPARATION)
        current = await load(conn, store_id, order_id)
    order = await reprice_and_save(conn, runtime, current,
                                   [*map(storage.line_of, existing), *new_lines])
    added = storage.item_rows(current.order_id, new_lines)
    await storage.add_items(conn, added)
    return await items_changed(conn, order, added, [])


async def move(conn: AsyncConnection, runtime: Runtime, store_id: str, order_id: uuid.UUID,
               status: str) -> dict:
    """Move a store's order to ``status`` (409 naming the allowed states when it cannot)."""
    current = await load(conn, store_id, order_id, lock=True)
    lifecycle.check_transition(current.status, status)
    return await move_order(conn, runtime.pm.hook, current, status)
