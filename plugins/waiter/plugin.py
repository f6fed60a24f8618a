"""The waiter plugin's hooks: tables, and their occupancy driven by order events."""

from __future__ import annotations

from posmodern.core import hookimpl
from posmodern.core.api import ApiRoute
from posmodern.core.ownership import TableAccess
from posmodern.plugins.waiter import occupancy, routes

FLOOR = frozenset({"admin", "manager", "cashier", "waiter"})
ROOM_EDITORS = frozenset({"admin", "manager"})


@hookimpl
def pos_routes(settings):
    tags = ("waiter",)
    return [
        ApiRoute("waiter.tables.list", "GET", "/api/v1/waiter/tables", routes.list_tables, FLOOR,
                 summary="The store's tables and their state", tags=tags),
        ApiRoute("waiter.tables.create", "POST", "/api/v1/waiter/tables", routes.create_table,
                 ROOM_EDITORS, summary="Add a table", body=routes.TableCreate, status_code=201,
                 tags=tags),
        ApiRoute("waiter.tables.get", "GET", "/api/v1/waiter/tables/{table_id:uuid}",
                 routes.get_table, FLOOR, summary="One table", tags=tags),
    ]


@hookimpl
def pos_table_access():
    return [TableAccess("waiter", owns=("layouts", "tables"), reads=("orders",))]


@hookimpl
def pos_subscriptions(settings):
    return [occupancy.SUBSCRIPTION]


@hookimpl
async def pos_demo_data(conn, client_id, store_id):
    """Six tables in the demo store's dining room."""
    existing = {row["table_number"] for row in (await routes.list_store_tables(conn, store_id))}
    layout_id = await routes.default_layout(conn, client_id, store_id)
    for number in range(1, 7):
        if str(number) not in existing:
            await routes.add_table(conn, layout_id, str(number), capacity=4 if number < 5 else 6,
                                   section="Salão")
