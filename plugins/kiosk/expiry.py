"""The periodic sweep: every ``KIOSK_SWEEP_SECONDS`` each tenant's unpaid kiosk orders past their
time are cancelled, so a switched-off kiosk leaves no order waiting at the counter."""

from __future__ import annotations

import asyncio
import logging

from posmodern.core import tenancy
from posmodern.core.runtime import Runtime
from posmodern.plugins.kiosk.ordering import sweep
from posmodern.plugins.kiosk.settings import SWEEP_SECONDS

log = logging.getLogger(__name__)


async def sweep_every_tenant(runtime: Runtime) -> None:
    for tenant in await tenancy.list_tenants(runtime.db):
        try:
            await sweep(runtime, tenant.client_id)
        except Exception:  # noqa: BLE001 - one tenant's trouble does not stop the others
            log.exception("kiosk sweep of %s failed", tenant.client_id)


async def run_sweeps(runtime: Runtime) -> None:
    seconds = SWEEP_SECONDS.value(runtime.settings)
    while True:
        await asyncio.sleep(seconds)
        try:
            await sweep_every_tenant(runtime)
        except Exception:  # noqa: BLE001 - the next round tries again
            log.exception("kiosk sweep failed")
