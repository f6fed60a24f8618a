"""Writing rows: insert-or-ignore, upsert, and :func:`write`, the drivers' short path.

Part of :mod:`posmodern.core.db`'s API (it re-exports these). Statements are SQLAlchemy Core built
once; only their parameters change per call, so SQLAlchemy's compiled cache (or :func:`write`'s
own) always hits.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection


@dataclass(frozen=True)
class _DriverStatement:
    """A Core statement compiled for the driver: its SQL, and for each positional parameter
    where its value comes from (``params`` key, or a fixed ``value``) and its bind processor."""

    sql: str
    keys: tuple[str | None, ...]
    values: tuple[Callable[[], Any] | None, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]


_driver_statements: OrderedDict[tuple, _DriverStatement] = OrderedDict()


def _fixed(value: Any) -> Callable[[], Any]:
    return lambda: value


def _driver_statement(conn: AsyncConnection, statement, keys: tuple[str, ...]) -> _DriverStatement:
    schemas = conn.sync_connection.get_execution_options().get("schema_translate_map")
    cache_key = (statement, keys, tuple(sorted((schemas or {}).items(), key=str)))
    found = _driver_statements.get(cache_key)
    if found is not None:
        return found
    dialect = conn.dialect
    compiled = statement.compile(dialect=dialect, column_keys=list(keys),
                                 schema_translate_map=schemas, render_schema_translate=True)
    table = getattr(statement, "table", None)
    names, values = [], []
    for name in compiled.positiontup:
        bind = compiled.binds[name]
        column = table.c.get(bind.key) if table is not None else None
        if bind.key in keys:
            names.append(bind.key)
            values.append(None)
        elif column is not None and column.default is not None:
            # A column left out: what SQLAlchemy would fill in (its Python-side default).
            default = column.default
            names.append(None)
            values.append((lambda arg=default.arg: arg(None)) if default.is_callable
                          else _fixed(default.arg))
        else:  # a literal written into the statement
            names.append(None)
            values.append(_fixed(bind.effective_value))
    found = _DriverStatement(
        compiled.string, tuple(names), tuple(values),
        tuple(compiled.binds[n].type.dialect_impl(dialect).bind_processor(dialect)
              for n in compiled.positiontup))
    _driver_statements[cache_key] = found
    while len(_driver_statements) > 256:
        _driver_statements.popitem(last=False)
    return found


async def write(conn: AsyncConnection, statement, rows: dict[str, Any] | list[dict[str, Any]]
                ) -> int:
    """Run an INSERT, UPDATE or DELETE built with Core for one row of parameters or several, as
    ``conn.execute(statement, rows)`` would; return the rows affected (-1 for several).

    On PostgreSQL, inside a transaction already begun, it skips SQLAlchemy's per-execution work,
    about half of a small insert's CPU (see docs/benchmarks.md): the statement is compiled once
    per schema, its parameters converted here by the column types' bind processors, and it runs
    on the asyncpg connection. Errors are then asyncpg's own.
    """
    many = isinstance(rows, list)
    if many and not rows:
        return 0
    first = rows[0] if many else rows
    raw = await conn.get_raw_connection()
    driver = raw.driver_connection
    if conn.dialect.name != "postgresql" or not driver.is_in_transaction():
        # SQLite, or the first statement of a transaction (SQLAlchemy begins it lazily).
        result = await conn.execute(statement, rows)
        return -1 if many else result.rowcount
    prepared = _driver_statement(conn, statement, tuple(first))

    def row_args(row: dict[str, Any]) -> list[Any]:
        args = []
        for key, value, process in zip(prepared.keys, prepared.values, prepared.processors,
                                       strict=True):
            given = row[key] if key is not None else value()
            args.append(process(given) if process is not None else given)
        return args

    if many:
        await driver.executemany(prepared.sql, [row_args(row) for row in rows])
        return -1
    status = await driver.execute(prepared.sql, *row_args(rows))
    return int(status.rsplit(" ", 1)[-1]) if status[-1:].isdigit() else -1


@lru_cache(maxsize=None)
def _dialect_insert(dialect: str, table):
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    return dialect_insert(table)


@lru_cache(maxsize=None)
def _insert_ignore(dialect: str, table):
    # Built once per table; the values go as parameters, so SQLAlchemy's compiled cache hits.
    return _dialect_insert(dialect, table).on_conflict_do_nothing()


async def insert_ignore(conn: AsyncConnection, table, **values) -> bool:
    """Insert a row unless its key exists; True when this call inserted it.

    On PostgreSQL a concurrent insert of the same key waits for the other transaction and then
    reports False, which is what exactly-once handling needs.
    """
    return await write(conn, _insert_ignore(conn.dialect.name, table), values) == 1


def upsert(dialect: str, table, *, keys: tuple[str, ...], set_: dict):
    """An ``INSERT … ON CONFLICT (keys) DO UPDATE SET …`` statement for ``dialect``; execute it
    with the row's values as parameters. In ``set_``, the table's columns mean the stored row."""
    return _dialect_insert(dialect, table).on_conflict_do_update(index_elements=list(keys),
                                                                 set_=set_)
