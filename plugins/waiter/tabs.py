"""A table's tab: its open order, to which rounds are added while the kitchen cooks earlier ones;
moved to another table, joined with another table's tab, closed when paid.

Orders are the orders plugin's: every change goes through ``core/order_desk.py`` in this
plugin's transaction, so the table's state and the order commit together.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.core.api import RequestContext
from posmodern.core.errors import Conflict
from posmodern.core.money import ZERO, cents
from posmodern.core.order_desk import (add_order_items, move_order, place_order,
                                       transfer_order_items)
from posmodern.core.orders import CLOSED_STATUSES, ItemRequest, OrderRequest, OrderStatus
from posmodern.core.payments import TenderStatus
from posmodern.core.runtime import Runtime
from posmodern.plugins.waiter import states
from posmodern.plugins.waiter.floor import load_table, lock_two_tables, table_view
from posmodern.plugins.waiter.models import Merge, Round, RoundItem, TableState, Transfer
from posmodern.schema.tables import kds_tickets, order_items, orders, payments

#: Tenders whose money came in, and those still waiting for an answer (their amount is held).
RECEIVED = (TenderStatus.CONFIRMED, TenderStatus.PARTIALLY_REFUNDED, TenderStatus.REFUNDED)
HELD = (TenderStatus.PENDING, TenderStatus.AUTHORIZED)
#: The way an order walks to COMPLETED once paid (one lifecycle step at a time).
TO_CLOSE = (OrderStatus.CONFIRMED, OrderStatus.IN_PREPARATION, OrderStatus.READY,
            OrderStatus.DELIVERED, OrderStatus.COMPLETED)


class NoTab(Conflict):
    code = "no_open_tab"


@dataclass(frozen=True)
class _Manager:
    hook: Any


class HooksOnly:
    """What a status move through the order desk needs of the runtime (its hooks), for an event
    handler, which gets the process's hooks but no runtime."""

    def __init__(self, hooks: Any) -> None:
        self.pm = _Manager(hooks)


def table_of(order_id: uuid.UUID):
    return select(orders.c.table_id).where(orders.c.order_id == order_id)


def _customizations(item: RoundItem) -> dict[str, Any] | None:
    """A course and whether it waits: what the kitchen display reads (``hold``, ``course``)."""
    found: dict[str, Any] = {}
    if item.course is not None:
        found["course"] = item.course
    if item.hold:
        found["hold"] = True
    return found or None


def _items(body: Round) -> list[ItemRequest]:
    return [ItemRequest(i.product_id, i.quantity, i.notes, _customizations(i),
                        tuple(choice.option_id for choice in i.modifiers))
            for i in body.items]


async def tab_of(conn: AsyncConnection, table: Any) -> uuid.UUID:
    """The table's open order, or 409 ``no_open_tab``."""
    order_id = await states.open_order_of(conn, table.table_id)
    if order_id is None:
        raise NoTab(f"table {table.table_number} has no open tab",
                    details={"table_id": str(table.table_id)})
    return order_id


async def balance(conn: AsyncConnection, order_id: uuid.UUID,
                  total: Decimal) -> dict[str, Decimal]:
    """What the tab's tenders cover: received, held (waiting for an answer) and what remains."""
    rows = (await conn.execute(
        select(payments.c.status, func.sum(payments.c.amount).label("amount"),
               func.sum(payments.c.refunded_amount).label("refunded"))
        .where(payments.c.order_id == order_id).group_by(payments.c.status))).all()
    paid = held = ZERO
    for row in rows:
        amount = cents(Decimal(str(row.amount or 0)))
        if row.status in RECEIVED:
            paid += amount - cents(Decimal(str(row.refunded or 0)))
        elif row.status in HELD:
            held += amount
    return {"total": total, "paid": paid, "held": held,
            "remaining": max(total - paid - held, ZERO)}


