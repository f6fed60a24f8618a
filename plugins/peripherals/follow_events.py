"""Tickets from events: kitchen tickets per station when an order is confirmed, additions and
voids while it is in the kitchen, the customer receipt when it is paid, a table's conferência when
it asks for the bill, the drawer's pulse on a cash payment, the shift's reading and closing.

Exactly one job per order, kind and station: each job carries a dedupe key, so a redelivered or
replayed event finds the job it made. Items go to the store's kitchen stations, the same the
kitchen screens show (the kds plugin's, routed by product and category, ``core/kitchen.py``);
a store without any routes by its products' categories (``POS_KITCHEN_STATIONS``). A station
without a printer gets no job (its screen, if any, shows the order).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

import pluggy
from posmodern.core.asyncio_hooks import call_hook
from posmodern.core.config import Settings
from posmodern.core.events import Envelope, Subscription
from posmodern.core.kitchen import DEFAULT_STATION, Router
from posmodern.core.orders import GONE_ITEM_STATUSES, OrderStatus
from posmodern.core.peripherals import ReceiptExtras
from posmodern.core.store_settings import store_values
from posmodern.plugins.peripherals import layouts
from posmodern.plugins.peripherals import settings as spec
from posmodern.plugins.peripherals.jobs import JobKind, enqueue, printer_for_role
from posmodern.schema.tables import (
    categories,
    kds_stations,
    order_items,
    orders,
    print_jobs,
    products,
)
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

RECEIPT, ORDER = "receipt", "order"
#: An order whose tickets reached the kitchen: changes to it are printed too.
IN_KITCHEN = (OrderStatus.CONFIRMED, OrderStatus.IN_PREPARATION, OrderStatus.READY)


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


async def _stations(conn: AsyncConnection, settings: Settings, store_id: str,
                    items: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The items by the station that makes them: the store's kitchen stations when it has any
    (kept by the kds plugin, read here so that a printer-only process routes as the screens
    do), else ``POS_KITCHEN_STATIONS`` by category."""
    ids = [i for i in (_uuid(item.get("product_id")) for item in items) if i is not None]
    found = {row.product_id: row for row in (await conn.execute(
        select(products.c.product_id, products.c.category_id, categories.c.parent_id,
               categories.c.name)
        .outerjoin(categories, categories.c.category_id == products.c.category_id)
        .where(products.c.product_id.in_(ids)))).all()} if ids else {}
    stations = (await conn.execute(select(kds_stations).where(
        kds_stations.c.store_id == store_id, kds_stations.c.active.is_(True)))).all()
    if any(station.kind == "prep" for station in stations):
        router = Router(stations)
        def station_of(product):
            if product is None:
                return router.default
            return router.station_of(product.product_id, product.category_id, product.parent_id)
    else:
        values = await store_values(conn, settings, store_id,
                                    [spec.KITCHEN_STATIONS, spec.DEFAULT_STATION])
        by_category = {}
        for pair in values[spec.KITCHEN_STATIONS.name]:
            category, _, station = pair.partition("=")
            if station.strip():
                by_category[category.strip().casefold()] = station.strip().casefold()
        default = values[spec.DEFAULT_STATION.name].strip().casefold() or DEFAULT_STATION
        def station_of(product):
            name = product.name if product is not None else None
            return by_category.get((name or "").casefold(), default)
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in items:
        grouped[station_of(found.get(_uuid(item.get("product_id"))))].append(item)
    return grouped


async def _tickets(conn: AsyncConnection, settings: Settings, envelope: Envelope, kind: str,
                   items: list[dict[str, Any]], key: str, note: str | None = None) -> None:
    order = envelope.data.get("order") or envelope.data
    order_id = _uuid(envelope.data.get("order_id"))
    values = await store_values(conn, settings, envelope.store_id, [spec.TIMEZONE])
    for station, station_items in sorted(
            (await _stations(conn, settings, envelope.store_id, items)).items()):
        printer = await printer_for_role(conn, envelope.store_id, station)
        if printer is None:
            continue
        await enqueue(
            conn, client_id=envelope.client_id, store_id=envelope.store_id, printer=printer,
            kind=kind, reference_type=ORDER, reference_id=order_id,
            dedupe_key=f"{order_id}:{key}:{station}",
            document=layouts.kitchen_ticket(kind, station, order, station_items,
                                            envelope.occurred_at,
                                            values[spec.TIMEZONE.name], note))


