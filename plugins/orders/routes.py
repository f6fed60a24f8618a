"""Endpoints of the orders plugin: create, read, list, change status, add and remove items.

Every change writes its event to the outbox in the same transaction, so an event exists exactly
when its change was committed.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.core import audit
from posmodern.core.api import Reply, RequestContext
from posmodern.core.counters import NextNumber, take_number
from posmodern.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from posmodern.core.events import emit
from posmodern.core.ids import new_uuid
from posmodern.core.jsonable import Encoded, encode
from posmodern.core.orders import ItemStatus, OrderDraft, OrderLine, OrderStatus, PaymentStatus
from posmodern.core.pagination import after, decode_cursor, page
from posmodern.core.records import fetch_one, missing_ids
from posmodern.plugins.orders import lifecycle, storage
from posmodern.plugins.orders.kitchen import move_order
from posmodern.plugins.orders.models import (MAX_ITEMS, ItemsAdd, OrderCreate, OrderQuery,
                                             StatusChange)
from posmodern.plugins.orders.pricing import (check_discount, price_lines, price_order,
                                              subtotal_of)
from posmodern.schema.tables import customers, layouts, order_items, orders, tables
from posmodern.schema.types import utcnow

#: Who may cancel: the kitchen and the waiters ask someone at the counter.
CANCEL_ROLES = frozenset({"admin", "manager", "cashier", "integration"})
_SOURCE_OF_ROLE = (("kiosk", "kiosk"), ("integration", "remote"), ("waiter", "waiter"))


def _reference_problem(field: str, kind: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, code=kind,
                            details=[{"loc": [field], "msg": message, "type": kind}])


async def _check_references(conn: AsyncConnection, store_id: str, body: OrderCreate) -> None:
    """The customer and table an order names must be the store's (422 otherwise)."""
    if body.customer_id and await missing_ids(conn, customers, store_id, {body.customer_id}):
        raise _reference_problem("customer_id", "unknown_customer",
                                 f"no customer {body.customer_id} in this store")
    if body.table_id:
        # Tables belong to a store through their layout; the waiter plugin owns them.
        found = await conn.scalar(
            select(tables.c.table_id).join(layouts, layouts.c.layout_id == tables.c.layout_id)
            .where(tables.c.table_id == body.table_id, layouts.c.store_id == store_id))
        if found is None:
            raise _reference_problem("table_id", "unknown_table",
                                     f"no table {body.table_id} in this store")


def _source(ctx: RequestContext, body: OrderCreate) -> str:
    if body.source:
        return body.source
    return next((source for role, source in _SOURCE_OF_ROLE if role in ctx.principal.roles), "pos")


def _operator(ctx: RequestContext) -> dict[str, str]:
    """Who took the order (the back office's sales by operator)."""
    return {"user_id": ctx.principal.user_id, "username": ctx.principal.username}


async def _emit(ctx: RequestContext, conn: AsyncConnection, event_type: str,
                data: dict[str, Any] | Encoded) -> None:
    await emit(conn, event_type, client_id=ctx.client_id, store_id=ctx.store_id, data=data)


