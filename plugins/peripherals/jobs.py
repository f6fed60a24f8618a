"""Print jobs: written before anything is sent, claimed by one worker, finished once.

A job is ``queued`` until a worker claims it (``printing``, with a lease), then ``done``,
``failed`` (attempts exhausted, or nothing can print it) or ``expired`` (a kitchen ticket whose
moment passed). A failed attempt puts it back to ``queued`` with a later ``next_attempt_at``; a
job still ``printing`` when its lease ends was left by a stopped process and is claimed again.
"""

from __future__ import annotations

import enum
import json
import uuid
from datetime import datetime, timedelta
from typing import Any

from posmodern.core.db import written
from posmodern.core.errors import ValidationFailed
from posmodern.plugins.peripherals.escpos import DocumentInvalid, check_document
from posmodern.schema.tables import print_jobs, printers
from posmodern.schema.types import utcnow
from sqlalchemy import and_, case, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    PRINTING = "printing"
    DONE = "done"
    FAILED = "failed"
    EXPIRED = "expired"


class JobKind(enum.StrEnum):
    KITCHEN = "kitchen"
    ADDITION = "addition"
    VOID = "void"
    RECEIPT = "receipt"
    BILL_CHECK = "bill_check"
    SHIFT_REPORT = "shift_report"
    DRAWER = "drawer"
    TEST = "test"


#: Kinds that only make sense soon after they were asked for.
KITCHEN_KINDS = frozenset({JobKind.KITCHEN, JobKind.ADDITION, JobKind.VOID})
#: A drawer that opens minutes after the sale would open in front of nobody.
DRAWER_MAX_AGE = timedelta(minutes=2)
REPRINT_WINDOW = timedelta(days=7)
#: In a job's payload: an attempt may have printed it (its next ones are marked REIMPRESSÃO).
MAYBE_PRINTED = "maybe_printed"
MAX_PAYLOAD_BYTES = 64 * 1024
#: Commit topics (core/db.py ``written``): the spool of the process is told after the commit.
JOBS_WRITTEN = "peripherals.print_jobs"
PRINTERS_WRITTEN = "peripherals.printers"


def job_view(row) -> dict[str, Any]:
    return {"job_id": row.job_id, "printer_id": row.printer_id, "role": row.role,
            "kind": row.kind, "status": row.status, "attempts": row.attempts,
            "last_error": row.last_error, "reference_type": row.reference_type,
            "reference_id": row.reference_id, "reprint_of": row.reprint_of,
            "created_at": row.created_at, "updated_at": row.updated_at,
            "printed_at": row.printed_at, "next_attempt_at": row.next_attempt_at}


async def printer_for_role(conn: AsyncConnection, store_id: str, role: str):
    """The store's active printer for ``role``: one that is nobody's backup first."""
    backups = select(printers.c.backup_printer_id).where(
        printers.c.store_id == store_id, printers.c.backup_printer_id.is_not(None))
    return (await conn.execute(
        select(printers).where(printers.c.store_id == store_id, printers.c.role == role,
                               printers.c.active.is_(True))
        .order_by(case((printers.c.printer_id.in_(backups), 1), else_=0),
                  printers.c.created_at, printers.c.printer_id).limit(1))).first()


async def enqueue(conn: AsyncConnection, *, client_id: str, store_id: str, printer,
                  kind: str, document: list[dict[str, Any]], reference_type: str | None = None,
                  reference_id: uuid.UUID | None = None, dedupe_key: str | None = None,
                  reprint_of: uuid.UUID | None = None):
    """Store a job for ``printer`` (a row of printers); with ``dedupe_key``, the job already
    stored under that key is returned instead of a second one."""
    if dedupe_key is not None:
        found = (await conn.execute(
            select(print_jobs).where(print_jobs.c.dedupe_key == dedupe_key))).first()
        if found is not None:
            return found
    try:
        check_document(document)
    except DocumentInvalid as exc:
        raise ValidationFailed(str(exc), code="bad_document") from None
    payload = {"document": document}
    if len(json.dumps(payload, ensure_ascii=False).encode()) > MAX_PAYLOAD_BYTES:
        raise ValidationFailed(f"a print job holds at most {MAX_PAYLOAD_BYTES} bytes",
                               code="job_too_large")
    now = utcnow()
    job_id = uuid.uuid4()
    await conn.execute(insert(print_jobs).values(
        job_id=job_id, client_id=client_id, store_id=store_id, printer_id=printer.printer_id,
        role=printer.role, kind=str(kind), reference_type=reference_type,
        reference_id=reference_id, payload=payload, status=JobStatus.QUEUED.value, attempts=0,
        dedupe_key=dedupe_key, reprint_of=reprint_of, created_at=now, updated_at=now))
    written(conn, JOBS_WRITTEN)
    return (await conn.execute(select(print_jobs).where(print_jobs.c.job_id == job_id))).first()


