"""The back office ``/admin/``: its page (catalog, users, store settings, reports, audit log,
through the other plugins' APIs) and its reports' API."""

from __future__ import annotations

from pathlib import Path

from posmodern.core import hookimpl
from posmodern.core.api import ApiRoute, App, StaticAssets
from posmodern.core.ownership import TableAccess
from posmodern.plugins.backoffice import routes
from posmodern.plugins.backoffice.settings import REPORT_TIMEZONE

MANAGERS = frozenset({"admin", "manager"})
STATIC = Path(__file__).resolve().parent / "static"
REPORTS = "/api/v1/reports"


@hookimpl
def pos_routes(settings):
    tags = ("reports",)
    return [
        ApiRoute("reports.sales", "GET", REPORTS + "/sales", routes.sales, MANAGERS,
                 summary="Sales of a period by day, hour, product, category, payment method "
                         "or operator (format=csv: a spreadsheet)",
                 query=routes.SalesQuery, tags=tags),
        ApiRoute("reports.cancellations", "GET", REPORTS + "/cancellations",
                 routes.cancellations, MANAGERS, summary="The orders cancelled in a period",
                 query=routes.ReportQuery, tags=tags),
        ApiRoute("reports.discounts", "GET", REPORTS + "/discounts", routes.discounts,
                 MANAGERS, summary="The orders of a period sold with a discount",
                 query=routes.ReportQuery, tags=tags),
    ]


@hookimpl
def pos_static_assets(settings):
    return [StaticAssets("backoffice", "/admin", STATIC)]


@hookimpl
def pos_apps(settings):
    return [App("admin", "/admin/", "Retaguarda", MANAGERS, icon="⚙", position=50,
                description="Cardápio, usuários, configurações da loja, relatórios e auditoria")]


@hookimpl
def pos_settings():
    return [REPORT_TIMEZONE]


@hookimpl
def pos_table_access():
    return [TableAccess("backoffice", reads=("orders", "order_items", "payments", "products",
                                             "categories"))]
