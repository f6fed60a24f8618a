"""``pos services``: the operator's terminal view of the Compose deployment (the seed's run.sh).

``status``, ``start``, ``stop``, ``restart`` and ``logs`` use the dashboard's Docker backend, so
the terminal and the page show and do the same things; ``up`` and ``down`` run Docker Compose with
the deployment's files.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import click

from posmodern.core.errors import PosError
from posmodern.plugins.dashboard import compose
from posmodern.plugins.dashboard.config import DEFAULT_PROJECT
from posmodern.plugins.dashboard.model import LogLine, Service, open_follow

STATUS_COLOURS = {"healthy": "green", "starting": "cyan", "degraded": "yellow",
                  "unhealthy": "red", "stopped": "red"}


def _run(work: Callable[[Any], Awaitable[Any]], project: str) -> Any:
    """Run ``work(backend)`` against the Docker engine, typed errors as clean exits."""
    from posmodern.plugins.dashboard.docker_backend import DockerBackend, docker_client

    async def go():
        backend = DockerBackend(docker_client(os.environ), project)
        try:
            return await work(backend)
        finally:
            await backend.close()
    try:
        return asyncio.run(go())
    except PosError as error:
        raise click.ClickException(error.message) from None


_env_option = click.option("--env", "-e", type=click.Choice(compose.ENVIRONMENTS), default=None,
                           help="The deployment's environment: compose.<env>.yaml and its env "
                                "file  [default: dev]")
_dir_option = click.option("--compose-dir", metavar="DIR", default=None,
                           help="Where the compose files are (POS_COMPOSE_DIR, else ./deploy).")


@click.group("services")
@click.option("--project", "-p", envvar="POS_COMPOSE_PROJECT", default=None,
              help="Compose project (default: COMPOSE_PROJECT_NAME, else the env file's, else "
                   f"{DEFAULT_PROJECT}).")
@_env_option
@_dir_option
@click.pass_context
def services(ctx: click.Context, project: str | None, env: str | None,
             compose_dir: str | None) -> None:
    """See and control the deployment's services (Docker Compose)."""
    ctx.obj = {"project": project, "env": env or "dev", "compose_dir": compose_dir}


def _options(env: str | None = None, compose_dir: str | None = None) -> dict[str, str | None]:
    """The group's options, with a subcommand's own ``--env``/``--compose-dir`` winning."""
    options = dict(click.get_current_context().find_object(dict))
    options["env"] = env or options["env"]
    options["compose_dir"] = compose_dir or options["compose_dir"]
    return options


def _project(env: str | None = None, compose_dir: str | None = None) -> str:
    options = _options(env, compose_dir)
    return compose.project_name(options["project"], options["env"], options["compose_dir"])


def _bytes(value: int | None) -> str:
    if value is None:
        return "-"
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f}{unit}" if unit == "B" else f"{value:.1f}{unit}"
        value /= 1024
    return "-"


