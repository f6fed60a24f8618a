"""The SAT plugin's hooks (legacy CF-e through a store's SAT or MF-e): its API, settings, table
and migrations, the CF-e of paid orders and the sender that takes them to the device.

Off by default: a store issues CF-e only once it sets ``POS_SAT_ENABLED`` (and not while it
issues NFC-e); São Paulo is refused (SAT not accepted there since 2026-01-01).
"""

from __future__ import annotations

from pathlib import Path

from posmodern.core import hookimpl
from posmodern.core.api import ApiRoute
from posmodern.core.migrations import MigrationBranch
from posmodern.core.ownership import TableAccess
from posmodern.plugins.sat import extrato, issuing, routes, settings
from posmodern.plugins.sat.sender import Sender
from posmodern.plugins.sat.tables import metadata

NAME = "sat"
MANAGERS = frozenset({"admin", "manager"})
CASHIERS = frozenset({"admin", "manager", "cashier"})
BASE = "/api/v1/sat/documents"


@hookimpl
def pos_routes(settings):
    tags = ("sat",)
    return [
        ApiRoute("sat.documents.list", "GET", BASE, routes.list_documents, CASHIERS,
                 summary="CF-e of the store, newest first (by order, by status)", tags=tags,
                 query=routes.DocumentQuery),
        ApiRoute("sat.documents.cancel", "POST", BASE + "/{document_id:uuid}/cancel",
                 routes.cancel_document, MANAGERS, tags=tags, errors=(504,),
                 summary="Cancel an authorised CF-e through the SAT (CancelarUltimaVenda), "
                         "within 30 minutes of its emission"),
    ]


@hookimpl
def pos_settings():
    return settings.ALL


@hookimpl
def pos_migrations():
    return [MigrationBranch(NAME, Path(__file__).parent / "versions", metadata)]


@hookimpl
def pos_table_access():
    return [TableAccess(NAME, owns=("sat_documents",),
                        reads=("orders", "order_items", "fiscal_products"))]


@hookimpl
def pos_subscriptions(settings, hooks):
    return issuing.subscriptions(settings)


@hookimpl
async def pos_receipt_extras(conn, order_id, store_id):
    return await extrato.receipt_extras(conn, order_id, store_id)


@hookimpl
async def pos_startup(runtime):
    extrato.PROCESS["settings"] = runtime.settings
    sender = Sender(runtime)
    runtime.state[NAME] = sender
    sender.start()


@hookimpl
async def pos_shutdown(runtime):
    sender = runtime.state.pop(NAME, None)
    if sender is not None:
        await sender.stop()
