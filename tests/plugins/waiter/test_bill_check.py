"""A table asks for its bill: the receipt printer prints its "conferência" (not fiscal), with
what was paid already and what remains."""

from __future__ import annotations

import pytest
from posmodern.hosts.app import create_app
from starlette.testclient import TestClient
from support.api import Api, make_tenant
from support.fake_printer import NetworkPrinter
from support.menu import create_menu
from support.peripherals import add_printer
from support.settings import make_settings
from support.tenant_db import wait_for
from support.tenders import pay

from .conftest import line

FAST = {"POS_PRINT_POLL_SECONDS": "0.1", "POS_PRINT_SCAN_SECONDS": "0.2"}


@pytest.fixture
def api(database_url, tmp_path, exchange):
    settings = make_settings(database_url, tmp_path, exchange=exchange, **FAST)
    plugins = ["auth", "catalog", "orders", "waiter", "payments", "peripherals", "settings"]
    with TestClient(create_app(settings, plugins=plugins)) as client:
        yield Api(client, make_tenant(settings))


@pytest.fixture
def printer():
    device = NetworkPrinter().start()
    yield device
    device.stop()


def test_the_conference_slip_shows_the_tab_and_what_remains(api, printer):
    add_printer(api, "Caixa", role="receipt", connection=printer.connection)
    api.patch("/api/v1/settings", json={"POS_SERVICE_CHARGE_PERCENT": "10"})
    menu = create_menu(api)
    table = api.post("/api/v1/waiter/tables", json={"table_number": "4", "capacity": 4}).json()
    url = f"/api/v1/waiter/tables/{table['table_id']}"
    tab = api.post(url + "/rounds", "waiter", json={"items": [line(menu, "X-Burger", "2")]})
    assert tab.json()["order"]["total"] == "59.18"  # 53.80 and 10 %
    assert pay(api, tab.json()["order"]["order_id"], "cash", "20.00").status_code == 201
    assert api.post(url + "/bill", "waiter").status_code == 200
    text = wait_for(lambda: "A PAGAR" in printer.text() and printer.text())
    assert "CONFERÊNCIA - MESA 4" in text and "NÃO É DOCUMENTO FISCAL" in text
    assert "2x X-Burger" in text and "Taxa de serviço (10%)" in text
    assert "Já pago" in text and "R$ 20,00" in text and "R$ 39,18" in text
