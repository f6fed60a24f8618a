"""The Starlette app factory: any subset of plugins, one ASGI app.

``create_app(settings, plugins)`` loads the chosen plugins, collects their routes and pages through
the host hooks, and returns an app whose lifespan opens the database, cache and event bus and calls
``pos_startup``/``pos_shutdown``. The same factory serves the all-in-one embedded process and each
one-plugin container.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from posmodern.core import tenancy
from posmodern.core.api import ApiRoute
from posmodern.core.asyncio_hooks import call_hook, collect_sync
from posmodern.core.bus import EventBus
from posmodern.core.cache import create_cache
from posmodern.core.config import Settings
from posmodern.core.db import Database, unavailable
from posmodern.core.errors import MethodNotAllowed, NotFound, PluginError, PosError
from posmodern.core.migrations import migration_branches
from posmodern.core.ownership import table_owners
from posmodern.core.plugin_settings import check_settings
from posmodern.core.plugins import PosPluginManager, get_plugin_manager
from posmodern.core.retention import Retention
from posmodern.core.runtime import Runtime
from posmodern.hosts.endpoints import make_endpoint
from posmodern.hosts.metrics import Metrics
from posmodern.hosts.middleware import RequestMiddleware
from posmodern.hosts.openapi import build_openapi
from posmodern.hosts.responses import PosJSONResponse, error_response
from posmodern.hosts.start import apps_route, collect_apps, start_page

log = logging.getLogger("posmodern.host")
#: The UI kit every page imports (sign-in, API calls, SSE, offline queue, pt-BR formats).
UI_KIT = Path(__file__).resolve().parent / "ui"
_HTTP_ERRORS = {404: NotFound, 405: MethodNotAllowed}


def collect_routes(pm: PosPluginManager, settings: Settings) -> list[ApiRoute]:
    """Every plugin's routes; two routes with one name or one method+path is an error."""
    routes: list[ApiRoute] = collect_sync(pm.hook.pos_routes, settings=settings)
    names: set[str] = set()
    endpoints: set[tuple[str, str]] = set()
    for route in routes:
        key = (route.method.upper(), route.path)
        if route.name in names or key in endpoints:
            raise PluginError(f"route {route.name} ({route.method} {route.path}) is declared twice")
        names.add(route.name)
        endpoints.add(key)
    return routes


async def _http_error(request: Request, exc: HTTPException) -> Response:
    error_type = _HTTP_ERRORS.get(exc.status_code)
    if error_type is None:
        error = PosError(str(exc.detail), code="http_error")
        error.status = exc.status_code
    elif error_type is NotFound:
        error = NotFound(f"no route for {request.method} {request.url.path}", code="no_route")
    else:
        error = error_type(f"{request.method} is not allowed on {request.url.path}")
    return error_response(error, headers=getattr(exc, "headers", None))


def _package_version() -> str:
    try:
        return version("pos-modern")
    except PackageNotFoundError:
        return "0.0.0"


