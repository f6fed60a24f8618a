"""LGPD for the customers table: the customer's record exported, or anonymised on erasure.

The row stays (orders kept for the tax authorities still name it) with everything that identifies
a person removed.
"""

from __future__ import annotations

from sqlalchemy import select, update

from posmodern.core import crypto
from posmodern.core.api import Reply, RequestContext
from posmodern.core import personal_data
from posmodern.core.records import as_dict
from posmodern.plugins.customers.routes import PURPOSE
from posmodern.schema.tables import customers
from posmodern.schema.types import utcnow

#: What an erased customer is called from then on.
ERASED_NAME = "Titular removido (LGPD)"


async def export_customer(conn, customer_id, store_id, settings) -> dict:
    row = (await conn.execute(select(customers).where(customers.c.customer_id == customer_id,
                                                      customers.c.store_id == store_id))).first()
    if row is None:
        return {}
    customer = as_dict(row, hide=("document_hash",))
    if row.document_number:
        customer["document_number"] = crypto.unseal(settings, PURPOSE, row.document_number)
    return {"customer": customer}


async def erase_customer(conn, customer_id, store_id, settings) -> dict:
    changed = await conn.execute(
        update(customers).where(customers.c.customer_id == customer_id,
                                customers.c.store_id == store_id)
        .values(name=ERASED_NAME, email=None, phone=None, document_type=None,
                document_number=None, document_hash=None, address=None,
                metadata={"erased_at": utcnow().isoformat()}, updated_at=utcnow()))
    return {"customers": changed.rowcount}


async def export_route(ctx: RequestContext) -> dict:
    """``GET /api/v1/customers/{id}/personal-data``: all the system holds about the customer."""
    runtime = ctx.runtime
    async with ctx.transaction() as conn:
        document = await personal_data.export(conn, runtime.pm.hook, runtime.settings,
                                              ctx.path["customer_id"], ctx.store_id)
        await _audit(conn, ctx, "customer.personal_data_exported",
                     {"sections": sorted(k for k in document if k not in ("customer_id",
                                                                           "store_id",
                                                                           "exported_at"))})
    return document


async def erase_route(ctx: RequestContext) -> Reply:
    """``POST /api/v1/customers/{id}/erase``: anonymise the customer everywhere."""
    runtime = ctx.runtime
    async with ctx.transaction() as conn:
        changed = await personal_data.erase(conn, runtime.pm.hook, runtime.settings,
                                            ctx.path["customer_id"], ctx.store_id)
        await _audit(conn, ctx, "customer.erased", {"changed": changed})
    return Reply({"customer_id": str(ctx.path["customer_id"]), "erased": True,
                  "changed": changed}, 200)


async def _audit(conn, ctx: RequestContext, action: str, details: dict) -> None:
    principal = ctx.principal
    await personal_data.audited(conn, action, ctx.path["customer_id"],
                                client_id=ctx.client_id, store_id=ctx.store_id,
                                details=details, username=principal.username,
                                user_id=principal.user_id, request_id=ctx.request_id)
