"""The running process as the dashboard's only "container": plugins, database, bus and cache.

Embedded, POS Modern is one process, so there is nothing to start or stop from inside it; the
dashboard shows what runs (each plugin and the hooks it implements), whether the database, bus and
cache answer, the outbox backlog, the process's CPU and memory, and its recent log lines from the
in-memory ring buffer, live.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import socket
import sys
import time
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from posmodern.core.errors import Conflict, NotFound
from posmodern.core.runtime import Runtime
from posmodern.hosts.logs import RingBuffer
from posmodern.plugins.dashboard.event_bus import bus_stats
from posmodern.plugins.dashboard.model import LogLine, LogTail, Replica, Service, Usage
from posmodern.schema.control import tenants

PROCESS = "pos"
COMPONENTS = ("database", "event-bus", "cache")
CHECK_TTL_SECONDS = 5.0
_NOT_LOG_FIELDS = {"ts", "level", "logger", "msg"}


class ProcessUsage:
    """CPU% of this process between two calls, and its resident memory."""

    def __init__(self) -> None:
        self._previous = (time.process_time(), time.monotonic())

    def sample(self) -> Usage:
        cpu, now = time.process_time(), time.monotonic()
        before_cpu, before = self._previous
        self._previous = (cpu, now)
        percent = round((cpu - before_cpu) / (now - before) * 100, 2) if now > before else None
        return Usage(percent, _resident_bytes(), _memory_limit())


def _resident_bytes() -> int | None:
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024


def _memory_limit() -> int | None:
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            raw = Path(path).read_text().strip()
        except OSError:
            continue
        if raw.isdigit() and int(raw) < 1 << 60:
            return int(raw)
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError):
        return None


def readable(line: str) -> str:
    """A JSON log line as ``LEVEL logger: message key=value …``; other lines as they are."""
    try:
        entry = json.loads(line)
    except ValueError:
        return line
    if not isinstance(entry, dict) or "msg" not in entry:
        return line
    extras = " ".join(f"{k}={v}" for k, v in entry.items() if k not in _NOT_LOG_FIELDS)
    text = f"{str(entry.get('level', '')).upper()} {entry.get('logger', '')}: {entry['msg']}"
    return f"{text} {extras}" if extras else text


class EmbeddedBackend:
    """This process, its plugins and the services it depends on."""

    kind = "embedded"

    def __init__(self, runtime: Runtime, buffer: RingBuffer) -> None:
        self.runtime = runtime
        self.buffer = buffer
        self.boot = uuid.uuid4().hex[:8]
        self.started = time.time()
        self.host = socket.gethostname()
        self._usage = ProcessUsage()
        self._checks: dict[str, dict[str, Any]] = {}
        self._warnings: list[str] = []  # the plugins' readiness warnings (/ready's), last checked
        self._checked_at = 0.0

    # --- health --------------------------------------------------------------------------------

    async def _probe(self, probe) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            await asyncio.wait_for(probe(), timeout=5)
        except Exception as exc:  # noqa: BLE001 - a failed probe is what we report
            return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        return {"ok": True, "latency_ms": round((time.perf_counter() - started) * 1000, 2)}

    async def checks(self) -> dict[str, dict[str, Any]]:
        """Database, bus and cache probes, at most every few seconds however many pages watch."""
        if time.monotonic() - self._checked_at > CHECK_TTL_SECONDS:
            runtime = self.runtime
            results = await asyncio.gather(
                self._probe(runtime.db.ping), self._probe(runtime.bus.ping),
                self._probe(runtime.cache.ping))
            self._checks = dict(zip(COMPONENTS, results))
            self._warnings = await runtime.ready_warnings()
            self._checked_at = time.monotonic()
        return self._checks

    # --- services ------------------------------------------------------------------------------

    async def services(self, *, usage: bool = False) -> list[Service]:
        checks = await self.checks()
        return [self._process(usage)] + [self._component(name, checks[name]) for name in COMPONENTS]

    def _process(self, usage: bool) -> Service:
        uptime = round(time.time() - self.started, 1)
        replica = Replica(
            id=str(os.getpid()), name=f"{self.host}:{os.getpid()}", number=1, state="running",
            started_at=datetime.fromtimestamp(self.started, timezone.utc).isoformat(),
            uptime_seconds=uptime, image=f"pos-modern (Python {platform.python_version()})",
            usage=self._usage.sample() if usage else None)
        description = f"this process: {len(self.runtime.pm.infos)} plugins"
        if not self._warnings:
            return Service(PROCESS, [replica], actions=(), description=description)
        # Serving, but something needs an operator (a certificate about to expire, a SEFAZ or a
        # marketplace not answering): what /ready lists under "warnings".
        count = len(self._warnings)
        return Service(PROCESS, [replica], actions=(), status="degraded",
                       status_text=f"{count} warning(s): " + "; ".join(self._warnings),
                       description=description, details={"warnings": list(self._warnings)})

    def _component(self, name: str, check: dict[str, Any]) -> Service:
        replica = Replica(id=name, name=name, number=1, state="running",
                          health="healthy" if check["ok"] else "unhealthy")
        text = (f"answers in {check['latency_ms']} ms" if check["ok"]
                else f"does not answer: {check['error']}")
        return Service(name, [replica], actions=(), description=text)

    async def service(self, service_id: str) -> Service:
        if service_id == PROCESS:
            found = self._process(usage=True)
            pm = self.runtime.pm
            found.details |= {
                "pid": os.getpid(), "host": self.host, "python": sys.version.split()[0],
                "plugins": [{"name": name, "module": info.module,
                             "distribution": info.distribution, "version": info.version,
                             "hooks": pm.hooks_of(name)}
                            for name, info in sorted(pm.infos.items())],
                "log_buffer": {"capacity": self.buffer.lines.maxlen,
                               "last_line": self.buffer.last_seq},
            }
            return found
        if service_id not in COMPONENTS:
            raise NotFound(f"no service {service_id!r} in this process", code="service_not_found")
        found = self._component(service_id, (await self.checks())[service_id])
        found.details = await self._component_details(service_id)
        return found

    async def _component_details(self, name: str) -> dict[str, Any]:
        runtime = self.runtime
        if name == "database":
            async with runtime.db.control_connection() as conn:
                count = await conn.scalar(select(func.count()).select_from(tenants))
            return {"dialect": runtime.db.dialect, "tenants": count,
                    "url": runtime.db.url.render_as_string(hide_password=True)}
        if name == "event-bus":
            bus = runtime.bus
            return {"url": bus.safe_url, "exchange": bus.exchange.name,
                    "in_process": bus.is_memory, "stats": bus_stats(bus),
                    "subscriptions": [s.name for s in bus.subscriptions],
                    "broadcasts": [b.name for b in bus.broadcasts]}
        cache = runtime.cache
        return {"kind": type(cache).__name__}

    async def control(self, service_id: str, action: str) -> Service:
        await self.service(service_id)
        raise Conflict("one embedded process cannot start, stop or restart its own parts; "
                       "restart the process itself (pos serve)", code="not_supported",
                       details={"backend": self.kind, "action": action})

    # --- logs ----------------------------------------------------------------------------------

    def _check(self, service_id: str) -> None:
        if service_id != PROCESS and service_id not in COMPONENTS:
            raise NotFound(f"no service {service_id!r} in this process", code="service_not_found")

    def _line(self, seq: int, at: float, text: str) -> LogLine:
        return LogLine(f"{self.boot}:{seq}", datetime.fromtimestamp(at, timezone.utc).isoformat(),
                       PROCESS, readable(text))

    async def logs(self, service_id: str, tail: int) -> LogTail:
        """The process's last lines (its database, bus and cache share its log)."""
        self._check(service_id)
        entries = self.buffer.since(0)[-tail:] if tail else []
        last = entries[-1][0] if entries else self.buffer.last_seq
        return LogTail([self._line(*entry) for entry in entries], f"{self.boot}:{last}")

    def _resume_from(self, cursor: str | None) -> int | None:
        boot, _, seq = (cursor or "").partition(":")
        if boot != self.boot or not seq.isdigit():
            return None  # not ours, or from before a restart
        return int(seq)

    def accepts(self, cursor: str | None) -> bool:
        """Whether ``cursor`` is a position in this process's log (not one before a restart)."""
        return self._resume_from(cursor) is not None

    async def follow(self, service_id: str, cursor: str) -> AsyncIterator[LogLine]:
        self._check(service_id)
        loop = asyncio.get_running_loop()
        woken = asyncio.Event()

        def wake(_seq: int) -> None:
            try:
                loop.call_soon_threadsafe(woken.set)
            except RuntimeError:  # the loop is closed
                pass

        self.buffer.add_listener(wake)
        try:
            seq = self._resume_from(cursor)
            if seq is None:
                seq = self.buffer.last_seq
            while True:
                entries = self.buffer.since(seq)
                if entries and entries[0][0] > seq + 1:
                    missed = entries[0][0] - seq - 1
                    yield LogLine(f"{self.boot}:{entries[0][0] - 1}", None, "dashboard",
                                  f"[{missed} lines left the buffer before they could be sent]")
                for entry in entries:
                    yield self._line(*entry)
                    seq = entry[0]
                await woken.wait()
                woken.clear()
        finally:
            self.buffer.remove_listener(wake)

    async def changes(self) -> AsyncIterator[str]:
        """Nothing to be told: the monitor's own ticks re-probe the database, bus and cache."""
        await asyncio.Event().wait()
        yield ""  # pragma: no cover - never reached

    async def close(self) -> None:
        return None
