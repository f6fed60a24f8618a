"""Kiosk orders through the HTTP API, on both backends: a PIX order reaches the kitchen when
Asaas's webhook says it is paid, an unpaid one is cancelled after its time (no tickets), "pay at
the counter" waits for a cashier, and bad input changes nothing."""

import pytest

from posmodern.core import tenancy
from posmodern.plugins.kiosk.expiry import sweep_every_tenant
from posmodern.schema.tables import kiosk_orders, order_items, orders, payments
from support.api import assert_error
from support.kitchen import of_order, tickets
from support.modifiers import add_burger_options, chosen
from support.kiosk import kiosk_body, pay_pix, place, status, until_status
from support.tenant_db import counts, wait_for
from support.tenders import pay


def _order(staff, order_id):
    return staff.get(f"/api/v1/orders/{order_id}", "manager").json()


def test_a_pix_order_goes_to_the_kitchen_when_the_webhook_says_paid(staff, menu, asaas,
                                                                    kiosk_client):
    made = place(staff, menu, ("X-Burger", 2), ("Guaraná lata", 1), name="Ana",
                 service="takeaway")
    assert made.status_code == 201, made.text
    kiosk_order = made.json()
    assert kiosk_order["status"] == "AWAITING_PAYMENT" and kiosk_order["total"] == "60.30"
    assert kiosk_order["customer_name"] == "Ana" and kiosk_order["service"] == "takeaway"
    assert kiosk_order["pix"]["payload"].startswith("000201") and kiosk_order["expires_at"]
    order = _order(staff, kiosk_order["order_id"])
    assert order["status"] == "PENDING" and order["source"] == "kiosk"
    assert order["order_number"] == kiosk_order["order_number"]
    assert order["notes"] == "Ana · Para levar"
    assert asaas.charge_for(kiosk_order["payment_id"])["value"] == 60.3
    assert tickets(staff) == []  # not paid: nothing for the kitchen yet

    pay_pix(kiosk_client, asaas, kiosk_order)
    sent = until_status(staff, kiosk_order, "SENT")
    assert sent["order_number"] == kiosk_order["order_number"]
    assert _order(staff, kiosk_order["order_id"])["status"] == "CONFIRMED"
    assert _order(staff, kiosk_order["order_id"])["payment_status"] == "PAID"
    made_tickets = of_order(staff, kiosk_order["order_id"], 1)
    assert made_tickets[0]["notes"] == "Ana · Para levar"


def test_an_unpaid_pix_order_expires_and_cannot_be_paid(staff, menu, asaas, kiosk_client,
                                                        clock, kiosk_settings):
    kiosk_order = place(staff, menu, ("Misto quente", 1)).json()
    clock.advance(minutes=9)
    assert status(staff, kiosk_order)["status"] == "AWAITING_PAYMENT"
    clock.advance(minutes=2)  # past the 10 minutes of KIOSK_PAYMENT_MINUTES
    assert status(staff, kiosk_order)["status"] == "EXPIRED"
    assert _order(staff, kiosk_order["order_id"])["status"] == "CANCELLED"
    # Its PIX charge is removed at Asaas (the QR code can no longer be paid) and given up here.
    assert asaas.charge_for(kiosk_order["payment_id"])["deleted"] is True
    payment = staff.get(f"/api/v1/payments/{kiosk_order['payment_id']}", "manager").json()
    assert payment["status"] == "CANCELLED"

    client_id = staff.tenant.client_id
    before = counts(kiosk_settings, client_id, orders, payments, kiosk_orders)
    assert_error(pay(staff, kiosk_order["order_id"], "pix", "14.00", role="kiosk"), 409,
                 "order_cancelled")
    assert counts(kiosk_settings, client_id, orders, payments, kiosk_orders) == before
    # Paid a moment before the removal: the money is recorded, the kitchen sees nothing.
    pay_pix(kiosk_client, asaas, kiosk_order)
    assert status(staff, kiosk_order)["status"] == "EXPIRED"
    assert _order(staff, kiosk_order["order_id"])["status"] == "CANCELLED"
    assert tickets(staff) == []


def test_the_periodic_sweep_cancels_with_no_kiosk_asking(staff, menu, kiosk_client, clock):
    waiting = place(staff, menu, ("Misto quente", 1)).json()
    at_counter = place(staff, menu, ("Misto quente", 1), payment="counter").json()
    clock.advance(minutes=11)
    runtime = kiosk_client.app.state.runtime
    # The sweep visits the tenants the statistics say have kiosk orders (PostgreSQL flushes a
    # backend's statistics within seconds).
    wait_for(lambda: staff.tenant.client_id in kiosk_client.portal.call(
        tenancy.tenants_with_rows, runtime.db, "kiosk_orders"), timeout=20)
    kiosk_client.portal.call(sweep_every_tenant, runtime)
    assert _order(staff, waiting["order_id"])["status"] == "CANCELLED"
    assert _order(staff, at_counter["order_id"])["status"] == "PENDING"  # the cashier's to take
    assert tickets(staff) == []


