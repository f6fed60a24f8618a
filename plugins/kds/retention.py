"""The screens' change log kept for a while, not for ever: ``kds_changes`` holds every change of
every ticket so that a screen coming back replays what it missed, and nothing else reads it. A
pass every ``KDS_PURGE_SECONDS`` deletes the changes older than ``KDS_CHANGES_RETENTION_HOURS``
in the tenants that have any (the statistics say which, in one query: the idle cost does not grow
with the tenants). A screen away for longer gets a fresh snapshot instead of a replay
(:func:`posmodern.plugins.kds.stream.changes`).

The tenant's newest change is always kept: on SQLite the numbers are rowids, and a table emptied
would number its next change 1 again, under what a screen has already seen.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select

from posmodern.core import tenancy
from posmodern.core.db import Database
from posmodern.core.errors import NotFound
from posmodern.core.plugin_settings import SettingSpec
from posmodern.core.runtime import Runtime
from posmodern.schema.tables import kds_changes
from posmodern.schema.types import utcnow

log = logging.getLogger(__name__)

RETENTION_HOURS = SettingSpec(
    "KDS_CHANGES_RETENTION_HOURS", int, 48, "hours the kitchen screens' change log is kept; a "
    "screen away for longer is sent a fresh snapshot instead of what it missed",
    min=1, max=24 * 90)
PURGE_SECONDS = SettingSpec(
    "KDS_PURGE_SECONDS", int, 3600, "how often the kitchen screens' change log older than "
    "KDS_CHANGES_RETENTION_HOURS is deleted", min=1, max=86400)
SETTINGS = [RETENTION_HOURS, PURGE_SECONDS]


async def purge_tenant(db: Database, client_id: str, keep: timedelta, *,
                       now: datetime | None = None) -> int:
    """Delete one tenant's changes older than ``keep`` but its newest; returns how many."""
    cutoff = (now or utcnow()) - keep
    newest = select(func.max(kds_changes.c.seq)).scalar_subquery()
    async with db.transaction(client_id) as conn:
        return (await conn.execute(delete(kds_changes).where(
            kds_changes.c.created_at < cutoff, kds_changes.c.seq < newest))).rowcount


async def purge_every_tenant(runtime: Runtime) -> int:
    keep = timedelta(hours=RETENTION_HOURS.value(runtime.settings))
    deleted = 0
    for client_id in await tenancy.tenants_with_rows(runtime.db, kds_changes.name):
        try:
            deleted += await purge_tenant(runtime.db, client_id, keep)
        except NotFound:
            pass  # dropped meanwhile
        except Exception:  # noqa: BLE001 - one tenant's trouble does not stop the others
            log.exception("purging the kitchen screens' changes of %s failed", client_id)
    return deleted


async def run_purges(runtime: Runtime) -> None:
    seconds = PURGE_SECONDS.value(runtime.settings)
    while True:
        await asyncio.sleep(seconds)
        try:
            deleted = await purge_every_tenant(runtime)
        except Exception:  # noqa: BLE001 - the next round tries again
            log.exception("purging the kitchen screens' changes failed")
        else:
            if deleted:
                log.info("purged %d kitchen screen change(s)", deleted)
