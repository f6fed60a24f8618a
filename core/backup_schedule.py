"""Scheduled backups: one of everything, then the oldest beyond the retention removed."""

from __future__ import annotations

from pathlib import Path

from posmodern.core import backup
from posmodern.core.db import Database
from posmodern.schema.types import utcnow

PATTERN = "pos-all-*.posbackup"
HEARTBEAT = ".last-success"


async def back_up_and_prune(db: Database, folder: Path, keep: int) -> tuple[Path, list[Path]]:
    """Back up every tenant into ``folder``, keep the newest ``keep`` backups there, and touch
    the heartbeat file the service's healthcheck reads; returns (new file, removed files)."""
    target = folder / f"pos-all-{utcnow().strftime('%Y%m%dT%H%M%S%fZ')}.posbackup"
    await backup.backup(db, target)
    (folder / HEARTBEAT).touch()
    older = sorted(folder.glob(PATTERN))[:-keep]
    for path in older:
        path.unlink(missing_ok=True)
    return target, older
