"""Endpoints for the store's tables: enough to set up a dining room and see who sits where."""

from __future__ import annotations

import uuid

from pydantic import Field
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.core.api import Reply, RequestContext
from posmodern.core.bodies import Strict
from posmodern.core.errors import Conflict, NotFound, ValidationFailed
from posmodern.plugins.waiter.occupancy import FREE
from posmodern.schema.tables import layouts, tables
from posmodern.schema.types import utcnow

DEFAULT_LAYOUT = "Salão"


class TableCreate(Strict):
    table_number: str = Field(min_length=1, max_length=20)
    capacity: int = Field(ge=1, le=100)
    section: str | None = Field(default=None, max_length=50)
    layout_id: uuid.UUID | None = None


def _store_tables(store_id: str):
    return (select(tables).join(layouts, layouts.c.layout_id == tables.c.layout_id)
            .where(layouts.c.store_id == store_id))


async def default_layout(conn: AsyncConnection, client_id: str, store_id: str) -> uuid.UUID:
    """The store's default dining room, made the first time it is needed."""
    found = await conn.scalar(select(layouts.c.layout_id).where(
        layouts.c.store_id == store_id, layouts.c.name == DEFAULT_LAYOUT))
    if found is not None:
        return found
    new_id = uuid.uuid4()
    now = utcnow()
    await conn.execute(insert(layouts).values(
        layout_id=new_id, client_id=client_id, store_id=store_id, name=DEFAULT_LAYOUT,
        elements=[], created_at=now, updated_at=now))
    return new_id


async def _layout_for(conn: AsyncConnection, ctx: RequestContext,
                      layout_id: uuid.UUID | None) -> uuid.UUID:
    """The layout a new table goes in: the one named, else the store's default one."""
    if layout_id is None:
        return await default_layout(conn, ctx.client_id, ctx.store_id)
    found = await conn.scalar(select(layouts.c.layout_id).where(
        layouts.c.layout_id == layout_id, layouts.c.store_id == ctx.store_id))
    if found is None:
        raise ValidationFailed(f"no layout {layout_id} in this store", code="unknown_layout")
    return layout_id


async def create_table(ctx: RequestContext) -> Reply:
    body: TableCreate = ctx.body
    async with ctx.transaction() as conn:
        taken = await conn.scalar(_store_tables(ctx.store_id).with_only_columns(tables.c.table_id)
                                  .where(tables.c.table_number == body.table_number))
        if taken is not None:
            raise Conflict(f"table {body.table_number} already exists", code="table_exists")
        layout_id = await _layout_for(conn, ctx, body.layout_id)
        row = await add_table(conn, layout_id, body.table_number, body.capacity, body.section)
    return Reply(dict(row._mapping), 201)


async def add_table(conn: AsyncConnection, layout_id: uuid.UUID, table_number: str,
                    capacity: int, section: str | None = None, table_id: uuid.UUID | None = None):
    """A free table in a layout; returns its row."""
    return (await conn.execute(insert(tables).values(
        table_id=table_id or uuid.uuid4(), layout_id=layout_id, table_number=table_number,
        status=FREE, capacity=capacity, section=section,
    ).returning(tables))).one()


async def list_store_tables(conn: AsyncConnection, store_id: str) -> list[dict]:
    rows = await conn.execute(_store_tables(store_id).order_by(tables.c.table_number))
    return [dict(row._mapping) for row in rows]


async def list_tables(ctx: RequestContext) -> dict:
    async with ctx.transaction() as conn:
        return {"items": await list_store_tables(conn, ctx.store_id)}


async def get_table(ctx: RequestContext) -> dict:
    table_id = ctx.path["table_id"]
    async with ctx.transaction() as conn:
        row = (await conn.execute(_store_tables(ctx.store_id)
                                  .where(tables.c.table_id == table_id))).first()
    if row is None:
        raise NotFound(f"table {table_id} not found", code="table_not_found")
    return dict(row._mapping)
