"""A fiscal document's life, and how the API shows it.

``PENDING_DATA`` (no number yet: a product or the store lacks fiscal data) → ``SIGNED``
(numbered, signed, saved before any send) → ``SENDING`` (saved before the request leaves) →
``AUTHORISED``, ``REJECTED`` (its number is then voided: ``VOIDED``), or ``UNANSWERED`` (sent
without an answer: consulted by its key before anything else; a contingency note stands in for
it). ``CONTINGENCY``: issued offline (tpEmis 9), printed, sent when SEFAZ answers again.
``CANCELLED``: cancellation event registered.
"""

from __future__ import annotations

import enum
import uuid
from typing import Any

from posmodern.schema.tables import fiscal_documents
from posmodern.schema.types import utcnow
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

MODEL = "65"


class DocumentStatus(enum.StrEnum):
    PENDING_DATA = "PENDING_DATA"
    SIGNED = "SIGNED"
    SENDING = "SENDING"
    UNANSWERED = "UNANSWERED"
    CONTINGENCY = "CONTINGENCY"
    AUTHORISED = "AUTHORISED"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"
    VOIDED = "VOIDED"


#: A note of these is the order's note (the others were refused, voided or stood in for).
CURRENT = (DocumentStatus.PENDING_DATA, DocumentStatus.SIGNED, DocumentStatus.SENDING,
           DocumentStatus.CONTINGENCY, DocumentStatus.AUTHORISED, DocumentStatus.CANCELLED)


async def current_document(conn: AsyncConnection, order_id: uuid.UUID,
                           store_id: str) -> Any | None:
    """The order's note: the newest one that is not refused, voided or stood in for."""
    return (await conn.execute(
        select(fiscal_documents)
        .where(fiscal_documents.c.order_id == order_id,
               fiscal_documents.c.store_id == store_id,
               fiscal_documents.c.status.in_([s.value for s in CURRENT]))
        .order_by(fiscal_documents.c.created_at.desc()).limit(1))).first()


async def find_document(conn: AsyncConnection, document_id: uuid.UUID, store_id: str, *,
                        lock: bool = False) -> Any | None:
    query = select(fiscal_documents).where(fiscal_documents.c.document_id == document_id,
                                           fiscal_documents.c.store_id == store_id)
    return (await conn.execute(query.with_for_update() if lock else query)).first()


async def change(conn: AsyncConnection, document_id: uuid.UUID, **values: Any) -> None:
    await conn.execute(update(fiscal_documents)
                       .where(fiscal_documents.c.document_id == document_id)
                       .values(updated_at=utcnow(), **values))


def view(row: Any, *, with_xml: bool = False) -> dict[str, Any]:
    meta = row.metadata or {}
    shown = {"document_id": row.document_id, "order_id": row.order_id, "model": row.model,
             "series": row.series, "number": row.number, "access_key": row.access_key,
             "status": row.status, "contingency": row.contingency,
             "protocol": row.protocol, "status_code": row.status_code, "reason": row.reason,
             "issued_at": row.issued_at, "qr_url": row.qr_url, "xml_sha256": row.xml_sha256,
             "replaces_id": row.replaces_id, "missing": meta.get("missing", []),
             "cancel_protocol": meta.get("cancel_protocol"),
             "cancel_event": meta.get("cancel_event"),
             "substitute_key": meta.get("substitute_key"),
             "environment": meta.get("environment"), "created_at": row.created_at,
             "updated_at": row.updated_at}
    if with_xml:
        shown["xml"] = row.xml
    return shown