async def claim(conn: AsyncConnection, printer, *, lease: timedelta, now: datetime):
    """Take the oldest job due on ``printer`` (or left without a printer for its role), marked
    ``printing`` with one more attempt; None when there is none or another worker took it."""
    due = or_(
        and_(print_jobs.c.status == JobStatus.QUEUED.value,
             or_(print_jobs.c.next_attempt_at.is_(None), print_jobs.c.next_attempt_at <= now)),
        and_(print_jobs.c.status == JobStatus.PRINTING.value, print_jobs.c.lease_until < now))
    mine = or_(print_jobs.c.printer_id == printer.printer_id,
               and_(print_jobs.c.printer_id.is_(None), print_jobs.c.role == printer.role,
                    print_jobs.c.store_id == printer.store_id))
    job = (await conn.execute(
        select(print_jobs).where(mine, due)
        .order_by(print_jobs.c.created_at, print_jobs.c.job_id).limit(1))).first()
    if job is None:
        return None
    taken = await conn.execute(
        update(print_jobs)
        .where(print_jobs.c.job_id == job.job_id, print_jobs.c.status == job.status,
               print_jobs.c.attempts == job.attempts)
        .values(status=JobStatus.PRINTING.value, attempts=job.attempts + 1,
                lease_until=now + lease, printer_id=printer.printer_id, updated_at=now))
    if taken.rowcount != 1:
        return None
    return (await conn.execute(
        select(print_jobs).where(print_jobs.c.job_id == job.job_id))).first()


async def finish(conn: AsyncConnection, job_id: uuid.UUID, attempts: int, status: JobStatus,
                 error: str | None = None) -> bool:
    """End the attempt ``attempts`` of a job; False when another worker took it meanwhile."""
    now = utcnow()
    values: dict[str, Any] = {"status": status.value, "lease_until": None, "updated_at": now}
    if status == JobStatus.DONE:
        values.update(printed_at=now, last_error=None)
    elif error is not None:
        values["last_error"] = error[:1000]
    done = await conn.execute(
        update(print_jobs).where(print_jobs.c.job_id == job_id,
                                 print_jobs.c.status == JobStatus.PRINTING.value,
                                 print_jobs.c.attempts == attempts).values(**values))
    return done.rowcount == 1


async def due_now(conn: AsyncConnection, printer_id: uuid.UUID) -> int:
    """The printer printed again: its queued jobs still waiting out a failed attempt's backoff
    are due now, not up to ``POS_PRINT_RETRY_MAX_SECONDS`` later (how many)."""
    now = utcnow()
    moved = await conn.execute(
        update(print_jobs).where(print_jobs.c.printer_id == printer_id,
                                 print_jobs.c.status == JobStatus.QUEUED.value,
                                 print_jobs.c.next_attempt_at > now)
        .values(next_attempt_at=None, updated_at=now))
    return moved.rowcount


async def retry_later(conn: AsyncConnection, job, error: str, *, wait: timedelta,
                      move_to: uuid.UUID | None = None, maybe_printed: bool = False) -> None:
    """Put a failed attempt back in the queue, on ``move_to`` (a backup printer) if given;
    ``maybe_printed``: the attempt may have printed, the next ones are marked as reprints."""
    now = utcnow()
    values: dict[str, Any] = {"status": JobStatus.QUEUED.value, "lease_until": None,
                              "last_error": error[:1000], "next_attempt_at": now + wait,
                              "updated_at": now}
    if maybe_printed and not job.payload.get(MAYBE_PRINTED):
        values["payload"] = {**job.payload, MAYBE_PRINTED: True}
    if move_to is not None:
        values.update(printer_id=move_to, next_attempt_at=now)
        written(conn, JOBS_WRITTEN)  # the backup's worker takes it now
    await conn.execute(
        update(print_jobs).where(print_jobs.c.job_id == job.job_id,
                                 print_jobs.c.status == JobStatus.PRINTING.value,
                                 print_jobs.c.attempts == job.attempts).values(**values))
