"""What the dashboard shows, whichever backend it comes from, and the interface backends share.

A *service* is what an operator starts and stops: a Compose service with its replicas (Docker), or
a part of the running process (embedded). Its ``status`` is one word the page colours and prints:
``healthy``, ``starting``, ``degraded``, ``unhealthy`` or ``stopped``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

ACTIONS = ("start", "stop", "restart")
STATUSES = ("healthy", "starting", "degraded", "unhealthy", "stopped")


@dataclass
class Usage:
    """CPU and memory of a replica at one moment; ``cpu_percent`` needs two samples."""

    cpu_percent: float | None = None
    memory_bytes: int | None = None
    memory_limit: int | None = None


@dataclass
class Replica:
    """One container of a service (or the process itself, embedded)."""

    id: str
    name: str
    number: int
    state: str  # running, exited, restarting, paused, created, dead
    health: str | None = None  # healthy, unhealthy, starting; None without a health check
    started_at: str | None = None
    uptime_seconds: float | None = None
    restart_count: int = 0
    image: str | None = None
    ports: list[dict[str, Any]] = field(default_factory=list)
    usage: Usage | None = None
    #: What its last passing health check said needs an operator (``/ready``'s warnings).
    warnings: list[str] = field(default_factory=list)

    @property
    def running(self) -> bool:
        return self.state == "running"


@dataclass
class Service:
    """A service and its replicas, with what the page needs to draw and control it."""

    id: str
    replicas: list[Replica]
    actions: tuple[str, ...] = ACTIONS
    description: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    status: str = ""
    status_text: str = ""

    def __post_init__(self) -> None:
        if not self.status:
            self.status, self.status_text = summarize(self.replicas)

    @property
    def usage(self) -> Usage:
        """The replicas' usage added up (None where no replica was sampled)."""
        sampled = [r.usage for r in self.replicas if r.usage is not None]
        cpu = [u.cpu_percent for u in sampled if u.cpu_percent is not None]
        memory = [u.memory_bytes for u in sampled if u.memory_bytes is not None]
        return Usage(round(sum(cpu), 2) if cpu else None, sum(memory) if memory else None)

    def to_dict(self, *, with_details: bool = False) -> dict[str, Any]:
        images = sorted({r.image for r in self.replicas if r.image})
        body = {
            "id": self.id,
            "status": self.status,
            "status_text": self.status_text,
            "description": self.description,
            "image": images[0] if len(images) == 1 else images or None,
            "replicas_running": sum(r.running for r in self.replicas),
            "replicas_total": len(self.replicas),
            "restart_count": sum(r.restart_count for r in self.replicas),
            "ports": [port for r in self.replicas for port in r.ports],
            "actions": list(self.actions),
            "usage": asdict(self.usage),
            "replicas": [asdict(r) for r in self.replicas],
        }
        if with_details:
            body["details"] = self.details
        return body


def summarize(replicas: list[Replica]) -> tuple[str, str]:
    """The status word of a service and a sentence saying why."""
    total = len(replicas)
    running = [r for r in replicas if r.running]
    if not running:
        states = sorted({r.state for r in replicas}) or ["no replicas"]
        return "stopped", f"0/{total} running ({', '.join(states)})"
    counts = f"{len(running)}/{total} running"
    unhealthy = [r for r in running if r.health == "unhealthy"]
    starting = [r for r in running if r.health == "starting"]
    if len(unhealthy) == len(running):
        return "unhealthy", f"{counts}, unhealthy"
    if unhealthy or len(running) < total:
        extra = f", {len(unhealthy)} unhealthy" if unhealthy else ""
        return "degraded", counts + extra
    warned = sorted({text for r in running for text in r.warnings})
    if warned:  # serving, but something needs an operator
        return "degraded", f"{counts}, {len(warned)} warning(s): " + "; ".join(warned)
    if starting:
        return "starting", f"{counts}, health check starting"
    checked = any(r.health == "healthy" for r in running)
    return "healthy", counts + (", healthy" if checked else "")


@dataclass
class LogLine:
    """One line a service printed. ``cursor`` resumes a stream right after this line."""

    cursor: str
    ts: str | None
    replica: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"ts": self.ts, "replica": self.replica, "message": self.message}


@dataclass
class LogTail:
    """The last lines of a service and where to follow on from."""

    lines: list[LogLine]
    cursor: str


class ServiceBackend(Protocol):
    """What the dashboard and ``pos services`` need from a place services run in."""

    kind: str

    async def services(self, *, usage: bool = False) -> list[Service]:
        """Every service with its replicas; with ``usage``, sample CPU and memory too."""

    async def service(self, service_id: str) -> Service:
        """One service with its details and usage; :class:`NotFound` if there is none."""

    async def control(self, service_id: str, action: str) -> Service:
        """Start, stop or restart every replica of a service; returns it afterwards."""

    async def logs(self, service_id: str, tail: int) -> LogTail:
        """The last ``tail`` lines of a service, oldest first."""

    def accepts(self, cursor: str | None) -> bool:
        """Whether ``cursor`` (an SSE client's ``Last-Event-ID``) can be resumed from."""

    def follow(self, service_id: str, cursor: str) -> AsyncIterator[LogLine]:
        """Every line after ``cursor`` (from :meth:`logs` or an earlier line), until closed."""

    def changes(self) -> AsyncIterator[str]:
        """Yields (a short description) whenever a service may have changed state."""

    async def close(self) -> None:
        """Release connections and threads."""


async def open_follow(backend: ServiceBackend, service_id: str, tail: int,
                      after: str | None = None) -> AsyncIterator[LogLine]:
    """Check the service exists, then stream the lines after ``after`` (else the last ``tail``)
    and every new one. Errors come here, before a streamed response has begun."""
    if after and backend.accepts(after):
        await backend.logs(service_id, 0)
        start = LogTail([], after)
    else:
        start = await backend.logs(service_id, tail)
    return _then(start.lines, backend.follow(service_id, start.cursor))


async def _then(first: list[LogLine], rest: AsyncIterator[LogLine]) -> AsyncIterator[LogLine]:
    for line in first:
        yield line
    try:
        async for line in rest:
            yield line
    finally:
        await rest.aclose()