async def kitchen_state(conn: AsyncConnection, order_id: uuid.UUID) -> dict[str, str]:
    """Each item's state in the kitchen, as its ticket says: held, waiting, cooking, ready."""
    rows = (await conn.execute(select(kds_tickets.c.status, kds_tickets.c["items"]).where(
        kds_tickets.c.order_id == order_id))).all()
    names = {"HELD": "held", "NEW": "waiting", "STARTED": "cooking", "BUMPED": "ready",
             "CANCELLED": "cancelled"}
    found = {}
    for row in rows:
        for entry in row.items or []:
            ready = row.status == "BUMPED" or entry.get("done")
            found[entry["item_id"]] = "ready" if ready else names.get(row.status, "waiting")
    return found


async def tab_view(conn: AsyncConnection, runtime: Runtime, store_id: str, table: Any,
                   order: dict[str, Any] | None = None) -> dict[str, Any]:
    """The table with its tab: the order, each item's kitchen state, and its balance."""
    order_id = await tab_of(conn, table)
    if order is None or str(order["order_id"]) != str(order_id):
        order = await _order(conn, order_id)
    kitchen = await kitchen_state(conn, order_id)
    order = {**order, "items": [{**item, "kitchen": kitchen.get(str(item["item_id"]))}
                                for item in order["items"]]}
    return {"table": table_view(table), "order": order,
            "balance": await balance(conn, order_id, Decimal(str(order["total"])))}


async def _order(conn: AsyncConnection, order_id: uuid.UUID) -> dict[str, Any]:
    row = (await conn.execute(select(orders).where(orders.c.order_id == order_id))).one()
    items = (await conn.execute(select(order_items).where(
        order_items.c.order_id == order_id, order_items.c.status != "REMOVED")
        .order_by(order_items.c.created_at, order_items.c.item_id))).all()
    view = {key: value for key, value in row._mapping.items()
            if key not in ("client_id", "store_id", "metadata")}
    view["adjustments"] = (row.metadata or {}).get("adjustments", [])
    view["items"] = [{key: value for key, value in item._mapping.items()
                      if key not in ("order_id", "created_at", "updated_at")} for item in items]
    return view


async def _refreshed(conn: AsyncConnection, ctx: RequestContext, table_id: uuid.UUID) -> Any:
    await states.refresh(conn, table_id, ctx.client_id, ctx.store_id)
    return await load_table(conn, ctx.store_id, table_id)


async def get_tab(ctx: RequestContext) -> dict:
    async with ctx.transaction() as conn:
        table = await load_table(conn, ctx.store_id, ctx.path["table_id"])
        return await tab_view(conn, ctx.runtime, ctx.store_id, table)


async def add_round(ctx: RequestContext) -> dict:
    """Open the table's tab with a first round, or add a round to it; either way it goes to the
    kitchen (a new order is confirmed at once; a round is an addition)."""
    body: Round = ctx.body
    async with ctx.transaction() as conn:
        table = await load_table(conn, ctx.store_id, ctx.path["table_id"], lock=True)
        order_id = await states.open_order_of(conn, table.table_id)
        if order_id is None:
            order = await _open(conn, ctx, table, body)
        else:
            order = await add_order_items(conn, ctx.runtime, ctx.store_id, order_id,
                                          _items(body), while_cooking=True)
        table = await _refreshed(conn, ctx, table.table_id)
        if table.status == TableState.BILL_REQUESTED:
            # More was ordered after the bill was asked for: the bill is asked again later.
            table = await states.save(conn, table, ctx.client_id, ctx.store_id,
                                      status=TableState.OCCUPIED)
        return await tab_view(conn, ctx.runtime, ctx.store_id, table, order)


async def _open(conn: AsyncConnection, ctx: RequestContext, table: Any,
                body: Round) -> dict[str, Any]:
    if table.status == TableState.RESERVED:
        await states.save(conn, table, ctx.client_id, ctx.store_id, status=TableState.FREE,
                          reserved_until=None)
    waiter_id = uuid.UUID(ctx.principal.user_id) if "waiter" in ctx.principal.roles else None
    order = await place_order(conn, ctx.runtime, OrderRequest(
        client_id=ctx.client_id, store_id=ctx.store_id, source="waiter", items=_items(body),
        table_id=table.table_id, waiter_id=waiter_id or table.waiter_id))
    if body.guests is not None:
        await states.save(conn, table, ctx.client_id, ctx.store_id, occupied_seats=body.guests)
    return await move_order(conn, ctx.runtime, ctx.store_id, order["order_id"],
                            OrderStatus.CONFIRMED)


