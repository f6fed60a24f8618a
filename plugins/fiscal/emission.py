"""Issuing an order's NFC-e: its lines and fiscal data, the next number of the store's series
(taken in the transaction that writes the note, so a number is never used twice), the XML
checked against the schema, signed, with its QR code — all saved before anything is sent.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from lxml import etree
from posmodern.core.config import Settings
from posmodern.core.errors import Conflict, NotFound
from posmodern.core.events import emit
from posmodern.core.ids import new_uuid
from posmodern.core.orders import GONE_ITEM_STATUSES
from posmodern.core.writes import insert_ignore
from posmodern.plugins.fiscal import keys, nfce
from posmodern.plugins.fiscal import settings as spec
from posmodern.plugins.fiscal.documents import (
    MODEL, DocumentStatus, change, current_document)
from posmodern.plugins.fiscal.issuer import StoreFiscal, store_fiscal
from posmodern.plugins.fiscal.signer import CertificateProblem, sign
from posmodern.schema.tables import (
    fiscal_documents, fiscal_products, fiscal_series, order_items, orders, payments)
from posmodern.schema.types import utcnow
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

log = logging.getLogger("posmodern.fiscal")
BRT = timezone(timedelta(hours=-3))
SETTLED_TENDERS = ("CONFIRMED", "PARTIALLY_REFUNDED")
FISCAL_COLUMNS = ("ncm", "cfop", "cst", "origin", "cest", "cst_ibscbs", "cclass_trib",
                  "ibs_rate", "cbs_rate", "icms_rate", "icms_base_reduction", "fcp_rate",
                  *nfce.RETAINED_FIELDS)


class OrderNotPaid(Conflict):
    """Only a paid order gets its NFC-e."""


class MissingFiscalData(Conflict):
    """A product of the order or the store lacks what the NFC-e needs."""


@dataclass(frozen=True)
class Sale:
    """What the note says: the order, its tenders and the consumer's CPF."""

    order: Any
    tenders: list[dict[str, Any]]
    cpf: str | None


async def load_order(conn: AsyncConnection, order_id: uuid.UUID, store_id: str) -> Any:
    order = (await conn.execute(select(orders).where(
        orders.c.order_id == order_id, orders.c.store_id == store_id))).first()
    if order is None:
        raise NotFound(f"order {order_id} not found", code="order_not_found")
    return order


async def paid_tenders(conn: AsyncConnection, order: Any) -> list[dict[str, Any]]:
    """The order's settled tenders, for a note asked for without the payment's event."""
    if order.payment_status != "PAID":
        raise OrderNotPaid(f"order {order.order_number} is not paid "
                           f"(payment status {order.payment_status})", code="order_not_paid",
                           details={"payment_status": order.payment_status})
    rows = (await conn.execute(
        select(payments.c.payment_method, payments.c.amount, payments.c.change_due)
        .where(payments.c.order_id == order.order_id,
               payments.c.status.in_(SETTLED_TENDERS))
        .order_by(payments.c.created_at))).all()
    return [{"method": r.payment_method, "amount": str(r.amount),
             "change_due": str(r.change_due or 0)} for r in rows]


