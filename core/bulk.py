"""Many rows into a table at once, inserted or brought up to date by primary key.

PostgreSQL: the rows are copied (``COPY``, asyncpg's binary protocol) into a temporary staging
table, then one ``INSERT … SELECT … ON CONFLICT DO UPDATE`` moves them; SQLite: one
``INSERT … ON CONFLICT DO UPDATE`` executed for the whole batch. Either way a row whose stored
copy already has the same values is left alone (its ``updated_at`` too), so loading the same rows
twice changes nothing, and the count returned is of the rows really inserted or changed.

The caller passes the table it owns: these helpers name none.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Column, MetaData, Table, any_, bindparam, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.core.jsonable import dumps
from posmodern.schema.types import JSONDocument, utcnow

#: Columns never compared nor overwritten by a later copy of a row.
KEPT = ("created_at", "updated_at")


def _statement(dialect_insert, table: Table, columns: Sequence[str]):
    keys = [column.name for column in table.primary_key.columns]
    compared = [name for name in columns if name not in keys and name not in KEPT]
    insert = dialect_insert(table)
    changes = {name: insert.excluded[name] for name in compared}
    if "updated_at" in table.c:
        changes["updated_at"] = utcnow()
    return insert, keys, compared, changes


async def upsert_rows(conn: AsyncConnection, table: Table, rows: Sequence[dict[str, Any]]) -> int:
    """Insert ``rows`` into ``table`` or update the stored rows with the same primary key;
    return how many were inserted or changed. Every row has the same keys."""
    if not rows:
        return 0
    columns = list(rows[0])
    if "created_at" in table.c and "created_at" not in columns:
        now = utcnow()
        rows = [{**row, "created_at": now} for row in rows]
        columns.append("created_at")
    if conn.dialect.name == "postgresql":
        return await _copy_and_merge(conn, table, columns, rows)
    insert, keys, compared, changes = _statement(sqlite.insert, table, columns)
    statement = insert.on_conflict_do_update(
        index_elements=keys, set_=changes,
        where=or_(*(table.c[name].is_distinct_from(insert.excluded[name]) for name in compared))
        if compared else None)
    result = await conn.execute(statement, list(rows))
    return max(result.rowcount, 0)


async def _copy_and_merge(conn: AsyncConnection, table: Table, columns: list[str],
                          rows: Sequence[dict[str, Any]]) -> int:
    stage = Table(f"stage_{table.name}_{uuid.uuid4().hex[:8]}", MetaData(schema="pg_temp"),
                  *(Column(name, table.c[name].type) for name in columns),
                  prefixes=["TEMPORARY"], postgresql_on_commit="DROP")
    await conn.run_sync(stage.create)
    raw = (await conn.get_raw_connection()).driver_connection
    documents = [index for index, name in enumerate(columns)
                 if isinstance(table.c[name].type, JSONDocument)]
    records = [tuple(row[name] for name in columns) for row in rows]
    if documents:
        # asyncpg's COPY encodes JSONB from text.
        records = [tuple(dumps(value) if index in documents and value is not None else value
                         for index, value in enumerate(record)) for record in records]
    await raw.copy_records_to_table(stage.name, schema_name="pg_temp", columns=columns,
                                    records=records)
    insert, keys, compared, changes = _statement(postgresql.insert, table, columns)
    statement = insert.from_select(columns, select(*(stage.c[name] for name in columns)))
    statement = statement.on_conflict_do_update(
        index_elements=keys, set_=changes,
        where=or_(*(table.c[name].is_distinct_from(insert.excluded[name]) for name in compared))
        if compared else None)
    result = await conn.execute(statement)
    await conn.run_sync(stage.drop)
    return max(result.rowcount, 0)


def among(conn: AsyncConnection, column, values: Iterable[Any]):
    """``column IN values`` for many values: one array parameter on PostgreSQL (no statement
    with thousands of parameters to compile), a plain ``IN`` on SQLite."""
    values = list(values)
    if conn.dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=postgresql.ARRAY(column.type)))
    return column.in_(values)
