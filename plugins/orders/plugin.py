"""The orders plugin's hooks: its HTTP routes and settings, its tables, the payment status it
records and the kitchen's progress it applies."""

from __future__ import annotations

from posmodern.core import hookimpl
from posmodern.core.api import ApiRoute
from posmodern.core.ownership import TableAccess
from posmodern.plugins.orders import kitchen, models, placing, pricing, routes, transfer
from posmodern.plugins.orders.payment_status import FOLLOW_PAYMENTS, record_payment_status

STAFF = frozenset({"admin", "manager", "cashier", "waiter", "kitchen", "integration"})
TAKERS = frozenset({"admin", "manager", "cashier", "waiter", "kiosk", "integration"})
SERVERS = frozenset({"admin", "manager", "cashier", "waiter"})
ONE = "/api/v1/orders/{order_id:uuid}"


@hookimpl
def pos_table_access():
    return [TableAccess("orders", owns=("orders", "order_items"),
                        reads=("products", "modifier_groups", "product_modifier_groups",
                               "customers", "layouts", "tables"))]


@hookimpl
async def pos_order_payment_status(conn, order_id, payment_status):
    await record_payment_status(conn, order_id, payment_status)


@hookimpl
async def pos_order_kitchen_status(conn, order_id, status, hooks):
    await kitchen.advance(conn, hooks, order_id, status)


@hookimpl
async def pos_order_place(conn, runtime, request):
    view, _encoded = await placing.place(conn, runtime, request)
    return view


@hookimpl
async def pos_order_add_items(conn, runtime, store_id, order_id, items, while_cooking):
    return await placing.add_round(conn, runtime, store_id, order_id, items,
                                   while_cooking=while_cooking)


@hookimpl
async def pos_order_transfer(conn, runtime, store_id, order_id, item_ids, to_order_id,
                             to_table_id):
    return await transfer.transfer(conn, runtime, store_id, order_id, item_ids, to_order_id,
                                   to_table_id)


@hookimpl
async def pos_order_move(conn, runtime, store_id, order_id, status):
    return await placing.move(conn, runtime, store_id, order_id, status)


@hookimpl
def pos_subscriptions(settings, hooks):
    return [FOLLOW_PAYMENTS, kitchen.follow_kitchen(hooks)]


@hookimpl
def pos_settings():
    return pricing.SETTINGS


@hookimpl
def pos_routes(settings):
    tags = ("orders",)
    return [
        ApiRoute("orders.create", "POST", "/api/v1/orders", routes.create_order, TAKERS,
                 summary="Place an order (priced from the catalog; send an Idempotency-Key)",
                 body=models.OrderCreate, status_code=201, idempotent=True, tags=tags,
                 response_description="The order, numbered and priced"),
        ApiRoute("orders.list", "GET", "/api/v1/orders", routes.list_orders, STAFF,
                 summary="Orders, newest first, with their items (cursor pages)",
                 query=models.OrderQuery, tags=tags),
        ApiRoute("orders.get", "GET", ONE, routes.get_order, STAFF, summary="One order",
                 tags=tags),
        ApiRoute("orders.status", "POST", ONE + "/status", routes.change_status, STAFF,
                 summary="Move an order along its lifecycle (409 names the allowed next states)",
                 body=models.StatusChange, idempotent=True, tags=tags),
        ApiRoute("orders.items.add", "POST", ONE + "/items", routes.add_items, SERVERS,
                 summary="Add items while the order is PENDING or CONFIRMED",
                 body=models.ItemsAdd, idempotent=True, tags=tags),
        ApiRoute("orders.items.remove", "DELETE", ONE + "/items/{item_id:uuid}",
                 routes.remove_item, SERVERS,
                 summary="Remove an item while the order is PENDING or CONFIRMED", tags=tags),
    ]


@hookimpl
def pos_legacy_importers(settings):
    from posmodern.plugins.orders.legacy import IMPORTERS
    return IMPORTERS


@hookimpl
async def pos_personal_data_export(conn, customer_id, store_id, settings):
    from posmodern.plugins.orders.privacy import export_orders
    return await export_orders(conn, customer_id, store_id)


@hookimpl
async def pos_personal_data_erase(conn, customer_id, store_id, settings):
    from posmodern.plugins.orders.privacy import erase_orders
    return await erase_orders(conn, customer_id, store_id)