async def _lines(conn: AsyncConnection, order: Any) -> tuple[list[nfce.Line], list[dict]]:
    """The order's lines with their fiscal data, and the products that have none."""
    rows = (await conn.execute(
        select(order_items.c.product_id, order_items.c.product_name, order_items.c.quantity,
               order_items.c.unit_price, order_items.c.subtotal,
               *(fiscal_products.c[name] for name in FISCAL_COLUMNS))
        .select_from(order_items.outerjoin(fiscal_products, (
            fiscal_products.c.product_id == order_items.c.product_id)
            & (fiscal_products.c.store_id == order.store_id)))
        .where(order_items.c.order_id == order.order_id,
               order_items.c.status.not_in(GONE_ITEM_STATUSES))
        .order_by(order_items.c.created_at, order_items.c.item_id))).all()
    missing = {str(r.product_id): r.product_name for r in rows if r.ncm is None}
    if missing:
        return [], [{"product_id": pid, "name": name} for pid, name in missing.items()]
    weights = [r.subtotal for r in rows]
    discounts = nfce.spread(order.discount or nfce.ZERO, weights)
    other = order.total - order.subtotal + (order.discount or nfce.ZERO)
    others = nfce.spread(max(other, nfce.ZERO), weights)
    lines = [nfce.Line(
        code=str(r.product_id).replace("-", "")[:60], name=r.product_name or "Produto",
        quantity=r.quantity, unit_price=r.unit_price, total=r.subtotal, ncm=r.ncm,
        cfop=r.cfop, cst=r.cst, origin=r.origin, cest=r.cest, cst_ibscbs=r.cst_ibscbs,
        cclass_trib=r.cclass_trib, ibs_rate=r.ibs_rate, cbs_rate=r.cbs_rate,
        icms_rate=r.icms_rate, icms_base_reduction=r.icms_base_reduction, fcp_rate=r.fcp_rate,
        **{name: getattr(r, name) for name in nfce.RETAINED_FIELDS},
        discount=d, other=o) for r, d, o in zip(rows, discounts, others)]
    return lines, []


def _tenders(sale: Sale, total: Decimal) -> tuple[tuple[nfce.Tender, ...], Decimal]:
    # vPag is what the customer handed over: the tender plus its change (vTroco).
    tenders = tuple(nfce.Tender(nfce.TPAG.get(t.get("method", ""), "99"),
                                Decimal(str(t.get("amount") or "0"))
                                + Decimal(str(t.get("change_due") or "0")))
                    for t in sale.tenders)
    if not tenders:
        tenders = (nfce.Tender("90", total),)
    change = max(sum((t.amount for t in tenders), nfce.ZERO) - total, nfce.ZERO)
    return tenders, change


async def _next_number(conn: AsyncConnection, client_id: str, store_id: str,
                       series: int) -> int:
    """Take the series' next number: the row stays locked until the note is written."""
    await insert_ignore(conn, fiscal_series, series_id=new_uuid(), client_id=client_id,
                        store_id=store_id, model=MODEL, series=series, next_number=1,
                        created_at=utcnow(), updated_at=utcnow())
    where = ((fiscal_series.c.store_id == store_id) & (fiscal_series.c.model == MODEL)
             & (fiscal_series.c.series == series))
    number = (await conn.execute(select(fiscal_series.c.next_number).where(where)
                                 .with_for_update())).scalar_one()
    await conn.execute(update(fiscal_series).where(where)
                       .values(next_number=number + 1, updated_at=utcnow()))
    return number


def signed_note(store: StoreFiscal, note: nfce.Note, now: datetime) -> tuple[str, str]:
    """(signed XML, QR code URL) of ``note``, checked against the schema."""
    root = nfce.build(store.issuer(), note)
    signature = sign(root[0], store.certificate(now))
    qr_page, consult_page = store.pages()
    digest = signature.findtext(".//{http://www.w3.org/2000/09/xmldsig#}DigestValue")
    offline = note.contingency_at is not None
    if store[spec.QR_VERSION] == "3":
        params = keys.qr_parameters_v3(note.key, store.environment, offline=offline,
                                       issued=note.issued, total=note.total, cpf=note.cpf,
                                       sign=store.certificate(now).sign_text)
    else:
        params = keys.qr_parameters(note.key, store.environment, store[spec.CSC_ID],
                                    store[spec.CSC], offline=offline, issued=note.issued,
                                    total=note.total, digest=digest)
    qr_url = f"{qr_page}?p={params}"
    nfce.add_supplement(root, qr_url, consult_page)
    nfce.validate(root)
    return etree.tostring(root, encoding="unicode"), qr_url


