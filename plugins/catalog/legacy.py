"""The legacy export's ``categories.json`` and ``products.json`` read into the menu."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.core import legacy_fields as legacy
from posmodern.core.bulk import among, upsert_rows
from posmodern.core.legacy_import import ImportContext, LegacyImporter, Prepared, RowProblem
from posmodern.schema.tables import categories, products
from posmodern.schema.types import utcnow


def _category(record: dict, ctx: ImportContext) -> dict:
    return {"category_id": legacy.legacy_uuid("category", record.get("id")),
            "client_id": ctx.client_id, "store_id": legacy.store_of(record, ctx, categories.c.store_id),
            "name": legacy.text(record, "name", categories.c.name, required=True),
            "description": legacy.text(record, "description", categories.c.description),
            "parent_id": legacy.reference(record, "parent_id", "category"),
            "active": legacy.boolean(record, "active", True),
            "created_at": legacy.timestamp(record, "created_at", default=utcnow())}


def _product(record: dict, ctx: ImportContext) -> dict:
    return {"product_id": legacy.legacy_uuid("product", record.get("id")),
            "client_id": ctx.client_id, "store_id": legacy.store_of(record, ctx, products.c.store_id),
            "name": legacy.text(record, "name", products.c.name, required=True),
            "description": legacy.text(record, "description", products.c.description),
            "price": legacy.money(record, "price", required=True),
            "cost": legacy.money(record, "cost"),
            "category_id": legacy.reference(record, "category_id", "category"),
            "active": legacy.boolean(record, "active", True),
            "created_at": legacy.timestamp(record, "created_at", default=utcnow()),
            "metadata": legacy.document(record, "metadata")}


async def _stored(conn: AsyncConnection, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Categories already stored among ``ids``, with their store."""
    wanted = list(set(ids))
    if not wanted:
        return {}
    rows = await conn.execute(select(categories.c.category_id, categories.c.store_id)
                              .where(among(conn, categories.c.category_id, wanted)))
    return {row.category_id: row.store_id for row in rows}


def _parents_first(batch: list[Prepared]) -> list[Prepared]:
    """The batch ordered so that a category comes after its parent (SQLite checks each row's
    foreign key as it is written)."""
    pending = {p.rows["category_id"]: p for p in batch}
    ordered: list[Prepared] = []
    while pending:
        ready = [p for p in pending.values() if p.rows["parent_id"] not in pending]
        if not ready:  # a cycle: leave it to the reference check
            ready = list(pending.values())
        for prepared in ready:
            ordered.append(prepared)
            pending.pop(prepared.rows["category_id"], None)
    return ordered


def _keep_known(batch: list[Prepared], column: str, known: dict[uuid.UUID, str], what: str
                ) -> tuple[list[Prepared], list[tuple[Prepared, RowProblem]]]:
    kept, problems = [], []
    for prepared in batch:
        target = prepared.rows[column]
        if target is not None and known.get(target) != prepared.rows["store_id"]:
            problems.append((prepared, RowProblem(column, f"no {what} {target} in store "
                                                          f"{prepared.rows['store_id']}")))
        else:
            kept.append(prepared)
    return kept, problems


async def _write(conn: AsyncConnection, table, batch: list[Prepared]) -> int:
    return await upsert_rows(conn, table, [p.rows for p in batch])


async def write_categories(conn: AsyncConnection, batch: list[Prepared], ctx: ImportContext):
    known = await _stored(conn, (p.rows["parent_id"] for p in batch))
    known.update({p.rows["category_id"]: p.rows["store_id"] for p in batch})
    kept, problems = _keep_known(_parents_first(batch), "parent_id", known, "category")
    return await _write(conn, categories, kept), problems


async def write_products(conn: AsyncConnection, batch: list[Prepared], ctx: ImportContext):
    known = await _stored(conn, (p.rows["category_id"] for p in batch))
    kept, problems = _keep_known(batch, "category_id", known, "category")
    return await _write(conn, products, kept), problems


IMPORTERS = [
    LegacyImporter("categories", "categories.json", 10, _category, write_categories),
    LegacyImporter("products", "products.json", 20, _product, write_products),
]
