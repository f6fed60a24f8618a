"""Rows that belong to a store: read one or say 404, and list them a page at a time by name.

Tenants are separated by schema or file; stores of one tenant share tables, so every read of a
store's rows filters on the caller's ``store_id`` here, in one place.
"""

from __future__ import annotations

import uuid
from typing import Any

from collections.abc import Callable

from sqlalchemy import Select, Table, func, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.core.errors import NotFound
from posmodern.core.pagination import after, decode_cursor, page
from posmodern.schema.types import utcnow


def primary_key(table: Table):
    (column,) = table.primary_key.columns
    return column


async def fetch_one(conn: AsyncConnection, table: Table, store_id: str, row_id: uuid.UUID, *,
                    what: str, lock: bool = False) -> Row:
    """The store's row with primary key ``row_id``, or :class:`NotFound` (``<what>_not_found``).

    ``lock`` takes the row for update (PostgreSQL) so concurrent changes queue.
    """
    key = primary_key(table)
    query = select(table).where(key == row_id, table.c.store_id == store_id)
    if lock:
        query = query.with_for_update()
    row = (await conn.execute(query)).first()
    if row is None:
        raise _not_found(what, row_id)
    return row


def _not_found(what: str, row_id: uuid.UUID) -> NotFound:
    return NotFound(f"{what} {row_id} not found", code=f"{what}_not_found",
                    details={f"{what}_id": str(row_id)})


async def insert_one(conn: AsyncConnection, table: Table, values: dict[str, Any]) -> Row:
    """Insert a row (timestamps set now) and return it as stored."""
    now = utcnow()
    statement = insert(table).values(created_at=now, updated_at=now, **values)
    return (await conn.execute(statement.returning(table))).one()


async def update_one(conn: AsyncConnection, table: Table, store_id: str, row_id: uuid.UUID,
                     changes: dict[str, Any], *, what: str) -> Row:
    """Change the store's row ``row_id`` and return it (:class:`NotFound` as :func:`fetch_one`)."""
    statement = (update(table)
                 .where(primary_key(table) == row_id, table.c.store_id == store_id)
                 .values(**changes, updated_at=utcnow())
                 .returning(table))
    row = (await conn.execute(statement)).first()
    if row is None:
        raise _not_found(what, row_id)
    return row


async def missing_ids(conn: AsyncConnection, table: Table, store_id: str,
                      ids: set[uuid.UUID]) -> set[uuid.UUID]:
    """Which of ``ids`` are not rows of the store."""
    if not ids:
        return set()
    key = primary_key(table)
    found = await conn.scalars(select(key).where(key.in_(ids), table.c.store_id == store_id))
    return ids - set(found)


async def list_by_name(conn: AsyncConnection, table: Table, store_id: str, *, limit: int,
                       cursor: str | None, search: str | None = None,
                       equal: dict[str, Any] | None = None,
                       view: Callable[[Row], dict[str, Any]] | None = None) -> dict[str, Any]:
    """A listing page ``{items, next_cursor}`` of the store's rows in name order.

    ``equal`` filters columns on values (None values are left out); ``search`` keeps names that
    contain the text, whatever its case; ``view`` turns a row into an item (:func:`as_dict`).
    """
    query = select(table).where(table.c.store_id == store_id, *(
        table.c[name] == value for name, value in (equal or {}).items() if value is not None))
    if search:
        query = query.where(func.lower(table.c.name).contains(search.lower(), autoescape=True))
    rows, next_cursor = await page_by_name(conn, query, table, limit=limit, cursor=cursor)
    return {"items": [(view or as_dict)(row) for row in rows], "next_cursor": next_cursor}


async def page_by_name(conn: AsyncConnection, query: Select, table: Table, *, limit: int,
                       cursor: str | None) -> tuple[list[Row], str | None]:
    """One page of ``query`` (already filtered) in name order, and the next page's cursor."""
    key = primary_key(table)
    columns = (table.c.name, key)
    if cursor:
        query = query.where(after(columns, decode_cursor(cursor, (str, uuid.UUID))))
    rows = (await conn.execute(query.order_by(*columns).limit(limit + 1))).all()
    return page(rows, limit, lambda row: (row.name, getattr(row, key.name)))


def as_dict(row: Row, *, hide: tuple[str, ...] = ()) -> dict[str, Any]:
    """A row as a JSON-ready dict, without the tenant column and ``hide``."""
    return {k: v for k, v in row._mapping.items() if k != "client_id" and k not in hide}
