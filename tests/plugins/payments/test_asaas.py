"""The Asaas provider against our fake Asaas: webhooks (token, dedupe, tenant from our records),
its error answers and a slow answer, and a retry that never makes a second charge."""

import json
from concurrent.futures import ThreadPoolExecutor

from starlette.testclient import TestClient

from posmodern.hosts.app import create_app
from posmodern.schema.tables import outbox
from support.api import Api, assert_error, make_tenant
from support.fake_asaas import valid_cpf
from support.tenant_db import count, events, wait_for
from support.settings import make_settings
from support.tenders import MARIA, pay, webhook


def test_webhook_token_is_checked_and_replays_apply_once(api, client, new_order, asaas,
                                                         pay_settings):
    pix = pay(api, new_order("12.00"), "pix", "12.00", customer=MARIA).json()
    charge = asaas.charge_for(pix["payment_id"])
    asaas.pay(charge["id"])
    event = asaas.event("PAYMENT_CONFIRMED", charge["id"])
    assert_error(webhook(client, event, token="wrong"), 401, "invalid_webhook_token")
    assert_error(client.post("/api/v1/payments/webhooks/asaas", json=event), 401)
    assert api.get(f"/api/v1/payments/{pix['payment_id']}", "cashier").json()["status"] == "PENDING"
    first = webhook(client, event)
    again = webhook(client, event)
    assert first.status_code == again.status_code == 200
    assert first.json() == {"received": 1, "applied": 1, "duplicate": 0, "ignored": 0,
                            "refused": 0}
    assert again.json() == {"received": 1, "applied": 0, "duplicate": 1, "ignored": 0,
                            "refused": 0}
    # Asaas sends RECEIVED after CONFIRMED for the same charge: a different event, no change.
    assert webhook(client, asaas.event("PAYMENT_RECEIVED", charge["id"])).json()["applied"] == 1
    confirmed = events(pay_settings, api.tenant.client_id, "payment.confirmed")
    assert len(confirmed) == 1 and confirmed[0]["data"]["source"] == "webhook"
    assert len(events(pay_settings, api.tenant.client_id, "payment.completed")) == 1


def test_webhooks_find_the_tenant_from_our_records_only(api, client, new_order, asaas,
                                                        pay_settings):
    other = Api(client, make_tenant(pay_settings, roles=("cashier",)))
    mine = pay(api, new_order("10.00"), "pix", "10.00", customer=MARIA).json()
    charge = asaas.charge_for(mine["payment_id"])
    asaas.pay(charge["id"])
    event = asaas.event("PAYMENT_RECEIVED", charge["id"])
    event["client_id"] = other.tenant.client_id  # whatever the caller claims is ignored
    assert webhook(client, event).json()["applied"] == 1
    assert api.get(f"/api/v1/payments/{mine['payment_id']}", "cashier").json()["status"] == \
        "CONFIRMED"
    # A charge we never made (the Asaas account serves others too): acknowledged, ignored.
    stranger = {"id": "evt_x&1", "event": "PAYMENT_RECEIVED",
                "payment": {"object": "payment", "id": "pay_unknown", "value": 5.0,
                            "externalReference": "not-ours"}}
    assert webhook(client, stranger).json() == {"received": 1, "applied": 0, "duplicate": 0,
                                                "ignored": 1, "refused": 0}
    assert webhook(client, {"id": "evt_y&2", "event": "TRANSFER_DONE",
                            "transfer": {}}).json()["ignored"] == 1
    assert_error(webhook(client, {"no": "event"}), 400)
    assert_error(client.post("/api/v1/payments/webhooks/asaas", content=b"{nope",
                             headers={"asaas-access-token": "whsec-test-token-123"}), 400)
    assert_error(webhook(client, stranger, provider="nobody"), 404, "unknown_provider")
    assert_error(webhook(client, stranger, provider="cash"), 404, "no_webhooks")


def test_asaas_error_answers_become_clear_errors(api, new_order, asaas, pay_settings):
    order_id = new_order("10.00")
    bad_document = {"name": "João", "cpf_cnpj": "12345678901"}  # right length, wrong digits
    rejected = assert_error(pay(api, order_id, "pix", "10.00", customer=bad_document), 422,
                            "provider_rejected")
    assert rejected["details"]["errors"][0]["code"] == "invalid_cpfCnpj"
    asaas.fail_next.append(500)
    assert_error(pay(api, order_id, "pix", "10.00", customer=MARIA), 502, "provider_error")
    asaas.api_key = "rotated-key"
    assert_error(pay(api, order_id, "pix", "10.00", customer=MARIA), 502, "provider_auth_failed")
    listed = api.get(f"/api/v1/orders/{order_id}/payments", "cashier").json()
    # Each attempt is on record as failed; none holds any of the bill.
    assert [p["status"] for p in listed["items"]] == ["FAILED"] * 3
    assert listed["order"]["outstanding"] == "10.00" and listed["order"]["held"] == "0.00"
    failed = events(pay_settings, api.tenant.client_id, "payment.failed")
    assert [e["data"]["error"]["code"] for e in failed] == ["provider_rejected", "provider_error",
                                                            "provider_auth_failed"]


