"""The settings plugin's hooks: ``/api/v1/settings``, over the ``configurations`` table it owns.

It serves the per-store settings of the plugins loaded in its own process, so a process serving
it loads the plugins whose settings it edits (the monolith does; a split deployment lists them in
the settings service's ``POS_PLUGINS``).
"""

from __future__ import annotations

from posmodern.core import hookimpl
from posmodern.core.api import ApiRoute
from posmodern.core.plugin_settings import declared_settings
from posmodern.core.runtime import Runtime
from posmodern.plugins.settings import routes

ADMIN = frozenset({"admin"})
READERS = frozenset({"admin", "manager"})
PATH = "/api/v1/settings"


@hookimpl
def pos_routes(settings):
    tags = ("settings",)
    return [
        ApiRoute("settings.get", "GET", PATH, routes.read_settings, READERS, tags=tags,
                 summary="The store's per-store settings: value, source, default (secrets "
                         "masked)"),
        ApiRoute("settings.replace", "PUT", PATH, routes.replace_settings, ADMIN, tags=tags,
                 body=routes.SettingsChange,
                 summary="Set the store's settings; those not named go back to their default "
                         "(audited; publishes settings.changed)"),
        ApiRoute("settings.change", "PATCH", PATH, routes.change_settings, ADMIN, tags=tags,
                 body=routes.SettingsChange,
                 summary="Change some of the store's settings (null: back to the default; "
                         "audited; publishes settings.changed)"),
    ]


@hookimpl
def pos_startup(runtime: Runtime) -> None:
    runtime.state[routes.STATE_KEY] = {
        item.spec.name: item for item in declared_settings(runtime.pm)
        if item.spec.scope == "store"}