async def _problems(conn: AsyncConnection, store: StoreFiscal,
                    order: Any) -> tuple[list[nfce.Line], list[str], list[dict]]:
    lines, products = await _lines(conn, order)
    missing = store.missing()
    if not lines and not products:
        missing.append("o pedido não tem itens")
    # The store's regime changed since the product's data were saved: SEFAZ would refuse it.
    allowed = nfce.icms_codes(store[spec.CRT])
    misfits = sorted({line.name for line in lines if line.cst not in allowed})
    if misfits:
        missing.append(f"CST/CSOSN que não serve ao CRT {store[spec.CRT]} do emitente: "
                       + ", ".join(misfits))
    return lines, missing, products


def _reason(missing: list[str], products: list[dict]) -> str:
    parts = []
    if products:
        parts.append("produtos sem dados fiscais: " + ", ".join(p["name"] for p in products))
    if missing:
        parts.append("dados do emitente faltando: " + ", ".join(missing))
    return "; ".join(parts)


async def issue(conn: AsyncConnection, settings: Settings, client_id: str, store_id: str,
                sale: Sale, *, strict: bool, contingency: tuple[datetime, str] | None = None,
                replaces: uuid.UUID | None = None) -> Any:
    """The order's note: the one it has, else a new one, numbered, signed and saved as SIGNED
    (``CONTINGENCY`` when ``contingency`` gives dhCont and xJust).

    Without the data a note needs, ``strict`` raises :class:`MissingFiscalData`; otherwise the
    note is saved as ``PENDING_DATA`` with the reason, and no number is taken.
    """
    store = await store_fiscal(conn, settings, store_id)
    series = store[spec.SERIES]
    number = await _next_number(conn, client_id, store_id, series)  # locks the series first
    existing = await current_document(conn, sale.order.order_id, store_id)
    if existing is not None and existing.status != DocumentStatus.PENDING_DATA \
            and replaces is None:
        await _give_back(conn, store_id, series, number)
        return existing
    lines, missing, products = await _problems(conn, store, sale.order)
    now = utcnow()
    meta = {"tenders": sale.tenders, "cpf": sale.cpf, "environment": store[spec.ENVIRONMENT]}
    if missing or products:
        await _give_back(conn, store_id, series, number)
        if strict:
            raise MissingFiscalData(
                "the NFC-e cannot be issued: " + _reason(missing, products),
                code="fiscal_data_missing", details={"products": products, "settings": missing})
        return await _pending(conn, client_id, store_id, sale.order, existing, series,
                              _reason(missing, products), {**meta, "missing": missing})
    note = _note(store, sale, lines, number, series, now, contingency)
    try:
        xml, qr_url = signed_note(store, note, now)
    except CertificateProblem as exc:
        await _give_back(conn, store_id, series, number)
        log.error("fiscal: store %s cannot sign NFC-e: %s", store_id, exc)
        if strict:
            raise MissingFiscalData(f"the NFC-e cannot be signed: {exc}",
                                    code="certificate_unusable") from exc
        return await _pending(conn, client_id, store_id, sale.order, existing, series,
                              f"certificado: {exc}", meta)
    values = {"number": number, "series": series, "access_key": note.key, "xml": xml,
              "xml_sha256": hashlib.sha256(xml.encode()).hexdigest(), "qr_url": qr_url,
              "status": (DocumentStatus.CONTINGENCY if contingency else DocumentStatus.SIGNED),
              "contingency": contingency is not None, "issued_at": now, "reason": None,
              "metadata": meta, "replaces_id": replaces, "next_attempt_at": now}
    if existing is not None and existing.status == DocumentStatus.PENDING_DATA:
        await change(conn, existing.document_id, **values)
        return await current_document(conn, sale.order.order_id, store_id)
    document_id = new_uuid()
    await conn.execute(fiscal_documents.insert().values(
        document_id=document_id, client_id=client_id, store_id=store_id,
        order_id=sale.order.order_id, model=MODEL, created_at=now, updated_at=now, **values))
    return (await conn.execute(select(fiscal_documents).where(
        fiscal_documents.c.document_id == document_id))).first()


