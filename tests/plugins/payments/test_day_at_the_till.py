"""A day at the till, black box: a real ``pos serve`` with every plugin and a third-party payment
provider installed from its own package (PYTHONPATH), our fake Asaas, and an HTTP client.

Orders paid in two tenders, a partial refund, an Asaas webhook replayed and one with a wrong
token, orders confirmed and cancelled while the stock follows, and a meal-voucher payment from
the other package. Run embedded (SQLite, in-process bus) and on PostgreSQL with RabbitMQ.
"""

from decimal import Decimal
from pathlib import Path

import pytest

from posmodern.core.asyncio_hooks import collect_sync
from posmodern.core.plugins import get_plugin_manager
from support import services
from support.api import Api, assert_error, make_tenant
from support.fake_asaas import FakeAsaas
from support.live import http_client, live_server
from support.menu import create_menu, order_body
from support.settings import make_settings
from support.tenant_db import wait_for
from support.tenders import MARIA, WEBHOOK_TOKEN, pay, webhook

THIRDPARTY = Path(__file__).resolve().parents[2] / "fixtures" / "thirdparty"
PLUGINS = "auth,catalog,customers,orders,waiter,payments,stock,meal_voucher"


@pytest.fixture(params=["embedded", "postgresql-rabbitmq"])
def till(request, tmp_path, exchange, monkeypatch):
    """The server, its tenant's API client and the fake Asaas it talks to."""
    if request.param == "embedded":
        database_url, broker = f"sqlite+aiosqlite:///{tmp_path / 'var' / 'pos.db'}", "memory://"
    else:
        database_url, broker = request.getfixturevalue("pg_url"), services.AMQP_URL
    settings = make_settings(database_url, tmp_path, broker=broker, exchange=exchange)
    tenant = make_tenant(settings)
    with FakeAsaas() as asaas, live_server(
            settings, tmp_path, BROKER_URL=broker, POS_PLUGINS=PLUGINS,
            PYTHONPATH=str(THIRDPARTY), ASAAS_BASE_URL=asaas.url, ASAAS_API_KEY=asaas.api_key,
            ASAAS_WEBHOOK_TOKEN=WEBHOOK_TOKEN) as server, http_client(server) as client:
        yield Api(client, tenant), client, asaas
    if broker != "memory://":
        monkeypatch.syspath_prepend(str(THIRDPARTY))
        pm = get_plugin_manager(PLUGINS.split(","))
        queues = [f"{exchange}.{s.name}"
                  for s in collect_sync(pm.hook.pos_subscriptions, settings=settings,
                                           hooks=pm.hook)]
        services.delete_bus(exchange, queues)


def stock(api) -> dict[str, tuple[str, bool]]:
    items = api.get("/api/v1/stock/items", "cashier").json()["items"]
    return {i["product_name"]: (i["quantity"], i["low"]) for i in items}


def order(api, products, *lines, role="cashier"):
    made = api.post("/api/v1/orders", role, json=order_body(products, *lines))
    assert made.status_code == 201, made.text
    return made.json()


def move_order(api, order_id, status, role="manager"):
    moved = api.post(f"/api/v1/orders/{order_id}/status", role, json={"status": status})
    assert moved.status_code == 200, moved.text


