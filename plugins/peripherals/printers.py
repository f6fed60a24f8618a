"""``/api/v1/peripherals/printers``: a store's printers, and the drivers that can reach them."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from posmodern.core.api import Reply, RequestContext
from posmodern.core.bodies import Patch, Strict
from posmodern.core.db import written
from posmodern.core.errors import NotFound, ValidationFailed
from posmodern.core.store_settings import store_value
from posmodern.plugins.peripherals import layouts
from posmodern.plugins.peripherals import settings as spec
from posmodern.plugins.peripherals.escpos import PROFILES
from posmodern.plugins.peripherals.jobs import PRINTERS_WRITTEN, JobKind, enqueue, job_view
from posmodern.plugins.peripherals.state import spool_of
from posmodern.schema.tables import printers
from posmodern.schema.types import utcnow
from pydantic import Field, ValidationError, field_validator
from sqlalchemy import delete, insert, select, update

ROLE = r"^[a-z0-9][a-z0-9_-]{0,49}$"


def _role(value: str) -> str:
    return value.strip().casefold()


class PrinterCreate(Strict):
    name: str = Field(min_length=1, max_length=100)
    driver: str = Field(min_length=1, max_length=50)
    connection: dict[str, Any]
    role: str = Field(min_length=1, max_length=50, pattern=ROLE, description=(
        "receipt, bar, or the code of a kitchen station (the kds plugin's stations, or "
        "POS_KITCHEN_STATIONS)"))
    paper_mm: Literal[58, 80] = 80
    profile: str = Field(default="generic", description="Code page profile: "
                         + ", ".join(PROFILES))
    backup_printer_id: uuid.UUID | None = None
    active: bool = True

    _lower = field_validator("role", mode="before")(lambda cls, v: _role(v)
                                                     if isinstance(v, str) else v)


class PrinterUpdate(Patch):
    required = frozenset({"name", "driver", "connection", "role", "paper_mm", "profile",
                          "active"})
    name: str | None = Field(default=None, min_length=1, max_length=100)
    driver: str | None = Field(default=None, min_length=1, max_length=50)
    connection: dict[str, Any] | None = None
    role: str | None = Field(default=None, min_length=1, max_length=50, pattern=ROLE)
    paper_mm: Literal[58, 80] | None = None
    profile: str | None = None
    backup_printer_id: uuid.UUID | None = None
    active: bool | None = None

    _lower = field_validator("role", mode="before")(lambda cls, v: _role(v)
                                                     if isinstance(v, str) else v)


def printer_view(row, ctx: RequestContext) -> dict[str, Any]:
    state = spool_of(ctx).states.get(row.printer_id)
    return {"printer_id": row.printer_id, "name": row.name, "driver": row.driver,
            "connection": row.connection, "role": row.role, "paper_mm": row.paper_mm,
            "profile": row.profile, "backup_printer_id": row.backup_printer_id,
            "active": row.active, "created_at": row.created_at, "updated_at": row.updated_at,
            "online": state.online if state else None,
            "last_error": state.last_error if state else None}


async def _load(conn, ctx: RequestContext, printer_id: uuid.UUID):
    row = (await conn.execute(select(printers).where(
        printers.c.printer_id == printer_id, printers.c.store_id == ctx.store_id))).first()
    if row is None:
        raise NotFound("printer not found", code="printer_not_found")
    return row


async def _checked(conn, ctx: RequestContext, values: dict[str, Any],
                   printer_id: uuid.UUID | None) -> dict[str, Any]:
    """The values as stored: a known driver, a connection it accepts, a backup of the role."""
    driver = spool_of(ctx).drivers.get(values["driver"])
    if driver is None:
        raise ValidationFailed(f"unknown printer driver {values['driver']!r}",
                               code="unknown_driver",
                               details={"drivers": sorted(spool_of(ctx).drivers)})
    if values["profile"] not in PROFILES:
        raise ValidationFailed(f"unknown printer profile {values['profile']!r}",
                               code="unknown_profile", details={"profiles": list(PROFILES)})
    try:
        values["connection"] = driver.check(values["connection"])
    except ValidationError as exc:  # say which field, as the host says it of a body (its loc)
        raise ValidationFailed(f"bad connection for {driver.name}: {exc}", code="bad_connection",
                               details=[{"loc": ["connection", *map(str, error["loc"])],
                                         "msg": error["msg"], "type": error["type"]}
                                        for error in exc.errors(include_url=False,
                                                                include_input=False)]) from None
    except (ValueError, TypeError) as exc:
        raise ValidationFailed(f"bad connection for {driver.name}: {exc}",
                               code="bad_connection") from None
    backup_id = values.get("backup_printer_id")
    if backup_id is not None:
        backup = (await conn.execute(select(printers).where(
            printers.c.printer_id == backup_id, printers.c.store_id == ctx.store_id))).first()
        if backup is None or backup_id == printer_id or backup.role != values["role"]:
            raise ValidationFailed("a backup printer is another printer of the store with the "
                                   "same role", code="bad_backup_printer")
    return values


async def list_drivers(ctx: RequestContext):
    return {"drivers": [{"name": d.name, "description": d.description}
                        for d in sorted(spool_of(ctx).drivers.values(), key=lambda d: d.name)],
            "profiles": [{"name": p.name, "description": p.description, "code_page": p.codec}
                         for p in PROFILES.values()]}


async def list_printers(ctx: RequestContext):
    async with ctx.transaction() as conn:
        rows = (await conn.execute(select(printers).where(printers.c.store_id == ctx.store_id)
                                   .order_by(printers.c.role, printers.c.name))).all()
    return {"printers": [printer_view(row, ctx) for row in rows]}


async def get_printer(ctx: RequestContext):
    async with ctx.transaction() as conn:
        return printer_view(await _load(conn, ctx, ctx.path["printer_id"]), ctx)


async def create_printer(ctx: RequestContext):
    printer_id = uuid.uuid4()
    async with ctx.transaction() as conn:
        values = await _checked(conn, ctx, ctx.body.model_dump(), None)
        now = utcnow()
        await conn.execute(insert(printers).values(
            printer_id=printer_id, client_id=ctx.client_id, store_id=ctx.store_id,
            created_at=now, updated_at=now, **values))
        written(conn, PRINTERS_WRITTEN)
        row = await _load(conn, ctx, printer_id)
    return Reply(printer_view(row, ctx), 201)


async def update_printer(ctx: RequestContext):
    async with ctx.transaction() as conn:
        row = await _load(conn, ctx, ctx.path["printer_id"])
        values = {**{k: getattr(row, k) for k in PrinterUpdate.model_fields},
                  **ctx.body.changes()}
        values = await _checked(conn, ctx, values, row.printer_id)
        await conn.execute(update(printers).where(printers.c.printer_id == row.printer_id)
                           .values(updated_at=utcnow(), **values))
        written(conn, PRINTERS_WRITTEN)
        row = await _load(conn, ctx, row.printer_id)
    return printer_view(row, ctx)


async def delete_printer(ctx: RequestContext):
    async with ctx.transaction() as conn:
        row = await _load(conn, ctx, ctx.path["printer_id"])
        # Its queued jobs lose their printer and go to another printer of the role.
        await conn.execute(update(printers).where(printers.c.backup_printer_id == row.printer_id)
                           .values(backup_printer_id=None))
        await conn.execute(delete(printers).where(printers.c.printer_id == row.printer_id))
        written(conn, PRINTERS_WRITTEN)
    return {"printer_id": row.printer_id, "deleted": True}


async def test_page(ctx: RequestContext):
    async with ctx.transaction() as conn:
        row = await _load(conn, ctx, ctx.path["printer_id"])
        timezone = await store_value(conn, ctx.runtime.settings, ctx.store_id, spec.TIMEZONE)
        job = await enqueue(conn, client_id=ctx.client_id, store_id=ctx.store_id, printer=row,
                            kind=JobKind.TEST,
                            document=layouts.test_page(row.name, utcnow(), timezone))
    return Reply(job_view(job), 202)
