"""Refunds: full or partial, role-checked, never above what was paid, idempotent, audited."""

from sqlalchemy import select

from posmodern.schema.tables import audit_log, outbox, refunds
from support.api import assert_error
from support.tenant_db import count, events, fetch
from support.tenders import MARIA, pay, webhook


def refund(api, payment_id, role="manager", headers=None, **body):
    return api.post(f"/api/v1/payments/{payment_id}/refund", role, headers=headers, json=body)


def test_partial_then_full_refund_of_cash(api, new_order, pay_settings):
    order_id = new_order("30.00")
    payment = pay(api, order_id, "cash", "30.00").json()
    first = refund(api, payment["payment_id"], amount="10.00", reason="cold fries")
    assert first.status_code == 201, first.text
    assert first.json()["status"] == "DONE" and first.json()["amount"] == "10.00"
    assert first.json()["payment"]["status"] == "PARTIALLY_REFUNDED"
    assert first.json()["payment"]["refunded_amount"] == "10.00"
    assert first.json()["payment"]["order"]["payment_status"] == "PARTIALLY_REFUNDED"
    rest = refund(api, payment["payment_id"])  # no amount: what is left
    assert rest.status_code == 201, rest.text
    assert rest.json()["amount"] == "20.00"
    assert rest.json()["payment"]["status"] == "REFUNDED"
    assert rest.json()["payment"]["order"]["payment_status"] == "REFUNDED"
    assert_error(refund(api, payment["payment_id"], amount="0.01"), 409, "payment_not_refundable")
    refunded = events(pay_settings, api.tenant.client_id, "payment.refunded")
    assert [e["data"]["refund_amount"] for e in refunded] == ["10.00", "20.00"]
    refunds_audited = fetch(pay_settings, api.tenant.client_id, select(audit_log.c.action)
                            .where(audit_log.c.action.like("payment.refund%")))
    assert len(refunds_audited) == 2


def test_refund_bad_input_and_roles_write_nothing(api, new_order, pay_settings):
    client_id = api.tenant.client_id
    order_id = new_order("30.00")
    payment = pay(api, order_id, "cash", "12.00").json()
    waiting = pay(api, order_id, "pix", "5.00", customer=MARIA).json()
    outbox_before = count(pay_settings, client_id, outbox)
    assert_error(refund(api, payment["payment_id"], role="cashier", amount="1.00"), 403)
    assert_error(refund(api, payment["payment_id"], amount="12.01"), 422, "refund_exceeds_paid")
    assert_error(refund(api, payment["payment_id"], amount="-1.00"), 422)
    assert_error(refund(api, payment["payment_id"], amount="0"), 422)
    assert_error(refund(api, waiting["payment_id"], amount="1.00"), 409, "payment_not_refundable")
    assert_error(refund(api, "00000000-0000-4000-8000-000000000000", amount="1.00"), 404,
                 "payment_not_found")
    assert count(pay_settings, client_id, refunds) == 0
    assert count(pay_settings, client_id, outbox) == outbox_before


def test_refund_is_idempotent(api, new_order):
    payment = pay(api, new_order("30.00"), "cash", "30.00").json()
    key = {"Idempotency-Key": "refund-1"}
    first = refund(api, payment["payment_id"], headers=key, amount="5.00")
    again = refund(api, payment["payment_id"], headers=key, amount="5.00")
    assert first.status_code == again.status_code == 201
    assert again.json()["refund_id"] == first.json()["refund_id"]
    assert again.headers["idempotent-replayed"] == "true"
    after = api.get(f"/api/v1/payments/{payment['payment_id']}", "cashier").json()
    assert after["refunded_amount"] == "5.00"


def test_asaas_refund_then_its_webhook_changes_nothing_more(api, client, new_order, asaas,
                                                            pay_settings):
    order_id = new_order("50.00")
    pix = pay(api, order_id, "pix", "50.00", customer=MARIA).json()
    charge = asaas.charge_for(pix["payment_id"])
    asaas.pay(charge["id"])
    assert webhook(client, asaas.event("PAYMENT_RECEIVED", charge["id"])).json()["applied"] == 1
    part = refund(api, pix["payment_id"], amount="15.00", reason="missing item")
    assert part.status_code == 201, part.text
    assert part.json()["status"] == "DONE"
    assert charge["refunds"][0]["value"] == 15.0
    assert "[posmodern " in charge["refunds"][0]["description"]
    # Asaas confirms the refund it made for us: already counted.
    told = webhook(client, asaas.event("PAYMENT_PARTIALLY_REFUNDED", charge["id"]))
    assert told.json()["applied"] == 1
    after = api.get(f"/api/v1/payments/{pix['payment_id']}", "cashier").json()
    assert after["refunded_amount"] == "15.00" and after["status"] == "PARTIALLY_REFUNDED"
    assert len(events(pay_settings, api.tenant.client_id, "payment.refunded")) == 1


def test_a_refund_made_at_asaas_is_recorded_from_its_webhook(api, client, new_order, asaas):
    pix = pay(api, new_order("20.00"), "pix", "20.00", customer=MARIA).json()
    charge = asaas.charge_for(pix["payment_id"])
    asaas.pay(charge["id"])
    webhook(client, asaas.event("PAYMENT_RECEIVED", charge["id"]))
    charge["status"] = "REFUNDED"  # refunded by someone in Asaas's own dashboard
    assert webhook(client, asaas.event("PAYMENT_REFUNDED", charge["id"])).json()["applied"] == 1
    after = api.get(f"/api/v1/payments/{pix['payment_id']}", "cashier").json()
    assert after["status"] == "REFUNDED" and after["refunded_amount"] == "20.00"
    assert after["order"]["payment_status"] == "REFUNDED"