async def create_order(ctx: RequestContext) -> Reply:
    body: OrderCreate = ctx.body
    order_id = new_uuid()
    async with ctx.transaction() as conn:
        lines = await price_lines(conn, ctx.store_id, body.items)
        await _check_references(conn, ctx.store_id, body)
        source = _source(ctx, body)
        draft = OrderDraft(client_id=ctx.client_id, store_id=ctx.store_id, source=source,
                           lines=lines, subtotal=subtotal_of(lines), discount=body.discount,
                           customer_id=body.customer_id, table_id=body.table_id,
                           order_id=order_id)
        await check_discount(conn, ctx.principal, ctx.runtime.settings, body.discount,
                             draft.subtotal)
        totals = await price_order(conn, ctx.runtime.pm, ctx.runtime.settings, draft)
        # Taken last, once the order is known to be valid, so refused orders use no number.
        number = await take_number(ctx.runtime.db, ctx.client_id, conn, ctx.store_id, "order")
        now = utcnow()
        waiter_id = uuid.UUID(ctx.principal.user_id) if "waiter" in ctx.principal.roles else None
        order = dict(order_id=order_id, client_id=ctx.client_id, store_id=ctx.store_id,
                     order_number=number if isinstance(number, NextNumber) else str(number),
                     status=OrderStatus.PENDING, payment_status=PaymentStatus.PENDING,
                     source=source, external_id=None, customer_id=body.customer_id,
                     table_id=body.table_id, waiter_id=waiter_id, notes=body.notes,
                     created_at=now, updated_at=now,
                     **storage.totals_values(totals, {"operator": _operator(ctx)}))
        items = storage.item_rows(order_id, lines)
        await storage.insert_order(conn, order, items)
        # Encoded once, for the event and the answer.
        view = encode(storage.order_view(order, items))
        await _emit(ctx, conn, "order.created", view)
        if body.discount:
            await audit.record(conn, ctx, "order.discount", resource_type="order",
                               resource_id=order_id,
                               details={"discount": body.discount, "subtotal": totals.subtotal})
    return Reply(view, 201)


async def _load(conn: AsyncConnection, ctx: RequestContext, *, lock: bool = False):
    return await fetch_one(conn, orders, ctx.store_id, ctx.path["order_id"], what="order",
                           lock=lock)


async def get_order(ctx: RequestContext) -> dict:
    async with ctx.transaction() as conn:
        order = await _load(conn, ctx)
        items = await storage.load_items(conn, [order.order_id])
    return storage.order_view(order, items.get(order.order_id, []))


async def list_orders(ctx: RequestContext) -> dict:
    """Newest first; the items of the whole page come from one query (the seed's N+1, fixed)."""
    query: OrderQuery = ctx.query
    statement = select(orders).where(orders.c.store_id == ctx.store_id)
    if query.statuses:
        statement = statement.where(orders.c.status.in_(query.statuses))
    if query.created_from is not None:
        statement = statement.where(orders.c.created_at >= query.created_from)
    if query.created_to is not None:
        statement = statement.where(orders.c.created_at < query.created_to)
    if query.table_id is not None:
        statement = statement.where(orders.c.table_id == query.table_id)
    if query.customer_id is not None:
        statement = statement.where(orders.c.customer_id == query.customer_id)
    key = (orders.c.created_at, orders.c.order_id)
    if query.cursor:
        position = decode_cursor(query.cursor, (type(utcnow()), uuid.UUID))
        statement = statement.where(after(key, position, descending=True))
    statement = statement.order_by(*(column.desc() for column in key)).limit(query.limit + 1)
    async with ctx.transaction() as conn:
        rows = (await conn.execute(statement)).all()
        found, next_cursor = page(rows, query.limit, lambda r: (r.created_at, r.order_id))
        items = await storage.load_items(conn, [row.order_id for row in found])
    return {"items": [storage.order_view(row, items.get(row.order_id, [])) for row in found],
            "next_cursor": next_cursor}


async def change_status(ctx: RequestContext) -> dict:
    body: StatusChange = ctx.body
    new = body.status
    async with ctx.transaction() as conn:
        current = await _load(conn, ctx, lock=True)
        previous = current.status
        lifecycle.check_transition(previous, new)
        if new == OrderStatus.CANCELLED and not ctx.principal.has_any(CANCEL_ROLES):
            raise Forbidden("cancelling an order needs one of the roles: "
                            + ", ".join(sorted(CANCEL_ROLES)), code="cancel_not_allowed")
        view = await move_order(conn, ctx.runtime.pm.hook, current, new)
        if new == OrderStatus.CANCELLED:
            await audit.record(conn, ctx, "order.cancelled", resource_type="order",
                               resource_id=current.order_id,
                               details={"order_number": current.order_number,
                                        "previous_status": previous, "total": current.total})
    return view


