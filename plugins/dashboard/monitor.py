"""Live service snapshots for every open page, from one sampler per process.

While at least one page watches, the monitor takes a snapshot (states, health, CPU and memory)
every ``sample_seconds`` and at once when the backend reports a change (Docker events), and hands
it to every watcher. Nobody watching, nothing runs. The last samples of each service are kept for
the sparklines of a page that opens later.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import AsyncIterator
from typing import Any

from posmodern.plugins.dashboard.model import Service, ServiceBackend

log = logging.getLogger("posmodern.dashboard")
HISTORY = 90
# Several events arrive for one change (kill, die, stop, start): one snapshot after them.
SETTLE_SECONDS = 0.15


class Monitor:
    def __init__(self, backend: ServiceBackend, sample_seconds: float = 2.0) -> None:
        self.backend = backend
        self.sample_seconds = sample_seconds
        self.history: dict[str, deque[tuple[float, float | None, int | None]]] = {}
        self._watchers: set[asyncio.Queue] = set()
        self._task: asyncio.Task | None = None
        self._changed = asyncio.Event()
        self.snapshots = 0

    def history_of(self, service_id: str) -> dict[str, list]:
        samples = list(self.history.get(service_id, ()))
        return {"at": [round(at, 3) for at, _, _ in samples],
                "cpu_percent": [cpu for _, cpu, _ in samples],
                "memory_bytes": [memory for _, _, memory in samples]}

    async def watch(self) -> AsyncIterator[dict[str, Any]]:
        """Snapshots, the first at once, until the caller stops reading."""
        queue: asyncio.Queue = asyncio.Queue(maxsize=1)
        self._watchers.add(queue)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="pos-dashboard-monitor")
        else:
            self._changed.set()  # a fresh snapshot for the newcomer
        try:
            while True:
                yield await queue.get()
        finally:
            self._watchers.discard(queue)
            if not self._watchers and self._task is not None:
                self._task.cancel()
                self._task = None

    async def _run(self) -> None:
        changes = asyncio.create_task(self._listen(), name="pos-dashboard-changes")
        try:
            while self._watchers:
                self._changed.clear()
                snapshot = await self._snapshot()
                for queue in list(self._watchers):
                    if queue.full():  # a slow page gets the newest snapshot, not a backlog
                        queue.get_nowait()
                    queue.put_nowait(snapshot)
                try:
                    await asyncio.wait_for(self._changed.wait(), self.sample_seconds)
                    await asyncio.sleep(SETTLE_SECONDS)
                except TimeoutError:
                    pass
        finally:
            changes.cancel()

    async def _listen(self) -> None:
        try:
            async for _change in self.backend.changes():
                self._changed.set()
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - ticks still come; changes show a little later
            log.warning("dashboard lost the change feed", exc_info=True)

    async def _snapshot(self) -> dict[str, Any]:
        try:
            services = await self.backend.services(usage=True)
        except Exception as exc:  # noqa: BLE001 - the page shows why, and the next tick retries
            return {"backend": self.backend.kind, "error": getattr(exc, "message", str(exc)),
                    "services": []}
        now = time.time()
        for service in services:
            usage = service.usage
            self.history.setdefault(service.id, deque(maxlen=HISTORY)).append(
                (now, usage.cpu_percent, usage.memory_bytes))
        self.snapshots += 1
        return snapshot_body(self.backend, services, at=now)


def snapshot_body(backend: ServiceBackend, services: list[Service], *,
                  at: float | None = None) -> dict[str, Any]:
    """The services list as the API and the stream send it."""
    body: dict[str, Any] = {"backend": backend.kind, "at": at or time.time(),
                            "services": [s.to_dict() for s in services]}
    project = getattr(backend, "project", None)
    if project:
        body["project"] = project
    return body
