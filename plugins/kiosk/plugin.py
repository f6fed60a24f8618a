"""The kiosk plugin's hooks: its menu and orders API, its page, its table, its settings, the
subscription that sends paid orders to the kitchen and the sweep that cancels unpaid ones."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from posmodern.core import hookimpl
from posmodern.core.api import ApiRoute, StaticAssets
from posmodern.core.ownership import TableAccess
from posmodern.core.runtime import Runtime
from posmodern.plugins.kiosk import expiry, menu, models, ordering
from posmodern.plugins.kiosk.settings import PLUGIN, SETTINGS, KioskState

STATIC = Path(__file__).resolve().parent / "static"
#: The kiosk device itself, and the staff who look after it.
KIOSK = frozenset({"kiosk", "admin", "manager", "cashier"})
API = "/api/v1/kiosk"


@hookimpl
def pos_settings():
    return SETTINGS


@hookimpl
def pos_routes(settings):
    tags = ("kiosk",)
    return [
        ApiRoute("kiosk.menu", "GET", API + "/menu", menu.get_menu, KIOSK, tags=tags,
                 summary="The store's available products and their categories (cached)"),
        ApiRoute("kiosk.orders.create", "POST", API + "/orders", ordering.create_order, KIOSK,
                 body=models.KioskOrderCreate, status_code=201, idempotent=True,
                 own_transactions=True, errors=(502, 503, 504), tags=tags,
                 summary="Place a self-service order: PIX on the screen, or pay at the counter"),
        ApiRoute("kiosk.orders.get", "GET", API + "/orders/{kiosk_order_id:uuid}",
                 ordering.get_order, KIOSK, tags=tags,
                 summary="A kiosk order: waiting for payment, sent to the kitchen, or expired"),
    ]


@hookimpl
def pos_static_assets(settings):
    return [StaticAssets("kiosk", "/kiosk", STATIC)]


@hookimpl
def pos_table_access():
    return [TableAccess("kiosk", owns=("kiosk_orders",),
                        reads=("orders", "products", "categories", "modifier_groups",
                               "product_modifier_groups"))]


@hookimpl
def pos_subscriptions(settings):
    return [ordering.PaymentFollower().subscription()]


@hookimpl
def pos_broadcasts(runtime: Runtime):
    return [menu.cache_clearer(runtime)]


@hookimpl
def pos_startup(runtime: Runtime) -> None:
    state = runtime.state[PLUGIN] = KioskState(runtime)
    ordering.PaymentFollower.bind(runtime)
    state.tasks.append(asyncio.get_running_loop().create_task(expiry.run_sweeps(runtime),
                                                              name="kiosk-sweeps"))


@hookimpl
async def pos_shutdown(runtime: Runtime) -> None:
    state = runtime.state.pop(PLUGIN, None)
    for task in state.tasks if state else ():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
