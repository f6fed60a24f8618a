"""A background worker that moves rows of one tenant table on when they are due (the fiscal
sender's notes, the SAT sender's CF-e): one asyncio task, a pass every ``poll`` seconds or when
woken.

Every ``FULL_PASS_SECONDS`` a pass visits every tenant whose table may hold rows (the statistics
say which, in one query: :func:`~posmodern.core.tenancy.tenants_with_rows`); the passes between
visit only :attr:`DueWorker.busy`, the tenants whose rows still have work ahead or that were
woken lately. The idle cost so does not grow with the tenants.

A subclass names its table, the query of its waiting rows and what a pass does with the due
ones (:meth:`DueWorker.run_pass`, using :meth:`DueWorker.due`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from sqlalchemy import Select, Table

from posmodern.core.runtime import Runtime
from posmodern.core.tenancy import tenants_with_rows
from posmodern.schema.types import utcnow

log = logging.getLogger("posmodern.due_work")
#: How often a pass visits every tenant that has rows.
FULL_PASS_SECONDS = 60.0
#: How long a tenant woken by a new row stays in the passes before its row is seen (the
#: waker's transaction may not have committed yet).
WOKEN_SECONDS = 30.0
#: How long :meth:`DueWorker.stop` waits for the work under way before cancelling it.
STOP_SECONDS = 30.0


@dataclass
class DueWorker:
    runtime: Runtime
    #: Tenants whose rows have work ahead (or that were woken) → until when a woken one stays.
    busy: dict[str, float] = field(default_factory=dict)
    _task: asyncio.Task | None = None
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    _stopping: bool = False

    #: The worker's name, in its task's name and its logs ("fiscal", "sat").
    name: ClassVar[str]
    #: The tenant table whose rows it moves on.
    table: ClassVar[Table]
    #: The setting of the seconds between two passes.
    poll: ClassVar[Any]
    #: What a transaction marks (:func:`~posmodern.core.db.written`) when it made rows due: the
    #: worker is woken once it commits, not before (a pass started before the commit would not
    #: see them and wait for the next poll).
    topic: ClassVar[str | None] = None

    def value(self, setting):
        return setting.value(self.runtime.settings)

    def start(self) -> None:
        if self.topic:
            self.runtime.db.on_commit(self.topic, self.wake)
        self._task = asyncio.create_task(self._run(), name=f"{self.name}.sender")

    def wake(self, client_id: str | None = None) -> None:
        """Look now (at ``client_id``'s rows, when given, also in the passes to come)."""
        if client_id is not None:
            self.busy[client_id] = time.monotonic() + WOKEN_SECONDS
        self._wake.set()

    async def stop(self) -> None:
        """Stop passing; the work under way gets :data:`STOP_SECONDS` to end, then is cancelled."""
        self._stopping = True
        if self.topic:
            self.runtime.db.off_commit(self.topic, self.wake)
        self._wake.set()
        tasks = [task for task in self.running() if task is not None]
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=STOP_SECONDS)
            if late:
                log.warning("%s: %d tasks did not end in %g s: cancelled", self.name, len(late),
                            STOP_SECONDS)
                for task in late:
                    task.cancel()
                await asyncio.gather(*late, return_exceptions=True)

    def running(self) -> Sequence[asyncio.Task | None]:
        """The tasks :meth:`stop` waits for (the loop; a subclass adds its own)."""
        return [self._task]

    async def _run(self) -> None:
        next_full = 0.0
        while not self._stopping:
            try:
                full = time.monotonic() >= next_full
                if full:
                    next_full = time.monotonic() + FULL_PASS_SECONDS
                await self.run_pass(full)
            except Exception:
                log.exception("%s: a pass of the sender failed", self.name)
            try:
                await asyncio.wait_for(self._wake.wait(), self.value(self.poll))
            except TimeoutError:
                pass
            self._wake.clear()

    async def run_pass(self, full: bool) -> None:
        """One pass of the loop (``full``: over every tenant with rows)."""
        raise NotImplementedError

    def waiting(self) -> Select:
        """The rows with work ahead, with at least ``store_id`` and ``next_attempt_at``."""
        raise NotImplementedError

    async def due(self, full: bool) -> AsyncIterator[tuple[str, list[Any]]]:
        """Each tenant of the pass with its rows due now (perhaps none); :attr:`busy` follows
        which tenants still have rows waiting."""
        if full:
            client_ids = await tenants_with_rows(self.runtime.db, self.table.name)
        else:
            client_ids = sorted(self.busy)
        for client_id in client_ids:
            if self._stopping:
                return
            try:
                async with self.runtime.db.transaction(client_id) as conn:
                    waiting = (await conn.execute(self.waiting())).all()
            except Exception as exc:  # noqa: BLE001 - a tenant being created or dropped
                log.debug("%s: tenant %s skipped: %s", self.name, client_id, exc)
                self.busy.pop(client_id, None)
                continue
            if waiting:
                self.busy.setdefault(client_id, 0.0)
            elif self.busy.get(client_id, 0.0) < time.monotonic():
                self.busy.pop(client_id, None)
            now = utcnow()
            yield client_id, [row for row in waiting
                              if row.next_attempt_at is not None and row.next_attempt_at <= now]
