"""The legacy export's ``customers.json`` read into the customers table, documents sealed like
those registered through the API (a CPF/CNPJ with wrong check digits is reported, not stored)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.core import legacy_fields as legacy
from posmodern.core.bulk import among, planned_for_values, upsert_rows
from posmodern.core.errors import ValidationFailed
from posmodern.core.legacy_import import ImportContext, LegacyImporter, Prepared, RowProblem
from posmodern.plugins.customers.models import normalize_email, normalize_phone
from posmodern.plugins.customers.routes import _sealed_document
from posmodern.schema.tables import customers
from posmodern.schema.types import utcnow


def _normalized(record: dict, name: str, normalize) -> str | None:
    """An e-mail or phone normalized as the API stores them (so lookups find them)."""
    # Read up to the e-mail column's length; the normalized value fits its column.
    value = legacy.text(record, name, customers.c.email)
    if value is None or not value.strip():
        return None
    try:
        return normalize(value)
    except ValueError as exc:
        raise RowProblem(name, str(exc)) from None


def _customer(record: dict, ctx: ImportContext) -> dict:
    raw = record.get("document_number")
    if raw is not None and not isinstance(raw, str):
        raise RowProblem("document_number", "must be a string")
    kind = record.get("document_type")
    if kind is not None and not isinstance(kind, str):
        raise RowProblem("document_type", "must be a string")
    try:
        sealed = _sealed_document(ctx.settings, raw or None, kind.upper() if kind else None)
    except ValidationFailed as exc:
        raise RowProblem("document_number", exc.message) from None
    return {"customer_id": legacy.legacy_uuid("customer", record.get("id")),
            "client_id": ctx.client_id,
            "store_id": legacy.store_of(record, ctx, customers.c.store_id),
            "name": legacy.text(record, "name", customers.c.name, required=True),
            "email": _normalized(record, "email", normalize_email),
            "phone": _normalized(record, "phone", normalize_phone),
            **sealed,
            "address": legacy.document(record, "address"),
            "created_at": legacy.timestamp(record, "created_at", default=utcnow()),
            "metadata": legacy.document(record, "metadata")}


async def write_customers(conn: AsyncConnection, batch: list[Prepared], ctx: ImportContext):
    """Upsert the batch; a document another customer of the store has is reported."""
    hashes = {p.rows["document_hash"] for p in batch if p.rows["document_hash"]}
    owners = {}
    if hashes:
        async with planned_for_values(conn):
            rows = await conn.execute(select(customers.c.customer_id, customers.c.store_id,
                                             customers.c.document_hash)
                                      .where(among(conn, customers.c.store_id,
                                                   {p.rows["store_id"] for p in batch}),
                                             among(conn, customers.c.document_hash, hashes)))
        owners = {(row.store_id, row.document_hash): row.customer_id for row in rows}
    kept, problems = [], []
    for prepared in batch:
        row = prepared.rows
        key = (row["store_id"], row["document_hash"])
        if row["document_hash"] and owners.setdefault(key, row["customer_id"]) != row["customer_id"]:
            problems.append((prepared, RowProblem(
                "document_number", f"another customer of the store ({owners[key]}) has it")))
        else:
            kept.append(prepared)
    # Sealing is randomised: a customer stored with the same document keeps its token, so a
    # second run changes nothing.
    ids = [p.rows["customer_id"] for p in kept]
    stored = {}
    if ids:
        async with planned_for_values(conn):
            stored = {row.customer_id: row for row in await conn.execute(
                select(customers.c.customer_id, customers.c.document_hash,
                       customers.c.document_number)
                .where(among(conn, customers.c.customer_id, ids)))}
    rows = []
    for prepared in kept:
        row = dict(prepared.rows)
        before = stored.get(row["customer_id"])
        if before is not None and before.document_hash == row["document_hash"]:
            row["document_number"] = before.document_number
        rows.append(row)
    return await upsert_rows(conn, customers, rows), problems


IMPORTERS = [LegacyImporter("customers", "customers.json", 30, _customer, write_customers)]
