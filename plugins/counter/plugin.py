"""The counter's hooks: the POS page, the drawer's shift routes and the card-terminal tender."""

from __future__ import annotations

from pathlib import Path

from posmodern.core import hookimpl
from posmodern.core.api import ApiRoute, App, StaticAssets
from posmodern.core.ownership import TableAccess
from posmodern.plugins.counter import menu, models, shifts
from posmodern.plugins.counter.terminal import CardTerminalProvider

CASHIERS = frozenset({"admin", "manager", "cashier"})
STATIC = Path(__file__).resolve().parent / "static"
API = "/api/v1/counter/shifts"
SHIFT = API + "/{shift_id:uuid}"


@hookimpl
def pos_routes(settings):
    tags = ("counter",)

    def route(name, method, path, endpoint, summary, **extra):
        return ApiRoute(f"counter.{name}", method, path, endpoint, CASHIERS, summary=summary,
                        tags=tags, **extra)

    return [
        route("menu", "GET", "/api/v1/counter/menu", menu.till_menu,
              "The store's active categories and products in one answer (the till's grid)"),
        route("shifts.list", "GET", API, shifts.list_shifts,
              "The store's shifts, newest first, with what each drawer should hold",
              query=models.ShiftQuery),
        route("shifts.open", "POST", API, shifts.open_shift,
              "Open the drawer's shift with the float counted in (409 if one is open)",
              body=models.ShiftOpen, status_code=201, idempotent=True),
        route("shifts.current", "GET", API + "/current", shifts.current_shift,
              "The open shift and what its drawer should hold now (null when none is open)"),
        route("shifts.get", "GET", SHIFT, shifts.get_shift, "One shift"),
        route("shifts.movement", "POST", SHIFT + "/movements", shifts.add_movement,
              "A sangria (cash out) or suprimento (cash in) of an open shift",
              body=models.MovementCreate, status_code=201, idempotent=True),
        route("shifts.read", "POST", SHIFT + "/reading", shifts.read_shift,
              "Leitura X: the open shift's report now (printed at the receipt printer when the "
              "peripherals plugin runs)"),
        route("shifts.close", "POST", SHIFT + "/close", shifts.close_shift,
              "Close the shift with the cash counted; answers expected and difference",
              body=models.ShiftClose, idempotent=True),
    ]


@hookimpl
def pos_apps(settings):
    return [App("pos", "/pos/", "Caixa (PDV)", CASHIERS, icon="R$", position=10,
                description="Vender no balcão: produtos, cliente, pagamento, turno do caixa")]


@hookimpl
def pos_static_assets(settings):
    return [StaticAssets("pos", "/pos", STATIC)]


@hookimpl
def pos_payment_providers(settings):
    return [CardTerminalProvider()]


@hookimpl
def pos_table_access():
    return [TableAccess("counter", owns=("cash_shifts", "cash_movements"),
                        reads=("payments", "products", "categories", "modifier_groups",
                               "product_modifier_groups"))]
