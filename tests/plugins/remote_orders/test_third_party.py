"""A marketplace from a third party's own package (tests/fixtures/marketplace, found through
its entry point like any plugin): its orders are taken and confirmed like iFood's."""

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from posmodern.hosts.app import create_app
from support.api import Api, make_tenant
from support.remote_orders import add_menu, poll, remote_orders
from support.tenant_db import wait_for

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "marketplace"
PLUGINS = ["auth", "catalog", "orders", "payments", "settings", "remote_orders", "balcao"]


@pytest.fixture
def api(remote_settings, monkeypatch):
    monkeypatch.syspath_prepend(str(FIXTURE))
    with TestClient(create_app(remote_settings, plugins=PLUGINS)) as client:
        yield Api(client, make_tenant(remote_settings))


def test_a_third_party_marketplace_takes_orders(api):
    from pos_balcao_market import BOARD

    add_menu(api)
    merchant = f"b-{api.tenant.client_id}"
    assert api.patch("/api/v1/settings", json={"BALCAO_MERCHANT_ID": merchant}).status_code == 200
    BOARD.place("B-100", merchant, "XB", "2", "26.90")
    [report] = poll(api)
    assert report["channel"] == "balcao" and report["taken"] == ["B-100"]
    [order] = remote_orders(api)
    assert (order["external_id"], order["total"], order["payment_status"]) == (
        "B-100", "53.80", "PAID")
    wait_for(lambda: poll(api) and ("B-100", "confirm") in BOARD.told)
    assert BOARD.events == []
