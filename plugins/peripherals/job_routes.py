"""``/api/v1/peripherals/print-jobs`` (list, one, reprint) and ``/cash-drawer/open``."""

from __future__ import annotations

import uuid
from datetime import datetime

from posmodern.core import audit
from posmodern.core.api import Reply, RequestContext
from posmodern.core.bodies import PageQuery, Strict
from posmodern.core.errors import Conflict, NotFound, PosError
from posmodern.core.pagination import after, decode_cursor, page
from posmodern.plugins.peripherals import layouts
from posmodern.plugins.peripherals.follow_events import RECEIPT
from posmodern.plugins.peripherals.jobs import (
    REPRINT_WINDOW,
    JobKind,
    JobStatus,
    enqueue,
    job_view,
    printer_for_role,
)
from posmodern.schema.tables import print_jobs, printers
from posmodern.schema.types import utcnow
from pydantic import Field
from sqlalchemy import select


class Gone(PosError):
    status, code = 410, "gone"


class JobQuery(PageQuery):
    status: JobStatus | None = None
    kind: JobKind | None = None
    printer_id: uuid.UUID | None = None
    reference_id: uuid.UUID | None = None
    role: str | None = Field(default=None, max_length=50)


class DrawerOpen(Strict):
    printer_id: uuid.UUID | None = Field(
        default=None, description="The printer the drawer hangs on (default: the receipt one)")
    reason: str | None = Field(default=None, max_length=200)


async def list_jobs(ctx: RequestContext):
    query: JobQuery = ctx.query
    statement = select(print_jobs).where(print_jobs.c.store_id == ctx.store_id)
    for name in ("status", "kind", "printer_id", "reference_id", "role"):
        value = getattr(query, name)
        if value is not None:
            statement = statement.where(print_jobs.c[name] == value)
    order = (print_jobs.c.created_at, print_jobs.c.job_id)
    if query.cursor:
        key = decode_cursor(query.cursor, (datetime, uuid.UUID))
        statement = statement.where(after(order, key, descending=True))
    async with ctx.transaction() as conn:
        rows = (await conn.execute(statement.order_by(*(c.desc() for c in order))
                                   .limit(query.limit + 1))).all()
    items, cursor = page(rows, query.limit, lambda r: (r.created_at, r.job_id))
    return {"print_jobs": [job_view(row) for row in items], "next_cursor": cursor}


async def _job(conn, ctx: RequestContext):
    row = (await conn.execute(select(print_jobs).where(
        print_jobs.c.job_id == ctx.path["job_id"],
        print_jobs.c.store_id == ctx.store_id))).first()
    if row is None:
        raise NotFound("print job not found", code="print_job_not_found")
    return row


async def get_job(ctx: RequestContext):
    async with ctx.transaction() as conn:
        return job_view(await _job(conn, ctx))


async def reprint(ctx: RequestContext):
    """A new job with the same document, marked REIMPRESSÃO, on the job's printer (or another
    of its role when that one is gone)."""
    async with ctx.transaction() as conn:
        job = await _job(conn, ctx)
        if utcnow() - job.created_at > REPRINT_WINDOW:
            raise Gone("only jobs of the last 7 days can be reprinted", code="job_too_old")
        if job.kind == JobKind.DRAWER:
            raise Conflict("a drawer pulse is not reprinted: open the drawer instead",
                           code="not_reprintable")
        printer = None
        if job.printer_id is not None:
            printer = (await conn.execute(select(printers).where(
                printers.c.printer_id == job.printer_id, printers.c.active.is_(True)))).first()
        printer = printer or await printer_for_role(conn, ctx.store_id, job.role)
        if printer is None:
            raise Conflict(f"no active printer has the role {job.role!r}",
                           code="no_printer_for_role")
        made = await enqueue(conn, client_id=ctx.client_id, store_id=ctx.store_id,
                             printer=printer, kind=job.kind, document=job.payload["document"],
                             reference_type=job.reference_type, reference_id=job.reference_id,
                             reprint_of=job.reprint_of or job.job_id)
        await audit.record(conn, ctx, "peripherals.reprint", resource_type="print_job",
                           resource_id=job.job_id, details={"reprint": str(made.job_id)})
    return Reply(job_view(made), 201)


async def open_drawer(ctx: RequestContext):
    body: DrawerOpen = ctx.body
    async with ctx.transaction() as conn:
        if body.printer_id is not None:
            printer = (await conn.execute(select(printers).where(
                printers.c.printer_id == body.printer_id,
                printers.c.store_id == ctx.store_id))).first()
            if printer is None:
                raise NotFound("printer not found", code="printer_not_found")
        else:
            printer = await printer_for_role(conn, ctx.store_id, RECEIPT)
            if printer is None:
                raise Conflict("the store has no receipt printer", code="no_printer_for_role")
        job = await enqueue(conn, client_id=ctx.client_id, store_id=ctx.store_id,
                            printer=printer, kind=JobKind.DRAWER, reference_type="drawer",
                            document=layouts.drawer_pulse())
        await audit.record(conn, ctx, "peripherals.drawer_opened", resource_type="printer",
                           resource_id=printer.printer_id,
                           details={"job_id": str(job.job_id), "reason": body.reason})
    return Reply(job_view(job), 202)
