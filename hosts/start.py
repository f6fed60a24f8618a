"""The start page ``/``: sign in, then the apps of the loaded plugins that one's roles open.

Each plugin declares its pages through ``pos_apps``; the host serves the page itself and
``GET /api/v1/apps``, which lists the apps the caller's roles may open.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response

from posmodern.core.api import ANY_ROLE, ApiRoute, App, RequestContext
from posmodern.core.asyncio_hooks import collect_sync
from posmodern.core.config import POS_START_APPS, Settings
from posmodern.core.errors import PluginError
from posmodern.core.plugins import PosPluginManager, get_plugin_manager

START_PAGE = Path(__file__).resolve().parent / "ui" / "start" / "index.html"


def collect_apps(pm: PosPluginManager, settings: Settings) -> list[App]:
    """Every plugin's apps, in their order; two apps with one name or one path is an error.

    With ``POS_START_APPS``, also those of the plugins named there that this process does not
    load (asked through a manager of their own, which nothing starts).
    """
    apps: list[App] = collect_sync(pm.hook.pos_apps, settings=settings)
    elsewhere = [name for name in POS_START_APPS.read(settings.extra) if name not in pm.infos]
    if elsewhere:
        apps += collect_sync(get_plugin_manager(elsewhere).hook.pos_apps, settings=settings)
    for attribute in ("name", "path"):
        seen: set[str] = set()
        for app in apps:
            value = getattr(app, attribute)
            if value in seen:
                raise PluginError(f"app {attribute} {value} is declared twice")
            seen.add(value)
    return sorted(apps, key=lambda app: (app.position, app.title))


def apps_route(apps: list[App]) -> ApiRoute:
    """``GET /api/v1/apps``: the apps the caller's roles open."""

    async def list_apps(ctx: RequestContext) -> dict:
        return {"items": [app.view() for app in apps if ctx.principal.has_any(app.roles)]}

    return ApiRoute("host.apps", "GET", "/api/v1/apps", list_apps, ANY_ROLE,
                    summary="The pages of the loaded plugins that the caller's roles open",
                    tags=("host",))


async def start_page(request: Request) -> Response:
    return FileResponse(START_PAGE, headers={"Cache-Control": "no-cache"})
