"""The CF-e's extrato on the customer's receipt, and the receipt held until the device answered.

The peripherals plugin asks ``pos_receipt_extras`` when the payment completes. A CF-e is only
known once the store's SAT answers (its key, number and QR signature come from the device), a
second or two later: while it has not answered yet the receipt waits (``later``), and the
plugin publishes ``sat.cfe_answered`` after each answer recorded, with the payment's tenders, for
the peripherals plugin to print the receipt then: with the extrato once authorised, as a plain
receipt when the device refused the sale, is missing or silent (the customer is not kept
waiting; a CF-e authorised later is printed again, with its extrato, once).
"""

from __future__ import annotations

import base64
import uuid
import xml.etree.ElementTree as ET
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.core.peripherals import ReceiptExtras, key_lines
from posmodern.plugins.sat.documents import DocumentStatus, order_document
from posmodern.plugins.sat.issuing import issues_cfe

#: Process-wide values the receipt hook needs and its signature does not carry.
PROCESS: dict[str, Any] = {}


def _digits(value: str | None) -> str:
    return "".join(ch for ch in value or "" if ch.isdigit())


def extrato(row: Any) -> tuple[list[str], str]:
    """The lines of an authorised CF-e's extrato and the content of its QR code, both read from
    the CF-e the device returned: ``chave|AAAAMMDDHHMMSS|vCFe|CPF or CNPJ|assinaturaQRCODE``."""
    cfe = ET.fromstring(base64.b64decode(row.cfe_base64)).find("infCFe")
    key = _digits(cfe.get("Id"))
    day, time = cfe.findtext("ide/dEmi") or "", cfe.findtext("ide/hEmi") or ""
    total = cfe.findtext("total/vCFe") or str(row.total)
    buyer = _digits(cfe.findtext("dest/CPF") or cfe.findtext("dest/CNPJ"))
    lines = [f"Extrato Nº {row.number:06d}", "CUPOM FISCAL ELETRÔNICO - SAT"]
    if cfe.findtext("ide/tpAmb") == "2":
        lines += ["= T E S T E =", "SEM VALOR FISCAL"]
    lines += [f"CPF/CNPJ do consumidor: {buyer}" if buyer else "Consumidor não identificado",
              f"SAT Nº {row.sat_serial}",
              f"{day[6:8]}/{day[4:6]}/{day[:4]} - {time[:2]}:{time[2:4]}:{time[4:6]}",
              "Chave de acesso:", *key_lines(key),
              "Consulte o QR Code pelo aplicativo", "\"De olho na nota\""]
    return lines, f"{key}|{day}{time}|{total}|{buyer}|{row.qr_signature or ''}"


#: A CF-e the device has not answered about yet: the receipt waits for it.
UNANSWERED_YET = (DocumentStatus.PENDING, DocumentStatus.SENDING)


async def receipt_extras(conn: AsyncConnection, order_id: uuid.UUID,
                         store_id: str) -> ReceiptExtras | None:
    row = await order_document(conn, order_id, store_id)
    if row is None:
        # Not written yet (its handler of the same payment may come after this one): the
        # receipt waits when the store issues CF-e, and that handler's answer prints it.
        settings = PROCESS.get("settings")
        if settings is not None and await issues_cfe(conn, settings, store_id) is not None:
            return ReceiptExtras(later=True)
        return None
    if row.status == DocumentStatus.AUTHORISED and row.cfe_base64:
        lines, qr = extrato(row)
        return ReceiptExtras(lines=tuple(lines), qr=qr, key=row.access_key)
    if row.status in UNANSWERED_YET and row.code is None and row.message is None:
        return ReceiptExtras(later=True)  # not sent yet, or its first call under way
    return None
