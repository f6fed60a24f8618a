"""The three order hooks, proven by a third-party plugin installed from its own package: the
Brazilian "taxa de serviço" (tests/fixtures/service_charge), through the real HTTP API.

A table order pays a 10 % service charge (``pos_order_adjustments``), a table order with more
than 20 of one product is refused (``pos_order_validate``), and a table order completed or
cancelled publishes ``service_charge.settled`` in the status change's own transaction
(``pos_order_status_changed``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from posmodern.core import hookimpl
from posmodern.core.errors import Conflict
from posmodern.core.plugins import get_plugin_manager
from posmodern.hosts.app import create_app
from posmodern.schema.tables import order_items, orders, outbox
from support.api import Api, assert_error, make_tenant
from support.menu import create_menu, order_body
from support.tenant_db import counts, events

SERVICE_CHARGE = Path(__file__).resolve().parents[2] / "fixtures" / "service_charge"
PLUGINS = ["auth", "catalog", "customers", "orders", "waiter", "settings", "service_charge"]
FEE = "Taxa de serviço (10%)"
TO_DELIVERED = ("CONFIRMED", "IN_PREPARATION", "READY", "DELIVERED")


class UnpaidTablesStayOpen:
    """A plugin of this test: a table order cannot be completed (its reaction runs after the
    service charge's, so its refusal must undo what the service charge did)."""

    @hookimpl(trylast=True)
    async def pos_order_status_changed(self, conn, order, previous, new):
        if new == "COMPLETED" and order["table_id"] is not None:
            raise Conflict("the bill of this table is not paid", code="bill_not_paid")


@pytest.fixture
def app_settings(settings, monkeypatch):
    monkeypatch.syspath_prepend(str(SERVICE_CHARGE))
    return settings


def _serve(settings, *extra):
    pm = get_plugin_manager(PLUGINS, extra=extra)
    return TestClient(create_app(settings, pm=pm))


@pytest.fixture
def api(app_settings):
    with _serve(app_settings) as client:
        yield Api(client, make_tenant(app_settings))


@pytest.fixture
def menu(api):
    return create_menu(api)


@pytest.fixture
def table_id(api):
    made = api.post("/api/v1/waiter/tables", json={"table_number": "12", "capacity": 4})
    assert made.status_code == 201, made.text
    return made.json()["table_id"]


def _order(api, menu, *lines, role="waiter", **extra):
    made = api.post("/api/v1/orders", role, json=order_body(menu, *lines, **extra))
    assert made.status_code == 201, made.text
    return made.json()


def _move(api, order_id, *statuses):
    for status in statuses:
        moved = api.post(f"/api/v1/orders/{order_id}/status", "manager", json={"status": status})
        assert moved.status_code == 200, moved.text
    return moved.json()


def test_the_plugin_is_installed_from_its_own_package(app_settings):
    pm = get_plugin_manager(PLUGINS)
    assert pm.infos["service_charge"].distribution == "pos-service-charge"
    assert pm.hooks_of("service_charge") == ["pos_order_adjustments",
                                             "pos_order_status_changed", "pos_order_validate",
                                             "pos_settings"]


def test_a_table_order_pays_ten_percent_of_what_is_left_after_the_discount(
        app_settings, api, menu, table_id):
    # 2 x 26.90 + 6.50 = 60.30; less a 0.25 discount 60.05; 10 % is 6.005, a till rounds up.
    order = _order(api, menu, ("X-Burger", "2"), ("Guaraná lata", "1"), role="manager",
                   table_id=table_id, discount="0.25")
    assert order["adjustments"] == [{"name": FEE, "kind": "fee", "amount": "6.01"}]
    assert (order["subtotal"], order["tax"], order["discount"], order["total"]) == (
        "60.30", "0.00", "0.25", "66.06")
    assert api.get(f"/api/v1/orders/{order['order_id']}").json()["total"] == "66.06"

    # A new round is priced again through the hook: 72.30 - 0.25 = 72.05, fee 7.205 -> 7.21.
    added = api.post(f"/api/v1/orders/{order['order_id']}/items", "waiter",
                     json={"items": [{"product_id": menu["Pudim de leite"]["product_id"],
                                      "quantity": "1"}]})
    assert added.status_code == 200, added.text
    assert added.json()["adjustments"] == [{"name": FEE, "kind": "fee", "amount": "7.21"}]
    assert added.json()["total"] == "79.26"
    created = events(app_settings, api.tenant.client_id, "order.created")[0]
    assert created["data"]["adjustments"] == order["adjustments"]


def test_a_store_sets_its_own_percentage_through_the_settings_api(api, menu, table_id):
    changed = api.patch("/api/v1/settings", json={"SERVICE_CHARGE_PERCENT": "12.5"})
    assert changed.status_code == 200, changed.text
    # 2 x 26.90 = 53.80; 12.5 % is 6.725 -> 6.73.
    order = _order(api, menu, ("X-Burger", "2"), table_id=table_id)
    assert order["adjustments"] == [
        {"name": "Taxa de serviço (12.5%)", "kind": "fee", "amount": "6.73"}]
    assert order["total"] == "60.53"

    assert api.patch("/api/v1/settings", json={"SERVICE_CHARGE_PERCENT": "0"}).status_code == 200
    assert _order(api, menu, ("X-Burger", "2"), table_id=table_id)["adjustments"] == []
    too_high = api.patch("/api/v1/settings", json={"SERVICE_CHARGE_PERCENT": "35"})
    assert_error(too_high, 422)


def test_a_takeaway_order_pays_no_service_charge(api, menu):
    order = _order(api, menu, ("X-Burger", "2"), ("Guaraná lata", "1"), role="cashier")
    assert order["adjustments"] == []
    assert order["total"] == order["subtotal"] == "60.30"


def test_a_table_order_with_too_many_of_one_product_is_refused_and_nothing_written(
        app_settings, api, menu, table_id):
    settings, client_id = app_settings, api.tenant.client_id
    before = counts(settings, client_id, orders, order_items, outbox)
    # 15 and 6 of one product on two lines are 21 of it.
    refused = assert_error(api.post("/api/v1/orders", "waiter", json=order_body(
        menu, ("X-Burger", "15"), ("Guaraná lata", "2"), ("X-Burger", "6"), table_id=table_id)),
        422, "too_many_of_one_product")
    assert [(p["product_id"], p["quantity"]) for p in refused["details"]] == [
        (menu["X-Burger"]["product_id"], "21.000")]
    assert "X-Burger" in refused["details"][0]["msg"]
    assert counts(settings, client_id, orders, order_items, outbox) == before

    # The rule is the restaurant's for its tables: the counter sells a party's 21 burgers.
    assert _order(api, menu, ("X-Burger", "21"), role="cashier")["subtotal"] == "564.90"

    # A round that takes a table order past 20 is refused too, and the order stays as it was.
    order = _order(api, menu, ("X-Burger", "20"), table_id=table_id)
    before = counts(settings, client_id, orders, order_items, outbox)
    assert_error(api.post(f"/api/v1/orders/{order['order_id']}/items", "waiter", json={
        "items": [{"product_id": menu["X-Burger"]["product_id"], "quantity": "1"}]}),
        422, "too_many_of_one_product")
    assert counts(settings, client_id, orders, order_items, outbox) == before
    assert api.get(f"/api/v1/orders/{order['order_id']}").json()["total"] == order["total"]


def test_closing_a_table_order_settles_its_service_charge_with_the_status_change(
        app_settings, api, menu, table_id):
    settings, client_id = app_settings, api.tenant.client_id
    served = _order(api, menu, ("Misto quente", "3"), table_id=table_id)  # 42.00, fee 4.20
    _move(api, served["order_id"], *TO_DELIVERED)
    assert events(settings, client_id, "service_charge.settled") == []
    _move(api, served["order_id"], "COMPLETED")
    walked_out = _order(api, menu, ("Suco de laranja", "1"), table_id=table_id)  # fee 0.90
    _move(api, walked_out["order_id"], "CANCELLED")
    takeaway = _order(api, menu, ("Suco de laranja", "1"), role="cashier")
    _move(api, takeaway["order_id"], *TO_DELIVERED, "COMPLETED")

    settled = events(settings, client_id, "service_charge.settled")
    assert [(e["data"]["order_id"], e["data"]["status"], e["data"]["service_charge"],
             e["data"]["earned"]) for e in settled] == [
        (served["order_id"], "COMPLETED", "4.20", "4.20"),
        (walked_out["order_id"], "CANCELLED", "0.90", "0.00")]
    assert settled[0]["data"]["table_id"] == table_id
    assert settled[0]["client_id"] == client_id and settled[0]["store_id"] == "store-1"


def test_the_reaction_rolls_back_with_a_refused_status_change(app_settings):
    with _serve(app_settings, ("unpaid_tables", UnpaidTablesStayOpen())) as client:
        api = Api(client, make_tenant(app_settings))
        menu = create_menu(api)
        table = api.post("/api/v1/waiter/tables", json={"table_number": "3", "capacity": 2})
        order = _order(api, menu, ("X-Burger", "1"), table_id=table.json()["table_id"])
        _move(api, order["order_id"], *TO_DELIVERED)
        assert_error(api.post(f"/api/v1/orders/{order['order_id']}/status", "manager",
                              json={"status": "COMPLETED"}), 409, "bill_not_paid")
        assert api.get(f"/api/v1/orders/{order['order_id']}").json()["status"] == "DELIVERED"
        assert events(app_settings, api.tenant.client_id, "service_charge.settled") == []
        # Cancelling is allowed by both plugins: the service charge is settled (as not earned).
        _move(api, order["order_id"], "CANCELLED")
        settled = events(app_settings, api.tenant.client_id, "service_charge.settled")
        assert [(e["data"]["status"], e["data"]["earned"]) for e in settled] == [
            ("CANCELLED", "0.00")]
