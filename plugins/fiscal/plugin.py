"""The fiscal plugin's hooks: its API, settings, tables, the NFC-e of paid orders, the sender,
and the receipt's fiscal lines."""

from __future__ import annotations

from posmodern.core import hookimpl
from posmodern.core.api import ANY_ROLE, ApiRoute
from posmodern.core.ownership import TableAccess
from posmodern.plugins.fiscal import (
    follow_payments, health, models, products, routes, settings)
from posmodern.plugins.fiscal.issuer import certificate_warnings
from posmodern.plugins.fiscal.reconcile_schedule import (  # noqa: F401 - its hooks
    start_reconcile_schedule, stop_reconcile_schedule)
from posmodern.plugins.fiscal.sender import Sender
from posmodern.plugins.fiscal.state import NAME
from posmodern.schema.types import utcnow

MANAGERS = frozenset({"admin", "manager"})
CASHIERS = frozenset({"admin", "manager", "cashier"})
TAGS = ("fiscal",)
BASE = "/api/v1/fiscal"
DOCUMENT = BASE + "/documents/{document_id:uuid}"
PRODUCT = BASE + "/products/{product_id:uuid}"


@hookimpl
def pos_routes(settings):
    def route(name, method, path, endpoint, roles, summary, **extra):
        return ApiRoute(f"fiscal.{name}", method, path, endpoint, roles, summary=summary,
                        tags=TAGS, **extra)

    return [
        route("documents.list", "GET", BASE + "/documents", routes.list_documents, CASHIERS,
              "NFC-e of the store, newest first (by order, by status)",
              query=models.DocumentQuery),
        route("documents.create", "POST", BASE + "/documents", routes.create_document,
              CASHIERS, "Issue a paid order's NFC-e now (409 listing what is missing)",
              body=models.DocumentCreate, status_code=201),
        route("documents.get", "GET", DOCUMENT, routes.get_document, CASHIERS,
              "One NFC-e: status, key, protocol, SEFAZ's last answer"),
        route("documents.xml", "GET", DOCUMENT + "/xml", routes.document_xml, CASHIERS,
              "The signed XML (with its protocol once authorised)"),
        route("documents.danfe", "GET", DOCUMENT + "/danfe.html", routes.document_danfe,
              CASHIERS, "The DANFE NFC-e as one self-contained HTML page (for e-mail)"),
        route("documents.email", "POST", DOCUMENT + "/email", routes.email_danfe, CASHIERS,
              "E-mail the DANFE NFC-e (HTML, the XML attached) to the consumer's address "
              "through the store's SMTP server", body=models.DocumentEmail,
              errors=(502, 504)),
        route("documents.cancel", "POST", DOCUMENT + "/cancel", routes.cancel_document,
              MANAGERS, "Cancel an authorised NFC-e within the legal window (event 110111), or "
              "by substitution with the key of the note that replaced it (event 110112)",
              body=models.DocumentCancel, errors=(504,)),
        route("status", "GET", BASE + "/status", health.status, MANAGERS,
              "The store's NFC-e health: certificate expiry, contingency outstanding, alerts"),
        route("products.list", "GET", BASE + "/products", products.list_products, ANY_ROLE,
              "Fiscal data of the store's products"),
        route("products.get", "GET", PRODUCT, products.get_product, ANY_ROLE,
              "A product's fiscal data"),
        route("products.put", "PUT", PRODUCT, products.put_product, MANAGERS,
              "Set a product's fiscal data (NCM, CFOP, CST/CSOSN, origin, IBS/CBS)",
              body=models.ProductFiscal),
        route("products.delete", "DELETE", PRODUCT, products.delete_product, MANAGERS,
              "Remove a product's fiscal data"),
    ]


@hookimpl
def pos_settings():
    return settings.ALL


@hookimpl
def pos_commands():
    from posmodern.plugins.fiscal.cli import fiscal

    return [fiscal]


@hookimpl
def pos_table_access():
    return [TableAccess("fiscal", owns=("fiscal_documents", "fiscal_series", "fiscal_products"),
                        reads=("orders", "order_items", "products", "payments"))]


@hookimpl
def pos_subscriptions(settings, hooks):
    return follow_payments.subscriptions(settings)


@hookimpl
async def pos_startup(runtime):
    follow_payments.PROCESS["settings"] = runtime.settings
    sender = Sender(runtime)
    runtime.state[NAME] = sender
    sender.start()


@hookimpl
def pos_ready_warnings(runtime):
    found = runtime.state.get(NAME)
    return [*(found.warnings() if found is not None else []),
            *certificate_warnings(utcnow())]


@hookimpl
async def pos_shutdown(runtime):
    sender = runtime.state.pop(NAME, None)
    if sender is not None:
        await sender.stop()


@hookimpl
async def pos_receipt_extras(conn, order_id, store_id):
    return await follow_payments.receipt_extras(conn, order_id, store_id)
