"""Cancelling an authorised NFC-e: the event 110111, signed, within the legal window."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from posmodern.core.errors import Conflict, GatewayTimeout, NotFound
from posmodern.core.runtime import Runtime
from posmodern.plugins.fiscal import messages, sefaz
from posmodern.plugins.fiscal import settings as spec
from posmodern.plugins.fiscal.emission import BRT
from posmodern.plugins.fiscal.documents import DocumentStatus, change, find_document
from posmodern.plugins.fiscal.issuer import store_fiscal
from posmodern.schema.types import utcnow

#: The NFC-e may be cancelled this long after its authorisation (most states: 30 minutes).
LEGAL_WINDOW = timedelta(minutes=30)
REGISTERED = ("135", "155")


class CancelNotAllowed(Conflict):
    """The note cannot be cancelled (not authorised, or past the legal window)."""


async def cancel(runtime: Runtime, client_id: str, store_id: str, document_id: uuid.UUID,
                 reason: str, *, check_window: bool = False) -> Any:
    """Register the cancellation of an authorised note at SEFAZ and mark it ``CANCELLED``."""
    now = utcnow()
    async with runtime.db.transaction(client_id) as conn:
        row = await find_document(conn, document_id, store_id)
        if row is None:
            raise NotFound(f"fiscal document {document_id} not found", code="document_not_found")
        if row.status != DocumentStatus.AUTHORISED:
            raise CancelNotAllowed(f"only an authorised NFC-e can be cancelled (this one is "
                                   f"{row.status})", code="not_authorised")
        if check_window and row.issued_at + LEGAL_WINDOW < now:
            raise CancelNotAllowed(
                f"the NFC-e can be cancelled only within {LEGAL_WINDOW.seconds // 60} minutes "
                "of its issue", code="cancel_window_over",
                details={"issued_at": row.issued_at.isoformat()})
        store = await store_fiscal(conn, runtime.settings, store_id)
    certificate = store.certificate(now)
    message = messages.cancellation(row.access_key, row.protocol, reason, store.issuer().cnpj,
                                    store.environment, now.astimezone(BRT), certificate,
                                    row.number)
    url = sefaz.endpoint(store[spec.UF], store.environment, "NFeRecepcaoEvento4",
                         store[spec.SEFAZ_URL])
    try:
        answer = await sefaz.call(url, "NFeRecepcaoEvento4", message,
                                  spec.TIMEOUT.value(runtime.settings), certificate)
    except sefaz.NoAnswer as exc:
        raise GatewayTimeout(f"SEFAZ did not answer the cancellation: {exc}",
                             code="sefaz_no_answer") from exc
    if answer.final not in REGISTERED:
        raise CancelNotAllowed(f"SEFAZ refused the cancellation: {answer.final} "
                               f"{answer.inner_reason or answer.reason}", code="sefaz_refused",
                               details={"status_code": answer.final})
    async with runtime.db.transaction(client_id) as conn:
        meta = {**(row.metadata or {}), "cancel_protocol": answer.protocol,
                "cancel_reason": reason, "cancel_xml": answer.xml}
        await change(conn, row.document_id, status=DocumentStatus.CANCELLED,
                     status_code=answer.final, reason=answer.inner_reason or answer.reason,
                     metadata=meta, next_attempt_at=None)
        return await find_document(conn, document_id, store_id)
