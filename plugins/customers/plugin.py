"""The customers plugin's hooks: its HTTP routes."""

from __future__ import annotations

from posmodern.core import hookimpl
from posmodern.core.api import ApiRoute
from posmodern.core.ownership import TableAccess
from posmodern.plugins.customers import models, privacy, routes

SERVICE = frozenset({"admin", "manager", "cashier", "waiter", "integration"})
MANAGERS = frozenset({"admin", "manager"})
ONE = "/api/v1/customers/{customer_id:uuid}"


@hookimpl
def pos_table_access():
    return [TableAccess("customers", owns=("customers",))]


@hookimpl
def pos_routes(settings):
    tags = ("customers",)
    return [
        ApiRoute("customers.list", "GET", "/api/v1/customers", routes.list_customers, SERVICE,
                 summary="Find customers by phone, e-mail, CPF/CNPJ or name (cursor pages)",
                 query=models.CustomerQuery, tags=tags),
        ApiRoute("customers.create", "POST", "/api/v1/customers", routes.create_customer, SERVICE,
                 summary="Register a customer", body=models.CustomerCreate, status_code=201,
                 tags=tags),
        ApiRoute("customers.get", "GET", ONE, routes.get_customer, SERVICE,
                 summary="One customer", tags=tags),
        ApiRoute("customers.update", "PATCH", ONE, routes.update_customer, SERVICE,
                 summary="Change some fields of a customer", body=models.CustomerUpdate,
                 tags=tags),
        ApiRoute("customers.delete", "DELETE", ONE, routes.delete_customer, MANAGERS,
                 summary="Erase a customer (their orders stay, unlinked)", tags=tags),
        ApiRoute("customers.personal_data", "GET", ONE + "/personal-data", privacy.export_route,
                 MANAGERS, summary="Everything held about the customer (LGPD export, audited)",
                 tags=tags),
        ApiRoute("customers.erase", "POST", ONE + "/erase", privacy.erase_route, MANAGERS,
                 summary="Anonymise the customer everywhere; orders stay without personal data "
                         "(LGPD, audited)", tags=tags),
    ]


@hookimpl
def pos_legacy_importers(settings):
    from posmodern.plugins.customers.legacy import IMPORTERS
    return IMPORTERS


@hookimpl
async def pos_personal_data_export(conn, customer_id, store_id, settings):
    return await privacy.export_customer(conn, customer_id, store_id, settings)


@hookimpl
async def pos_personal_data_erase(conn, customer_id, store_id, settings):
    return await privacy.erase_customer(conn, customer_id, store_id, settings)
