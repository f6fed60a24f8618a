"""``pos_payment_take``: another plugin of the process takes a tender during its own request (a
kiosk's PIX charge) through the payments plugin, with the API's checks and answers."""

from decimal import Decimal

import pytest
from starlette.testclient import TestClient

from posmodern.core import hookimpl
from posmodern.core.api import ANY_ROLE, ApiRoute, Reply
from posmodern.core.payments import take_payment
from posmodern.core.plugins import get_plugin_manager
from posmodern.hosts.app import create_app
from posmodern.schema.tables import payments
from support.api import Api, assert_error, make_tenant
from support.tenant_db import count, wait_for
from support.tenders import MARIA, webhook


class Taker:
    """A plugin taking a tender of the order in its path: ``?method=pix&amount=29.70``."""

    @hookimpl
    def pos_routes(self, settings):
        async def take(ctx):
            params = ctx.request.query_params
            payment = await take_payment(ctx, ctx.path["order_id"], params["method"],
                                         Decimal(params["amount"]), customer=MARIA,
                                         description="Totem")
            return Reply(payment, 201)
        return [ApiRoute("taker.take", "POST", "/api/v1/taker/{order_id:uuid}", take, ANY_ROLE,
                         own_transactions=True)]


def _api(settings, plugins):
    pm = get_plugin_manager(plugins, extra=[("taker", Taker())])
    client = TestClient(create_app(settings, pm=pm))
    return client, Api(client, make_tenant(settings, roles=("admin", "cashier", "kiosk")))


@pytest.fixture
def taker(pay_settings):
    client, api = _api(pay_settings, ["auth", "catalog", "orders", "payments"])
    with client:
        yield api


def test_a_plugin_takes_a_pix_charge_that_the_webhook_pays(taker, asaas, pay_settings):
    product = taker.post("/api/v1/products", json={"name": "Prato", "price": "29.70"}).json()
    order = taker.post("/api/v1/orders", "kiosk", json={"items": [
        {"product_id": product["product_id"], "quantity": "1"}]}).json()
    path = f"/api/v1/taker/{order['order_id']}"
    taken = taker.post(path, "kiosk", params={"method": "pix", "amount": "29.70"})
    assert taken.status_code == 201, taken.text
    payment = taken.json()
    assert payment["status"] == "PENDING" and payment["amount"] == "29.70"
    assert payment["details"]["pix"]["payload"].startswith("000201")
    charge = asaas.charge_for(payment["payment_id"])
    assert charge["description"] == "Totem"
    asaas.pay(charge["id"])
    assert webhook(taker.client, asaas.event("PAYMENT_RECEIVED", charge["id"])).status_code == 200
    wait_for(lambda: taker.get(f"/api/v1/orders/{order['order_id']}", "cashier")
             .json()["payment_status"] == "PAID")
    # The API's refusals, the same through the hook: a kiosk records no cash; nothing left to pay.
    assert_error(taker.post(path, "kiosk", params={"method": "cash", "amount": "1.00"}), 403,
                 "method_not_allowed_for_role")
    assert_error(taker.post(path, "kiosk", params={"method": "pix", "amount": "1.00"}), 409,
                 "order_already_paid")
    assert count(pay_settings, taker.tenant.client_id, payments) == 1


def test_without_the_payments_plugin_the_call_answers_503(settings):
    client, api = _api(settings, ["auth", "catalog", "orders"])
    with client:
        product = api.post("/api/v1/products", json={"name": "Prato", "price": "9.00"}).json()
        order = api.post("/api/v1/orders", "kiosk", json={"items": [
            {"product_id": product["product_id"], "quantity": "1"}]}).json()
        assert_error(api.post(f"/api/v1/taker/{order['order_id']}", "kiosk",
                              params={"method": "pix", "amount": "9.00"}), 503,
                     "payments_unavailable")
