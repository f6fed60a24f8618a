"""A transaction's outbox rows: kept on its connection, written by its last statement.

Part of :mod:`posmodern.core.db` and :mod:`posmodern.core.events`. :func:`~events.publish` adds
a row here; :meth:`Database.transaction` writes what is left just before it commits. A caller
that ends the transaction with a statement of its own (the Idempotency-Key row of the answer)
can write the rows in that same statement with :func:`along_with_rows` on PostgreSQL: one round
trip fewer per event-writing request. Either way a row is in the outbox exactly when its
transaction commits, which is all the relay needs.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, insert, literal_column, select
from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.core.writes import ColumnArrays, write
from posmodern.schema.tables import outbox

#: Set on a connection whose transaction wrote outbox rows (the relay is told after the commit).
WRITTEN = "posmodern.outbox_written"
_PENDING = "posmodern.outbox_pending"
_COLUMNS = ("event_id", "event_type", "payload", "created_at")
_INSERT = insert(outbox)


def add(conn: AsyncConnection, row: dict[str, Any]) -> None:
    """Keep an outbox row (``event_id``, ``event_type``, ``payload``, ``created_at``) for
    ``conn``'s transaction to write."""
    info = conn.sync_connection.info
    info.setdefault(_PENDING, []).append(row)
    info[WRITTEN] = True


def take(conn: AsyncConnection) -> list[dict[str, Any]]:
    """The rows kept so far, no longer kept: the caller writes them now."""
    return conn.sync_connection.info.pop(_PENDING, None) or []


def forget(conn: AsyncConnection) -> None:
    """Drop what a transaction that did not commit kept."""
    conn.sync_connection.info.pop(_PENDING, None)


async def flush(conn: AsyncConnection) -> None:
    """Write the rows kept so far (one batched statement on PostgreSQL)."""
    rows = take(conn)
    if rows:
        await write(conn, _INSERT, rows)


_ROWS = ColumnArrays(outbox, _COLUMNS, "outbox", ordered=True)


def along_with_rows(dml):
    """PostgreSQL: a statement running ``dml`` (with a RETURNING clause) and writing outbox
    rows given by :func:`row_arrays`; it returns how many rows ``dml`` returned, as ``written``.

    ``WITH events AS (INSERT INTO outbox … SELECT … FROM unnest(…) WITH ORDINALITY ORDER BY
    ordinality), written AS (<dml>) SELECT count(*) AS written FROM written``
    """
    events = insert(outbox).from_select(
        [*_COLUMNS, "attempts"],
        select(*_ROWS.columns, literal_column("0")).order_by(_ROWS.rows.c.position)).cte("events")
    written = dml.cte("written")
    return select(func.count().label("written")).select_from(written).add_cte(events)


def row_arrays(rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """The parameters of :func:`along_with_rows` for ``rows``."""
    return _ROWS.params(rows)
