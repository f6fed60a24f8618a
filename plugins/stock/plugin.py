"""The stock plugin's hooks: its routes and the subscription that makes stock follow orders."""

from __future__ import annotations

from posmodern.core import hookimpl
from posmodern.core.api import ANY_ROLE, ApiRoute
from posmodern.core.ownership import TableAccess
from posmodern.plugins.stock import follow_orders, routes, stocktake

KEEPERS = frozenset({"admin", "manager", "kitchen"})
MANAGERS = frozenset({"admin", "manager"})
TAGS = ("stock",)


@hookimpl
def pos_routes(settings):
    return [
        ApiRoute("stock.items.list", "GET", "/api/v1/stock/items", routes.list_items, ANY_ROLE,
                 query=routes.ItemQuery, tags=TAGS,
                 summary="Stock items of the store (quantity, minimum, maximum, low)"),
        ApiRoute("stock.items.create", "POST", "/api/v1/stock/items", routes.create_item,
                 MANAGERS, body=routes.ItemCreate, status_code=201, idempotent=True, tags=TAGS,
                 summary="Track a product's stock"),
        ApiRoute("stock.items.get", "GET", "/api/v1/stock/items/{stock_item_id:uuid}",
                 routes.get_item, ANY_ROLE, tags=TAGS,
                 summary="One stock item and its latest movements"),
        ApiRoute("stock.items.update", "PATCH", "/api/v1/stock/items/{stock_item_id:uuid}",
                 routes.update_item, MANAGERS, body=routes.ItemUpdate, tags=TAGS,
                 summary="Change an item's minimum and maximum"),
        ApiRoute("stock.movements.create", "POST", "/api/v1/stock/movements",
                 routes.create_movement, KEEPERS, body=routes.MovementCreate, status_code=201,
                 idempotent=True, tags=TAGS,
                 summary="Record goods in, out, or a counted correction"),
        ApiRoute("stock.movements.list", "GET", "/api/v1/stock/movements", routes.list_movements,
                 ANY_ROLE, query=routes.MovementQuery, tags=TAGS,
                 summary="Movements, newest first (by item or reference)"),
    ]


@hookimpl
def pos_table_access():
    return [TableAccess("stock", owns=("stock_items", "stock_movements"),
                        reads=("products", "orders", "order_items"))]


@hookimpl
def pos_subscriptions(settings):
    return follow_orders.subscriptions()


@hookimpl(trylast=True)
async def pos_demo_data(conn, client_id, store_id):
    # After the catalog's menu (trylast): every demo product gets a shelf.
    await stocktake.stock_every_product(conn, client_id, store_id)
