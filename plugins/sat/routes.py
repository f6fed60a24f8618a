"""The CF-e API: list the store's CF-e, cancel one (``CancelarUltimaVenda``) within the legal
window."""

from __future__ import annotations

import uuid
from datetime import timedelta, timezone

from pydantic import Field
from sqlalchemy import select

from posmodern.core import audit
from posmodern.core.api import RequestContext
from posmodern.core.bodies import Strict
from posmodern.core.errors import Conflict, GatewayTimeout, NotFound
from posmodern.core.store_settings import store_values
from posmodern.plugins.sat import settings as spec
from posmodern.plugins.sat.cfe import CFeInvalid, cancel_xml
from posmodern.plugins.sat.device import DeviceBusy, DeviceMissing, DeviceSilent, new_session
from posmodern.plugins.sat.documents import DocumentStatus, change, find_document, view
from posmodern.plugins.sat.sender import (
    DEVICE_TIME, NO_SUCH_SESSION, device_of, recent_sessions)
from posmodern.plugins.sat.sender import refused_values
from posmodern.plugins.sat.tables import sat_documents
from posmodern.schema.types import utcnow

#: A CF-e is cancelled within 30 minutes of its emission (ER SAT, CancelarUltimaVenda).
CANCEL_WINDOW = timedelta(minutes=30)


class DocumentQuery(Strict):
    order_id: uuid.UUID | None = None
    status: DocumentStatus | None = None
    limit: int = Field(50, ge=1, le=1000)


async def list_documents(ctx: RequestContext):
    query: DocumentQuery = ctx.query
    stmt = select(sat_documents).where(sat_documents.c.store_id == ctx.store_id)
    if query.order_id is not None:
        stmt = stmt.where(sat_documents.c.order_id == query.order_id)
    if query.status is not None:
        stmt = stmt.where(sat_documents.c.status == query.status.value)
    async with ctx.transaction() as conn:
        rows = (await conn.execute(stmt.order_by(sat_documents.c.created_at.desc())
                                   .limit(query.limit))).all()
    return {"documents": [view(row) for row in rows]}


async def _claim(ctx: RequestContext):
    """Lock the CF-e, check it may be cancelled, and save the call's session (``CANCELLING``)
    before the call leaves. A CF-e left ``CANCELLING`` by a call without an answer is consulted
    by that session instead (``consulting``)."""
    async with ctx.transaction() as conn:
        row = await find_document(conn, ctx.path["document_id"], ctx.store_id, lock=True)
        if row is None:
            raise NotFound("CF-e not found", code="document_not_found")
        consulting = row.status == DocumentStatus.CANCELLING
        if row.status != DocumentStatus.AUTHORISED and not consulting:
            raise Conflict(f"only an authorised CF-e can be cancelled (this one is {row.status})",
                           code="not_authorised")
        if not consulting and utcnow() - row.issued_at > CANCEL_WINDOW:
            raise Conflict("the CF-e was issued more than 30 minutes ago: the SAT no longer "
                           "cancels it", code="cancel_window_closed",
                           details={"issued_at": row.issued_at.isoformat()})
        store = await store_values(conn, ctx.runtime.settings, ctx.store_id, spec.STORE)
        try:
            xml = cancel_xml(store, row.access_key)
        except CFeInvalid as exc:
            raise Conflict(str(exc), code="sat_settings_missing") from None
        device = await device_of(conn, ctx.runtime, ctx.store_id)
        session = new_session(await recent_sessions(conn, ctx.store_id))
        if not consulting:
            await change(conn, row.document_id, status=DocumentStatus.CANCELLING,
                         session=session)
    return row, xml, device, session, consulting


async def _back(ctx: RequestContext, row, **values) -> None:
    async with ctx.transaction() as conn:
        await change(conn, row.document_id, status=DocumentStatus.AUTHORISED, **values)


async def cancel_document(ctx: RequestContext):
    from satcfe.excecoes import ErroRespostaSATInvalida, ExcecaoRespostaSAT

    row, xml, device, session, consulting = await _claim(ctx)
    timeout = spec.TIMEOUT.value(ctx.runtime.settings)
    try:
        if consulting:
            answer = await device.call(session, timeout,
                                       lambda sat: sat.consultar_numero_sessao(row.session))
        else:
            answer = await device.call(
                session, timeout, lambda sat: sat.cancelar_ultima_venda(row.access_key, xml))
    except (DeviceBusy, DeviceMissing) as exc:
        if not consulting:  # nothing left
            await _back(ctx, row, session=row.session)
        raise Conflict(str(exc), code="sat_unavailable") from None
    except DeviceSilent as exc:
        raise GatewayTimeout(f"{exc}: the next cancel asks the SAT about this one first",
                             details={"session": row.session if consulting else session}) \
            from None
    except ExcecaoRespostaSAT as exc:
        refused = refused_values(exc.resposta)
        if consulting and refused["code"] == NO_SUCH_SESSION:
            # The cancellation never reached the device: the CF-e is as it was; cancel again.
            await _back(ctx, row, message="o cancelamento não chegou ao SAT")
            return await cancel_document(ctx)
        if not consulting or (refused["code"] or "").startswith("07"):
            await _back(ctx, row, message=f"cancelamento recusado: {refused['message']}")
        raise Conflict("the SAT refused the cancellation", code="sat_refused",
                       details=refused) from None
    except ErroRespostaSATInvalida as exc:
        raise GatewayTimeout(f"the SAT's answer could not be read: {exc}") from None
    async with ctx.transaction() as conn:
        await change(conn, row.document_id, status=DocumentStatus.CANCELLED,
                     cancel_key=answer.chaveConsulta, cancel_base64=answer.arquivoCFeBase64,
                     cancelled_at=answer.timeStamp.replace(tzinfo=DEVICE_TIME)
                     .astimezone(timezone.utc), code=answer.EEEEE, message=answer.mensagem)
        await audit.record(conn, ctx, "sat.cancelled", resource_type="sat_document",
                           resource_id=str(row.document_id),
                           details={"access_key": row.access_key,
                                    "cancel_key": answer.chaveConsulta})
        return view(await find_document(conn, row.document_id, ctx.store_id))
