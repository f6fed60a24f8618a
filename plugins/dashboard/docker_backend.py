"""Services of a Compose project, through the Docker Engine API (the socket proxy in production).

Containers are found by their Compose labels and grouped by service; each one's state, health,
ports, image, uptime and restart count come from ``inspect``. CPU% is computed from two ``stats``
samples (the previous one is kept, so a page that watches pays one cheap one-shot sample per
container per tick); memory is usage less the page cache, as ``docker stats`` shows it.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from collections.abc import AsyncIterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import docker
from docker.errors import APIError, DockerException
from docker.errors import NotFound as DockerNotFound

from posmodern.core.errors import Conflict, NotFound, ServiceUnavailable, ValidationFailed
from posmodern.plugins.dashboard.docker_streams import (Cursor, ThreadedStream, iso_from_ns,
                                                        lines_of, parse_docker_time,
                                                        split_stamped)
from posmodern.plugins.dashboard.model import (ACTIONS, LogLine, LogTail, Replica, Service,
                                               Usage)

PROJECT = "com.docker.compose.project"
SERVICE = "com.docker.compose.service"
NUMBER = "com.docker.compose.container-number"
ONEOFF = "com.docker.compose.oneoff"
# Container events that change what the page shows (not exec_*: health checks run those).
STATE_EVENTS = {"create", "start", "restart", "stop", "die", "kill", "pause", "unpause",
                "destroy", "oom", "rename", "health_status"}
FRESH_SAMPLE_SECONDS = 30.0


API_VERSION = "1.41"  # Docker 20.10; one-shot stats need it, and newer engines still speak it


def docker_client(env: Mapping[str, str], timeout: int = 60) -> docker.DockerClient:
    """A client for ``DOCKER_HOST`` (else the local socket), as the docker CLI would pick it.

    The API version is fixed, so building the client does not call the engine: a process whose
    engine (or socket proxy) is down still starts, and the dashboard says what is wrong.
    """
    return docker.DockerClient(version=env.get("DOCKER_API_VERSION") or API_VERSION,
                               timeout=timeout,
                               **docker.utils.kwargs_from_env(environment=dict(env)))


def own_labels(client: docker.DockerClient) -> dict[str, str]:
    """The Compose labels of the container this process runs in (none outside a container)."""
    try:
        return client.api.inspect_container(socket.gethostname())["Config"]["Labels"] or {}
    except (DockerException, KeyError, OSError):
        return {}


class DockerBackend:
    """The services of one Compose project on one Docker engine."""

    kind = "docker"

    def __init__(self, client: docker.DockerClient, project: str, *, stop_timeout: int = 10,
                 own_service: str | None = None) -> None:
        self.client = client
        self.api = client.api
        self.project = project
        self.stop_timeout = stop_timeout
        # The service the dashboard itself runs as: stopping it would end the page that asked.
        self.own_service = own_service
        self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="pos-docker")
        self._samples: dict[str, tuple[float, int, int, float]] = {}
        self._streams: set[ThreadedStream] = set()

    # --- plumbing ----------------------------------------------------------------------------

    async def _run(self, fn, *args, **kwargs):
        """Run a blocking SDK call on the backend's own threads, with Docker errors typed."""
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._pool, partial(fn, *args, **kwargs))
        except DockerNotFound as exc:
            raise NotFound(f"not found in the Docker engine: {exc.explanation or exc}",
                           code="container_not_found") from None
        except APIError as exc:
            raise Conflict(f"the Docker engine refused: {exc.explanation or exc}",
                           code="docker_refused") from None
        except DockerException as exc:
            raise ServiceUnavailable(f"the Docker engine cannot be reached: {exc}",
                                     code="docker_unavailable") from None
        except OSError as exc:  # requests' ConnectionError and friends
            raise ServiceUnavailable(f"the Docker engine cannot be reached: {exc}",
                                     code="docker_unavailable") from None

    def _filters(self, service: str | None = None) -> dict[str, list[str]]:
        labels = [f"{PROJECT}={self.project}"]
        if service is not None:
            labels.append(f"{SERVICE}={service}")
        return {"label": labels}

    def _inspect_all(self, service: str | None = None) -> list[dict[str, Any]]:
        found = []
        for summary in self.api.containers(all=True, filters=self._filters(service)):
            try:
                attrs = self.api.inspect_container(summary["Id"])
            except DockerNotFound:
                continue  # removed meanwhile
            if (attrs["Config"].get("Labels") or {}).get(ONEOFF) == "True":
                continue  # `compose run` containers are not replicas
            found.append(attrs)
        return found

    # --- reading -----------------------------------------------------------------------------

    async def services(self, *, usage: bool = False) -> list[Service]:
        containers = await self._run(self._inspect_all)
        seen = {a["Id"] for a in containers}
        self._samples = {cid: s for cid, s in self._samples.items() if cid in seen}
        usages = await self._usages(containers) if usage else {}
        grouped: dict[str, list[Replica]] = {}
        for attrs in containers:
            labels = attrs["Config"].get("Labels") or {}
            grouped.setdefault(labels.get(SERVICE, "?"), []).append(
                _replica(attrs, usages.get(attrs["Id"])))
        return [Service(name, sorted(replicas, key=lambda r: r.number))
                for name, replicas in sorted(grouped.items())]

    async def service(self, service_id: str) -> Service:
        containers = await self._service_containers(service_id)
        usages = await self._usages(containers, fresh=True)
        replicas = sorted((_replica(a, usages.get(a["Id"])) for a in containers),
                          key=lambda r: r.number)
        first = containers[0]
        return Service(service_id, replicas, details={
            "project": self.project,
            "command": first["Config"].get("Cmd"),
            "networks": sorted((first["NetworkSettings"].get("Networks") or {}).keys()),
            "restart_policy": (first["HostConfig"].get("RestartPolicy") or {}).get("Name"),
            "healthcheck": (first["Config"].get("Healthcheck") or {}).get("Test"),
            "mounts": [{"source": m.get("Name") or m.get("Source"),
                        "destination": m.get("Destination"), "mode": m.get("Mode")}
                       for m in first.get("Mounts") or []],
        })

    async def _service_containers(self, service_id: str) -> list[dict[str, Any]]:
        containers = await self._run(self._inspect_all, service_id)
        if not containers:
            raise NotFound(f"no service {service_id!r} in project {self.project!r}",
                           code="service_not_found")
        return containers

    async def _usages(self, containers: list[dict], *, fresh: bool = False) -> dict[str, Usage]:
        running = [a["Id"] for a in containers if a["State"].get("Status") == "running"]
        if not running:
            return {}
        if fresh and any(self._stale(cid) for cid in running):
            # No recent sample to compare with: take one, wait a moment, take the second.
            await asyncio.gather(*(self._run(self._sample, cid) for cid in running))
            await asyncio.sleep(0.5)
        results = await asyncio.gather(*(self._run(self._sample, cid) for cid in running),
                                       return_exceptions=True)
        return {cid: usage for cid, usage in zip(running, results) if isinstance(usage, Usage)}

    def _stale(self, container_id: str) -> bool:
        previous = self._samples.get(container_id)
        return previous is None or time.monotonic() - previous[3] > FRESH_SAMPLE_SECONDS

    def _sample(self, container_id: str) -> Usage:
        stats = self.api.stats(container_id, stream=False, one_shot=True)
        cpu = stats.get("cpu_stats") or {}
        total = (cpu.get("cpu_usage") or {}).get("total_usage")
        system = cpu.get("system_cpu_usage")
        online = cpu.get("online_cpus") or len((cpu.get("cpu_usage") or {}).get(
            "percpu_usage") or []) or os.cpu_count() or 1
        percent = None
        previous = self._samples.get(container_id)
        if total is not None and system is not None:
            if previous is not None and system > previous[1] and total >= previous[0]:
                percent = round((total - previous[0]) / (system - previous[1]) * online * 100, 2)
            self._samples[container_id] = (total, system, online, time.monotonic())
        memory = stats.get("memory_stats") or {}
        usage = memory.get("usage")
        if usage is not None:
            extra = memory.get("stats") or {}
            cache = extra.get("total_inactive_file", extra.get("inactive_file", 0))
            usage = usage - cache if cache < usage else usage
        return Usage(percent, usage, memory.get("limit"))

    # --- control -----------------------------------------------------------------------------

    async def control(self, service_id: str, action: str) -> Service:
        if action not in ACTIONS:
            raise ValidationFailed(f"action must be one of {', '.join(ACTIONS)}")
        containers = await self._service_containers(service_id)
        if action == "stop" and service_id == self.own_service:
            raise Conflict(f"{service_id!r} is the dashboard itself; stop it with "
                           "`pos services stop` or docker", code="stops_the_dashboard")
        calls = {"start": lambda cid: self.api.start(cid),
                 "stop": lambda cid: self.api.stop(cid, timeout=self.stop_timeout),
                 "restart": lambda cid: self.api.restart(cid, timeout=self.stop_timeout)}
        await asyncio.gather(*(self._run(calls[action], a["Id"]) for a in containers))
        return await self.service(service_id)

    # --- logs --------------------------------------------------------------------------------

    def _container_tail(self, container_id: str, tail: int | str, since: int | None = None
                        ) -> list[tuple[int, str]]:
        raw = self.api.logs(container_id, timestamps=True, tail=tail, since=since)
        return [parsed for line in raw.split(b"\n") if (parsed := split_stamped(line))]

    async def logs(self, service_id: str, tail: int) -> LogTail:
        containers = await self._service_containers(service_id)
        floor = time.time_ns()
        tails = await asyncio.gather(*(self._run(self._container_tail, a["Id"], tail)
                                       for a in containers))
        cursor, merged = Cursor(), []
        for attrs, lines in zip(containers, tails):
            number, name = _number(attrs), _short_name(attrs)
            # Just before the replica's first line: a resume sends nothing older than the tail.
            cursor.position(number, lines[0][0] - 1 if lines else floor)
            merged += [(ns, number, name, message) for ns, message in lines]
        merged.sort(key=lambda line: line[0])
        shown = []
        for index, (ns, number, name, message) in enumerate(merged):
            cursor.positions[number].admit(ns)
            if index >= len(merged) - tail:
                shown.append(LogLine(cursor.encode(), iso_from_ns(ns), name, message))
        return LogTail(shown, cursor.encode())

    def accepts(self, cursor: str | None) -> bool:
        """Whether ``cursor`` is a position this backend can resume from."""
        return Cursor.decode(cursor) is not None

    async def follow(self, service_id: str, cursor: str) -> AsyncIterator[LogLine]:
        resumed = Cursor.decode(cursor) or Cursor()
        floor = time.time_ns()
        stream = ThreadedStream(f"pos-logs-{service_id}",
                                partial(self._pump_logs, service_id, resumed, floor))
        self._streams.add(stream)
        try:
            async for kind, number, name, payload in stream:
                position = resumed.position(number, floor)
                if kind == "open":
                    position.reopen()
                elif position.admit(payload[0]):
                    yield LogLine(resumed.encode(), iso_from_ns(payload[0]), name, payload[1])
        finally:
            stream.close()
            self._streams.discard(stream)

    def _pump_logs(self, service_id: str, cursor: Cursor, floor: int,
                   stream: ThreadedStream) -> None:
        """Follow every replica of a service (a thread each), and replicas added later."""
        followers: dict[str, threading.Thread] = {}
        start = {number: p.since_seconds for number, p in cursor.positions.items()}
        while not stream.stop.is_set():
            for attrs in self._inspect_all(service_id):
                number = _number(attrs)
                if number not in followers or not followers[number].is_alive():
                    since = start.pop(number, max(1, floor // 1_000_000_000))
                    followers[number] = stream.spawn(f"{stream.name}-{number}",
                                                     self._pump_replica, service_id, number, since)
            stream.stop.wait(5.0)

    def _pump_replica(self, stream: ThreadedStream, service_id: str, number: str,
                      since: int) -> None:
        stop = stream.stop
        while not stop.is_set():
            found = [a for a in self._inspect_all(service_id) if _number(a) == number]
            if not found:
                return  # the replica was removed (scaled down)
            name = _short_name(found[0])
            try:
                response = self.api.logs(found[0]["Id"], stream=True, follow=True,
                                         timestamps=True, since=since)
            except DockerException:
                stop.wait(1.0)
                continue
            if not stream.on_stop(response.close):
                response.close()
                return
            stream.emit(("open", number, name, None))
            try:
                for line in lines_of(response):
                    parsed = split_stamped(line)
                    if parsed is not None:
                        since = max(1, parsed[0] // 1_000_000_000)
                        stream.emit(("line", number, name, parsed))
            finally:
                stream.forget(response.close)
            # The container stopped (or a quiet read timed out): reattach once it runs again.
            stop.wait(1.0)

    # --- changes -----------------------------------------------------------------------------

    async def changes(self) -> AsyncIterator[str]:
        stream = ThreadedStream("pos-docker-events", self._pump_events)
        self._streams.add(stream)
        try:
            async for event in stream:
                yield event
        finally:
            stream.close()
            self._streams.discard(stream)

    def _pump_events(self, stream: ThreadedStream) -> None:
        while not stream.stop.is_set():
            try:
                events = self.api.events(decode=True, filters={
                    "type": "container", "label": f"{PROJECT}={self.project}"})
            except DockerException:
                stream.stop.wait(2.0)
                continue
            if not stream.on_stop(events.close):
                events.close()
                return
            try:
                for event in events:
                    action = (event.get("Action") or event.get("status") or "").split(":")[0]
                    if action in STATE_EVENTS:
                        attributes = (event.get("Actor") or {}).get("Attributes") or {}
                        stream.emit(f"{attributes.get(SERVICE, '?')} {action}")
            finally:
                stream.forget(events.close)
            stream.stop.wait(1.0)

    async def close(self) -> None:
        for stream in list(self._streams):
            stream.close()
        self._streams.clear()
        self._pool.shutdown(wait=False, cancel_futures=True)
        self.client.close()


def _number(attrs: dict[str, Any]) -> str:
    return (attrs["Config"].get("Labels") or {}).get(NUMBER) or "1"


def _short_name(attrs: dict[str, Any]) -> str:
    labels = attrs["Config"].get("Labels") or {}
    return f"{labels.get(SERVICE, '?')}-{_number(attrs)}"


WARNING = "warning: "


def _warnings(state: dict[str, Any]) -> list[str]:
    """The lines ``warning: …`` of the replica's last passing health check (deploy/compose.yaml
    prints /ready's warnings so); Docker keeps the first 4 KiB of its output."""
    passed = [check for check in (state.get("Health") or {}).get("Log") or []
              if check.get("ExitCode") == 0]
    if not passed:
        return []
    lines = (passed[-1].get("Output") or "").splitlines()
    return [line[len(WARNING):].strip() for line in lines if line.startswith(WARNING)]


def _replica(attrs: dict[str, Any], usage: Usage | None) -> Replica:
    state = attrs["State"]
    running = state.get("Status") == "running"
    started_at = state.get("StartedAt") if running else None
    uptime = None
    if started_at and not started_at.startswith("0001"):
        uptime = round(max(0.0, time.time() - parse_docker_time(started_at) / 1e9), 1)
    ports = []
    for key, bindings in sorted((attrs["NetworkSettings"].get("Ports") or {}).items()):
        port, _, protocol = key.partition("/")
        for binding in bindings or [None]:
            ports.append({"container": int(port), "protocol": protocol,
                          "host_ip": binding and binding.get("HostIp"),
                          "host_port": int(binding["HostPort"]) if binding else None})
    return Replica(
        id=attrs["Id"][:12],
        name=attrs["Name"].lstrip("/"),
        number=int(_number(attrs)),
        state=state.get("Status", "unknown"),
        health=(state.get("Health") or {}).get("Status") if running else None,
        warnings=_warnings(state) if running else [],
        started_at=iso_from_ns(parse_docker_time(started_at)) if uptime is not None else None,
        uptime_seconds=uptime,
        restart_count=attrs.get("RestartCount", 0),
        image=attrs["Config"].get("Image"),
        ports=ports,
        usage=usage,
    )
