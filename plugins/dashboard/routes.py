"""The dashboard's API (SPEC §3): services, one service, start/stop/restart, logs, event bus.

Admins only, and only admins of the tenants named in ``POS_OPS_CLIENTS`` (every tenant's admins
in development when it is unset; nobody in production until it is set): a restaurant's admin has
no business restarting the platform's containers. Every start, stop and restart is audited in the
operator's tenant.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from posmodern.core import audit
from posmodern.core.api import RequestContext
from posmodern.core.errors import Forbidden, NotFound, PosError
from posmodern.core import sse
from posmodern.plugins.dashboard.config import DashboardConfig
from posmodern.plugins.dashboard.event_bus import EventBusPanel
from posmodern.plugins.dashboard.model import ServiceBackend, open_follow
from posmodern.plugins.dashboard.monitor import Monitor, snapshot_body

STATE_KEY = "dashboard"


@dataclass
class Dashboard:
    """What the plugin keeps in ``runtime.state["dashboard"]``."""

    config: DashboardConfig
    backend: ServiceBackend
    monitor: Monitor
    event_bus: EventBusPanel
    cleanups: list[Any] = field(default_factory=list)


class ServicesQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    watch: bool = Field(False, description="Stream snapshots as server-sent events")


class LogsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tail: int = Field(200, ge=0, le=5000, description="How many of the last lines")
    follow: bool = Field(False, description="Keep streaming new lines (server-sent events)")
    after: str | None = Field(None, max_length=4000,
                              description="Resume after this line (as Last-Event-ID does)")


def operator(ctx: RequestContext) -> Dashboard:
    """The dashboard, if the caller's tenant may operate it."""
    dashboard: Dashboard = ctx.runtime.state[STATE_KEY]
    refusal = dashboard.config.operator_refusal(ctx.client_id, ctx.runtime.settings.is_production)
    if refusal:
        raise Forbidden(refusal, code="not_an_operator",
                        details={"client_id": ctx.client_id, "setting": "POS_OPS_CLIENTS"})
    return dashboard


async def list_services(ctx: RequestContext):
    dashboard = operator(ctx)
    if ctx.query.watch:
        return sse.EventStream(_watch(dashboard))
    services = await dashboard.backend.services(usage=True)
    return snapshot_body(dashboard.backend, services)


async def _watch(dashboard: Dashboard) -> AsyncIterator[bytes]:
    monitor = dashboard.monitor
    yield sse.event({sid: monitor.history_of(sid) for sid in list(monitor.history)},
                    name="history")
    async for snapshot in monitor.watch():
        yield sse.event(snapshot, name="services")


async def get_service(ctx: RequestContext) -> dict:
    dashboard = operator(ctx)
    service = await dashboard.backend.service(ctx.path["service_id"])
    return {**service.to_dict(with_details=True), "backend": dashboard.backend.kind,
            "history": dashboard.monitor.history_of(service.id)}


def control(action: str):
    async def endpoint(ctx: RequestContext) -> dict:
        dashboard = operator(ctx)
        service_id = ctx.path["service_id"]
        backend = dashboard.backend
        try:
            service = await backend.control(service_id, action)
        except NotFound:
            raise
        except PosError as error:
            await _audit(ctx, backend, action, service_id, f"refused: {error.message}")
            raise
        await _audit(ctx, backend, action, service_id, "done")
        return {"action": action, "service": service.to_dict(), "backend": backend.kind}

    endpoint.__name__ = f"{action}_service"
    return endpoint


async def _audit(ctx: RequestContext, backend: ServiceBackend, action: str, service_id: str,
                 outcome: str) -> None:
    async with ctx.transaction() as conn:
        await audit.record(conn, ctx, f"dashboard.service.{action}", resource_type="service",
                           resource_id=service_id,
                           details={"backend": backend.kind, "outcome": outcome,
                                    "project": getattr(backend, "project", None)})


async def service_logs(ctx: RequestContext):
    dashboard = operator(ctx)
    query: LogsQuery = ctx.query
    service_id = ctx.path["service_id"]
    backend = dashboard.backend
    if not query.follow:
        tail = await backend.logs(service_id, query.tail)
        return {"service": service_id, "lines": [_line(line) for line in tail.lines],
                "cursor": tail.cursor}
    after = ctx.request.headers.get("last-event-id") or query.after
    lines = await open_follow(backend, service_id, query.tail, after)
    return sse.EventStream(_log_events(lines))


def _line(line) -> dict:
    return {**line.to_dict(), "cursor": line.cursor}


async def _log_events(lines) -> AsyncIterator[bytes]:
    try:
        async for line in lines:
            yield sse.event(line.to_dict(), name="log", id=line.cursor)
    finally:
        await lines.aclose()


async def event_bus(ctx: RequestContext) -> dict:
    return await operator(ctx).event_bus.read()
