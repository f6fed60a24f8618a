"""The kitchen display's hooks: its API, its screens, the tickets that follow orders, and the
live streams."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from posmodern.core import hookimpl
from posmodern.core.api import ApiRoute, App, StaticAssets
from posmodern.core.ownership import TableAccess
from posmodern.core.runtime import Runtime
from posmodern.plugins.kds import (actions, follow_orders, models, retention, stations, stream,
                                   views)

KITCHEN = frozenset({"admin", "manager", "kitchen"})
MANAGERS = frozenset({"admin", "manager"})
#: Who fires a held course: the floor (a waiter fires the mains) and the kitchen's managers.
FIRING = frozenset({"admin", "manager", "cashier", "waiter", "kitchen"})
#: The customer board runs on a screen signed in by the kitchen or the counter.
BOARD = KITCHEN | {"cashier"}
STATIC = Path(__file__).resolve().parent / "static"
API = "/api/v1/kds"
TICKET = API + "/tickets/{ticket_id:uuid}"
STATION = API + "/stations/{station_id:uuid}"
PURGES = "kds.purges"


@hookimpl
def pos_settings():
    return retention.SETTINGS


@hookimpl
def pos_routes(settings):
    tags = ("kds",)

    def route(name, method, path, endpoint, roles, summary, **extra):
        return ApiRoute(f"kds.{name}", method, path, endpoint, roles, summary=summary,
                        tags=tags, **extra)

    return [
        route("tickets.list", "GET", API + "/tickets", views.list_tickets, KITCHEN,
              "Tickets of a station (default: those on screen; status=BUMPED: newest first)",
              query=models.TicketQuery),
        route("tickets.get", "GET", TICKET, views.get_ticket, KITCHEN, "One ticket"),
        route("tickets.start", "POST", TICKET + "/start", actions.start_ticket, KITCHEN,
              "Start a ticket (its order goes IN_PREPARATION)"),
        route("tickets.bump", "POST", TICKET + "/bump", actions.bump_ticket, KITCHEN,
              "Bump a ticket (the order's last one makes it READY)"),
        route("tickets.recall", "POST", TICKET + "/recall", actions.recall_ticket, KITCHEN,
              "Bring a bumped ticket back"),
        route("tickets.acknowledge", "POST", TICKET + "/acknowledge",
              actions.acknowledge_ticket, KITCHEN,
              "Acknowledge a void or a cancellation (the ticket stops flashing)"),
        route("tickets.item_done", "POST", TICKET + "/items/{item_id:uuid}/done",
              actions.item_done, KITCHEN, "Tick (or untick, done=false) one item",
              body=models.ItemDone),
        route("orders.fire", "POST", API + "/orders/{order_id:uuid}/fire", actions.fire_order,
              FIRING, "Fire an order's held course to the kitchen"),
        route("stream", "GET", API + "/stream", stream.stream, KITCHEN,
              "Live changes of a station's tickets (server-sent events, resumable with "
              "Last-Event-ID)", query=models.StreamQuery),
        route("all_day", "GET", API + "/all-day", views.all_day, KITCHEN,
              "Per station, how many of each product the open tickets need",
              query=models.StationQuery),
        route("expo", "GET", API + "/expo", views.expo, KITCHEN,
              "Orders and their stations' progress (ready when every station bumped)"),
        route("board", "GET", API + "/board", views.board, BOARD,
              "Order numbers being prepared and ready (the customer board)"),
        route("stats", "GET", API + "/stats", views.stats, MANAGERS,
              "p50/p90 from start to bump per product, station and hour of the day",
              query=models.StatsQuery),
        route("stations.list", "GET", API + "/stations", stations.list_stations, KITCHEN,
              "The store's stations, routing rules and colour thresholds"),
        route("stations.create", "POST", API + "/stations", stations.create_station, MANAGERS,
              "Add a station", body=models.StationCreate, status_code=201),
        route("stations.update", "PATCH", STATION, stations.update_station, MANAGERS,
              "Change a station's name, routing, thresholds or default",
              body=models.StationUpdate),
        route("stations.delete", "DELETE", STATION, stations.delete_station, MANAGERS,
              "Remove a station (not the default one)"),
    ]


@hookimpl
def pos_static_assets(settings):
    return [StaticAssets("kds", "/kds", STATIC)]


@hookimpl
def pos_apps(settings):
    return [App("kds", "/kds/", "Cozinha (KDS)", KITCHEN, icon="♨", position=20,
                description="Pedidos de cada estação, ao vivo: iniciar, pronto, desfazer"),
            App("kds.board", "/kds/board/", "Painel de senhas", BOARD, icon="☰", position=30,
                description="Números em preparo e prontos, para os clientes")]


@hookimpl
def pos_table_access():
    return [TableAccess("kds", owns=("kds_stations", "kds_tickets", "kds_changes"),
                        reads=("orders", "order_items", "products", "categories", "customers",
                               "tables"))]


@hookimpl
def pos_subscriptions(settings):
    return follow_orders.subscriptions()


@hookimpl
def pos_startup(runtime: Runtime) -> None:
    runtime.state[stream.STATE_KEY] = stream.Hub()
    runtime.state[PURGES] = asyncio.get_running_loop().create_task(
        retention.run_purges(runtime), name="kds-purges")


@hookimpl
def pos_broadcasts(runtime: Runtime):
    return [runtime.state[stream.STATE_KEY].broadcast()]


@hookimpl
async def pos_shutdown(runtime: Runtime) -> None:
    runtime.state.pop(stream.STATE_KEY, None)
    task = runtime.state.pop(PURGES, None)
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@hookimpl(trylast=True)
async def pos_demo_data(conn, client_id, store_id):
    # After the catalog's menu (trylast): the bar and dessert stations route its categories.
    await stations.demo_stations(conn, client_id, store_id)


@hookimpl
async def pos_personal_data_erase(conn, customer_id, store_id, settings):
    from posmodern.plugins.kds.privacy import erase_tickets
    return await erase_tickets(conn, customer_id, store_id)
