"""The Docker backend against a real engine and a small Compose-labelled project."""

import asyncio
import re

import pytest

from posmodern.core.errors import Conflict, NotFound
from posmodern.plugins.dashboard.docker_backend import DockerBackend, docker_client
from posmodern.plugins.dashboard.docker_streams import Cursor, parse_docker_time
from posmodern.plugins.dashboard.model import open_follow

from .conftest import QUIET, _labels

pytestmark = pytest.mark.containers
TICK = re.compile(r"^tick (\d+)$")


@pytest.fixture
async def backend(compose_project):
    backend = DockerBackend(docker_client({}), compose_project.name, stop_timeout=5)
    yield backend
    await backend.close()


async def next_line(lines, timeout=15.0):
    return await asyncio.wait_for(anext(lines), timeout)


async def until(lines, predicate, timeout=15.0):
    """Lines up to and including the first one ``predicate`` accepts."""
    seen = []
    async with asyncio.timeout(timeout):
        async for line in lines:
            seen.append(line)
            if predicate(line):
                return seen
    raise AssertionError(f"stream ended; saw {[line.message for line in seen]}")


def ticks(lines, replica):
    return [int(TICK.match(line.message).group(1)) for line in lines
            if line.replica == replica and TICK.match(line.message)]


async def test_services_grouped_with_replicas_state_health_and_ports(backend, compose_project):
    compose_project.wait_healthy("kitchen")
    services = {s.id: s for s in await backend.services()}
    assert set(services) == {"ticker", "kitchen"}
    ticker, kitchen = services["ticker"], services["kitchen"]
    assert [r.number for r in ticker.replicas] == [1, 2]
    assert [r.name for r in ticker.replicas] == [f"{compose_project.name}-ticker-1",
                                                 f"{compose_project.name}-ticker-2"]
    assert ticker.status == "healthy" and ticker.status_text == "2/2 running"
    assert kitchen.status == "healthy" and kitchen.status_text == "1/1 running, healthy"
    replica = kitchen.replicas[0]
    assert replica.image == "posmodern/debian-base:bookworm"
    assert replica.health == "healthy" and replica.restart_count == 0
    assert replica.uptime_seconds is not None and replica.started_at.endswith("Z")
    [port] = replica.ports
    assert port["container"] == 8080 and port["host_ip"] == "127.0.0.1" and port["host_port"]
    assert await DockerBackend(docker_client({}), "no-such-project").services() == []
    with pytest.raises(NotFound):
        await backend.service("nope")


async def test_a_service_whose_ready_check_warns_is_degraded_with_the_warnings(
        backend, compose_project, debian_base_image):
    # The health check prints what deploy/compose.yaml's prints for /ready's warnings: one
    # "warning: …" line each, exit 0 (the service still serves).
    compose_project.client.containers.run(
        debian_base_image, ["sh", "-c", QUIET], detach=True,
        name=f"{compose_project.name}-fiscal-1",
        labels=_labels(compose_project.name, "fiscal", 1),
        healthcheck={"test": ["CMD", "sh", "-c", "cat /tmp/warnings 2>/dev/null; true"],
                     "interval": 500_000_000, "start_period": 0, "retries": 3})
    compose_project.wait_healthy("fiscal")
    fiscal = await backend.service("fiscal")
    assert fiscal.status == "healthy" and fiscal.replicas[0].warnings == []

    warning = "store loja-1: A1 certificate expires in 6 day(s), on 2026-12-08"
    compose_project.container("fiscal").exec_run(
        ["sh", "-c", f"printf 'warning: {warning}\\nnot a warning\\n' > /tmp/warnings"])
    async with asyncio.timeout(15):
        while (fiscal := await backend.service("fiscal")).status != "degraded":
            await asyncio.sleep(0.3)
    assert fiscal.status_text == f"1/1 running, 1 warning(s): {warning}"
    assert fiscal.replicas[0].warnings == [warning]
    assert fiscal.to_dict()["replicas"][0]["warnings"] == [warning]

    compose_project.container("fiscal").exec_run(["rm", "/tmp/warnings"])
    async with asyncio.timeout(15):
        while (fiscal := await backend.service("fiscal")).status != "healthy":
            await asyncio.sleep(0.3)


