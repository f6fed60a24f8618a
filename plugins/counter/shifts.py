"""The drawer's shifts: opened with a float, sangrias and suprimentos in between, closed with a
count. What the drawer should hold is worked out from the store's cash tenders of the shift
(a declared read of the payments table): opening + cash taken − change given − cash refunded +
suprimentos − sangrias.

A store has one drawer, so at most one shift is open at a time (a unique index says so too).

A reading of an open shift (leitura X) and the closing (fechamento) publish the shift's report —
the drawer's figures and the store's tenders of the shift by payment method — as
``counter.shift_read`` and ``counter.shift_closed``: the peripherals plugin prints it.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.core import audit
from posmodern.core.api import Reply, RequestContext
from posmodern.core.errors import Conflict
from posmodern.core.events import emit
from posmodern.core.ids import new_uuid
from posmodern.core.money import ZERO
from posmodern.core.pagination import after, decode_cursor, page
from posmodern.core.payments import TenderStatus
from posmodern.core.records import fetch_one
from posmodern.plugins.counter.models import MovementCreate, ShiftClose, ShiftOpen, ShiftQuery
from posmodern.schema.tables import cash_movements, cash_shifts, payments
from posmodern.schema.types import utcnow

OPEN, CLOSED = "OPEN", "CLOSED"
SHIFT_READ, SHIFT_CLOSED = "counter.shift_read", "counter.shift_closed"
#: Tenders whose money was taken (a refunded one counts minus what went back); for cash, what
#: went into the drawer.
CASH_KEPT = (TenderStatus.CONFIRMED, TenderStatus.PARTIALLY_REFUNDED, TenderStatus.REFUNDED)


class ShiftAlreadyOpen(Conflict):
    code = "shift_already_open"


class ShiftClosed(Conflict):
    code = "shift_closed"


def _sum(column) -> Any:
    return func.coalesce(func.sum(column), 0)


async def cash_taken(conn: AsyncConnection, shift: Any, until) -> dict[str, Decimal]:
    """The store's cash tenders between the shift's opening and ``until``."""
    row = (await conn.execute(
        select(_sum(payments.c.tendered_amount), _sum(payments.c.change_due),
               _sum(payments.c.refunded_amount), func.count())
        .where(payments.c.store_id == shift.store_id, payments.c.provider == "cash",
               payments.c.status.in_(CASH_KEPT), payments.c.created_at >= shift.opened_at,
               payments.c.created_at < until))).one()
    tendered, change, refunded, count = (Decimal(str(v)) for v in row)
    return {"cash_tendered": tendered, "change_given": change, "cash_refunded": refunded,
            "cash_tenders": int(count)}


async def movement_totals(conn: AsyncConnection, shift_id: uuid.UUID) -> dict[str, Decimal]:
    rows = (await conn.execute(
        select(cash_movements.c.kind, _sum(cash_movements.c.amount))
        .where(cash_movements.c.shift_id == shift_id).group_by(cash_movements.c.kind))).all()
    found = {kind: Decimal(str(total)) for kind, total in rows}
    return {"suprimentos": found.get("suprimento", ZERO), "sangrias": found.get("sangria", ZERO)}


async def summary(conn: AsyncConnection, shift: Any, until=None) -> dict[str, Any]:
    """What the drawer should hold (at ``until``, its closing, or now), and where each part of
    it came from."""
    cash = await cash_taken(conn, shift, until or shift.closed_at or utcnow())
    moved = await movement_totals(conn, shift.shift_id)
    expected = (shift.opening_amount + cash["cash_tendered"] - cash["change_given"]
                - cash["cash_refunded"] + moved["suprimentos"] - moved["sangrias"])
    return {**cash, **moved, "expected_amount": expected.quantize(Decimal("0.01"))}


async def tenders_by_method(conn: AsyncConnection, shift: Any, until) -> list[dict[str, Any]]:
    """The store's tenders between the shift's opening and ``until``, by payment method: how
    many, and what they took (less what was refunded)."""
    rows = (await conn.execute(
        select(payments.c.payment_method, func.count(), _sum(payments.c.amount),
               _sum(payments.c.refunded_amount))
        .where(payments.c.store_id == shift.store_id, payments.c.status.in_(CASH_KEPT),
               payments.c.created_at >= shift.opened_at, payments.c.created_at < until)
        .group_by(payments.c.payment_method).order_by(payments.c.payment_method))).all()
    return [{"method": method, "count": int(count),
             "amount": (Decimal(str(amount)) - Decimal(str(refunded))).quantize(Decimal("0.01"))}
            for method, count, amount, refunded in rows]


async def report(conn: AsyncConnection, shift: Any) -> dict[str, Any]:
    """The shift's report: a reading (``reading``, leitura X) while it is open, the closing
    (``closing``, fechamento) once it is closed."""
    until = shift.closed_at or utcnow()
    return {"kind": "closing" if shift.status == CLOSED else "reading", "at": until,
            "shift": await shift_view(conn, shift),
            "tenders": await tenders_by_method(conn, shift, until)}


async def shift_view(conn: AsyncConnection, shift: Any) -> dict[str, Any]:
    movements = (await conn.execute(
        select(cash_movements).where(cash_movements.c.shift_id == shift.shift_id)
        .order_by(cash_movements.c.created_at))).all()
    totals = await summary(conn, shift)
    counted = shift.counted_amount
    return {
        "shift_id": shift.shift_id, "status": shift.status,
        "opening_amount": shift.opening_amount, "opened_by": shift.opened_by,
        "opened_at": shift.opened_at, "closed_by": shift.closed_by, "closed_at": shift.closed_at,
        "counted_amount": counted, "notes": shift.notes, **totals,
        "difference": None if counted is None else counted - totals["expected_amount"],
        "movements": [{"movement_id": m.movement_id, "kind": m.kind, "amount": m.amount,
                       "reason": m.reason, "username": m.username, "created_at": m.created_at}
                      for m in movements],
    }


async def _open_shift(conn: AsyncConnection, store_id: str, *, lock: bool = False) -> Any:
    query = select(cash_shifts).where(cash_shifts.c.store_id == store_id,
                                      cash_shifts.c.status == OPEN)
    return (await conn.execute(query.with_for_update() if lock else query)).first()


async def _load(conn: AsyncConnection, ctx: RequestContext, *, lock: bool = False) -> Any:
    return await fetch_one(conn, cash_shifts, ctx.store_id, ctx.path["shift_id"], what="shift",
                           lock=lock)


def _check_open(shift: Any) -> None:
    if shift.status != OPEN:
        raise ShiftClosed(f"the shift {shift.shift_id} is closed",
                          details={"shift_id": str(shift.shift_id), "closed_at": shift.closed_at})


async def open_shift(ctx: RequestContext) -> Reply:
    body: ShiftOpen = ctx.body
    now = utcnow()
    async with ctx.transaction() as conn:
        current = await _open_shift(conn, ctx.store_id)
        if current is not None:
            raise ShiftAlreadyOpen("a shift is already open: close it first",
                                   details={"shift_id": str(current.shift_id)})
        values = {"shift_id": new_uuid(), "client_id": ctx.client_id, "store_id": ctx.store_id,
                  "status": OPEN, "opening_amount": body.opening_amount,
                  "opened_by": ctx.principal.username, "opened_at": now, "notes": body.notes,
                  "created_at": now, "updated_at": now}
        try:
            await conn.execute(cash_shifts.insert().values(**values))
        except IntegrityError:  # another cashier opened it a moment ago
            raise ShiftAlreadyOpen("a shift is already open: close it first") from None
        shift = (await conn.execute(select(cash_shifts).where(
            cash_shifts.c.shift_id == values["shift_id"]))).one()
        await audit.record(conn, ctx, "counter.shift_opened", resource_type="shift",
                           resource_id=shift.shift_id,
                           details={"opening_amount": body.opening_amount})
        return Reply(await shift_view(conn, shift), 201)


async def current_shift(ctx: RequestContext) -> dict:
    """``{"shift": …}``, null when the drawer is closed (a normal state, not an error)."""
    async with ctx.transaction() as conn:
        shift = await _open_shift(conn, ctx.store_id)
        return {"shift": None if shift is None else await shift_view(conn, shift)}


async def get_shift(ctx: RequestContext) -> dict:
    async with ctx.transaction() as conn:
        return await shift_view(conn, await _load(conn, ctx))


async def list_shifts(ctx: RequestContext) -> dict:
    query: ShiftQuery = ctx.query
    key = (cash_shifts.c.opened_at, cash_shifts.c.shift_id)
    statement = select(cash_shifts).where(cash_shifts.c.store_id == ctx.store_id)
    if query.cursor:
        position = decode_cursor(query.cursor, (type(utcnow()), uuid.UUID))
        statement = statement.where(after(key, position, descending=True))
    statement = statement.order_by(*(c.desc() for c in key)).limit(query.limit + 1)
    async with ctx.transaction() as conn:
        rows = (await conn.execute(statement)).all()
        found, next_cursor = page(rows, query.limit, lambda r: (r.opened_at, r.shift_id))
        return {"items": [await shift_view(conn, row) for row in found],
                "next_cursor": next_cursor}


async def add_movement(ctx: RequestContext) -> Reply:
    body: MovementCreate = ctx.body
    async with ctx.transaction() as conn:
        shift = await _load(conn, ctx, lock=True)
        _check_open(shift)
        movement_id = new_uuid()
        await conn.execute(cash_movements.insert().values(
            movement_id=movement_id, client_id=ctx.client_id, store_id=ctx.store_id,
            shift_id=shift.shift_id, kind=body.kind, amount=body.amount, reason=body.reason,
            username=ctx.principal.username, created_at=utcnow()))
        await audit.record(conn, ctx, f"counter.{body.kind}", resource_type="shift",
                           resource_id=shift.shift_id,
                           details={"amount": body.amount, "reason": body.reason,
                                    "movement_id": str(movement_id)})
        return Reply(await shift_view(conn, shift), 201)


async def close_shift(ctx: RequestContext) -> dict:
    body: ShiftClose = ctx.body
    now = utcnow()
    async with ctx.transaction() as conn:
        shift = await _load(conn, ctx, lock=True)
        _check_open(shift)
        totals = await summary(conn, shift, now)
        await conn.execute(update(cash_shifts).where(cash_shifts.c.shift_id == shift.shift_id)
                           .values(status=CLOSED, closed_at=now, closed_by=ctx.principal.username,
                                   counted_amount=body.counted_amount,
                                   expected_amount=totals["expected_amount"],
                                   notes=body.notes or shift.notes, updated_at=now))
        closed = await _load(conn, ctx)
        await audit.record(conn, ctx, "counter.shift_closed", resource_type="shift",
                           resource_id=shift.shift_id,
                           details={"counted_amount": body.counted_amount,
                                    "expected_amount": totals["expected_amount"]})
        await emit(conn, SHIFT_CLOSED, client_id=ctx.client_id, store_id=ctx.store_id,
                   data=await report(conn, closed))
        return await shift_view(conn, closed)


async def read_shift(ctx: RequestContext) -> dict:
    """Leitura X: the open shift's report now, published for the receipt printer (audited)."""
    async with ctx.transaction() as conn:
        shift = await _load(conn, ctx)
        _check_open(shift)
        found = await report(conn, shift)
        await audit.record(conn, ctx, "counter.shift_read", resource_type="shift",
                           resource_id=shift.shift_id,
                           details={"expected_amount": found["shift"]["expected_amount"]})
        await emit(conn, SHIFT_READ, client_id=ctx.client_id, store_id=ctx.store_id, data=found)
        return found

