"""The remote_orders plugin's hooks: the marketplaces' poller, its tables, routes, settings,
the subscription that tells marketplaces what our orders did, and ``pos remote-orders``."""

from __future__ import annotations

from posmodern.core import hookimpl
from posmodern.core.api import PUBLIC, ApiRoute
from posmodern.core.events import Broadcast
from posmodern.core.ownership import TableAccess
from posmodern.plugins.remote_orders import cli, outbound, registry, routes, settings
from posmodern.plugins.remote_orders.poller import Poller

MANAGERS = frozenset({"admin", "manager"})
COUNTER = frozenset({"admin", "manager", "cashier"})
TAGS = ("remote_orders",)
BASE = "/api/v1/remote-orders"
ORDER = BASE + "/orders/{order_id:uuid}"


@hookimpl
def pos_routes(settings):
    def route(name, method, path, endpoint, roles, summary, **extra):
        return ApiRoute(f"remote_orders.{name}", method, path, endpoint, roles, tags=TAGS,
                        summary=summary, **extra)

    return [
        route("list", "GET", BASE, routes.list_orders, COUNTER,
              "The store's marketplace orders, newest first (taken, refused, cancelled)"),
        route("events", "GET", BASE + "/events", routes.list_events, MANAGERS,
              "Marketplace events received (outcome=unknown: codes we do not know)",
              query=routes.EventQuery),
        route("status", "GET", BASE + "/status", routes.status, COUNTER,
              "Per marketplace: the last polls, an alert, and the store open or closed there",
              errors=(502,)),
        route("poll", "POST", BASE + "/poll", routes.poll, MANAGERS,
              "Poll the marketplaces now and send what is queued"),
        route("reasons", "GET", ORDER + "/cancellation-reasons", routes.cancellation_reasons,
              COUNTER, "The marketplace's reasons for cancelling one of its orders",
              errors=(502,)),
        route("cancel", "POST", ORDER + "/cancel", routes.cancel, COUNTER,
              "Cancel a marketplace order with one of its reasons", body=routes.CancelBody,
              errors=(502,)),
        route("webhook", "POST", BASE + "/{source}", routes.webhook, PUBLIC,
              "A marketplace's notification (checked by its signature)", errors=(502,)),
    ]


@hookimpl
def pos_table_access():
    return [TableAccess("remote_orders", owns=("remote_orders", "remote_events", "remote_actions"),
                        reads=("orders", "products", "modifier_groups",
                               "product_modifier_groups"))]


@hookimpl
def pos_settings():
    return settings.ALL


@hookimpl
def pos_subscriptions(settings):
    return outbound.subscriptions()


@hookimpl
def pos_commands():
    return [cli.remote_orders]


@hookimpl
def pos_broadcasts(runtime):
    def settings_changed(envelope):
        poller = runtime.state.get(registry.PLUGIN)
        if poller is not None:  # a store's merchant ids may have changed
            poller.directory.changed(envelope.client_id)
    return [Broadcast("remote_orders.settings", ("settings.changed",), settings_changed)]


@hookimpl
async def pos_startup(runtime):
    poller = Poller(runtime, registry.collect(runtime))
    runtime.state[registry.PLUGIN] = poller
    await poller.start()


@hookimpl
def pos_ready_warnings(runtime):
    poller = runtime.state.get(registry.PLUGIN)
    return poller.warnings() if poller is not None else []


@hookimpl
async def pos_shutdown(runtime):
    poller = runtime.state.pop(registry.PLUGIN, None)
    if poller is not None:
        await poller.stop()
