"""Open Delivery orders (and webhooks of both marketplaces), against fake servers on
127.0.0.1: polling takes the order; 422 to an action already done is a success; a webhook with a
bad signature is refused and writes nothing, a good one takes the order at once."""

from __future__ import annotations

import hashlib
import hmac
import json


from support.api import assert_error
from support.fake_marketplace import CLIENT_ID, CLIENT_SECRET
from support.remote_orders import WEBHOOK_SECRET, poll, remote_orders
from support.tenant_db import wait_for


def _sell_through(api, opendelivery):
    changed = api.patch("/api/v1/settings", json={
        "OPENDELIVERY_MERCHANT_ID": opendelivery.merchant, "OPENDELIVERY_API_URL": opendelivery.url,
        "OPENDELIVERY_CLIENT_ID": CLIENT_ID, "OPENDELIVERY_CLIENT_SECRET": CLIENT_SECRET})
    assert changed.status_code == 200, changed.text


def _signed(body: bytes, secret: str = WEBHOOK_SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_an_open_delivery_order_is_taken_and_confirmed_once(api, opendelivery):
    _sell_through(api, opendelivery)
    placed = opendelivery.place([("XB", "1", "26.90"), ("GUA", "2", "6.50")])
    opendelivery.actions.append((placed["id"], "confirm", None))  # confirmed there already
    reports = {r["channel"]: r for r in poll(api)}
    assert reports["opendelivery"]["taken"] == [placed["id"]]
    [order] = remote_orders(api)
    assert (order["total"], order["payment_status"], order["status"]) == (
        "43.90", "PAID", "CONFIRMED")
    assert order["delivery"]["address"]["district"] == "Pinheiros"
    wait_for(lambda: poll(api) and len([r for r, _ in opendelivery.requests
                                        if r == "action"]) == 1)
    poll(api)
    assert len([r for r, _ in opendelivery.requests if r == "action"]) == 1  # 422: done
    moved = api.post(f"/api/v1/orders/{order['order_id']}/status", "manager",
                     json={"status": "IN_PREPARATION"})
    assert moved.status_code == 200
    api.post(f"/api/v1/orders/{order['order_id']}/status", "manager", json={"status": "READY"})
    wait_for(lambda: poll(api) and "readyForPickup" in opendelivery.actions_of(placed["id"]))
    assert opendelivery.actions_of(placed["id"]) == ["confirm", "readyForPickup"]
    # startPreparation is not in the standard: not sent
    assert len([r for r, _ in opendelivery.requests if r == "action"]) == 2


def test_a_webhook_with_a_bad_signature_is_refused_and_writes_nothing(api, opendelivery, ifood):
    _sell_through(api, opendelivery)
    poll(api)  # the stores' merchants are known from their first poll
    placed = opendelivery.place([("XB", "1", "26.90")])
    body = json.dumps(opendelivery.events[-1]).encode()
    path = "/api/v1/remote-orders/opendelivery"
    refused = api.client.post(path, content=body, headers={
        "X-App-Signature": _signed(body, "wrong"), "X-App-MerchantId": opendelivery.merchant})
    assert_error(refused, 401, "bad_signature")
    assert_error(api.client.post("/api/v1/remote-orders/ifood", content=b"{}"), 401,
                 "bad_signature")
    assert_error(api.client.post("/api/v1/remote-orders/nowhere", content=b"{}"), 404,
                 "unknown_marketplace")
    assert remote_orders(api) == []
    taken = api.client.post(path, content=body, headers={
        "X-App-Signature": _signed(body), "X-App-MerchantId": opendelivery.merchant})
    assert taken.status_code == 200 and taken.json()["handled"] == 1, taken.text
    assert [o["external_id"] for o in remote_orders(api)] == [placed["id"]]
    poll(api)  # the poll brings the event again: acknowledged, not taken twice
    assert opendelivery.events == [] and len(remote_orders(api)) == 1
    garbage = b"not json"
    assert_error(api.client.post(path, content=garbage, headers={
        "X-App-Signature": _signed(garbage)}), 422, "malformed_order")
