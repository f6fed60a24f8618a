"""Many rows into a table at once: inserted (all new) or brought up to date by primary key.

PostgreSQL: rows are copied with ``COPY`` (asyncpg's binary protocol). :func:`insert_rows`
copies them straight into the table; :func:`upsert_rows` copies them into a temporary staging
table and moves them with one ``INSERT … SELECT … ON CONFLICT DO UPDATE``. SQLite: one
``INSERT`` (``… ON CONFLICT DO UPDATE``) executed for the whole batch. An upsert leaves a row
whose stored copy already has the same values alone (its ``updated_at`` too), so loading the
same rows twice changes nothing, and the count returned is of the rows really inserted or changed.

The caller passes the table it owns: these helpers name none.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from operator import itemgetter
from typing import Any

import asyncpg
from sqlalchemy import Column, MetaData, Table, any_, bindparam, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, IntegrityError
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


def _with_created_at(table: Table, rows: Sequence[dict[str, Any]]
                     ) -> tuple[list[str], Sequence[dict[str, Any]]]:
    """The rows' columns, and the rows with ``created_at`` set to now where the table has one
    and the rows do not."""
    columns = list(rows[0])
    if "created_at" in table.c and "created_at" not in columns:
        now = utcnow()
        rows = [{**row, "created_at": now} for row in rows]
        columns.append("created_at")
    return columns, rows


async def insert_rows(conn: AsyncConnection, table: Table, rows: Sequence[dict[str, Any]]) -> int:
    """Insert ``rows``, none of which ``table`` holds yet, and return how many: one COPY
    straight into the table on PostgreSQL (no staging, no conflict check), one ``INSERT`` on
    SQLite. A row whose primary key is taken fails the whole call with ``IntegrityError``:
    callers that may meet one run it in a savepoint. Every row has the same keys."""
    if not rows:
        return 0
    columns, rows = _with_created_at(table, rows)
    if conn.dialect.name == "postgresql":
        schema = (conn.sync_connection.get_execution_options()
                  .get("schema_translate_map", {}).get(table.schema))
        await _copy(conn, table.name, schema, columns, _records(table, columns, rows))
    else:
        await conn.execute(sqlite.insert(table), list(rows))
    return len(rows)


async def upsert_rows(conn: AsyncConnection, table: Table, rows: Sequence[dict[str, Any]]) -> int:
    """Insert ``rows`` into ``table`` or update the stored rows with the same primary key;
    return how many were inserted or changed. Every row has the same keys."""
    if not rows:
        return 0
    columns, rows = _with_created_at(table, rows)
    if conn.dialect.name == "postgresql":
        return await _copy_and_merge(conn, table, columns, rows)
    insert, keys, compared, changes = _statement(sqlite.insert, table, columns)
    statement = insert.on_conflict_do_update(
        index_elements=keys, set_=changes,
        where=or_(*(table.c[name].is_distinct_from(insert.excluded[name]) for name in compared))
        if compared else None)
    result = await conn.execute(statement, list(rows))
    return max(result.rowcount, 0)


def _records(table: Table, columns: list[str], rows: Sequence[dict[str, Any]]) -> list[tuple]:
    """The rows as tuples in ``columns``' order, JSON documents as text (asyncpg's COPY
    encodes JSONB from text)."""
    pick = itemgetter(*columns)
    records = [pick(row) for row in rows] if len(columns) > 1 else [(pick(row),) for row in rows]
    documents = [index for index, name in enumerate(columns)
                 if isinstance(table.c[name].type, JSONDocument)]
    if not documents:
        return records
    encoded = []
    for record in records:
        if any(record[index] is not None for index in documents):
            record = tuple(dumps(value) if index in documents and value is not None else value
                           for index, value in enumerate(record))
        encoded.append(record)
    return encoded


async def _copy(conn: AsyncConnection, table_name: str, schema: str | None, columns: list[str],
                records: list[tuple]) -> None:
    raw = (await conn.get_raw_connection()).driver_connection
    try:
        await raw.copy_records_to_table(table_name, schema_name=schema, columns=columns,
                                        records=records)
    except asyncpg.PostgresError as exc:
        # asyncpg called directly: its error is given SQLAlchemy's shape, as an execute's is.
        kind = (IntegrityError if isinstance(exc, asyncpg.IntegrityConstraintViolationError)
                else DBAPIError)
        raise kind(f"COPY {table_name}", None, exc) from exc


async def _copy_and_merge(conn: AsyncConnection, table: Table, columns: list[str],
                          rows: Sequence[dict[str, Any]]) -> int:
    stage = Table(f"stage_{table.name}_{uuid.uuid4().hex[:8]}", MetaData(schema="pg_temp"),
                  *(Column(name, table.c[name].type) for name in columns),
                  prefixes=["TEMPORARY"], postgresql_on_commit="DROP")
    await conn.run_sync(stage.create)
    await _copy(conn, stage.name, "pg_temp", columns, _records(table, columns, rows))
    insert, keys, compared, changes = _statement(postgresql.insert, table, columns)
    statement = insert.from_select(columns, select(*(stage.c[name] for name in columns)))
    statement = statement.on_conflict_do_update(
        index_elements=keys, set_=changes,
        where=or_(*(table.c[name].is_distinct_from(insert.excluded[name]) for name in compared))
        if compared else None)
    result = await conn.execute(statement)
    await conn.run_sync(stage.drop)
    return max(result.rowcount, 0)


@asynccontextmanager
async def planned_for_values(conn: AsyncConnection) -> AsyncIterator[None]:
    """Statements run inside are planned for their own parameters (PostgreSQL; SQLite plans
    every statement anew anyway).

    asyncpg keeps statements prepared, and after five runs PostgreSQL may plan one once for any
    parameters: a lookup of a batch's ids (``= ANY($1)``: an array the plan cannot hash) planned
    while its table was nearly empty stays a seq scan with a linear search of the array per row,
    and grows with the table (2 s a batch of the legacy import at 60,000 orders, 0.01 s
    planned for the batch's own ids). Wrap lookups only: the foreign-key checks of a COPY,
    planned again for every row, would then cost three times what the COPY does."""
    postgres = conn.dialect.name == "postgresql"
    if postgres:
        await conn.exec_driver_sql("SET LOCAL plan_cache_mode = force_custom_plan")
    yield
    if postgres:
        await conn.exec_driver_sql("SET LOCAL plan_cache_mode = auto")


def among(conn: AsyncConnection, column, values: Iterable[Any]):
    """``column IN values`` for many values: one array parameter on PostgreSQL (no statement
    with thousands of parameters to compile), a plain ``IN`` on SQLite."""
    values = list(values)
    if conn.dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=postgresql.ARRAY(column.type)))
    return column.in_(values)
