"""The dashboard plugin's hooks: its API, its page, its live parts and ``pos services``."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from posmodern.core import hookimpl
from posmodern.core.api import ApiRoute, App, StaticAssets
from posmodern.core.runtime import Runtime
from posmodern.hosts.logs import ring_buffer
from posmodern.plugins.dashboard import config as dashboard_config
from posmodern.plugins.dashboard import routes
from posmodern.plugins.dashboard.config import DEFAULT_PROJECT, DashboardConfig
from posmodern.plugins.dashboard.event_bus import EventBusPanel
from posmodern.plugins.dashboard.monitor import Monitor

log = logging.getLogger("posmodern.dashboard")
ADMIN = frozenset({"admin"})
SERVICES = "/api/v1/dashboard/services"
STATIC = Path(__file__).resolve().parent / "static"


@hookimpl
def pos_settings():
    return dashboard_config.SETTINGS


@hookimpl
def pos_routes(settings):
    tags = ("dashboard",)
    one = SERVICES + "/{service_id}"
    return [
        ApiRoute("dashboard.services", "GET", SERVICES, routes.list_services, ADMIN,
                 summary="Every service with its replicas, health, CPU and memory "
                         "(watch=true: a live stream of them)",
                 query=routes.ServicesQuery, tags=tags),
        ApiRoute("dashboard.service", "GET", one, routes.get_service, ADMIN,
                 summary="One service: replicas, ports, uptime, restarts, usage and history",
                 tags=tags),
        *[ApiRoute(f"dashboard.service.{action}", "POST", f"{one}/{action}",
                   routes.control(action), ADMIN, summary=f"{action.capitalize()} a service "
                   "(every replica); audited", tags=tags)
          for action in ("start", "stop", "restart")],
        ApiRoute("dashboard.service.logs", "GET", f"{one}/logs", routes.service_logs, ADMIN,
                 summary="A service's last log lines (follow=true: then every new one, as "
                         "server-sent events resumable with Last-Event-ID)",
                 query=routes.LogsQuery, tags=tags),
        ApiRoute("dashboard.event_bus", "GET", "/api/v1/dashboard/event-bus", routes.event_bus,
                 ADMIN, summary="Exchanges and queues with depth, rates and consumers", tags=tags),
    ]


@hookimpl
def pos_static_assets(settings):
    return [StaticAssets("dashboard", "/dashboard", STATIC)]


@hookimpl
def pos_apps(settings):
    return [App("dashboard", "/dashboard/", "Operações", ADMIN, icon="⚡", position=90,
                description="Serviços, saúde, logs ao vivo e fila de eventos")]


@hookimpl
async def pos_startup(runtime: Runtime) -> None:
    config = DashboardConfig.from_settings(runtime.settings)
    cleanups = []
    if config.backend == "docker":
        from posmodern.plugins.dashboard.docker_backend import (PROJECT, SERVICE, DockerBackend,
                                                                docker_client, own_labels)

        client = docker_client(runtime.settings.extra)
        labels = await asyncio.to_thread(own_labels, client)
        project = config.project or labels.get(PROJECT) or DEFAULT_PROJECT
        own_service = labels.get(SERVICE) if labels.get(PROJECT) == project else None
        backend = DockerBackend(client, project, stop_timeout=config.stop_timeout,
                                own_service=own_service)
    else:
        from posmodern.plugins.dashboard.embedded_backend import EmbeddedBackend

        root = logging.getLogger()
        if ring_buffer not in root.handlers:
            # Served without `pos serve` (tests, another ASGI server): keep the lines anyway.
            root.addHandler(ring_buffer)
            cleanups.append(lambda: root.removeHandler(ring_buffer))
        backend = EmbeddedBackend(runtime, ring_buffer)
    if config.ops_clients is None and runtime.settings.is_production:
        log.warning("the dashboard is closed to everyone: set POS_OPS_CLIENTS to the tenants "
                    "whose admins operate the platform")
    runtime.state[routes.STATE_KEY] = routes.Dashboard(
        config=config, backend=backend, monitor=Monitor(backend, config.sample_seconds),
        event_bus=EventBusPanel(runtime, config), cleanups=cleanups)
    log.info("dashboard on the %s backend", backend.kind,
             extra={"project": getattr(backend, "project", None)})


@hookimpl
async def pos_shutdown(runtime: Runtime) -> None:
    dashboard = runtime.state.pop(routes.STATE_KEY, None)
    if dashboard is None:
        return
    await dashboard.backend.close()
    for cleanup in dashboard.cleanups:
        cleanup()


@hookimpl
def pos_commands():
    from posmodern.plugins.dashboard.cli import services

    return [services]
