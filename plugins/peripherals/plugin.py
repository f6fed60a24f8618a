"""The peripherals plugin's hooks: routes, the drivers it brings, the spool's start and stop,
its subscriptions and settings."""

from __future__ import annotations

from posmodern.core import hookimpl
from posmodern.core.api import ANY_ROLE, ApiRoute
from posmodern.core.asyncio_hooks import collect
from posmodern.core.ownership import TableAccess
from posmodern.core.peripherals import driver_registry
from posmodern.plugins.peripherals import (
    drivers,
    follow_events,
    job_routes,
    printers,
    scales,
    settings,
)
from posmodern.plugins.peripherals.spool import Spool
from posmodern.plugins.peripherals.state import NAME

MANAGERS = frozenset({"admin", "manager"})
CASHIERS = frozenset({"admin", "manager", "cashier"})
STAFF = frozenset({"admin", "manager", "cashier", "waiter", "kitchen"})
TAGS = ("peripherals",)
BASE = "/api/v1/peripherals"
PRINTER = BASE + "/printers/{printer_id:uuid}"
SCALE = BASE + "/scales/{scale_id:uuid}"


@hookimpl
def pos_routes(settings):
    return [
        ApiRoute("peripherals.drivers", "GET", BASE + "/drivers", printers.list_drivers,
                 ANY_ROLE, tags=TAGS, summary="Printer drivers and code-page profiles"),
        ApiRoute("peripherals.printers.list", "GET", BASE + "/printers", printers.list_printers,
                 ANY_ROLE, tags=TAGS, summary="The store's printers (and whether they answer)"),
        ApiRoute("peripherals.printers.create", "POST", BASE + "/printers",
                 printers.create_printer, MANAGERS, body=printers.PrinterCreate,
                 status_code=201, tags=TAGS, summary="Register a printer"),
        ApiRoute("peripherals.printers.get", "GET", PRINTER, printers.get_printer, ANY_ROLE,
                 tags=TAGS, summary="One printer"),
        ApiRoute("peripherals.printers.update", "PATCH", PRINTER, printers.update_printer,
                 MANAGERS, body=printers.PrinterUpdate, tags=TAGS, summary="Change a printer"),
        ApiRoute("peripherals.printers.delete", "DELETE", PRINTER, printers.delete_printer,
                 MANAGERS, tags=TAGS,
                 summary="Remove a printer (its queued jobs go to another of its role)"),
        ApiRoute("peripherals.printers.test", "POST", PRINTER + "/test", printers.test_page,
                 MANAGERS, status_code=202, tags=TAGS, summary="Queue a test page"),
        ApiRoute("peripherals.jobs.list", "GET", BASE + "/print-jobs", job_routes.list_jobs,
                 STAFF, query=job_routes.JobQuery, tags=TAGS,
                 summary="Print jobs, newest first (by status, kind, printer, order)"),
        ApiRoute("peripherals.jobs.get", "GET", BASE + "/print-jobs/{job_id:uuid}",
                 job_routes.get_job, STAFF, tags=TAGS, summary="One print job"),
        ApiRoute("peripherals.jobs.reprint", "POST",
                 BASE + "/print-jobs/{job_id:uuid}/reprint", job_routes.reprint, STAFF,
                 status_code=201, tags=TAGS, errors=(410,),
                 summary="Print a job of the last 7 days again, marked REIMPRESSÃO"),
        ApiRoute("peripherals.drawer.open", "POST", BASE + "/cash-drawer/open",
                 job_routes.open_drawer, CASHIERS, body=job_routes.DrawerOpen,
                 status_code=202, tags=TAGS, summary="Open the cash drawer (audited)"),
        ApiRoute("peripherals.scales.list", "GET", BASE + "/scales", scales.list_scales,
                 ANY_ROLE, tags=TAGS, summary="The store's scales"),
        ApiRoute("peripherals.scales.create", "POST", BASE + "/scales", scales.create_scale,
                 MANAGERS, body=scales.ScaleCreate, status_code=201, tags=TAGS,
                 summary="Register a serial scale"),
        ApiRoute("peripherals.scales.delete", "DELETE", SCALE, scales.delete_scale, MANAGERS,
                 tags=TAGS, summary="Remove a scale"),
        ApiRoute("peripherals.scales.weight", "GET", SCALE + "/weight", scales.weight,
                 CASHIERS | {"waiter"}, tags=TAGS, errors=(504,),
                 summary="The weight on the scale in kg (409 while it moves)"),
    ]


@hookimpl
def pos_printer_drivers(settings):
    return drivers.BUILT_IN


@hookimpl
async def pos_startup(runtime):
    found = await collect(runtime.pm.hook.pos_printer_drivers, settings=runtime.settings)
    spool = Spool(runtime, driver_registry(found))
    runtime.state[NAME] = spool
    spool.start()


@hookimpl
async def pos_shutdown(runtime):
    spool = runtime.state.pop(NAME, None)
    if spool is not None:
        await spool.stop()


@hookimpl
def pos_subscriptions(settings, hooks):
    return follow_events.subscriptions(settings, hooks)


@hookimpl
def pos_table_access():
    return [TableAccess("peripherals", owns=("printers", "print_jobs", "scales"),
                        reads=("products", "categories", "orders", "order_items",
                               "kds_stations"))]


@hookimpl
def pos_settings():
    return settings.ALL
