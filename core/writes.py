"""Rows in and out: insert-or-ignore, upsert, and :func:`write` / :func:`fetch`, the short path
to the driver.

Part of :mod:`posmodern.core.db`'s API (it re-exports these). Statements are SQLAlchemy Core built
once; only their parameters change per call, so SQLAlchemy's compiled cache (or :func:`write`'s
own) always hits.
"""

from __future__ import annotations

from collections import OrderedDict, namedtuple
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import ARRAY, Text, any_, bindparam, cast, func
from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.core.jsonable import encode
from posmodern.schema.types import JSONDocument


@dataclass(frozen=True)
class _DriverStatement:
    """A Core statement compiled for the driver: its SQL; for each positional parameter where
    its value comes from (a ``params`` key, or ``values``: a fixed value or a column's Python
    default) and its bind processor; for a statement returning rows, a named-tuple type of its
    columns and their result processors."""

    sql: str
    keys: tuple[str | None, ...]
    values: tuple[Callable[[], Any] | None, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]
    row: type | None = None
    results: tuple[Callable[[Any], Any] | None, ...] = ()

    def args(self, params: dict[str, Any]) -> list[Any]:
        args = []
        for key, value, process in zip(self.keys, self.values, self.processors, strict=True):
            given = params[key] if key is not None else value()
            args.append(process(given) if process is not None else given)
        return args

    def rows(self, records) -> list[tuple]:
        make, results = self.row._make, self.results
        return [make(value if process is None else process(value)
                     for value, process in zip(record, results, strict=True))
                for record in records]


_driver_statements: OrderedDict[tuple, _DriverStatement] = OrderedDict()


def _fixed(value: Any) -> Callable[[], Any]:
    return lambda: value


async def _driver_statement(conn: AsyncConnection, driver, statement,
                            keys: tuple[str, ...]) -> _DriverStatement:
    schemas = conn.sync_connection.get_execution_options().get("schema_translate_map")
    cache_key = (statement, keys, tuple(sorted((schemas or {}).items(), key=str)))
    found = _driver_statements.get(cache_key)
    if found is not None:
        return found
    dialect = conn.dialect
    compiled = statement.compile(dialect=dialect, column_keys=list(keys),
                                 schema_translate_map=schemas,
                                 render_schema_translate=bool(schemas))
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
    processors = tuple(compiled.binds[n].type.dialect_impl(dialect).bind_processor(dialect)
                       for n in compiled.positiontup)
    columns = list(statement.exported_columns)  # a SELECT's, or what a write RETURNs
    if columns:
        # Result processors want the driver's type of each column, as a cursor reports it.
        attributes = (await driver.prepare(compiled.string)).get_attributes()
        found = _DriverStatement(
            compiled.string, tuple(names), tuple(values), processors,
            namedtuple("Row", [column.key for column in columns]),
            tuple(column.type.dialect_impl(dialect).result_processor(dialect, attr.type.oid)
                  for column, attr in zip(columns, attributes, strict=True)))
    else:
        found = _DriverStatement(compiled.string, tuple(names), tuple(values), processors)
    _driver_statements[cache_key] = found
    while len(_driver_statements) > 256:
        _driver_statements.popitem(last=False)
    return found


def one_of(column, name: str) -> dict[str, Any]:
    """``column`` is one of the values of the list parameter ``name``, per dialect: ``= ANY`` of
    one array parameter on PostgreSQL (so the statement can take the short path, which has no
    expanding parameters), an expanding ``IN`` on SQLite. Build one statement per dialect."""
    return {"postgresql": column == any_(bindparam(name, type_=ARRAY(column.type))),
            "sqlite": column.in_(bindparam(name, expanding=True))}