def test_a_day_at_the_till(till):
    api, client, asaas = till
    products = create_menu(api)
    for name, opening, minimum in (("X-Burger", "20", "18"), ("Guaraná lata", "10", "2")):
        made = api.post("/api/v1/stock/items", "manager", json={
            "product_id": products[name]["product_id"], "quantity": opening,
            "min_quantity": minimum})
        assert made.status_code == 201, made.text

    providers = {p["name"]: p for p in api.get("/api/v1/payments/providers").json()["items"]}
    assert providers["meal_voucher"]["methods"] == ["voucher"]
    assert set(providers) == {"cash", "asaas", "meal_voucher"}

    # Lunch: two burgers and two sodas, confirmed; the goods leave the shelf.
    lunch = order(api, products, ("X-Burger", "2"), ("Guaraná lata", "2"))
    assert lunch["total"] == "66.80"
    move_order(api, lunch["order_id"], "CONFIRMED", role="cashier")
    wait_for(lambda: stock(api)["X-Burger"] == ("18.000", True), timeout=30)
    assert stock(api)["Guaraná lata"] == ("8.000", False)

    # Paid in two tenders: cash, then PIX through Asaas.
    cash = pay(api, lunch["order_id"], "cash", "30.00")
    assert cash.status_code == 201, cash.text
    pix = pay(api, lunch["order_id"], "pix", "36.80", customer=MARIA)
    assert pix.status_code == 201, pix.text
    assert pix.json()["status"] == "PENDING" and pix.json()["details"]["pix"]["payload"]
    charge = asaas.charge_for(pix.json()["payment_id"])
    asaas.pay(charge["id"])
    event = asaas.event("PAYMENT_RECEIVED", charge["id"])
    assert_error(webhook(client, event, token="not-the-token"), 401)
    assert api.get(f"/api/v1/orders/{lunch['order_id']}").json()["payment_status"] == \
        "PARTIALLY_PAID"
    assert webhook(client, event).json()["applied"] == 1
    assert webhook(client, event).json()["duplicate"] == 1  # Asaas delivers at least once
    assert api.get(f"/api/v1/orders/{lunch['order_id']}").json()["payment_status"] == "PAID"

    # A burger came cold: the manager gives part of the PIX back; a cashier may not.
    pix_id = pix.json()["payment_id"]
    assert_error(api.post(f"/api/v1/payments/{pix_id}/refund", "cashier",
                          json={"amount": "10.00"}), 403)
    assert_error(api.post(f"/api/v1/payments/{pix_id}/refund", "manager",
                          json={"amount": "36.81"}), 422, "refund_exceeds_paid")
    refund = api.post(f"/api/v1/payments/{pix_id}/refund", "manager",
                      headers={"Idempotency-Key": "cold-burger"},
                      json={"amount": "10.00", "reason": "cold burger"})
    assert refund.status_code == 201, refund.text
    again = api.post(f"/api/v1/payments/{pix_id}/refund", "manager",
                     headers={"Idempotency-Key": "cold-burger"},
                     json={"amount": "10.00", "reason": "cold burger"})
    assert again.json()["refund_id"] == refund.json()["refund_id"]
    assert [r["value"] for r in charge["refunds"]] == [10.0]
    tenders = api.get(f"/api/v1/orders/{lunch['order_id']}/payments").json()
    assert [(p["method"], p["status"], p["refunded_amount"]) for p in tenders["items"]] == [
        ("cash", "CONFIRMED", "0.00"), ("pix", "PARTIALLY_REFUNDED", "10.00")]
    assert tenders["order"]["payment_status"] == "PARTIALLY_REFUNDED"

    # An order confirmed, then cancelled: its burgers come back.
    changed_mind = order(api, products, ("X-Burger", "3"), ("Misto quente", "1"))
    move_order(api, changed_mind["order_id"], "CONFIRMED")
    wait_for(lambda: stock(api)["X-Burger"] == ("15.000", True), timeout=30)
    move_order(api, changed_mind["order_id"], "CANCELLED")
    wait_for(lambda: stock(api)["X-Burger"] == ("18.000", True), timeout=30)
    assert_error(pay(api, changed_mind["order_id"], "cash", "1.00"), 409, "order_cancelled")
    moves = api.get(f"/api/v1/stock/movements?reference_id={changed_mind['order_id']}").json()
    assert sorted(m["quantity"] for m in moves["items"]) == ["-3.000", "3.000"]

    # Dessert paid with a meal voucher, through the provider of the other package.
    dessert = order(api, products, ("Pudim de leite", "1"))
    voucher = pay(api, dessert["order_id"], "voucher", "12.00")
    assert voucher.status_code == 201, voucher.text
    assert (voucher.json()["provider"], voucher.json()["status"]) == ("meal_voucher", "CONFIRMED")
    assert api.get(f"/api/v1/orders/{dessert['order_id']}").json()["payment_status"] == "PAID"

    assert stock(api) == {"X-Burger": ("18.000", True), "Guaraná lata": ("8.000", False)}
    paid = Decimal(cash.json()["amount"]) + Decimal(pix.json()["amount"])
    assert paid == Decimal(lunch["total"])
