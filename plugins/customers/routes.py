"""Endpoints of the customers plugin.

The CPF/CNPJ is stored sealed (:mod:`posmodern.core.crypto`) in ``document_number`` with a keyed
hash of its normalized form in ``document_hash``: a lookup by document hashes what it is given and
compares hashes, and the database never holds the number in clear.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.core import audit, crypto
from posmodern.core.api import Reply, RequestContext
from posmodern.core.config import Settings
from posmodern.core.errors import Conflict, ValidationFailed
from posmodern.core.records import as_dict, fetch_one, insert_one, list_by_name, update_one
from posmodern.plugins.customers import documents
from posmodern.plugins.customers.models import CustomerCreate, CustomerQuery, CustomerUpdate
from posmodern.schema.tables import customers

PURPOSE = "customers.document"


def _document(raw: str, kind: str | None, field: str) -> documents.Document:
    try:
        return documents.parse(raw, kind)
    except ValueError as exc:
        raise ValidationFailed(f"invalid document: {exc}", code="invalid_document",
                               details=[{"loc": [field], "msg": str(exc),
                                         "type": "invalid_document"}]) from None


def _document_hash(settings: Settings, document: documents.Document) -> str:
    return crypto.lookup_hash(settings, PURPOSE, f"{document.kind}:{document.number}")


def _sealed_document(settings: Settings, raw: str | None, kind: str | None) -> dict[str, Any]:
    """The three document columns for ``raw`` (all None to clear the document)."""
    if raw is None:
        return {"document_type": None, "document_number": None, "document_hash": None}
    document = _document(raw, kind, "document_number")
    return {"document_type": document.kind,
            "document_number": crypto.seal(settings, PURPOSE, document.number),
            "document_hash": _document_hash(settings, document)}


#: Roles working the floor: they see who a customer is, not their whole CPF/CNPJ.
FLOOR_ROLES = frozenset({"waiter", "kitchen", "kiosk"})


def _view(settings: Settings, roles: frozenset[str]):
    masked = roles <= FLOOR_ROLES

    def view(row: Row) -> dict[str, Any]:
        customer = as_dict(row, hide=("document_hash",))
        if row.document_number:
            number = crypto.unseal(settings, PURPOSE, row.document_number)
            customer["document_number"] = documents.mask(number) if masked else number
        return customer
    return view


async def _check_unique_document(conn: AsyncConnection, store_id: str, document_hash: str,
                                 customer_id: uuid.UUID | None = None) -> None:
    query = select(customers.c.customer_id).where(customers.c.store_id == store_id,
                                                  customers.c.document_hash == document_hash)
    if customer_id is not None:
        query = query.where(customers.c.customer_id != customer_id)
    existing = await conn.scalar(query.limit(1))
    if existing is not None:
        raise Conflict("a customer with this document already exists", code="customer_exists",
                       details={"customer_id": str(existing)})


async def _write_with_document(conn: AsyncConnection, store_id: str, document_hash: str | None,
                               write: Callable[[], Awaitable[Row]],
                               customer_id: uuid.UUID | None = None) -> Row:
    """Run ``write`` unless another customer of the store has this document (409).

    The check answers the usual case. Two requests with one new document at once both pass it;
    the unique index (store_id, document_hash) then refuses the second write, which is undone to
    a savepoint and gets the same 409 naming the customer that won.
    """
    if document_hash is None:
        return await write()
    await _check_unique_document(conn, store_id, document_hash, customer_id)
    try:
        async with conn.begin_nested():
            return await write()
    except IntegrityError:
        await _check_unique_document(conn, store_id, document_hash, customer_id)
        raise


async def list_customers(ctx: RequestContext) -> dict:
    query: CustomerQuery = ctx.query
    settings = ctx.runtime.settings
    document_hash = None
    if query.document is not None:
        document_hash = _document_hash(settings, _document(query.document, None, "document"))
    async with ctx.transaction() as conn:
        return await list_by_name(conn, customers, ctx.store_id, limit=query.limit,
                                  cursor=query.cursor, search=query.q, view=_view(settings, ctx.principal.roles),
                                  equal={"phone": query.phone, "email": query.email,
                                         "document_hash": document_hash})


async def create_customer(ctx: RequestContext) -> Reply:
    body: CustomerCreate = ctx.body
    settings = ctx.runtime.settings
    values = dict(body.model_dump(exclude={"document_number", "document_type"}),
                  **_sealed_document(settings, body.document_number, body.document_type),
                  customer_id=uuid.uuid4(), client_id=ctx.client_id, store_id=ctx.store_id)
    async with ctx.transaction() as conn:
        row = await _write_with_document(conn, ctx.store_id, values["document_hash"],
                                         lambda: insert_one(conn, customers, values))
    return Reply(_view(settings, ctx.principal.roles)(row), 201)


async def get_customer(ctx: RequestContext) -> dict:
    async with ctx.transaction() as conn:
        row = await fetch_one(conn, customers, ctx.store_id, ctx.path["customer_id"],
                              what="customer")
    return _view(ctx.runtime.settings, ctx.principal.roles)(row)


async def update_customer(ctx: RequestContext) -> dict:
    body: CustomerUpdate = ctx.body
    settings = ctx.runtime.settings
    changes = body.changes()
    customer_id = ctx.path["customer_id"]
    async with ctx.transaction() as conn:
        if "document_number" in changes or "document_type" in changes:
            current = await fetch_one(conn, customers, ctx.store_id, customer_id,
                                      what="customer", lock=True)
            raw = changes.pop("document_number", None)
            if raw is None and "document_type" in changes and current.document_number:
                raw = crypto.unseal(settings, PURPOSE, current.document_number)
            changes.update(_sealed_document(settings, raw, changes.pop("document_type", None)))
        row = await _write_with_document(
            conn, ctx.store_id, changes.get("document_hash"),
            lambda: update_one(conn, customers, ctx.store_id, customer_id, changes,
                               what="customer"), customer_id)
    return _view(settings, ctx.principal.roles)(row)


async def delete_customer(ctx: RequestContext) -> dict:
    """Erase the customer (LGPD): their orders stay, without the link to them."""
    customer_id = ctx.path["customer_id"]
    async with ctx.transaction() as conn:
        await fetch_one(conn, customers, ctx.store_id, customer_id, what="customer")
        await conn.execute(delete(customers).where(customers.c.customer_id == customer_id))
        await audit.record(conn, ctx, "customer.deleted", resource_type="customer",
                           resource_id=customer_id)
    return {"customer_id": customer_id, "deleted": True}