def _live(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [item for item in items if item.get("status") not in GONE_ITEM_STATUSES]


def kitchen(settings: Settings):
    async def handle(envelope: Envelope, conn: AsyncConnection) -> None:
        data = envelope.data
        order = data.get("order") or {}
        if envelope.type == "order.status_updated":
            if data.get("new_status") == OrderStatus.CONFIRMED:
                await _tickets(conn, settings, envelope, JobKind.KITCHEN,
                               _live(order.get("items", [])), "kitchen")
        elif envelope.type == "order.items_changed":
            if order.get("status") not in IN_KITCHEN:
                return
            if data.get("added"):
                await _tickets(conn, settings, envelope, JobKind.ADDITION, data["added"],
                               f"addition:{envelope.id}")
            if data.get("removed"):
                await _tickets(conn, settings, envelope, JobKind.VOID, data["removed"],
                               f"void:{envelope.id}")
        elif envelope.type == "order.cancelled":
            await _cancelled(conn, settings, envelope)
    return handle


async def _cancelled(conn: AsyncConnection, settings: Settings, envelope: Envelope) -> None:
    """A cancelled order is voided at the stations that got its ticket, and only there."""
    order_id = _uuid(envelope.data.get("order_id"))
    printed = (await conn.execute(select(print_jobs.c.job_id).where(
        print_jobs.c.reference_id == order_id, print_jobs.c.kind == JobKind.KITCHEN.value,
        print_jobs.c.reprint_of.is_(None)).limit(1))).first()
    if printed is None:
        return
    order = envelope.data.get("order") or {}
    await _tickets(conn, settings, envelope, JobKind.VOID, _live(order.get("items", [])),
                   "cancelled", note="PEDIDO CANCELADO")


async def _order(conn: AsyncConnection, order_id: uuid.UUID) -> dict[str, Any] | None:
    row = (await conn.execute(select(
        orders.c.order_number, orders.c.subtotal, orders.c.discount, orders.c.total,
        orders.c.metadata).where(orders.c.order_id == order_id))).first()
    if row is None:
        return None
    items = (await conn.execute(
        select(order_items.c.product_name, order_items.c.quantity, order_items.c.subtotal)
        .where(order_items.c.order_id == order_id,
               order_items.c.status.not_in(GONE_ITEM_STATUSES))
        .order_by(order_items.c.item_id))).all()
    return {"order_number": row.order_number, "subtotal": row.subtotal,
            "discount": row.discount, "total": row.total,
            "adjustments": (row.metadata or {}).get("adjustments", []),
            "items": [dict(item._mapping) for item in items]}


def receipts(settings: Settings, hooks: pluggy.HookRelay):
    async def handle(envelope: Envelope, conn: AsyncConnection) -> None:
        order_id = _uuid(envelope.data.get("order_id"))
        if order_id is None:
            return
        printer = await printer_for_role(conn, envelope.store_id, RECEIPT)
        order = await _order(conn, order_id)
        if printer is None or order is None:
            return
        found = await call_hook(hooks.pos_receipt_extras, conn=conn, order_id=order_id,
                                store_id=envelope.store_id)
        found = [e for e in found if isinstance(e, ReceiptExtras)]
        if any(e.later for e in found):
            return  # a fiscal document on its way: printed on its plugin's event, with it
        extras = [{"lines": list(e.lines), "qr": e.qr} for e in found]
        shows = "".join(f":{e.key}" for e in found if e.key)  # the note's key, when fiscal
        values = await store_values(conn, settings, envelope.store_id,
                                    [spec.RECEIPT_HEADER, spec.TIMEZONE])
        document = layouts.receipt(
            order, envelope.data.get("tenders", []), values[spec.RECEIPT_HEADER.name],
            envelope.occurred_at, values[spec.TIMEZONE.name], extras)
        await enqueue(conn, client_id=envelope.client_id, store_id=envelope.store_id,
                      printer=printer, kind=JobKind.RECEIPT, reference_type=ORDER,
                      reference_id=order_id, dedupe_key=f"{order_id}:receipt{shows}",
                      document=document)
    return handle


async def bill_check(settings: Settings, envelope: Envelope, conn: AsyncConnection) -> None:
    """A table asked for its bill (``waiter.bill_requested``): its conferência at the receipt
    printer, once per request."""
    printer = await printer_for_role(conn, envelope.store_id, RECEIPT)
    order = envelope.data.get("order")
    if printer is None or not order:
        return
    values = await store_values(conn, settings, envelope.store_id,
                                [spec.RECEIPT_HEADER, spec.TIMEZONE])
    await enqueue(conn, client_id=envelope.client_id, store_id=envelope.store_id,
                  printer=printer, kind=JobKind.BILL_CHECK, reference_type=ORDER,
                  reference_id=_uuid(envelope.data.get("order_id")),
                  dedupe_key=f"{envelope.id}:bill_check",
                  document=layouts.bill_check(
                      order, str(envelope.data.get("table_number") or ""),
                      envelope.data.get("balance") or {}, values[spec.RECEIPT_HEADER.name],
                      envelope.occurred_at, values[spec.TIMEZONE.name]))


async def cash_drawer(envelope: Envelope, conn: AsyncConnection) -> None:
    if envelope.data.get("method") != "cash":
        return
    printer = await printer_for_role(conn, envelope.store_id, RECEIPT)
    if printer is None:
        return
    payment_id = _uuid(envelope.data.get("payment_id"))
    await enqueue(conn, client_id=envelope.client_id, store_id=envelope.store_id,
                  printer=printer, kind=JobKind.DRAWER, reference_type="payment",
                  reference_id=payment_id, dedupe_key=f"{payment_id}:drawer",
                  document=layouts.drawer_pulse())


async def shift_report(settings: Settings, envelope: Envelope, conn: AsyncConnection) -> None:
    """The counter's shift reading (leitura X, each one) or closing (fechamento, once per shift)
    at the receipt printer."""
    printer = await printer_for_role(conn, envelope.store_id, RECEIPT)
    report = envelope.data
    if printer is None or not isinstance(report.get("shift"), dict):
        return
    shift_id = _uuid(report["shift"].get("shift_id"))
    closing = report.get("kind") == "closing"
    values = await store_values(conn, settings, envelope.store_id,
                                [spec.RECEIPT_HEADER, spec.TIMEZONE])
    await enqueue(conn, client_id=envelope.client_id, store_id=envelope.store_id,
                  printer=printer, kind=JobKind.SHIFT_REPORT, reference_type="shift",
                  reference_id=shift_id,
                  dedupe_key=f"{shift_id}:closing" if closing else f"{envelope.id}:reading",
                  document=layouts.shift_report(report, values[spec.RECEIPT_HEADER.name],
                                                values[spec.TIMEZONE.name]))


def subscriptions(settings: Settings, hooks: pluggy.HookRelay) -> list[Subscription]:
    return [
        Subscription("peripherals.kitchen_tickets",
                     ("order.status_updated", "order.items_changed", "order.cancelled"),
                     kitchen(settings)),
        # Again when the fiscal note became a contingency note after the sale (its new key),
        # and once the store's SAT answered about the sale's CF-e (the receipt waited for it).
        Subscription("peripherals.receipts", ("payment.completed", "fiscal.contingency_issued",
                                              "sat.cfe_answered"),
                     receipts(settings, hooks)),
        Subscription("peripherals.cash_drawer", ("payment.confirmed",), cash_drawer),
        Subscription("peripherals.bill_checks", ("waiter.bill_requested",),
                     lambda envelope, conn: bill_check(settings, envelope, conn)),
        Subscription("peripherals.shift_reports", ("counter.shift_read", "counter.shift_closed"),
                     lambda envelope, conn: shift_report(settings, envelope, conn)),
    ]
