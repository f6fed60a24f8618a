"""The print spool: one worker (an asyncio task) per printer of every tenant.

Workers read their jobs from the database, so a job queued by another process (or left by one
that was killed) is printed too, and nothing is lost on a restart. The bytes go out in a thread:
drivers block. A printer that fails is retried with a growing wait; after
``POS_PRINT_FAILOVER_ATTEMPTS`` failures of a job, the job moves to the printer's backup.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from posmodern.core.peripherals import PrinterDriver, PrinterOffline
from posmodern.core.runtime import Runtime
from posmodern.core.store_settings import store_value
from posmodern.plugins.peripherals import settings as spec
from posmodern.plugins.peripherals.escpos import render
from posmodern.plugins.peripherals.jobs import (
    DRAWER_MAX_AGE,
    KITCHEN_KINDS,
    MAYBE_PRINTED,
    JOBS_WRITTEN,
    PRINTERS_WRITTEN,
    JobKind,
    JobStatus,
    claim,
    due_now,
    finish,
    retry_later,
)
from posmodern.core.tenancy import active_tenants, tenants_with_rows
from posmodern.schema.tables import printers
from posmodern.schema.types import utcnow
from sqlalchemy import select

log = logging.getLogger("posmodern.peripherals")
#: How often the spool visits every tenant for printers; in between it asks the statistics which
#: tenants have any (core/tenancy.py ``tenants_with_rows``), so its idle cost does not grow with
#: the number of tenants. A printer added through this process is found as soon as its
#: transaction commits (``PRINTERS_WRITTEN``); one added by another process within seconds, when
#: PostgreSQL's statistics count it.
FULL_SCAN_SECONDS = 3600.0


@dataclass
class PrinterState:
    """What this process last saw of a printer (shown by the printers API)."""

    online: bool | None = None
    last_error: str | None = None
    failures: int = 0


class MaybePrinted(PrinterOffline):
    """The job's bytes went out, all or some, and the printer did not confirm them: it may have
    printed. Its next attempt is marked REIMPRESSÃO, so that a kitchen never takes a second copy
    for a second order."""


def deliver(driver: PrinterDriver, connection: dict[str, Any], data: bytes) -> None:
    """Send ``data`` through ``driver``; raise when the printer did not take it
    (:class:`MaybePrinted` when it may have)."""
    printer = driver.open(connection)
    try:
        online = getattr(printer, "online", None)
        if online is not None and online() is False:
            raise PrinterOffline("the printer does not answer its status query")
        try:
            printer.write(data)
            # The printer answers a status query only after the bytes before it: an answer now
            # confirms the job arrived.
            confirmed = online is None or online() is not False
        except Exception as exc:  # noqa: BLE001 - a driver may raise anything mid-job
            raise MaybePrinted(f"the connection failed while the job was sent: {exc}") from exc
        if not confirmed:
            raise MaybePrinted("no status answer after the job was sent")
    finally:
        printer.close()


@dataclass
class Spool:
    runtime: Runtime
    drivers: dict[str, PrinterDriver]
    workers: dict[tuple[str, uuid.UUID], asyncio.Task] = field(default_factory=dict)
    states: dict[uuid.UUID, PrinterState] = field(default_factory=dict)
    _task: asyncio.Task | None = None
    _rescan: asyncio.Event = field(default_factory=asyncio.Event)
    _wake: dict[str, asyncio.Event] = field(default_factory=dict)
    _told: set[str] = field(default_factory=set)
    _stopping: bool = False
    _next_full: float = 0.0

    def value(self, setting):
        return setting.value(self.runtime.settings)

    def start(self) -> None:
        # Told by each commit of this process that wrote printers or jobs, so neither waits for
        # the statistics or the next poll.
        self.runtime.db.on_commit(PRINTERS_WRITTEN, self.rescan)
        self.runtime.db.on_commit(JOBS_WRITTEN, self.wake)
        self._task = asyncio.create_task(self._supervise(), name="peripherals.spool")

    async def stop(self) -> None:
        # Workers end between two jobs: one cancelled inside a transaction would leave its
        # connection unusable, and one cancelled while sending would print the job twice.
        self._stopping = True
        self.runtime.db.off_commit(PRINTERS_WRITTEN, self.rescan)
        self.runtime.db.off_commit(JOBS_WRITTEN, self.wake)
        self._rescan.set()
        for event in self._wake.values():
            event.set()
        tasks = [t for t in (self._task, *self.workers.values()) if t is not None]
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=30)
            for task in late:
                log.warning("peripherals: %s did not stop in 30 s: cancelled", task.get_name())
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        self.workers.clear()

    def rescan(self, client_id: str) -> None:
        """Look for the tenant's printers now (one was added or changed in this process)."""
        self._told.add(client_id)
        self._rescan.set()

    def wake(self, client_id: str) -> None:
        """Tell the tenant's workers a job was queued (or moved) in this process."""
        event = self._wake.get(client_id)
        if event is not None:
            event.set()

    def state(self, printer_id: uuid.UUID) -> PrinterState:
        return self.states.setdefault(printer_id, PrinterState())

    async def _supervise(self) -> None:
        while not self._stopping:
            try:
                await self._scan()
            except Exception:
                log.exception("peripherals: looking for printers failed")
            try:
                await asyncio.wait_for(self._rescan.wait(), self.value(spec.SCAN))
            except TimeoutError:
                pass
            self._rescan.clear()

    async def _scan(self) -> None:
        if self._stopping:
            return
        db = self.runtime.db
        now = time.monotonic()
        if now >= self._next_full:  # the safety net of the statistics: rarely, every tenant
            self._next_full = now + FULL_SCAN_SECONDS
            client_ids = await active_tenants(db)
        else:
            client_ids = await tenants_with_rows(db, printers.name)
        told, self._told = self._told, set()
        found = set()
        for client_id in {*client_ids, *told}:
            try:
                async with db.transaction(client_id) as conn:
                    ids = (await conn.execute(select(printers.c.printer_id).where(
                        printers.c.active.is_(True)))).scalars().all()
            except Exception as exc:  # noqa: BLE001 - a tenant being created or dropped
                log.debug("peripherals: tenant %s skipped: %s", client_id, exc)
                continue
            found.update((client_id, printer_id) for printer_id in ids)
        for key in found - set(self.workers):
            self._wake.setdefault(key[0], asyncio.Event())
            self.workers[key] = asyncio.create_task(
                Worker(self, *key).run(), name=f"peripherals.printer.{key[1]}")
        for key in [k for k, task in self.workers.items() if task.done()]:
            del self.workers[key]


