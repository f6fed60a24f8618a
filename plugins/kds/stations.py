"""Stations: which screen shows which items, and each one's colour thresholds.

Routing is by product first, then by category (or its parent), else the store's default station.
A store that has no station yet gets a default kitchen (``cozinha``) and an expo the first time it
needs them, so orders reach a screen on a fresh install.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.core.api import Reply, RequestContext
from posmodern.core.errors import Conflict, NotFound, ValidationFailed
from posmodern.core.ids import new_uuid
from posmodern.core.writes import insert_ignore
from posmodern.plugins.kds.models import StationCreate, StationUpdate, _check_station
from posmodern.schema.tables import categories, kds_stations
from posmodern.schema.types import utcnow

#: What a store starts with: every item to the kitchen, and an expo that sees every station.
STARTERS = (
    {"code": "cozinha", "name": "Cozinha", "kind": "prep", "is_default": True, "position": 0},
    {"code": "expo", "name": "Expo", "kind": "expo", "is_default": False, "position": 99},
)


async def store_stations(conn: AsyncConnection, client_id: str, store_id: str,
                         *, active_only: bool = True) -> list[Any]:
    """The store's stations in screen order (the starters are made if it has none at all)."""
    query = select(kds_stations).where(kds_stations.c.store_id == store_id)
    rows = (await conn.execute(query.order_by(kds_stations.c.position,
                                              kds_stations.c.code))).all()
    if not rows:
        for starter in STARTERS:
            await insert_ignore(conn, kds_stations, **_new_row(client_id, store_id, starter))
        rows = (await conn.execute(query.order_by(kds_stations.c.position,
                                                  kds_stations.c.code))).all()
    return [row for row in rows if row.active or not active_only]


def _new_row(client_id: str, store_id: str, values: dict[str, Any]) -> dict[str, Any]:
    now = utcnow()
    return {"station_id": new_uuid(), "client_id": client_id, "store_id": store_id,
            "category_ids": [], "product_ids": [], "warn_minutes": 8, "late_minutes": 15,
            "active": True, "created_at": now, "updated_at": now, **values}


def station_view(row: Any) -> dict[str, Any]:
    return {"station_id": row.station_id, "code": row.code, "name": row.name, "kind": row.kind,
            "is_default": row.is_default, "category_ids": list(row.category_ids or []),
            "product_ids": list(row.product_ids or []), "warn_minutes": row.warn_minutes,
            "late_minutes": row.late_minutes, "position": row.position, "active": row.active}


async def check_station(conn: AsyncConnection, ctx: RequestContext,
                        code: str | None) -> Any | None:
    """The active station named ``code`` (None for none); an unknown one is a 422."""
    if code is None:
        return None
    for station in await store_stations(conn, ctx.client_id, ctx.store_id):
        if station.code == code:
            return station
    raise ValidationFailed(f"no station {code!r} in this store", code="unknown_station",
                           details=[{"loc": ["query", "station"], "msg": "unknown station",
                                     "type": "unknown_station"}])


async def _one(conn: AsyncConnection, ctx: RequestContext) -> Any:
    row = (await conn.execute(select(kds_stations).where(
        kds_stations.c.store_id == ctx.store_id,
        kds_stations.c.station_id == ctx.path["station_id"]))).first()
    if row is None:
        raise NotFound(f"no station {ctx.path['station_id']}", code="station_not_found")
    return row


async def _only_default(conn: AsyncConnection, store_id: str, station_id: uuid.UUID) -> None:
    await conn.execute(update(kds_stations).where(
        kds_stations.c.store_id == store_id, kds_stations.c.station_id != station_id,
        kds_stations.c.is_default.is_(True)).values(is_default=False, updated_at=utcnow()))


async def list_stations(ctx: RequestContext) -> dict:
    async with ctx.transaction() as conn:
        rows = await store_stations(conn, ctx.client_id, ctx.store_id, active_only=False)
    return {"items": [station_view(row) for row in rows]}


async def create_station(ctx: RequestContext) -> Reply:
    body: StationCreate = ctx.body
    async with ctx.transaction() as conn:
        await store_stations(conn, ctx.client_id, ctx.store_id)
        values = _new_row(ctx.client_id, ctx.store_id, {
            **body.model_dump(), "category_ids": [str(c) for c in body.category_ids],
            "product_ids": [str(p) for p in body.product_ids]})
        if not await insert_ignore(conn, kds_stations, **values):
            raise Conflict(f"the store already has a station {body.code!r}",
                           code="station_exists", details={"code": body.code})
        if body.is_default:
            await _only_default(conn, ctx.store_id, values["station_id"])
        row = await _one_by_id(conn, values["station_id"])
    return Reply(station_view(row), 201)


async def _one_by_id(conn: AsyncConnection, station_id: uuid.UUID) -> Any:
    return (await conn.execute(select(kds_stations).where(
        kds_stations.c.station_id == station_id))).first()


async def update_station(ctx: RequestContext) -> dict:
    body: StationUpdate = ctx.body
    changes = body.changes()
    async with ctx.transaction() as conn:
        current = await _one(conn, ctx)
        merged = {**station_view(current), **changes}
        try:
            _check_station(current.kind, merged["is_default"], merged["category_ids"],
                           merged["product_ids"], merged["warn_minutes"], merged["late_minutes"])
        except ValueError as error:
            raise ValidationFailed(str(error), code="invalid_station") from None
        if current.is_default and (changes.get("is_default") is False
                                   or changes.get("active") is False):
            raise Conflict("the default station stays: make another one the default first",
                           code="default_station")
        for key in ("category_ids", "product_ids"):
            if key in changes:
                changes[key] = [str(value) for value in changes[key]]
        await conn.execute(update(kds_stations).where(
            kds_stations.c.station_id == current.station_id).values(**changes,
                                                                     updated_at=utcnow()))
        if changes.get("is_default"):
            await _only_default(conn, ctx.store_id, current.station_id)
        row = await _one_by_id(conn, current.station_id)
    return station_view(row)


async def delete_station(ctx: RequestContext) -> dict:
    async with ctx.transaction() as conn:
        current = await _one(conn, ctx)
        if current.is_default:
            raise Conflict("the default station stays: make another one the default first",
                           code="default_station")
        await conn.execute(delete(kds_stations).where(
            kds_stations.c.station_id == current.station_id))
    return station_view(current)


#: The demo store's stations: drinks at the bar, desserts apart, the rest in the kitchen.
DEMO = (("bar", "Bar", ("Bebidas",), 1), ("sobremesas", "Sobremesas", ("Sobremesas",), 2))


async def demo_stations(conn: AsyncConnection, client_id: str, store_id: str) -> None:
    """The starters plus a bar and a dessert station routed by the demo menu's categories."""
    await store_stations(conn, client_id, store_id)
    for code, name, category_names, position in DEMO:
        ids = [str(c) for c in (await conn.scalars(select(categories.c.category_id).where(
            categories.c.store_id == store_id, categories.c.name.in_(category_names)))).all()]
        await insert_ignore(conn, kds_stations, **_new_row(client_id, store_id, {
            "code": code, "name": name, "kind": "prep", "is_default": False,
            "category_ids": ids, "position": position}))
