"""What screens and managers read: tickets of a station, all-day counts, the expo's orders, the
customer board, and preparation-time figures."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.core.api import RequestContext
from posmodern.core.errors import ValidationFailed
from posmodern.plugins.kds.models import OPEN, StationQuery, StatsQuery, TicketQuery
from posmodern.plugins.kds.stations import check_station, store_stations
from posmodern.plugins.kds.tickets import TicketNotFound, ticket_view
from posmodern.schema.tables import kds_tickets
from posmodern.schema.types import utcnow

#: The expo and the board show orders of the last hours, and ready ones for a while after.
EXPO_WINDOW = timedelta(hours=12)
READY_SHOWN = timedelta(minutes=15)


def on_screen():
    """Tickets a screen shows: the open ones, and any whose void or cancellation is not
    acknowledged yet."""
    return or_(kds_tickets.c.status.in_(OPEN), kds_tickets.c.alert.is_not(None))


async def _station_filter(conn: AsyncConnection, ctx: RequestContext, code: str | None):
    station = await check_station(conn, ctx, code)
    if station is None or station.kind == "expo":
        return None
    return kds_tickets.c.station == station.code


async def screen_tickets(conn: AsyncConnection, store_id: str, where=None,
                         limit: int = 500) -> list[dict[str, Any]]:
    """The tickets a screen shows now, oldest first."""
    query = select(kds_tickets).where(kds_tickets.c.store_id == store_id, on_screen())
    if where is not None:
        query = query.where(where)
    rows = (await conn.execute(query.order_by(kds_tickets.c.created_at, kds_tickets.c.station,
                                              kds_tickets.c.round).limit(limit))).all()
    return [ticket_view(row) for row in rows]


async def list_tickets(ctx: RequestContext) -> dict:
    query: TicketQuery = ctx.query
    async with ctx.transaction() as conn:
        where = await _station_filter(conn, ctx, query.station)
        if not query.statuses:
            return {"items": await screen_tickets(conn, ctx.store_id, where, query.limit)}
        statement = select(kds_tickets).where(kds_tickets.c.store_id == ctx.store_id,
                                              kds_tickets.c.status.in_(query.statuses))
        if where is not None:
            statement = statement.where(where)
        # Bumped ones newest first (the one to recall on top); the others oldest first.
        order = ((kds_tickets.c.bumped_at.desc(),) if query.statuses == ["BUMPED"]
                 else (kds_tickets.c.created_at, kds_tickets.c.station))
        rows = (await conn.execute(statement.order_by(*order).limit(query.limit))).all()
    return {"items": [ticket_view(row) for row in rows]}


async def get_ticket(ctx: RequestContext) -> dict:
    async with ctx.transaction() as conn:
        row = (await conn.execute(select(kds_tickets).where(
            kds_tickets.c.ticket_id == ctx.path["ticket_id"],
            kds_tickets.c.store_id == ctx.store_id))).first()
    if row is None:
        raise TicketNotFound(f"no ticket {ctx.path['ticket_id']}")
    return ticket_view(row)


async def all_day(ctx: RequestContext) -> dict:
    """Per station, how many of each product the open tickets still need."""
    query: StationQuery = ctx.query
    async with ctx.transaction() as conn:
        where = await _station_filter(conn, ctx, query.station)
        stations = [s for s in await store_stations(conn, ctx.client_id, ctx.store_id)
                    if s.kind == "prep"]
        statement = select(kds_tickets.c.station, kds_tickets.c["items"]).where(
            kds_tickets.c.store_id == ctx.store_id, kds_tickets.c.status.in_(OPEN))
        if where is not None:
            statement = statement.where(where)
        rows = (await conn.execute(statement)).all()
    counts: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for row in rows:
        for entry in row.items or []:
            if entry.get("done") or entry.get("voided"):
                continue
            line = counts[row.station].setdefault(entry["product_id"], {
                "product_id": entry["product_id"], "product_name": entry["product_name"],
                "quantity": Decimal(0)})
            line["quantity"] += Decimal(str(entry["quantity"]))
    station = await _only(query.station, stations)
    codes = [station] if station else [s.code for s in stations] + sorted(
        set(counts) - {s.code for s in stations})
    return {"stations": [{
        "station": code,
        "items": sorted(({**line, "quantity": str(line["quantity"].normalize())}
                         for line in counts.get(code, {}).values()),
                        key=lambda line: line["product_name"] or "")} for code in codes]}


async def _only(code: str | None, prep_stations: list[Any]) -> str | None:
    """The one prep station asked for (None: all of them; the expo sees all)."""
    return code if code in {s.code for s in prep_stations} else None


async def _orders(conn: AsyncConnection, store_id: str) -> list[dict[str, Any]]:
    """Orders with tickets, each with its stations' progress (see :data:`EXPO_WINDOW`)."""
    now = utcnow()
    rows = (await conn.execute(select(kds_tickets).where(
        kds_tickets.c.store_id == store_id, kds_tickets.c.created_at >= now - EXPO_WINDOW)
        .order_by(kds_tickets.c.created_at, kds_tickets.c.station))).all()
    by_order: dict[Any, list[Any]] = defaultdict(list)
    for row in rows:
        by_order[row.order_id].append(row)
    found = []
    for order_id, tickets in by_order.items():
        live = [t for t in tickets if t.status != "CANCELLED"]
        alerts = [t for t in tickets if t.alert]
        if not live and not alerts:
            continue
        ready = bool(live) and all(t.status == "BUMPED" for t in live)
        ready_at = max((t.bumped_at for t in live if t.bumped_at), default=None)
        if ready and not alerts and ready_at and now - ready_at > READY_SHOWN:
            continue
        first = tickets[0]
        found.append({
            "order_id": order_id, "order_number": first.order_number,
            **{key: (first.details or {}).get(key)
               for key in ("source", "table_number", "customer_name")},
            "cancelled": not live, "ready": ready, "ready_at": ready_at,
            "created_at": first.created_at,
            "tickets": [ticket_view(t) for t in tickets]})
    return found