class Worker:
    def __init__(self, spool: Spool, client_id: str, printer_id: uuid.UUID) -> None:
        self.spool = spool
        self.client_id = client_id
        self.printer_id = printer_id

    async def run(self) -> None:
        wake = self.spool._wake[self.client_id]
        while not self.spool._stopping:
            try:
                outcome = await self.step()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("peripherals: printer %s", self.printer_id)
                outcome = "idle"
            if outcome == "gone":
                return
            if outcome != "printed" and not self.spool._stopping:
                try:
                    await asyncio.wait_for(wake.wait(), self.spool.value(spec.POLL))
                except TimeoutError:
                    pass
                wake.clear()

    async def step(self) -> str:
        settings = self.spool.runtime.settings
        lease = timedelta(seconds=self.spool.value(spec.LEASE))
        async with self.spool.runtime.db.transaction(self.client_id) as conn:
            printer = (await conn.execute(
                select(printers).where(printers.c.printer_id == self.printer_id))).first()
            if printer is None or not printer.active:
                return "gone"
            job = await claim(conn, printer, lease=lease, now=utcnow())
            if job is None:
                return "idle"
            max_age = timedelta(minutes=await store_value(
                conn, settings, job.store_id, spec.KITCHEN_MAX_AGE))
        age = utcnow() - job.created_at
        if job.reprint_of is None and ((job.kind in KITCHEN_KINDS and age > max_age)
                                       or (job.kind == JobKind.DRAWER and age > DRAWER_MAX_AGE)):
            await self._finish(job, JobStatus.EXPIRED,
                               f"not printed: {int(age.total_seconds() // 60)} min old")
            return "printed"
        driver = self.spool.drivers.get(printer.driver)
        if driver is None:
            await self._finish(job, JobStatus.FAILED, f"no driver {printer.driver!r} is loaded")
            return "printed"
        data = render(job.payload["document"], paper_mm=printer.paper_mm, profile=printer.profile,
                      reprint=job.reprint_of is not None or bool(job.payload.get(MAYBE_PRINTED)))
        state = self.spool.state(self.printer_id)
        try:
            await asyncio.to_thread(deliver, driver, printer.connection, data)
        except Exception as exc:  # noqa: BLE001 - a driver may raise anything
            error = str(exc) or type(exc).__name__
            state.online, state.last_error = False, error
            state.failures += 1
            await self._retry(job, printer, error, state.failures,
                              maybe_printed=isinstance(exc, MaybePrinted))
            return "failed"
        back = state.failures > 0
        state.online, state.last_error, state.failures = True, None, 0
        await self._finish(job, JobStatus.DONE, back=back)
        return "printed"

    async def _finish(self, job, status: JobStatus, error: str | None = None, *,
                      back: bool = False) -> None:
        async with self.spool.runtime.db.transaction(self.client_id) as conn:
            await finish(conn, job.job_id, job.attempts, status, error)
            if back:  # the printer is back: what waited for it goes now, oldest first
                await due_now(conn, self.printer_id)

    async def _retry(self, job, printer, error: str, failures: int, *,
                     maybe_printed: bool = False) -> None:
        base, most = self.spool.value(spec.RETRY), self.spool.value(spec.RETRY_MAX)
        wait = timedelta(seconds=min(most, base * 2 ** min(job.attempts - 1, 20)))
        async with self.spool.runtime.db.transaction(self.client_id) as conn:
            if job.attempts >= self.spool.value(spec.MAX_ATTEMPTS):
                await finish(conn, job.job_id, job.attempts, JobStatus.FAILED, error)
                return
            backup = None
            # A printer already known to be down hands a new job over at its first failure.
            if (printer.backup_printer_id is not None
                    and max(job.attempts, failures) >= self.spool.value(spec.FAILOVER_ATTEMPTS)):
                backup = (await conn.execute(select(printers.c.printer_id).where(
                    printers.c.printer_id == printer.backup_printer_id,
                    printers.c.active.is_(True)))).scalar()
            await retry_later(conn, job, error, wait=wait, move_to=backup,
                              maybe_printed=maybe_printed)
        log.warning("peripherals: printer %s failed job %s (attempt %s): %s%s",
                    printer.name, job.job_id, job.attempts, error,
                    " — moved to its backup" if backup else "")
