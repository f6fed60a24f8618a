"""The fiscal documents' API: list, one, its XML and DANFE, issue on request, cancel."""

from __future__ import annotations

from typing import Any

from posmodern.core.api import Reply, RequestContext
from posmodern.core.errors import NotFound
from posmodern.core.store_settings import store_values
from posmodern.plugins.fiscal import emission
from posmodern.plugins.fiscal.cancelling import cancel
from posmodern.plugins.fiscal.danfe import danfe_html, distributed_xml
from posmodern.plugins.fiscal import settings as spec
from posmodern.plugins.fiscal.documents import DocumentStatus, find_document, view
from posmodern.plugins.fiscal.mail import send_danfe
from posmodern.plugins.fiscal.models import (DocumentCancel, DocumentCreate, DocumentEmail,
                                            DocumentQuery)
from posmodern.plugins.fiscal.state import wake
from posmodern.schema.tables import fiscal_documents
from sqlalchemy import select
from starlette.responses import HTMLResponse, Response


async def list_documents(ctx: RequestContext):
    query: DocumentQuery = ctx.query
    stmt = select(fiscal_documents).where(fiscal_documents.c.store_id == ctx.store_id)
    if query.order_id is not None:
        stmt = stmt.where(fiscal_documents.c.order_id == query.order_id)
    if query.status is not None:
        stmt = stmt.where(fiscal_documents.c.status == query.status.value)
    async with ctx.transaction() as conn:
        rows = (await conn.execute(stmt.order_by(fiscal_documents.c.created_at.desc())
                                   .limit(query.limit))).all()
    return {"documents": [view(row) for row in rows]}


async def _document(ctx: RequestContext) -> Any:
    async with ctx.transaction() as conn:
        row = await find_document(conn, ctx.path["document_id"], ctx.store_id)
    if row is None:
        raise NotFound("fiscal document not found", code="document_not_found")
    return row


async def get_document(ctx: RequestContext):
    return view(await _document(ctx))


async def document_xml(ctx: RequestContext):
    """The signed XML; an authorised note's with its protocol (nfeProc)."""
    row = await _document(ctx)
    if not row.xml:
        raise NotFound("this document has no XML yet (it waits for data)", code="no_xml")
    return Response(distributed_xml(row), media_type="application/xml", headers={
                        "Content-Disposition": f'attachment; filename="{row.access_key}.xml"'})


async def document_danfe(ctx: RequestContext):
    """The DANFE NFC-e as a self-contained HTML page (to e-mail to the consumer)."""
    row = await _document(ctx)
    if not row.xml:
        raise NotFound("this document has no XML yet (it waits for data)", code="no_xml")
    return HTMLResponse(danfe_html(row))


async def email_danfe(ctx: RequestContext):
    """E-mail the note's DANFE (and its XML) to the consumer's address."""
    body: DocumentEmail = ctx.body
    async with ctx.transaction() as conn:
        row = await find_document(conn, ctx.path["document_id"], ctx.store_id)
        values = await store_values(conn, ctx.runtime.settings, ctx.store_id,
                                    [spec.NAME, spec.TRADE_NAME, *spec.MAIL])
    if row is None:
        raise NotFound("fiscal document not found", code="document_not_found")
    await send_danfe(row, body.to, values)
    return {"document_id": str(row.document_id), "sent": True}


async def create_document(ctx: RequestContext):
    """Issue the order's NFC-e now (or show the one it has)."""
    body: DocumentCreate = ctx.body
    async with ctx.transaction() as conn:
        order = await emission.load_order(conn, body.order_id, ctx.store_id)
        tenders = await emission.paid_tenders(conn, order)
        before = await emission.current_document(conn, order.order_id, ctx.store_id)
        row = await emission.issue(conn, ctx.runtime.settings, ctx.client_id, ctx.store_id,
                                   emission.Sale(order, tenders, body.cpf), strict=True)
    wake(ctx.runtime, ctx.client_id)
    fresh = before is None or before.status == DocumentStatus.PENDING_DATA
    return Reply(view(row), 201 if fresh else 200)


async def cancel_document(ctx: RequestContext):
    body: DocumentCancel = ctx.body
    row = await cancel(ctx.runtime, ctx.client_id, ctx.store_id, ctx.path["document_id"],
                       body.reason, check_window=True, substitute_key=body.substitute_key)
    return view(row)
