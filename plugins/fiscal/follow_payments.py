"""The NFC-e of a paid order: issued when the payment completes (``payment.completed`` carries
the tenders), and its key and QR code offered to the customer's receipt."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from posmodern.core.config import Settings
from posmodern.core.db import written
from posmodern.core.errors import PosError
from posmodern.core.events import Envelope, Subscription
from posmodern.core.peripherals import ReceiptExtras, key_lines
from posmodern.core.store_settings import store_value
from posmodern.plugins.fiscal import emission
from posmodern.plugins.fiscal import settings as spec
from posmodern.plugins.fiscal.documents import DocumentStatus, current_document
from posmodern.plugins.fiscal.state import NOTES_WRITTEN
from sqlalchemy.ext.asyncio import AsyncConnection

log = logging.getLogger("posmodern.fiscal")
#: The settings of the process, for the receipt hook (whose call carries none).
PROCESS: dict[str, Any] = {}


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


async def issue_for(conn: AsyncConnection, settings: Settings, store_id: str,
                    order_id: uuid.UUID, tenders: list[dict] | None) -> Any | None:
    """The order's note, issued now when the store issues NFC-e; None when it does not."""
    if not await store_value(conn, settings, store_id, spec.ENABLED):
        return None
    try:
        order = await emission.load_order(conn, order_id, store_id)
        if tenders is None:
            tenders = await emission.paid_tenders(conn, order)
    except PosError as exc:
        log.warning("fiscal: no NFC-e for order %s: %s", order_id, exc)
        return None
    cpf = (order.metadata or {}).get("cpf")
    return await emission.issue(conn, settings, order.client_id, store_id,
                                emission.Sale(order, tenders, cpf), strict=False)


def subscriptions(settings: Settings) -> list[Subscription]:
    async def handle(envelope: Envelope, conn: AsyncConnection) -> None:
        order_id = _uuid(envelope.data.get("order_id"))
        if order_id is not None:
            if await issue_for(conn, settings, envelope.store_id, order_id,
                               envelope.data.get("tenders", [])) is not None:
                written(conn, NOTES_WRITTEN)  # the sender sends it once this commits
    return [Subscription("fiscal.nfce", ("payment.completed",), handle)]


def receipt_lines(row: Any) -> list[str]:
    meta = row.metadata or {}
    lines = [f"NFC-e nº {row.number:09d} Série {row.series:03d}",
             "Chave de acesso:", *key_lines(row.access_key)]
    if row.protocol:
        lines.append(f"Protocolo de autorização: {row.protocol}")
    if row.contingency:
        lines.append("EMITIDA EM CONTINGÊNCIA")
        lines.append("Pendente de autorização")
    if meta.get("environment") == spec.HOMOLOGACAO:
        lines += ["EMITIDA EM AMBIENTE DE", "HOMOLOGAÇÃO - SEM VALOR FISCAL"]
    lines.append("Consulte pela chave de acesso em")
    lines.append(row.qr_url.split("?")[0] if row.qr_url else "")
    return lines


async def receipt_extras(conn: AsyncConnection, order_id: uuid.UUID,
                         store_id: str) -> ReceiptExtras | None:
    row = await current_document(conn, order_id, store_id)
    settings = PROCESS.get("settings")
    if row is None and settings is not None:
        try:
            async with conn.begin_nested():
                row = await issue_for(conn, settings, store_id, order_id, None)
            if row is not None:
                written(conn, NOTES_WRITTEN)
        except Exception:  # noqa: BLE001 - a receipt is printed even when the note fails
            log.exception("fiscal: the NFC-e of order %s could not be issued", order_id)
            return None
    if row is None or row.status == DocumentStatus.PENDING_DATA or not row.access_key:
        return None
    return ReceiptExtras(lines=tuple(receipt_lines(row)), qr=row.qr_url, key=row.access_key)
