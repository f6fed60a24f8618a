"""The CF-e of a paid order: written when the payment completes (``payment.completed`` carries
the tenders), in the event's transaction, for the sender to take to the device."""

from __future__ import annotations

import logging
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.core.config import Settings
from posmodern.core.db import written
from posmodern.core.events import Envelope, Subscription
from posmodern.core.store_settings import store_values
from posmodern.plugins.sat import settings as spec
from posmodern.plugins.sat.cfe import CFeInvalid, Line, sale_xml
from posmodern.plugins.sat.documents import DocumentStatus, announce, order_document
from posmodern.plugins.sat.tables import sat_documents
from posmodern.schema.tables import fiscal_products, order_items, orders
from posmodern.schema.types import utcnow

log = logging.getLogger("posmodern.sat")
#: Marked by a transaction that made a CF-e to send (:func:`~posmodern.core.db.written`).
CFE_WRITTEN = "sat.cfe"


async def issues_cfe(conn: AsyncConnection, settings: Settings, store_id: str) -> dict | None:
    """The store's SAT settings when it issues CF-e (SAT on, NFC-e off); None otherwise."""
    values = await store_values(conn, settings, store_id, [*spec.STORE, spec.NFCE_ENABLED])
    if not values[spec.ENABLED.name]:
        return None
    if values[spec.NFCE_ENABLED.name]:
        log.warning("sat: store %s issues NFC-e (POS_FISCAL_ENABLED): no CF-e", store_id)
        return None
    return values


async def _lines(conn: AsyncConnection, order_id: uuid.UUID, store_id: str) -> list[Line]:
    """The order's items, each with its product's fiscal data where it has them (the fiscal
    plugin.s table)."""
    rows = await conn.execute(
        select(order_items.c.product_id, order_items.c.product_name, order_items.c.quantity,
               order_items.c.subtotal, fiscal_products.c.ncm, fiscal_products.c.cfop,
               fiscal_products.c.cst, fiscal_products.c.origin)
        .select_from(order_items.outerjoin(fiscal_products, and_(
            fiscal_products.c.product_id == order_items.c.product_id,
            fiscal_products.c.store_id == store_id)))
        .where(order_items.c.order_id == order_id, order_items.c.status != "CANCELLED")
        .order_by(order_items.c.created_at, order_items.c.item_id))
    return [Line(str(row.product_id).replace("-", "")[:20], row.product_name or "Item",
                 row.quantity, row.subtotal, ncm=row.ncm, cfop=row.cfop, csosn=row.cst,
                 origin=row.origin) for row in rows]


async def issue(conn: AsyncConnection, settings: Settings, client_id: str, store_id: str,
                order_id: uuid.UUID, tenders: list[dict[str, Any]]) -> Any | None:
    """Write the order's CF-e (``PENDING``, or ``INVALID`` with the reason); None when the
    store does not issue CF-e. An order that has one keeps it."""
    store = await issues_cfe(conn, settings, store_id)
    if store is None:
        return None
    found = await order_document(conn, order_id, store_id)
    if found is not None:
        return found
    order = (await conn.execute(select(orders.c.total, orders.c.metadata).where(
        orders.c.order_id == order_id, orders.c.store_id == store_id))).first()
    if order is None:
        log.warning("sat: order %s of store %s not found: no CF-e", order_id, store_id)
        return None
    cpf = ((order.metadata or {}).get("cpf") or "").replace(".", "").replace("-", "") or None
    values: dict[str, Any] = {"status": DocumentStatus.PENDING, "next_attempt_at": utcnow(),
                              "tenders": tenders}
    try:
        values["sale_xml"] = sale_xml(store, await _lines(conn, order_id, store_id), order.total,
                                      tenders, cpf)
    except CFeInvalid as exc:
        values = {"status": DocumentStatus.INVALID, "message": str(exc), "tenders": tenders}
    document_id = uuid.uuid4()
    now = utcnow()
    await conn.execute(insert(sat_documents).values(
        document_id=document_id, client_id=client_id, store_id=store_id, order_id=order_id,
        total=Decimal(order.total), attempts=0, created_at=now, updated_at=now, **values))
    return await order_document(conn, order_id, store_id)


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def subscriptions(settings: Settings) -> list[Subscription]:
    async def handle(envelope: Envelope, conn: AsyncConnection) -> None:
        order_id = _uuid(envelope.data.get("order_id"))
        if order_id is None:
            return
        row = await issue(conn, settings, envelope.client_id, envelope.store_id, order_id,
                          envelope.data.get("tenders") or [])
        if row is None:
            return
        if row.status == DocumentStatus.INVALID:  # no device call to wait for: the receipt now
            await announce(conn, row.document_id, row.store_id)
        else:
            written(conn, CFE_WRITTEN)  # the sender sends it once this commits
    return [Subscription("sat.cfe", ("payment.completed",), handle)]
