"""A notification with the right token is still only a claim: a confirmation is applied when
Asaas itself says the charge is paid, for the tender's amount. Anything else is refused (the
tender stays as it was) and audited."""

from __future__ import annotations

from posmodern.schema.tables import audit_log
from sqlalchemy import select
from support.api import assert_error
from support.tenant_db import events, fetch
from support.tenders import MARIA, pay, webhook


def _refusals(settings, client_id) -> list:
    return fetch(settings, client_id, select(audit_log.c.action, audit_log.c.resource_id,
                                             audit_log.c.details)
                 .where(audit_log.c.action == "payment.webhook_refused"))


def test_a_cent_does_not_confirm_a_pix_of_69(api, client, new_order, asaas, pay_settings):
    order_id = new_order("69.00")
    pix = pay(api, order_id, "pix", "69.00", customer=MARIA).json()
    charge = asaas.charge_for(pix["payment_id"])
    forged = asaas.event("PAYMENT_RECEIVED", charge["id"])
    forged["payment"].update(value=0.01, status="RECEIVED")  # Asaas still has it PENDING
    answer = webhook(client, forged)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"received": 1, "applied": 0, "duplicate": 0, "ignored": 0,
                             "refused": 1}
    assert api.get(f"/api/v1/payments/{pix['payment_id']}", "cashier").json()["status"] == \
        "PENDING"
    assert api.get(f"/api/v1/orders/{order_id}", "cashier").json()["payment_status"] == "PENDING"
    assert events(pay_settings, api.tenant.client_id, "payment.confirmed") == []
    (refusal,) = _refusals(pay_settings, api.tenant.client_id)
    assert refusal.resource_id == pix["payment_id"]
    assert refusal.details["provider"] == "asaas"
    assert refusal.details["event_id"] == forged["id"]
    assert refusal.details["expected_amount"] == "69.00"
    assert refusal.details["reported_amount"] is None  # Asaas did not confirm it
    # Asaas asked for it (GET /v3/payments/{id}) rather than trusting the body.
    assert any(r["method"] == "GET" and r["path"] == f"/v3/payments/{charge['id']}"
               for r in asaas.requests)
    # When the customer really pays, Asaas's own word confirms it, whatever the body claims.
    asaas.pay(charge["id"])
    genuine = asaas.event("PAYMENT_RECEIVED", charge["id"])
    genuine["payment"]["value"] = 0.01
    assert webhook(client, genuine).json()["applied"] == 1
    assert api.get(f"/api/v1/orders/{order_id}", "cashier").json()["payment_status"] == "PAID"


def test_a_charge_of_another_amount_is_refused(api, client, new_order, asaas, pay_settings):
    order_id = new_order("69.00")
    pix = pay(api, order_id, "pix", "69.00", customer=MARIA).json()
    charge = asaas.charge_for(pix["payment_id"])
    # Someone changed the charge at Asaas to 0.01 and paid that.
    asaas.charges[charge["id"]]["value"] = 0.01
    asaas.pay(charge["id"])
    answer = webhook(client, asaas.event("PAYMENT_CONFIRMED", charge["id"]))
    assert answer.json()["refused"] == 1
    assert api.get(f"/api/v1/payments/{pix['payment_id']}", "cashier").json()["status"] == \
        "PENDING"
    (refusal,) = _refusals(pay_settings, api.tenant.client_id)
    assert (refusal.details["reported_amount"], refusal.details["expected_amount"]) == \
        ("0.01", "69.00")


def test_fields_of_the_wrong_type_are_a_400(api, client, new_order, asaas):
    pix = pay(api, new_order("10.00"), "pix", "10.00", customer=MARIA).json()
    charge = asaas.charge_for(pix["payment_id"])
    for field, value in (("id", 123), ("id", ["pay_1"]), ("externalReference", {"a": 1}),
                         ("value", "lots"), ("value", [1]), ("status", 7)):
        event = asaas.event("PAYMENT_RECEIVED", charge["id"])
        event["payment"][field] = value
        assert_error(webhook(client, event), 400, "malformed_webhook")
    for payload in ({"id": 5, "event": "PAYMENT_RECEIVED", "payment": {}},
                    {"id": "evt_1", "event": "PAYMENT_RECEIVED", "payment": "pay_1"}):
        assert_error(webhook(client, payload), 400, "malformed_webhook")
    assert api.get(f"/api/v1/payments/{pix['payment_id']}", "cashier").json()["status"] == \
        "PENDING"