class ColumnArrays:
    """PostgreSQL: rows of ``table`` given column by column, one array parameter per column
    (``<prefix>_<column>``), as the source of an ``INSERT … SELECT`` in a statement of fixed text
    whatever the number of rows: ``FROM unnest(<arrays>) AS rows(<columns>[, position])``.

    JSON documents travel as text (one array type for every driver) and are cast back here.
    ``ordered`` numbers the rows (``rows.c.position``) so the SELECT can keep their order.
    """

    def __init__(self, table, names: tuple[str, ...], prefix: str, *, ordered: bool = False):
        self.names, self.prefix = names, prefix
        self._json = {name for name in names if isinstance(table.c[name].type, JSONDocument)}
        arrays = [bindparam(f"{prefix}_{name}", type_=ARRAY(
            Text() if name in self._json else table.c[name].type)) for name in names]
        numbered = {"with_ordinality": "position"} if ordered else {}
        self.rows = func.unnest(*arrays).table_valued(*names, **numbered).render_derived()
        self.columns = [cast(self.rows.c[name], table.c[name].type) if name in self._json
                        else self.rows.c[name] for name in names]

    def params(self, rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
        """The array parameters for ``rows`` (dicts by column name)."""
        return {f"{self.prefix}_{name}": [
            row[name] if name not in self._json or row[name] is None else encode(row[name])
            for row in rows] for name in self.names}


async def fetch(conn: AsyncConnection, statement, params: dict[str, Any]) -> list[tuple]:
    """The rows of a Core SELECT (or a statement with RETURNING), as named tuples, as
    ``conn.execute(statement, params)`` gives them.

    On PostgreSQL it takes :func:`write`'s short path. No expanding (``IN``) parameters there:
    use :func:`one_of`.
    """
    driver = await _driver(conn)
    if driver is None:
        return list(await conn.execute(statement, params))
    prepared = await _driver_statement(conn, driver, statement, tuple(params))
    return prepared.rows(await driver.fetch(prepared.sql, *prepared.args(params)))


async def write(conn: AsyncConnection, statement, rows: dict[str, Any] | list[dict[str, Any]]
                ) -> int:
    """Run an INSERT, UPDATE or DELETE built with Core for one row of parameters or several, as
    ``conn.execute(statement, rows)`` would; return the rows affected (-1 for several).

    On PostgreSQL it skips SQLAlchemy's per-execution work, about half of a small insert's CPU
    (see docs/benchmarks.md): the statement is compiled once per schema, its parameters
    converted here by the column types' bind processors, and it runs on the asyncpg connection.
    Errors are then asyncpg's own.
    """
    many = isinstance(rows, list)
    if many and not rows:
        return 0
    first = rows[0] if many else rows
    driver = await _driver(conn)
    if driver is None:
        result = await conn.execute(statement, rows)
        return -1 if many else result.rowcount
    prepared = await _driver_statement(conn, driver, statement, tuple(first))
    if many:
        await driver.executemany(prepared.sql, [prepared.args(row) for row in rows])
        return -1
    status = await driver.execute(prepared.sql, *prepared.args(rows))
    return int(status.rsplit(" ", 1)[-1]) if status[-1:].isdigit() else -1


async def _driver(conn: AsyncConnection):
    """``conn``'s asyncpg connection when a statement can go to it directly, else None (SQLite;
    a transaction SQLAlchemy has yet to begin).

    The short path reaches asyncpg through public API only (the pooled connection's
    ``driver_connection``) and never begins a transaction behind SQLAlchemy's back, which would
    then not commit it. A statement goes to the driver when ``conn`` autocommits (each
    statement is its own transaction) or when the driver is in ``conn``'s transaction already:
    tenant transactions begin on the driver (core/tenant_pool.py), so on the order path every
    statement takes it. In a transaction begun with SQLAlchemy's ``begin()``, which opens it
    lazily, the first statement goes through SQLAlchemy (that sends its ``BEGIN``, as the
    driver would) and the following ones take the short path.
    """
    if conn.dialect.name != "postgresql":
        return None
    sync = conn.sync_connection
    # A connection checked out and valid gives its DB-API connection without I/O.
    pooled = sync.connection if sync is not None and not (sync.closed or sync.invalidated) \
        else await conn.get_raw_connection()
    driver = pooled.driver_connection
    if driver.is_in_transaction() or conn.dialect.detect_autocommit_setting(
            pooled.dbapi_connection):
        return driver
    return None


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
