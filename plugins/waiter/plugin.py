"""The waiter plugin's hooks: the floor (layouts, tables), tabs and their bills, the live floor
stream and the waiter's page."""

from __future__ import annotations

from pathlib import Path

from posmodern.core import hookimpl
from posmodern.core.api import ApiRoute, App, StaticAssets
from posmodern.core.ownership import TableAccess
from posmodern.core.runtime import Runtime
from posmodern.plugins.waiter import bill, floor, models, states, stream, tabs

FLOOR = frozenset({"admin", "manager", "cashier", "waiter"})
ROOM_EDITORS = frozenset({"admin", "manager"})
STATIC = Path(__file__).resolve().parent / "static"
API = "/api/v1/waiter"
LAYOUT = API + "/layouts/{layout_id:uuid}"
TABLE = API + "/tables/{table_id:uuid}"


def _routes():
    def route(name, method, path, endpoint, roles, summary, **extra):
        return ApiRoute(f"waiter.{name}", method, path, endpoint, roles, summary=summary,
                        tags=("waiter",), **extra)

    return [
        route("layouts.list", "GET", API + "/layouts", floor.list_layouts, FLOOR,
              "The store's layouts with their sections, elements and tables"),
        route("layouts.create", "POST", API + "/layouts", floor.create_layout, ROOM_EDITORS,
              "Add a layout (a dining room)", body=models.LayoutCreate, status_code=201),
        route("layouts.get", "GET", LAYOUT, floor.get_layout, FLOOR, "One layout"),
        route("layouts.update", "PATCH", LAYOUT, floor.update_layout, ROOM_EDITORS,
              "Rename a layout or redraw its sections and elements", body=models.LayoutUpdate),
        route("tables.list", "GET", API + "/tables", floor.list_tables, FLOOR,
              "The store's tables and their state (mine=true: the caller's)"),
        route("tables.create", "POST", API + "/tables", floor.create_table, ROOM_EDITORS,
              "Add a table", body=models.TableCreate, status_code=201),
        route("tables.get", "GET", TABLE, floor.get_table, FLOOR, "One table"),
        route("tables.update", "PATCH", TABLE, floor.update_table, ROOM_EDITORS,
              "Move, resize, renumber a table or change its seats", body=models.TableUpdate),
        route("tables.assign", "POST", TABLE + "/assign", floor.assign_table, ROOM_EDITORS,
              "Assign the table to a waiter (or to none)", body=models.Assign),
        route("tables.state", "POST", TABLE + "/state", floor.change_state, FLOOR,
              "Reserve a free table, or free a reserved one", body=models.StateChange),
        route("tabs.get", "GET", TABLE + "/tab", tabs.get_tab, FLOOR,
              "The table's tab: its order, each item's kitchen state, what remains to pay"),
        route("tabs.round", "POST", TABLE + "/rounds", tabs.add_round, FLOOR,
              "Open the tab or add a round to it (sent to the kitchen)", body=models.Round,
              idempotent=True),
        route("tabs.transfer", "POST", TABLE + "/transfer", tabs.transfer, FLOOR,
              "Move items or the whole tab to another table", body=models.Transfer),
        route("tabs.merge", "POST", TABLE + "/merge", tabs.merge, FLOOR,
              "Join another table's tab to this one's", body=models.Merge),
        route("tabs.split", "POST", TABLE + "/split", bill.split, FLOOR,
              "How much each part pays: by items, or equally among N people",
              body=models.Split),
        route("tabs.bill", "POST", TABLE + "/bill", bill.request_bill, FLOOR,
              "The table asks for the bill (a conferência slip is printed)"),
        route("tabs.close", "POST", TABLE + "/close", tabs.close, FLOOR,
              "Close the table once its tab is paid"),
        route("stream", "GET", API + "/stream", stream.stream, FLOOR,
              "Live table states (server-sent events)"),
    ]


@hookimpl
def pos_routes(settings):
    return _routes()


@hookimpl
def pos_apps(settings):
    return [App("waiter", "/waiter/", "Garçom (mesas)", FLOOR, icon="♦", position=15,
                description="Mapa do salão ao vivo: abrir mesa, lançar rodadas, pedir a conta")]


@hookimpl
def pos_static_assets(settings):
    return [StaticAssets("waiter", "/waiter", STATIC)]


@hookimpl
def pos_table_access():
    return [TableAccess("waiter", owns=("layouts", "tables"),
                        reads=("orders", "order_items", "payments", "kds_tickets", "users"))]


@hookimpl
def pos_settings():
    return [bill.SERVICE_CHARGE]


@hookimpl
async def pos_order_adjustments(conn, draft, settings):
    return await bill.service_charge(conn, draft, settings)


@hookimpl
def pos_subscriptions(settings, hooks):
    return [states.SUBSCRIPTION, bill.close_when_paid(hooks)]


@hookimpl
def pos_startup(runtime: Runtime) -> None:
    runtime.state[stream.STATE_KEY] = stream.Hub()


@hookimpl
def pos_broadcasts(runtime: Runtime):
    return [runtime.state[stream.STATE_KEY].broadcast()]


@hookimpl
def pos_shutdown(runtime: Runtime) -> None:
    runtime.state.pop(stream.STATE_KEY, None)


@hookimpl
async def pos_demo_data(conn, client_id, store_id):
    """Six tables in the demo store's dining room, drawn in two rows."""
    existing = {row["table_number"] for row in (await floor.list_store_tables(conn, store_id))}
    layout_id = await floor.default_layout(conn, client_id, store_id)
    for number in range(1, 7):
        if str(number) not in existing:
            await floor.add_table(conn, layout_id, str(number), capacity=4 if number < 5 else 6,
                                  section="Salão", pos_x=10 + 25 * ((number - 1) % 3),
                                  pos_y=15 + 35 * ((number - 1) // 3), width=15, height=15,
                                  shape="round" if number > 4 else "square")