async def test_details_with_cpu_from_two_samples_and_memory(backend):
    ticker = await backend.service("ticker")
    usage = ticker.usage
    assert usage.cpu_percent is not None and usage.cpu_percent >= 0
    assert usage.memory_bytes > 0
    assert all(r.usage.memory_limit > 0 for r in ticker.replicas)
    assert ticker.details["command"][0] == "sh"
    assert ticker.details["project"] == backend.project


async def test_log_tail_is_merged_in_time_order(backend):
    await asyncio.sleep(1.2)
    tail = await backend.logs("ticker", 6)
    assert len(tail.lines) == 6
    assert {line.replica for line in tail.lines} == {"ticker-1", "ticker-2"}
    stamps = [parse_docker_time(line.ts) for line in tail.lines]
    assert stamps == sorted(stamps)
    for replica in ("ticker-1", "ticker-2"):
        numbers = ticks(tail.lines, replica)
        assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))
    assert tail.lines[-1].cursor == tail.cursor
    assert set(Cursor.decode(tail.cursor).positions) == {"1", "2"}


async def test_follow_shows_new_lines_and_resumes_without_loss_or_repeat(backend,
                                                                         compose_project):
    lines = await open_follow(backend, "kitchen", 10)
    try:
        first = await until(lines, lambda line: line.message == "kitchen ready")
        compose_project.say("kitchen", "order 17 fired")
        said = await until(lines, lambda line: line.message == "order 17 fired")
        assert said[-1].replica == "kitchen-1"
    finally:
        await lines.aclose()
    assert first[-1].message == "kitchen ready"

    lines = await open_follow(backend, "ticker", 2)
    try:
        seen = await until(lines, lambda line: any(n >= 4 for n in ticks([line], "ticker-1")))
    finally:
        await lines.aclose()
    cursor = seen[-1].cursor
    await asyncio.sleep(1.5)  # the replicas go on printing while nobody follows
    resumed = await open_follow(backend, "ticker", 2, after=cursor)
    target = ticks(seen, "ticker-1")[-1] + 5
    try:
        more = await until(resumed,
                           lambda line: any(n >= target for n in ticks([line], "ticker-1")))
    finally:
        await resumed.aclose()
    before, after = ticks(seen, "ticker-1"), ticks(more, "ticker-1")
    assert after[0] == before[-1] + 1, (before, after)
    assert after == list(range(after[0], after[0] + len(after)))
    both = ticks(seen, "ticker-2") + ticks(more, "ticker-2")
    assert both == list(range(both[0], both[0] + len(both))), both


async def test_the_dashboard_does_not_stop_its_own_service(compose_project):
    backend = DockerBackend(docker_client({}), compose_project.name, own_service="kitchen")
    try:
        with pytest.raises(Conflict) as refused:
            await backend.control("kitchen", "stop")
        assert refused.value.code == "stops_the_dashboard"
        assert f"{compose_project.name}-kitchen-1" in compose_project.running()
        assert (await backend.control("kitchen", "restart")).status_text.startswith("1/1")
    finally:
        await backend.close()


async def test_stop_start_and_restart_every_replica(backend, compose_project):
    changes = backend.changes()
    watching = asyncio.ensure_future(anext(changes))
    await asyncio.sleep(0.5)
    stopped = await backend.control("ticker", "stop")
    assert stopped.status == "stopped"
    assert [r.state for r in stopped.replicas] == ["exited", "exited"]
    assert not any("ticker" in name for name in compose_project.running())
    assert (await asyncio.wait_for(watching, 10)).startswith("ticker ")
    await changes.aclose()

    started = await backend.control("ticker", "start")
    assert started.status == "healthy" and started.status_text == "2/2 running"
    assert {f"{compose_project.name}-ticker-1", f"{compose_project.name}-ticker-2"} <= \
        compose_project.running()

    before = {r.number: r.started_at for r in (await backend.service("kitchen")).replicas}
    lines = await open_follow(backend, "ticker", 1)
    try:
        await until(lines, lambda line: bool(TICK.match(line.message)))
        restarted = await backend.control("ticker", "restart")
        assert restarted.status_text == "2/2 running"
        # The follow goes on after the restart: the counter starts again from zero.
        again = await until(lines, lambda line: line.message == "tick 1")
        assert "tick 0" in [line.message for line in again]
    finally:
        await lines.aclose()
    kitchen = await backend.control("kitchen", "restart")
    assert {r.number: r.started_at for r in kitchen.replicas} != before
    assert f"{compose_project.name}-kitchen-1" in compose_project.running()
