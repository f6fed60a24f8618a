"""A CF-e's life, and how the API shows it.

``INVALID`` (the sale could not be written as a CF-e: the reason says what is missing) ·
``PENDING`` (built, waiting for the device) → ``SENDING`` (its session number saved before the
call leaves) → ``AUTHORISED`` or ``REJECTED`` (the device's code and reason kept), or
``UNANSWERED`` (no answer in time: its session is consulted before anything is sent again).
``AUTHORISED`` → ``CANCELLING`` (the cancellation's session saved before the call leaves) →
``CANCELLED`` through ``CancelarUltimaVenda`` within the legal window, or back to
``AUTHORISED`` when the device refuses; a cancellation without an answer stays ``CANCELLING``
and the next request asks the device about its session first.
"""

from __future__ import annotations

import enum
import uuid
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.core.events import emit
from posmodern.plugins.sat.tables import sat_documents
from posmodern.schema.types import utcnow

#: Published after each answer of the device about a sale (authorised, refused, or none in
#: time) and when a sale could not be written as a CF-e: the peripherals plugin prints the
#: customer's receipt then (see :mod:`~posmodern.plugins.sat.extrato`).
ANSWERED = "sat.cfe_answered"


class DocumentStatus(enum.StrEnum):
    INVALID = "INVALID"
    PENDING = "PENDING"
    SENDING = "SENDING"
    UNANSWERED = "UNANSWERED"
    AUTHORISED = "AUTHORISED"
    REJECTED = "REJECTED"
    CANCELLING = "CANCELLING"
    CANCELLED = "CANCELLED"


#: What the sender moves on when its next attempt is due.
WORK = (DocumentStatus.PENDING, DocumentStatus.SENDING, DocumentStatus.UNANSWERED)


async def find_document(conn: AsyncConnection, document_id: uuid.UUID, store_id: str, *,
                        lock: bool = False) -> Any | None:
    stmt = select(sat_documents).where(sat_documents.c.document_id == document_id,
                                       sat_documents.c.store_id == store_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await conn.execute(stmt)).first()


async def order_document(conn: AsyncConnection, order_id: uuid.UUID, store_id: str) -> Any:
    """The order's CF-e, if it has one (whatever its status)."""
    return (await conn.execute(
        select(sat_documents).where(sat_documents.c.order_id == order_id,
                                    sat_documents.c.store_id == store_id)
        .order_by(sat_documents.c.created_at.desc()).limit(1))).first()


async def change(conn: AsyncConnection, document_id: uuid.UUID, **values: Any) -> None:
    await conn.execute(update(sat_documents).where(sat_documents.c.document_id == document_id)
                       .values(updated_at=utcnow(), **values))


async def announce(conn: AsyncConnection, document_id: uuid.UUID, store_id: str) -> None:
    """Publish :data:`ANSWERED` for the CF-e as it now stands, with the payment's tenders."""
    row = await find_document(conn, document_id, store_id)
    await emit(conn, ANSWERED, client_id=row.client_id, store_id=row.store_id, data={
        "order_id": row.order_id, "document_id": row.document_id, "status": row.status,
        "access_key": row.access_key, "number": row.number, "tenders": row.tenders or []})


def _when(value) -> str | None:
    return value.isoformat() if value is not None else None


def view(row: Any) -> dict[str, Any]:
    """A CF-e as the API shows it (the authorised XML is there, in base64, as the device gave
    it; its sha256 lets anyone check the copy)."""
    return {"document_id": str(row.document_id), "order_id": str(row.order_id),
            "status": row.status, "total": str(row.total), "access_key": row.access_key,
            "number": row.number, "sat_serial": row.sat_serial, "session": row.session,
            "attempts": row.attempts, "code": row.code, "sefaz_code": row.sefaz_code,
            "message": row.message, "cfe_base64": row.cfe_base64, "cfe_sha256": row.cfe_sha256,
            "qr_signature": row.qr_signature, "issued_at": _when(row.issued_at),
            "cancel_key": row.cancel_key, "cancelled_at": _when(row.cancelled_at),
            "created_at": _when(row.created_at), "updated_at": _when(row.updated_at)}