async def _reprice_and_save(ctx: RequestContext, conn: AsyncConnection, current,
                            lines: list[OrderLine]) -> dict[str, Any]:
    """Total the order's new lines through the hooks and store the totals.

    A discount is an amount: fewer lines make it a larger share of the bill, so taking lines off
    a discounted order asks whether the caller could give that share (a cashier's capped 10 %
    must not become 96 %). More lines only make it smaller.
    """
    subtotal = subtotal_of(lines)
    if current.discount and subtotal < current.subtotal:
        await check_discount(conn, ctx.principal, ctx.runtime.settings, current.discount,
                             subtotal)
    draft = OrderDraft(client_id=ctx.client_id, store_id=ctx.store_id, source=current.source,
                       lines=lines, subtotal=subtotal, discount=current.discount,
                       customer_id=current.customer_id, table_id=current.table_id,
                       order_id=current.order_id)
    totals = await price_order(conn, ctx.runtime.pm, ctx.runtime.settings, draft)
    values = dict(storage.totals_values(totals, current.metadata), updated_at=utcnow())
    await conn.execute(update(orders).where(orders.c.order_id == current.order_id)
                       .values(**values))
    return {**current._mapping, **values}


async def _items_changed(ctx: RequestContext, conn: AsyncConnection, order: dict[str, Any],
                         added: list, removed: list) -> dict:
    items = await storage.load_items(conn, [order["order_id"]])
    view = storage.order_view(order, items.get(order["order_id"], []))
    await _emit(ctx, conn, "order.items_changed", {
        "order_id": order["order_id"], "order_number": order["order_number"],
        "added": [storage.item_view(i) for i in added],
        "removed": [storage.item_view(i) for i in removed], "order": view})
    return view


async def add_items(ctx: RequestContext) -> dict:
    """A new round for an order the kitchen has not started: priced now, from the catalog."""
    body: ItemsAdd = ctx.body
    async with ctx.transaction() as conn:
        current = await _load(conn, ctx, lock=True)
        lifecycle.check_editable(current.status)
        lifecycle.check_unpaid(current.payment_status)
        existing = (await storage.load_items(conn, [current.order_id], with_category=True)
                    ).get(current.order_id, [])
        if len(existing) + len(body.items) > MAX_ITEMS:
            raise ValidationFailed(f"an order holds at most {MAX_ITEMS} items",
                                   code="too_many_items",
                                   details={"items": len(existing), "adding": len(body.items)})
        new_lines = await price_lines(conn, ctx.store_id, body.items)
        order = await _reprice_and_save(ctx, conn, current,
                                        [*map(storage.line_of, existing), *new_lines])
        added = storage.item_rows(current.order_id, new_lines)
        await storage.add_items(conn, added)
        view = await _items_changed(ctx, conn, order, added, [])
    return view


async def remove_item(ctx: RequestContext) -> dict:
    """Take an item off (a void): it stays on record as ``REMOVED``, and the act is audited."""
    item_id = ctx.path["item_id"]
    async with ctx.transaction() as conn:
        current = await _load(conn, ctx, lock=True)
        lifecycle.check_editable(current.status)
        lifecycle.check_unpaid(current.payment_status)
        existing = (await storage.load_items(conn, [current.order_id], with_category=True)
                    ).get(current.order_id, [])
        removed = [item for item in existing if item.item_id == item_id]
        if not removed:
            raise NotFound(f"order {current.order_id} has no item {item_id}",
                           code="item_not_found", details={"item_id": str(item_id)})
        if len(existing) == 1:
            raise Conflict("an order keeps at least one item; cancel the order instead",
                           code="last_item", details={"item_id": str(item_id)})
        kept = [storage.line_of(item) for item in existing if item.item_id != item_id]
        order = await _reprice_and_save(ctx, conn, current, kept)
        await conn.execute(update(order_items).where(order_items.c.item_id == item_id)
                           .values(status=ItemStatus.REMOVED, updated_at=utcnow()))
        removed_view = {**storage.item_view(removed[0]), "status": ItemStatus.REMOVED}
        view = await _items_changed(ctx, conn, order, [], [removed_view])
        await audit.record(conn, ctx, "order.item_removed", resource_type="order",
                           resource_id=current.order_id,
                           details={"order_status": current.status, **removed_view})
    return view