def create_app(settings: Settings | None = None, plugins: Sequence[str] | None = None, *,
               pm: PosPluginManager | None = None) -> Starlette:
    """An ASGI app serving ``plugins`` (default: ``settings.plugins``, else every installed one)."""
    settings = settings or Settings.from_env()
    pm = pm or get_plugin_manager(plugins if plugins is not None else settings.plugins)
    check_settings(pm, settings)  # first: a bad value stops the start, naming the variable
    apps = collect_apps(pm, settings)
    api_routes = [*collect_routes(pm, settings), apps_route(apps)]
    table_owners(collect_sync(pm.hook.pos_table_access))  # a table claimed twice stops here
    metrics = Metrics()
    plugin_names = sorted(pm.infos)

    async def health(request: Request) -> Response:
        return PosJSONResponse({"status": "ok", "version": _package_version(),
                                "plugins": plugin_names})

    async def ready(request: Request) -> Response:
        runtime: Runtime = request.app.state.runtime
        checks: dict[str, str] = {}
        for name, probe in (("database", runtime.db.ping), ("bus", runtime.bus.ping),
                            ("cache", runtime.cache.ping)):
            try:
                await probe()
                checks[name] = "ok"
            except Exception as exc:  # noqa: BLE001 - report, don't fail the probe itself
                checks[name] = f"error: {type(exc).__name__}: {exc}"
        ok = all(v == "ok" for v in checks.values())
        answer: dict = {"status": "ready" if ok else "unavailable", "checks": checks}
        warnings = await runtime.ready_warnings()
        if warnings:
            answer["warnings"] = warnings
        return PosJSONResponse(answer, status_code=200 if ok else 503)

    async def metrics_endpoint(request: Request) -> Response:
        return PlainTextResponse(metrics.render(),
                                 media_type="text/plain; version=0.0.4; charset=utf-8")

    host_paths = {
        "/": {"get": {"operationId": "host.start", "summary": "The start page (HTML)",
                      "responses": {"200": {"description": "The start page"}}}},
        "/health": {"get": {"operationId": "host.health", "summary": "Liveness",
                            "responses": {"200": {"description": "The process is up"}}}},
        "/ready": {"get": {"operationId": "host.ready", "summary": "Readiness (DB, bus, cache)",
                           "responses": {"200": {"description": "Ready"},
                                         "503": {"description": "A dependency is down"}}}},
        "/metrics": {"get": {"operationId": "host.metrics", "summary": "Prometheus metrics",
                             "responses": {"200": {"description": "Prometheus text format"}}}},
        "/openapi.json": {"get": {"operationId": "host.openapi", "summary": "This document",
                                  "responses": {"200": {"description": "OpenAPI 3.1"}}}},
    }
    document = build_openapi(api_routes, host_paths)

    async def openapi(request: Request) -> Response:
        return PosJSONResponse(document)

    routes: list = [
        Route("/", start_page, methods=["GET"]),
        Route("/health", health, methods=["GET"]),
        Route("/ready", ready, methods=["GET"]),
        Route("/metrics", metrics_endpoint, methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"]),
    ]
    routes += [Route(r.path, make_endpoint(r), methods=[r.method.upper()], name=r.name)
               for r in api_routes]
    routes.append(Mount("/ui", app=StaticFiles(directory=UI_KIT), name="ui"))
    for assets in collect_sync(pm.hook.pos_static_assets, settings=settings):
        routes.append(Mount(assets.path, app=StaticFiles(directory=assets.directory, html=True),
                            name=assets.name))

    @asynccontextmanager
    async def lifespan(app: Starlette):
        runtime = await start_runtime(settings, pm)
        metrics.watch_bus(lambda: runtime.bus.stats)
        app.state.runtime = runtime
        try:
            yield
        finally:
            await stop_runtime(runtime)

    app = Starlette(
        routes=routes,
        middleware=[Middleware(RequestMiddleware, metrics=metrics)],
        exception_handlers={HTTPException: _http_error},
        lifespan=lifespan,
    )
    app.state.pm = pm
    app.state.settings = settings
    app.state.api_routes = api_routes
    app.state.apps = apps
    app.state.openapi = document
    return app


def app_from_env() -> Starlette:
    """The app of one worker process of ``pos serve --workers N``: settings and plugins from the
    environment, logs configured."""
    from posmodern.hosts.logs import configure_logging

    settings = Settings.from_env()
    configure_logging(settings.log_level, settings.log_format)
    return create_app(settings)


#: How long a starting process waits for a database that cannot serve yet (down, restarting,
#: recovering) before it gives up. Under `pos serve --workers N` a worker that gave up at once
#: would end the whole service: uvicorn stops every worker when one fails to start.
DATABASE_WAIT_SECONDS = 60.0


async def wait_for_database(db: Database, seconds: float = DATABASE_WAIT_SECONDS) -> None:
    """Return once the database answers; while it cannot serve yet, try again every half
    second for up to ``seconds``. Any other error, or one past the wait, is raised."""
    deadline = time.monotonic() + seconds
    told = False
    while True:
        try:
            async with db.control_connection() as conn:
                await conn.execute(text("SELECT 1"))
            if told:
                log.warning("the database answers again; starting")
            return
        except Exception as error:
            if unavailable(error) is None or time.monotonic() > deadline:
                raise
            if not told:
                log.warning("the database cannot serve yet (%s); waiting up to %.0f s for it",
                            error, seconds)
                told = True
        await asyncio.sleep(0.5)


async def start_runtime(settings: Settings, pm: PosPluginManager) -> Runtime:
    """Open the database, cache and bus, and start the plugins.

    A database that cannot serve yet is waited for (:func:`wait_for_database`). If a step fails
    (a migration, a plugin's ``pos_startup``, the broker), what was opened is
    closed again, the plugins getting ``pos_shutdown``, and the error is raised.
    """
    db = Database(settings.database_url, pool_size=settings.db_pool_size,
                  max_overflow=settings.db_max_overflow)
    try:
        await wait_for_database(db)
        if settings.auto_migrate:
            await tenancy.upgrade_all(db, migration_branches(pm))
        bus = EventBus(db, settings.broker_url, exchange=settings.bus_exchange,
                       subscriptions=collect_sync(pm.hook.pos_subscriptions, settings=settings,
                                                  hooks=pm.hook),
                       poll_seconds=settings.outbox_poll_seconds,
                       linger_seconds=settings.outbox_linger_ms / 1000,
                       retention=Retention.from_settings(settings),
                       sweep_seconds=settings.outbox_sweep_seconds,
                       full_sweep_seconds=settings.outbox_full_sweep_minutes * 60)
    except BaseException:
        await db.dispose()
        raise
    runtime = Runtime(settings=settings, db=db, bus=bus,
                      cache=create_cache(settings.redis_url), pm=pm)
    try:
        await call_hook(pm.hook.pos_startup, runtime=runtime)
        bus.add_broadcasts(collect_sync(pm.hook.pos_broadcasts, runtime=runtime))
        await bus.start()
    except BaseException:
        for error in await _close(runtime):
            log.error("closing after a failed start also failed", exc_info=error)
        raise
    log.info("started", extra={"plugins": sorted(pm.infos), "database": db.dialect,
                               "bus": bus.safe_url})
    return runtime


async def stop_runtime(runtime: Runtime) -> None:
    """Stop the plugins, then the bus, cache and database; raises the first failure, if any."""
    errors = await _close(runtime)
    if errors:
        raise errors[0]


async def _close(runtime: Runtime) -> list[Exception]:
    """Run every closing step, even after one fails; returns what failed."""
    steps = (lambda: call_hook(runtime.pm.hook.pos_shutdown, runtime=runtime),
             runtime.bus.stop, runtime.cache.close, runtime.db.dispose)
    errors = []
    for step in steps:
        try:
            await step()
        except Exception as error:  # noqa: BLE001 - the next steps still release their part
            errors.append(error)
    return errors
