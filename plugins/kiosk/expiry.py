"""The periodic sweep: every ``KIOSK_SWEEP_SECONDS`` each tenant's unpaid kiosk orders past their
time are cancelled, so a switched-off kiosk leaves no order waiting at the counter."""

from __future__ import annotations

import asyncio
import logging

from posmodern.core import tenancy
from posmodern.core.runtime import Runtime
from posmodern.plugins.kiosk.ordering import sweep
from posmodern.plugins.kiosk.settings import SWEEP_SECONDS
from posmodern.schema.tables import kiosk_orders

log = logging.getLogger(__name__)


async def sweep_every_tenant(runtime: Runtime) -> None:
    """Every tenant that has kiosk orders (the statistics say which, in one query: the sweep's
    idle cost does not grow with the tenants that have no kiosk)."""
    for client_id in await tenancy.tenants_with_rows(runtime.db, kiosk_orders.name):
        try:
            await sweep(runtime, client_id)
        except Exception:  # noqa: BLE001 - one tenant's trouble does not stop the others
            log.exception("kiosk sweep of %s failed", client_id)


async def run_sweeps(runtime: Runtime) -> None:
    seconds = SWEEP_SECONDS.value(runtime.settings)
    while True:
        await asyncio.sleep(seconds)
        try:
            await sweep_every_tenant(runtime)
        except Exception:  # noqa: BLE001 - the next round tries again
            log.exception("kiosk sweep failed")
