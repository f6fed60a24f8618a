"""``pos fiscal reconcile`` on a schedule: every POS_FISCAL_RECONCILE_SECONDS one process of the
deployment runs the command's pass (contingency notes sent, unanswered ones consulted, refused
and skipped numbers voided) over every tenant, with its own sender, so nobody has to remember
the command.

Of the processes running the sender, one holds the role at a time, elected as the remote-orders
poller is (:mod:`posmodern.core.election`: a PostgreSQL advisory lock, a file lock on SQLite);
another takes it over when its holder stops. Its hooks are registered by
:mod:`posmodern.plugins.fiscal.plugin`, after the sender's start and before its stop.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from posmodern.core import hookimpl
from posmodern.core.election import Election, ElectedLoop
from posmodern.core.runtime import Runtime
from posmodern.plugins.fiscal import settings as spec
from posmodern.plugins.fiscal.sender import Sender
from posmodern.plugins.fiscal.state import NAME

log = logging.getLogger("posmodern.fiscal")
STATE = NAME + ".reconcile_schedule"


@dataclass
class ReconcileSchedule:
    runtime: Runtime
    sender: Sender
    elected: ElectedLoop | None = None
    #: Passes run by this process (for the logs and the tests).
    passes: int = 0

    @property
    def seconds(self) -> float:
        return spec.RECONCILE.value(self.runtime.settings)

    @property
    def election(self) -> Election | None:
        return None if self.elected is None else self.elected.election

    async def start(self) -> None:
        """Campaign for the role (nothing when the schedule is off)."""
        if self.seconds <= 0:
            return
        self.elected = ElectedLoop(self.runtime.db,
                                   f"fiscal-reconcile:{self.runtime.settings.bus_exchange}",
                                   self._loop, name="fiscal.reconcile_schedule")
        await self.elected.start()

    async def stop(self) -> None:
        if self.elected is not None:
            await self.elected.stop()

    async def _loop(self) -> None:
        # The sender made a full pass at its start: the first scheduled one comes a period later.
        while True:
            await asyncio.sleep(self.seconds)
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("fiscal: a scheduled reconcile failed")

    async def run_once(self) -> None:
        """The command's pass, in this process's sender: the notes it is already moving on are
        not started twice, and the pass ends when the notes it started are settled for now.
        Stopping the schedule does not cancel them (the sender's stop waits for them)."""
        await self.sender.run_once(wait=False, full=True)
        started = list(self.sender.in_flight.values())
        if started:
            await asyncio.wait(started)
        self.passes += 1
        log.info("fiscal: scheduled reconcile done (%d notes moved on)", len(started))


@hookimpl(specname="pos_startup", trylast=True)
async def start_reconcile_schedule(runtime):
    sender = runtime.state.get(NAME)
    if sender is not None:
        schedule = ReconcileSchedule(runtime, sender)
        runtime.state[STATE] = schedule
        await schedule.start()


@hookimpl(specname="pos_shutdown", tryfirst=True)
async def stop_reconcile_schedule(runtime):
    schedule = runtime.state.pop(STATE, None)
    if schedule is not None:
        await schedule.stop()
