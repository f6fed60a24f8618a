"""``pos tenant export``: every table of one tenant as JSON lines, one file per table.

Tables are found in the database (the tenant's schema, or its file), so plugins' own tables are
included; rows are streamed, so a large tenant does not have to fit in memory. Sealed columns
(customers' documents) stay sealed: this is for moving data out, not a way around encryption.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect, select, table

from posmodern.core.db import Database, schema_name
from posmodern.core.jsonable import dumps

SKIPPED = ("alembic_version",)


async def export_tenant(db: Database, client_id: str, target: Path) -> dict[str, int]:
    """Write ``<table>.jsonl`` for each table of the tenant into ``target``; rows per table."""
    target.mkdir(parents=True, exist_ok=True)
    schema = None if db.is_sqlite else schema_name(client_id)
    counts: dict[str, int] = {}
    async with db.transaction(client_id) as conn:
        names = await conn.run_sync(lambda sync: inspect(sync).get_table_names(schema=schema))
        for name in sorted(set(names) - set(SKIPPED)):
            columns = await conn.run_sync(
                lambda sync, n=name: [c["name"] for c in inspect(sync).get_columns(n, schema=schema)])
            source = table(name, *(_column(c) for c in columns), schema=schema)
            path = target / f"{name}.jsonl"
            count = 0
            with path.open("w", encoding="utf-8") as out:
                result = await conn.stream(select(source))
                async for row in result:
                    out.write(dumps(dict(row._mapping), ensure_ascii=False) + "\n")
                    count += 1
            path.chmod(0o600)
            counts[name] = count
    return counts


def _column(name: str):
    from sqlalchemy import column
    return column(name)