def _note(store: StoreFiscal, sale: Sale, lines: list[nfce.Line], number: int, series: int,
          now: datetime, contingency: tuple[datetime, str] | None) -> nfce.Note:
    issued = now.astimezone(BRT).replace(microsecond=0)
    total = sum((line.base for line in lines), nfce.ZERO)
    tenders, change_due = _tenders(sale, total)
    emission_type = 9 if contingency else 1
    key = keys.AccessKey(store.uf_code, issued, store.issuer().cnpj, series, number,
                         emission_type, keys.random_code(number))
    return nfce.Note(
        key=str(key), number=number, series=series, code=key.code, issued=issued,
        environment=store.environment, lines=tuple(lines), tenders=tenders, change=change_due,
        cpf=sale.cpf, contingency_at=contingency[0].astimezone(BRT).replace(microsecond=0)
        if contingency else None, contingency_reason=contingency[1] if contingency else None,
        info=f"Pedido {sale.order.order_number}")


async def _give_back(conn: AsyncConnection, store_id: str, series: int, number: int) -> None:
    """Return a number this transaction took but did not use (the series row is still ours)."""
    await conn.execute(update(fiscal_series).where(
        (fiscal_series.c.store_id == store_id) & (fiscal_series.c.model == MODEL)
        & (fiscal_series.c.series == series) & (fiscal_series.c.next_number == number + 1))
        .values(next_number=number))


async def _pending(conn: AsyncConnection, client_id: str, store_id: str, order: Any,
                   existing: Any | None, series: int, reason: str, meta: dict) -> Any:
    log.warning("fiscal: order %s waits for data: %s", order.order_number, reason)
    if existing is not None:
        await change(conn, existing.document_id, reason=reason, metadata=meta)
    else:
        now = utcnow()
        await conn.execute(fiscal_documents.insert().values(
            document_id=new_uuid(), client_id=client_id, store_id=store_id,
            order_id=order.order_id, model=MODEL, series=series, number=None,
            status=DocumentStatus.PENDING_DATA, contingency=False, reason=reason,
            metadata=meta, created_at=now, updated_at=now))
    return await current_document(conn, order.order_id, store_id)


async def reissue_offline(conn: AsyncConnection, store: StoreFiscal, row: Any, sale: Sale,
                          reason: str) -> None:
    """Sign a note that never left again, as a contingency note with the same number."""
    lines, _ = await _lines(conn, sale.order)
    now = utcnow()
    note = _note(store, sale, lines, row.number, row.series, now, (now, reason))
    xml, qr_url = signed_note(store, note, now)
    await change(conn, row.document_id, access_key=note.key, xml=xml,
                 xml_sha256=hashlib.sha256(xml.encode()).hexdigest(), qr_url=qr_url,
                 status=DocumentStatus.CONTINGENCY, contingency=True, issued_at=now,
                 next_attempt_at=now)


#: Published when a note becomes a contingency note after the sale (SEFAZ did not answer): the
#: receipt printed at payment shows a key that will not be authorised, so the peripherals plugin
#: prints the customer's receipt again with the contingency note's.
CONTINGENCY_ISSUED = "fiscal.contingency_issued"


async def announce_contingency(conn: AsyncConnection, client_id: str, order_id: uuid.UUID,
                               store_id: str, tenders: list[dict[str, Any]]) -> None:
    row = await current_document(conn, order_id, store_id)
    if row is None or not row.contingency:
        return
    await emit(conn, CONTINGENCY_ISSUED, client_id=client_id, store_id=store_id, data={
        "order_id": order_id, "document_id": row.document_id, "access_key": row.access_key,
        "series": row.series, "number": row.number, "tenders": tenders})