async def expo(ctx: RequestContext) -> dict:
    async with ctx.transaction() as conn:
        orders = await _orders(conn, ctx.store_id)
    return {"items": orders}


async def board(ctx: RequestContext) -> dict:
    """The customer board: order numbers being prepared and ready."""
    async with ctx.transaction() as conn:
        orders = [o for o in await _orders(conn, ctx.store_id) if not o["cancelled"]]
    return {"preparing": [o["order_number"] for o in orders if not o["ready"]],
            "ready": [o["order_number"] for o in sorted(
                (o for o in orders if o["ready"]), key=lambda o: o["ready_at"], reverse=True)]}


def percentile(values: list[float], share: float) -> float:
    """The ``share`` (0-1) percentile of sorted ``values``, interpolated between neighbours."""
    position = (len(values) - 1) * share
    low, high = math.floor(position), math.ceil(position)
    return values[low] + (values[high] - values[low]) * (position - low)


def _figures(seconds: list[float]) -> dict[str, Any]:
    ordered = sorted(seconds)
    return {"count": len(ordered), "p50_seconds": round(percentile(ordered, 0.5), 1),
            "p90_seconds": round(percentile(ordered, 0.9), 1)}


async def stats(ctx: RequestContext) -> dict:
    """p50/p90 from start to bump (from when the ticket reached the screen, if never started)
    per product, station and hour of the day, over bumped tickets."""
    query: StatsQuery = ctx.query
    try:
        zone = ZoneInfo(query.tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed(f"unknown time zone {query.tz!r}", code="unknown_time_zone",
                               details=[{"loc": ["query", "tz"], "msg": "unknown time zone",
                                         "type": "unknown_time_zone"}]) from None
    until = query.created_to or utcnow()
    since = query.created_from or until - timedelta(days=7)
    async with ctx.transaction() as conn:
        where = await _station_filter(conn, ctx, query.station)
        statement = select(kds_tickets).where(
            kds_tickets.c.store_id == ctx.store_id, kds_tickets.c.status == "BUMPED",
            kds_tickets.c.bumped_at >= since, kds_tickets.c.bumped_at < until)
        if where is not None:
            statement = statement.where(where)
        rows = (await conn.execute(statement)).all()
    by_product: dict[str, list[float]] = defaultdict(list)
    names: dict[str, str] = {}
    by_station: dict[str, list[float]] = defaultdict(list)
    by_hour: dict[int, list[float]] = defaultdict(list)
    for row in rows:
        began = row.started_at or row.fired_at or row.created_at
        seconds = max((row.bumped_at - began).total_seconds(), 0.0)
        by_station[row.station].append(seconds)
        by_hour[began.astimezone(zone).hour].append(seconds)
        for entry in row.items or []:
            if not entry.get("voided"):
                by_product[entry["product_id"]].append(seconds)
                names[entry["product_id"]] = entry["product_name"]
    return {
        "from": since, "to": until, "tz": query.tz, "tickets": len(rows),
        "by_product": sorted(({"product_id": pid, "product_name": names[pid],
                               **_figures(values)} for pid, values in by_product.items()),
                             key=lambda line: line["product_name"] or ""),
        "by_station": [{"station": code, **_figures(values)}
                       for code, values in sorted(by_station.items())],
        "by_hour": [{"hour": hour, **_figures(values)}
                    for hour, values in sorted(by_hour.items())]}