def test_a_slow_asaas_times_out_and_the_retry_finds_the_same_charge(api, new_order, asaas,
                                                                   pay_settings):
    order_id, other_order = new_order("33.00"), new_order("5.00")
    key = {"Idempotency-Key": "slow-pix-1"}
    asaas.slow(2.5)  # more than ASAAS_TIMEOUT=1: Asaas makes the charge, answers too late
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(pay, api, order_id, "pix", "33.00", headers=key, customer=MARIA)
        wait_for(lambda: any(r["method"] == "POST" and r["path"] == "/v3/payments"
                                      for r in asaas.requests))
        # The same key while the first attempt waits for Asaas: not run twice, told to retry.
        assert_error(pay(api, order_id, "pix", "33.00", headers=key, customer=MARIA), 409,
                     "idempotency_key_in_flight")
        # No lock is held while Asaas thinks: the till goes on (even on SQLite's one writer).
        assert pay(api, other_order, "cash", "5.00").status_code == 201
        assert not first.done()
        slow = first.result()
    error = assert_error(slow, 504, "provider_timeout")
    assert "Idempotency-Key" in error["message"]
    listed = api.get(f"/api/v1/orders/{order_id}/payments", "cashier").json()
    assert [p["status"] for p in listed["items"]] == ["FAILED"]
    assert listed["order"]["held"] == "0.00" and listed["order"]["payment_status"] == "PENDING"
    assert len(asaas.charges) == 1  # it did make the charge
    asaas.slow(0)
    retry = pay(api, order_id, "pix", "33.00", headers=key, customer=MARIA)
    assert retry.status_code == 201, retry.text
    assert retry.json()["status"] == "PENDING" and retry.json()["details"]["pix"]["payload"]
    assert len(asaas.charges) == 1
    assert retry.json()["external_id"] == next(iter(asaas.charges))
    assert len(api.get(f"/api/v1/orders/{order_id}/payments", "cashier").json()["items"]) == 1


def test_asaas_not_configured_refuses_with_422(tmp_path, database_url, exchange):
    settings = make_settings(database_url, tmp_path, exchange=exchange)
    app = create_app(settings, plugins=["auth", "catalog", "orders", "payments"])
    with TestClient(app) as bare:
        api = Api(bare, make_tenant(settings, roles=("admin", "cashier")))
        juice = api.post("/api/v1/products", json={"name": "Suco", "price": "8.00"}).json()
        order_id = api.post("/api/v1/orders", "cashier", json={
            "items": [{"product_id": juice["product_id"], "quantity": "1"}]}).json()["order_id"]
        outbox_before = count(settings, api.tenant.client_id, outbox)
        listed = {p["name"]: p for p in api.get("/api/v1/payments/providers", "cashier")
                  .json()["items"]}
        assert listed["asaas"]["configured"] is False and listed["asaas"]["sandbox"] is True
        # Not a moment's trouble: retrying cannot help, so no 503.
        assert_error(pay(api, order_id, "pix", "8.00", customer=MARIA), 422,
                     "provider_not_configured")
        event = {"id": "evt_1", "event": "PAYMENT_RECEIVED", "payment": {"id": "pay_1"}}
        # Without ASAAS_WEBHOOK_TOKEN every notification is refused.
        assert_error(bare.post("/api/v1/payments/webhooks/asaas", content=json.dumps(event),
                               headers={"asaas-access-token": ""}), 401)
        assert count(settings, api.tenant.client_id, outbox) == outbox_before


def test_customers_are_found_by_document_before_being_created(api, new_order, asaas):
    joao = {"name": "João Lima", "cpf_cnpj": valid_cpf(2)}
    pay(api, new_order("5.00"), "pix", "5.00", customer=joao)
    pay(api, new_order("6.00"), "boleto", "6.00", customer=joao)
    assert len(asaas.customers) == 1
    boleto = [c for c in asaas.charges.values() if c["billingType"] == "BOLETO"][0]
    assert boleto["bankSlipUrl"] and boleto["dueDate"] > boleto["dateCreated"]