def test_pay_at_the_counter_waits_for_a_cashier(staff, menu, asaas):
    made = place(staff, menu, ("Pudim de leite", 2), name="Bia", payment="counter")
    assert made.status_code == 201, made.text
    kiosk_order = made.json()
    assert kiosk_order["status"] == "AT_COUNTER" and kiosk_order["pix"] is None
    assert kiosk_order["expires_at"] is None and asaas.charges == {}
    assert _order(staff, kiosk_order["order_id"])["status"] == "PENDING"
    assert tickets(staff) == []
    paid = pay(staff, kiosk_order["order_id"], "cash", "30.00", role="cashier")
    assert paid.status_code == 201, paid.text
    until_status(staff, kiosk_order, "SENT")
    assert _order(staff, kiosk_order["order_id"])["status"] == "CONFIRMED"
    of_order(staff, kiosk_order["order_id"], 1)


def test_a_retry_after_asaas_failed_finds_the_order_placed_the_first_time(staff, menu, asaas,
                                                                          kiosk_settings):
    asaas.fail_next = [500]
    key = {"Idempotency-Key": "kiosk-retry-1"}
    assert_error(place(staff, menu, ("X-Burger", 1), headers=key), 502)
    again = place(staff, menu, ("X-Burger", 1), headers=key)
    assert again.status_code == 201, again.text
    assert again.json()["pix"]["payload"]
    assert counts(kiosk_settings, staff.tenant.client_id, orders, kiosk_orders) == {
        "orders": 1, "kiosk_orders": 1}
    assert len(asaas.charges) == 1


def _bad_bodies(menu, inactive):
    good = kiosk_body(menu, ("X-Burger", 1))
    yield "unknown product", {**good, "items": [
        {"product_id": "00000000-0000-4000-8000-000000000000", "quantity": 1}]}, "unknown_product"
    yield "unavailable product", {**good, "items": [
        {"product_id": inactive, "quantity": 1}]}, "inactive_product"
    yield "empty cart", {**good, "items": []}, None
    yield "no name", {k: v for k, v in good.items() if k != "customer_name"}, None
    yield "blank name", {**good, "customer_name": "   "}, None
    yield "eat where?", {**good, "service": "delivery"}, None
    yield "no quantity", {**good, "items": [{**good["items"][0], "quantity": 0}]}, None
    yield "price from the client", {**good, "items": [{**good["items"][0], "price": "0.01"}]}, None


def test_bad_input_is_a_422_and_changes_nothing(staff, menu, asaas, kiosk_settings):
    inactive = menu["Suco de laranja"]["product_id"]
    assert staff.delete(f"/api/v1/products/{inactive}").status_code == 200
    client_id = staff.tenant.client_id
    before = counts(kiosk_settings, client_id, orders, order_items, payments, kiosk_orders)
    for what, body, code in _bad_bodies(menu, inactive):
        refused = staff.post("/api/v1/kiosk/orders", "kiosk", json=body)
        assert_error(refused, 422, code), what
    assert counts(kiosk_settings, client_id, orders, order_items, payments, kiosk_orders) == before
    assert asaas.charges == {}


@pytest.mark.parametrize("role", ["waiter", "kitchen", "integration"])
def test_only_the_kiosk_and_the_counter_use_the_kiosk_api(staff, menu, role):
    assert_error(staff.get("/api/v1/kiosk/menu", role), 403)
    assert_error(staff.post("/api/v1/kiosk/orders", role,
                            json=kiosk_body(menu, ("X-Burger", 1))), 403)


def test_a_kiosk_item_with_options_costs_the_product_and_its_options(staff, menu, asaas):
    options = add_burger_options(staff, menu)["options"]
    body = kiosk_body(menu, ("X-Burger", 2), payment="counter")
    body["items"][0]["modifiers"] = chosen(options, "Ao ponto", "Bacon", "Ovo")
    made = staff.post("/api/v1/kiosk/orders", "kiosk", json=body)
    assert made.status_code == 201, made.text
    assert made.json()["total"] == "66.80"  # 2 × (26.90 + 4.00 + 2.50)
    (burger,) = _order(staff, made.json()["order_id"])["items"]
    assert burger["unit_price"] == "33.40"
    assert [(m["group"], m["name"], m["price"]) for m in burger["modifiers"]] == [
        ("Ponto da carne", "Ao ponto", "0.00"), ("Adicionais", "Bacon", "4.00"),
        ("Adicionais", "Ovo", "2.50")]

    # The doneness is required: without it nothing is placed.
    body["items"][0]["modifiers"] = chosen(options, "Bacon")
    assert_error(staff.post("/api/v1/kiosk/orders", "kiosk", json=body), 422)
    assert len(staff.get("/api/v1/orders", "manager").json()["items"]) == 1