def _uptime(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    return f"{days}d{hours}h" if days else f"{hours}h{minutes:02d}m" if hours else \
        f"{minutes}m{secs:02d}s"


def _row(service: Service) -> list[str]:
    body = service.to_dict()
    running = [r for r in service.replicas if r.running]
    uptime = min((r.uptime_seconds for r in running if r.uptime_seconds is not None),
                 default=None)
    ports = sorted({f"{p['host_port']}->{p['container']}/{p['protocol']}" if p["host_port"]
                    else f"{p['container']}/{p['protocol']}" for p in body["ports"]})
    cpu = body["usage"]["cpu_percent"]
    return [service.id, service.status, f"{body['replicas_running']}/{body['replicas_total']}",
            str(body["image"] or "-"), ",".join(ports) or "-", _uptime(uptime),
            str(body["restart_count"]), "-" if cpu is None else f"{cpu:.1f}%",
            _bytes(body["usage"]["memory_bytes"])]


@services.command("status")
@click.argument("service", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def status(service: str | None, as_json: bool) -> None:
    """Each service: status, replicas, image, ports, uptime, restarts, CPU and memory."""
    async def work(backend):
        if service:
            return [await backend.service(service)]
        await backend.services(usage=True)  # the first of the two samples CPU% needs
        await asyncio.sleep(0.5)
        return await backend.services(usage=True)
    found = _run(work, _project())
    if as_json:
        click.echo(json.dumps([s.to_dict(with_details=bool(service)) for s in found], indent=2))
        return
    if not found:
        click.echo(f"no containers in Compose project {_project()!r}")
        return
    header = ["SERVICE", "STATUS", "REPLICAS", "IMAGE", "PORTS", "UPTIME", "RESTARTS", "CPU",
              "MEMORY"]
    rows = [_row(s) for s in found]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    click.echo("  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip())
    for service_found, row in zip(found, rows):
        cells = [c.ljust(w) for c, w in zip(row, widths)]
        cells[1] = click.style(cells[1], fg=STATUS_COLOURS.get(service_found.status))
        click.echo("  ".join(cells).rstrip())
        if service_found.status != "healthy":
            click.echo(f"{'':<{widths[0]}}  {service_found.status_text}")


def _control(action: str, past: str):
    @click.argument("names", nargs=-1, metavar="[SERVICE]...")
    def command(names: tuple[str, ...]) -> None:
        async def work(backend):
            targets = list(names) or [s.id for s in await backend.services()]
            return [await backend.control(name, action) for name in targets]
        for done in _run(work, _project()):
            click.echo(f"{past} {done.id}: {done.status_text}")
    command.__doc__ = f"{action.capitalize()} services (every replica; all services if none named)."
    return services.command(action)(command)


_control("start", "started")
_control("stop", "stopped")
_control("restart", "restarted")


@services.command("logs")
@click.argument("service", required=False)
@click.option("--follow", "-f", is_flag=True, help="Keep printing new lines.")
@click.option("--tail", "-n", default=100, show_default=True, type=click.IntRange(0, 100_000),
              help="Lines to show from the end of each service's log.")
def logs(service: str | None, follow: bool, tail: int) -> None:
    """A service's log lines with their times (every service's if none is named)."""
    async def work(backend):
        names = [service] if service else [s.id for s in await backend.services()]
        if not follow:
            lines = []
            for name in names:
                lines += (await backend.logs(name, tail)).lines
            for line in sorted(lines, key=lambda line: line.ts or ""):
                _print(line)
            return
        streams = [await open_follow(backend, name, tail) for name in names]
        async for line in _merge(streams):
            _print(line)
    with contextlib.suppress(KeyboardInterrupt):
        _run(work, _project())


def _print(line: LogLine) -> None:
    click.echo(f"{click.style(line.replica, fg='cyan')} | {line.ts or '-'} {line.message}")


async def _merge(streams: list[AsyncIterator[LogLine]]) -> AsyncIterator[LogLine]:
    queue: asyncio.Queue = asyncio.Queue()

    async def pump(stream: AsyncIterator[LogLine]) -> None:
        async for line in stream:
            await queue.put(line)

    tasks = [asyncio.create_task(pump(s)) for s in streams]
    try:
        while True:
            yield await queue.get()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _compose(env: str | None, compose_dir: str | None, action: list[str]) -> None:
    options = _options(env, compose_dir)
    try:
        command = compose.compose_command(_project(env, compose_dir),
                                          compose.compose_dir(options["compose_dir"]),
                                          options["env"], action)
    except compose.ComposeError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo("$ " + " ".join(command), err=True)
    code = compose.run_compose(command, click.echo)
    if code != 0:
        raise click.ClickException(f"docker compose exited with status {code}")


def _scale(ctx, param, values: tuple[str, ...]) -> list[str]:
    for value in values:
        name, _, count = value.partition("=")
        if not name or not count.isdigit():
            raise click.BadParameter(f"{value!r}: use SERVICE=N", ctx=ctx, param=param)
    return list(values)


@services.command("up")
@_env_option
@_dir_option
@click.option("--scale", multiple=True, callback=_scale, metavar="SERVICE=N",
              help="Run N replicas of SERVICE (repeatable).")
@click.option("--wait", is_flag=True, help="Return once every service is running and healthy.")
@click.argument("names", nargs=-1, metavar="[SERVICE]...")
def up(env: str | None, compose_dir: str | None, scale: list[str], wait: bool,
       names: tuple[str, ...]) -> None:
    """Create and start the deployment (or the named services) in the background."""
    action = ["up", "--detach"] + (["--wait"] if wait else [])
    for value in scale:
        action += ["--scale", value]
    _compose(env, compose_dir, action + list(names))


@services.command("down")
@_env_option
@_dir_option
@click.option("--volumes", is_flag=True, help="Also remove the named volumes (data!).")
def down(env: str | None, compose_dir: str | None, volumes: bool) -> None:
    """Stop and remove the deployment's containers and networks."""
    _compose(env, compose_dir, ["down", "--remove-orphans"] + (["--volumes"] if volumes else []))
