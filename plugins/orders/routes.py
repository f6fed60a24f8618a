"""Endpoints of the orders plugin: create, read, list, change status, add and remove items.

Every change writes its event to the outbox in the same transaction, so an event exists exactly
when its change was committed.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.core import audit
from posmodern.core.api import Reply, RequestContext
from posmodern.core.errors import Conflict, Forbidden, NotFound
from posmodern.core.orders import ItemStatus, OrderRequest, OrderStatus
from posmodern.core.pagination import after, decode_cursor, page
from posmodern.plugins.orders import lifecycle, placing, storage
from posmodern.plugins.orders.kitchen import move_order
from posmodern.plugins.orders.models import ItemsAdd, OrderCreate, OrderQuery, StatusChange
from posmodern.schema.tables import order_items, orders
from posmodern.schema.types import utcnow

#: Who may cancel: the kitchen and the waiters ask someone at the counter.
CANCEL_ROLES = frozenset({"admin", "manager", "cashier", "integration"})
#: Who may cancel an order the kitchen or the stock already saw (past PENDING): a cashier asks a
#: manager (the POS page's approval dialog signs the manager in for that one call).
CANCEL_CONFIRMED_ROLES = CANCEL_ROLES - {"cashier"}
_SOURCE_OF_ROLE = (("kiosk", "kiosk"), ("integration", "remote"), ("waiter", "waiter"))


def _source(ctx: RequestContext, body: OrderCreate) -> str:
    if body.source:
        return body.source
    return next((source for role, source in _SOURCE_OF_ROLE if role in ctx.principal.roles), "pos")


async def create_order(ctx: RequestContext) -> Reply:
    body: OrderCreate = ctx.body
    waiter_id = uuid.UUID(ctx.principal.user_id) if "waiter" in ctx.principal.roles else None
    request = OrderRequest(
        client_id=ctx.client_id, store_id=ctx.store_id, source=_source(ctx, body),
        items=[item.request() for item in body.items],
        customer_id=body.customer_id, table_id=body.table_id, waiter_id=waiter_id,
        discount=body.discount, notes=body.notes)
    async with ctx.transaction() as conn:
        view, encoded = await placing.place(conn, ctx.runtime, request,
                                            principal=ctx.principal)
        if body.discount:
            await audit.record(conn, ctx, "order.discount", resource_type="order",
                               resource_id=view["order_id"],
                               details={"discount": body.discount, "subtotal": view["subtotal"]})
    return Reply(encoded, 201)


async def _load(conn: AsyncConnection, ctx: RequestContext, *, lock: bool = False):
    return await placing.load(conn, ctx.store_id, ctx.path["order_id"], lock=lock)


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
        if new == OrderStatus.CANCELLED:
            _check_may_cancel(ctx, previous)
        view = await move_order(conn, ctx.runtime.pm.hook, current, new)
        if new == OrderStatus.CANCELLED:
            await audit.record(conn, ctx, "order.cancelled", resource_type="order",
                               resource_id=current.order_id,
                               details={"order_number": current.order_number,
                                        "previous_status": previous, "total": current.total})
    return view


def _check_may_cancel(ctx: RequestContext, status: str) -> None:
    if not ctx.principal.has_any(CANCEL_ROLES):
        raise Forbidden("cancelling an order needs one of the roles: "
                        + ", ".join(sorted(CANCEL_ROLES)), code="cancel_not_allowed")
    if status != OrderStatus.PENDING and not ctx.principal.has_any(CANCEL_CONFIRMED_ROLES):
        raise Forbidden(f"cancelling an order already {status} needs a manager's approval (one "
                        "of the roles: " + ", ".join(sorted(CANCEL_CONFIRMED_ROLES)) + ")",
                        code="cancel_needs_manager", details={"status": status})


async def add_items(ctx: RequestContext) -> dict:
    """A new round for an order the kitchen has not started: priced now, from the catalog."""
    body: ItemsAdd = ctx.body
    items = [item.request() for item in body.items]
    async with ctx.transaction() as conn:
        return await placing.add_round(conn, ctx.runtime, ctx.store_id, ctx.path["order_id"],
                                       items)


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
        order = await placing.reprice_and_save(conn, ctx.runtime, current, kept,
                                               principal=ctx.principal)
        await conn.execute(update(order_items).where(order_items.c.item_id == item_id)
                           .values(status=ItemStatus.REMOVED, updated_at=utcnow()))
        removed_view = {**storage.item_view(removed[0]), "status": ItemStatus.REMOVED}
        view = await placing.items_changed(conn, order, [], [removed_view])
        await audit.record(conn, ctx, "order.item_removed", resource_type="order",
                           resource_id=current.order_id,
                           details={"order_status": current.status, **removed_view})
    return view
