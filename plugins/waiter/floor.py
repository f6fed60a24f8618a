"""The floor: layouts (dining rooms) with their sections and drawn elements, and the tables on
them (where they are drawn, their seats, their state, the waiter serving them)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.core.api import Reply, RequestContext
from posmodern.core.errors import Conflict, NotFound, ValidationFailed
from posmodern.plugins.waiter import states
from posmodern.plugins.waiter.models import (Assign, LayoutCreate, LayoutUpdate, StateChange,
                                             TableCreate, TableState, TableUpdate)
from posmodern.schema.tables import layouts, orders, tables, users
from posmodern.schema.types import utcnow

DEFAULT_LAYOUT = "Salão"
#: Body fields of a table's place and the columns holding them.
PLACE_COLUMNS = {"x": "pos_x", "y": "pos_y", "width": "width", "height": "height",
                 "shape": "shape"}


def table_view(row: Any) -> dict[str, Any]:
    """A table as the API shows it (``x``/``y`` on the layout's grid)."""
    view = dict(row if isinstance(row, dict) else row._mapping)
    view["x"], view["y"] = view.pop("pos_x"), view.pop("pos_y")
    return view


def _layout_view(row: Any, its_tables: list[dict[str, Any]]) -> dict[str, Any]:
    view = dict(row._mapping)
    view["sections"] = view["sections"] or []
    view["tables"] = its_tables
    return view


def store_tables(store_id: str):
    return (select(tables).join(layouts, layouts.c.layout_id == tables.c.layout_id)
            .where(layouts.c.store_id == store_id))


async def load_table(conn: AsyncConnection, store_id: str, table_id: uuid.UUID, *,
                     lock: bool = False, field: str | None = None) -> Any:
    """The store's table, or 404 ``table_not_found`` (422 naming ``field`` when the table is
    named in a body)."""
    query = store_tables(store_id).where(tables.c.table_id == table_id)
    row = (await conn.execute(query.with_for_update(of=tables) if lock else query)).first()
    if row is None:
        message = f"no table {table_id} in this store"
        if field is not None:
            raise ValidationFailed(message, code="unknown_table", details=[
                {"loc": [field], "msg": message, "type": "unknown_table"}])
        raise NotFound(message, code="table_not_found", details={"table_id": str(table_id)})
    return row


async def lock_two_tables(conn: AsyncConnection, store_id: str, table_id: uuid.UUID,
                          other_id: uuid.UUID, *, field: str) -> tuple[Any, Any]:
    """The table of the path and another one (named by the body's ``field``), both locked in a
    fixed order (by id): two waiters moving tabs between the same two tables in opposite
    directions wait for each other instead of deadlocking."""
    rows = {}
    for each in sorted({table_id, other_id}, key=str):
        rows[each] = await load_table(conn, store_id, each, lock=True,
                                      field=None if each == table_id else field)
    return rows[table_id], rows[other_id]


# --- layouts --------------------------------------------------------------------------------

async def default_layout(conn: AsyncConnection, client_id: str, store_id: str) -> uuid.UUID:
    """The store's default dining room, made the first time it is needed."""
    found = await conn.scalar(select(layouts.c.layout_id).where(
        layouts.c.store_id == store_id, layouts.c.name == DEFAULT_LAYOUT))
    if found is not None:
        return found
    return (await _insert_layout(conn, client_id, store_id, name=DEFAULT_LAYOUT)).layout_id


async def _insert_layout(conn: AsyncConnection, client_id: str, store_id: str, **values: Any):
    now = utcnow()
    values.setdefault("elements", [])
    return (await conn.execute(insert(layouts).values(
        layout_id=uuid.uuid4(), client_id=client_id, store_id=store_id, created_at=now,
        updated_at=now, **values).returning(layouts))).one()


async def _layout_tables(conn: AsyncConnection, layout_ids: list[uuid.UUID]):
    rows = await conn.execute(select(tables).where(tables.c.layout_id.in_(layout_ids))
                              .order_by(tables.c.table_number))
    by_layout: dict[uuid.UUID, list[dict[str, Any]]] = {i: [] for i in layout_ids}
    for row in rows:
        by_layout[row.layout_id].append(table_view(row))
    return by_layout


async def list_layouts(ctx: RequestContext) -> dict:
    async with ctx.transaction() as conn:
        rows = (await conn.execute(select(layouts).where(layouts.c.store_id == ctx.store_id)
                                   .order_by(layouts.c.created_at))).all()
        its_tables = await _layout_tables(conn, [row.layout_id for row in rows])
    return {"items": [_layout_view(row, its_tables[row.layout_id]) for row in rows]}


async def _load_layout(conn: AsyncConnection, store_id: str, layout_id: uuid.UUID, *,
                       lock: bool = False):
    query = select(layouts).where(layouts.c.layout_id == layout_id,
                                  layouts.c.store_id == store_id)
    row = (await conn.execute(query.with_for_update() if lock else query)).first()
    if row is None:
        raise NotFound(f"layout {layout_id} not found", code="layout_not_found",
                       details={"layout_id": str(layout_id)})
    return row


async def get_layout(ctx: RequestContext) -> dict:
    async with ctx.transaction() as conn:
        row = await _load_layout(conn, ctx.store_id, ctx.path["layout_id"])
        its_tables = await _layout_tables(conn, [row.layout_id])
    return _layout_view(row, its_tables[row.layout_id])


async def _name_free(conn: AsyncConnection, store_id: str, name: str,
                     layout_id: uuid.UUID | None = None) -> None:
    query = select(layouts.c.layout_id).where(layouts.c.store_id == store_id,
                                              layouts.c.name == name)
    if layout_id is not None:
        query = query.where(layouts.c.layout_id != layout_id)
    if await conn.scalar(query) is not None:
        raise Conflict(f"a layout named {name} exists", code="layout_exists")


async def create_layout(ctx: RequestContext) -> Reply:
    body: LayoutCreate = ctx.body
    async with ctx.transaction() as conn:
        await _name_free(conn, ctx.store_id, body.name)
        row = await _insert_layout(conn, ctx.client_id, ctx.store_id, **body.model_dump())
    return Reply(_layout_view(row, []), 201)


async def update_layout(ctx: RequestContext) -> dict:
    body: LayoutUpdate = ctx.body
    changes = body.model_dump(include=body.model_fields_set)
    async with ctx.transaction() as conn:
        row = await _load_layout(conn, ctx.store_id, ctx.path["layout_id"], lock=True)
        if "name" in changes:
            await _name_free(conn, ctx.store_id, changes["name"], row.layout_id)
        await conn.execute(update(layouts).where(layouts.c.layout_id == row.layout_id)
                           .values(**changes, updated_at=utcnow()))
        row = await _load_layout(conn, ctx.store_id, row.layout_id)
        its_tables = await _layout_tables(conn, [row.layout_id])
    return _layout_view(row, its_tables[row.layout_id])


# --- tables ---------------------------------------------------------------------------------

async def _layout_for(conn: AsyncConnection, ctx: RequestContext,
                      layout_id: uuid.UUID | None) -> uuid.UUID:
    """The layout a table goes in: the one named, else the store's default one."""
    if layout_id is None:
        return await default_layout(conn, ctx.client_id, ctx.store_id)
    found = await conn.scalar(select(layouts.c.layout_id).where(
        layouts.c.layout_id == layout_id, layouts.c.store_id == ctx.store_id))
    if found is None:
        raise ValidationFailed(f"no layout {layout_id} in this store", code="unknown_layout")
    return layout_id


async def _number_free(conn: AsyncConnection, store_id: str, number: str,
                       table_id: uuid.UUID | None = None) -> None:
    query = store_tables(store_id).with_only_columns(tables.c.table_id).where(
        tables.c.table_number == number)
    if table_id is not None:
        query = query.where(tables.c.table_id != table_id)
    if await conn.scalar(query) is not None:
        raise Conflict(f"table {number} already exists", code="table_exists")


async def _check_waiter(conn: AsyncConnection, ctx: RequestContext,
                        waiter_id: uuid.UUID | None) -> None:
    if waiter_id is None:
        return
    row = (await conn.execute(select(users.c.roles, users.c.active).where(
        users.c.user_id == waiter_id, users.c.store_id == ctx.store_id))).first()
    if row is None or not row.active or "waiter" not in (row.roles or []):
        message = f"no active waiter {waiter_id} in this store"
        raise ValidationFailed(message, code="unknown_waiter", details=[
            {"loc": ["waiter_id"], "msg": message, "type": "unknown_waiter"}])


def _place(body: Any) -> dict[str, Any]:
    return {column: getattr(body, field) for field, column in PLACE_COLUMNS.items()
            if field in body.model_fields_set and getattr(body, field) is not None}


async def create_table(ctx: RequestContext) -> Reply:
    body: TableCreate = ctx.body
    async with ctx.transaction() as conn:
        await _number_free(conn, ctx.store_id, body.table_number)
        layout_id = await _layout_for(conn, ctx, body.layout_id)
        await _check_waiter(conn, ctx, body.waiter_id)
        row = await add_table(conn, layout_id, body.table_number, body.capacity, body.section,
                              waiter_id=body.waiter_id, **_place(body))
    return Reply(table_view(row), 201)


async def add_table(conn: AsyncConnection, layout_id: uuid.UUID, table_number: str,
                    capacity: int, section: str | None = None, **values: Any):
    """A free table in a layout; returns its row."""
    return (await conn.execute(insert(tables).values(
        table_id=values.pop("table_id", None) or uuid.uuid4(), layout_id=layout_id,
        table_number=table_number, status=TableState.FREE, capacity=capacity, section=section,
        **values).returning(tables))).one()


async def update_table(ctx: RequestContext) -> dict:
    body: TableUpdate = ctx.body
    changes = {name: getattr(body, name) for name in ("table_number", "capacity", "section")
               if name in body.model_fields_set}
    async with ctx.transaction() as conn:
        row = await load_table(conn, ctx.store_id, ctx.path["table_id"], lock=True)
        if "table_number" in changes:
            await _number_free(conn, ctx.store_id, changes["table_number"], row.table_id)
        if "layout_id" in body.model_fields_set:
            changes["layout_id"] = await _layout_for(conn, ctx, body.layout_id)
        changes.update(_place(body))
        await conn.execute(update(tables).where(tables.c.table_id == row.table_id)
                           .values(**changes))
        row = await load_table(conn, ctx.store_id, row.table_id)
    return table_view(row)


async def list_store_tables(conn: AsyncConnection, store_id: str,
                            waiter_id: uuid.UUID | None = None) -> list[dict]:
    """The store's tables, each with its tab's ``order_status`` (READY: dishes to serve)."""
    query = (store_tables(store_id).add_columns(orders.c.status.label("order_status"))
             .outerjoin(orders, orders.c.order_id == tables.c.current_order_id)
             .order_by(tables.c.table_number))
    if waiter_id is not None:
        query = query.where(tables.c.waiter_id == waiter_id)
    return [table_view(row) for row in await conn.execute(query)]


async def list_tables(ctx: RequestContext) -> dict:
    mine = ctx.request.query_params.get("mine") in ("1", "true")
    waiter_id = uuid.UUID(ctx.principal.user_id) if mine else None
    async with ctx.transaction() as conn:
        return {"items": await list_store_tables(conn, ctx.store_id, waiter_id)}


async def get_table(ctx: RequestContext) -> dict:
    async with ctx.transaction() as conn:
        return table_view(await load_table(conn, ctx.store_id, ctx.path["table_id"]))


async def assign_table(ctx: RequestContext) -> dict:
    body: Assign = ctx.body
    async with ctx.transaction() as conn:
        row = await load_table(conn, ctx.store_id, ctx.path["table_id"], lock=True)
        await _check_waiter(conn, ctx, body.waiter_id)
        return table_view(await states.save(conn, row, ctx.client_id, ctx.store_id,
                                            waiter_id=body.waiter_id))


#: The states a person may set by hand, and the states they may be set from.
MANUAL = {TableState.RESERVED: (TableState.FREE, TableState.RESERVED),
          TableState.FREE: (TableState.RESERVED, TableState.FREE)}


async def change_state(ctx: RequestContext) -> dict:
    """Reserve a free table or free a reserved one (an occupied table follows its tab)."""
    body: StateChange = ctx.body
    async with ctx.transaction() as conn:
        row = await load_table(conn, ctx.store_id, ctx.path["table_id"], lock=True)
        allowed_from = MANUAL[TableState(body.status)]
        if row.status not in allowed_from:
            raise Conflict(f"a table {row.status} cannot be set {body.status} by hand",
                           code="state_not_allowed",
                           details={"current": row.status, "requested": body.status,
                                    "allowed_from": list(allowed_from)})
        reserved = body.status == TableState.RESERVED
        return table_view(await states.save(
            conn, row, ctx.client_id, ctx.store_id, status=body.status,
            reserved_until=body.reserved_until if reserved else None))