async def transfer(ctx: RequestContext) -> dict:
    """Items, or the whole tab, to another table (joining its tab if it has one)."""
    body: Transfer = ctx.body
    async with ctx.transaction() as conn:
        table, target = await lock_two_tables(conn, ctx.store_id, ctx.path["table_id"],
                                              body.to_table_id, field="to_table_id")
        if target.table_id == table.table_id:
            raise Conflict("the items are on that table already", code="same_table")
        order_id = await tab_of(conn, table)
        into = await states.open_order_of(conn, target.table_id)
        await transfer_order_items(
            conn, ctx.runtime, ctx.store_id, order_id, item_ids=body.item_ids,
            **({"to_order_id": into} if into else {"to_table_id": target.table_id}))
        return await _both(conn, ctx, table, target)


async def merge(ctx: RequestContext) -> dict:
    """Another table's tab joins this table's (its guests moved here); that table is free."""
    body: Merge = ctx.body
    async with ctx.transaction() as conn:
        table, other = await lock_two_tables(conn, ctx.store_id, ctx.path["table_id"],
                                             body.table_id, field="table_id")
        if other.table_id == table.table_id:
            raise Conflict("a table cannot be merged with itself", code="same_table")
        joining = await tab_of(conn, other)
        into = await states.open_order_of(conn, table.table_id)
        await transfer_order_items(
            conn, ctx.runtime, ctx.store_id, joining,
            **({"to_order_id": into} if into else {"to_table_id": table.table_id}))
        return await _both(conn, ctx, other, table)


async def _both(conn: AsyncConnection, ctx: RequestContext, source: Any, target: Any) -> dict:
    source = await _refreshed(conn, ctx, source.table_id)
    target = await _refreshed(conn, ctx, target.table_id)
    return {"from": table_view(source),
            "to": await tab_view(conn, ctx.runtime, ctx.store_id, target)}


async def close_paid(conn: AsyncConnection, runtime: Runtime, store_id: str,
                     order_id: uuid.UUID) -> bool:
    """Walk a paid table order to COMPLETED (its table is then free); False when it is not a
    table's open, paid order."""
    row = (await conn.execute(select(orders.c.status, orders.c.total, orders.c.table_id,
                                     orders.c.store_id)
                              .where(orders.c.order_id == order_id))).first()
    if (row is None or row.store_id != store_id or row.table_id is None
            or row.status in CLOSED_STATUSES):
        return False
    # Read from the tenders themselves: where payments runs in another process the order's
    # payment_status may not be recorded yet when payment.completed arrives here.
    covered = await balance(conn, order_id, Decimal(str(row.total)))
    if covered["paid"] < covered["total"] or covered["paid"] <= ZERO:
        return False
    steps = TO_CLOSE[TO_CLOSE.index(row.status) + 1:] if row.status in TO_CLOSE else TO_CLOSE
    for status in steps:
        await move_order(conn, runtime, store_id, order_id, status)
    return True


async def close(ctx: RequestContext) -> dict:
    """Close the table: its tab must be paid (409 ``not_paid`` with what remains)."""
    async with ctx.transaction() as conn:
        table = await load_table(conn, ctx.store_id, ctx.path["table_id"], lock=True)
        order_id = await tab_of(conn, table)
        if not await close_paid(conn, ctx.runtime, ctx.store_id, order_id):
            order = await _order(conn, order_id)
            owed = await balance(conn, order_id, order["total"])
            raise Conflict("the tab is not paid yet", code="not_paid", details=owed)
        return table_view(await _refreshed(conn, ctx, table.table_id))
