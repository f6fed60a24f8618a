"""iFood orders through the remote_orders plugin, against a fake iFood on 127.0.0.1: taken once
(repeated and out-of-order events), with their customer, address, fees, discount and online
payment, confirmed, on the kitchen display; status both ways; refusals; failures that lose
nothing."""

from __future__ import annotations

from support.remote_orders import poll, remote_orders
from support.api import assert_error
from support.tenant_db import events, wait_for


def _ticket_of(api, order_id):
    tickets = api.get("/api/v1/kds/tickets", "kitchen").json()["items"]
    return [t for t in tickets if t["order_id"] == order_id]


def test_an_order_is_taken_once_paid_confirmed_and_reaches_the_kitchen(api, ifood, remote_settings):
    placed = ifood.place([("XB", "2", "26.90"), ("GUA", "1", "6.50")], delivery_fee="5.00",
                         benefits="3.00")
    plc = ifood.events[0]
    ifood.repeat(plc)              # iFood sends it twice
    ifood.shuffle = True           # and out of order
    [report] = poll(api)
    assert report["taken"] == [placed["id"]] and report["acknowledged"] == 2
    assert ifood.events == []
    [order] = remote_orders(api)
    assert (order["source"], order["external_id"], order["status"]) == (
        "remote", placed["id"], "CONFIRMED")
    assert order["adjustments"] == [{"name": "Taxa de entrega", "kind": "fee", "amount": "5.00"}]
    assert (order["subtotal"], order["discount"], order["total"]) == ("60.30", "3.00", "62.30")
    assert order["payment_status"] == "PAID"
    delivery = order["delivery"]
    assert delivery["customer"]["name"] == "Bia Souza"
    assert delivery["address"]["street"] == "Rua Augusta" and delivery["channel"] == "ifood"
    ifood.repeat(plc)
    again = poll(api)
    assert again[0]["taken"] == [] and again[0]["repeated"] == [plc["id"]]
    assert len(remote_orders(api)) == 1
    wait_for(lambda: _ticket_of(api, order["order_id"]))
    wait_for(lambda: poll(api) and "confirm" in ifood.actions_of(placed["id"]))
    assert ifood.actions_of(placed["id"]) == ["confirm"]
    paid = events(remote_settings, api.tenant.client_id, "payment.confirmed")
    assert [(e["data"]["provider"], e["data"]["amount"]) for e in paid] == [("ifood", "62.30")]


def test_our_statuses_reach_ifood_and_theirs_cancel_ours(api, ifood):
    first = ifood.place([("XB", "1", "26.90")])
    second = ifood.place([("GUA", "2", "6.50")])
    poll(api)
    ours = {o["external_id"]: o for o in remote_orders(api)}
    order_id = ours[first["id"]]["order_id"]
    for status in ("IN_PREPARATION", "READY", "DELIVERED"):
        moved = api.post(f"/api/v1/orders/{order_id}/status", "manager", json={"status": status})
        assert moved.status_code == 200, moved.text
    expected = ["confirm", "startPreparation", "readyToPickup", "dispatch"]
    wait_for(lambda: poll(api) and ifood.actions_of(first["id"]) == expected)
    ifood.cancel(second["id"])
    [report] = poll(api)
    assert report["cancelled"] == [second["id"]]
    cancelled = api.get(f"/api/v1/orders/{ours[second['id']]['order_id']}").json()
    assert cancelled["status"] == "CANCELLED"
    wait_for(lambda: poll(api) and "confirm" in ifood.actions_of(second["id"]))
    poll(api)
    assert "requestCancellation" not in ifood.actions_of(second["id"])  # theirs, not sent back


def test_our_cancellation_uses_their_reasons(api, ifood):
    placed = ifood.place([("XB", "1", "26.90")])
    poll(api)
    [order] = remote_orders(api)
    path = f"/api/v1/remote-orders/orders/{order['order_id']}"
    reasons = api.get(path + "/cancellation-reasons", "cashier").json()["reasons"]
    assert [r["code"] for r in reasons] == ["501", "503", "506"]
    assert_error(api.post(path + "/cancel", "cashier", json={"reason_code": "999"}), 422,
                 "unknown_reason")
    done = api.post(path + "/cancel", "cashier", json={"reason_code": "506"})
    assert done.status_code == 200 and done.json()["status"] == "CANCELLED", done.text
    wait_for(lambda: poll(api) and "requestCancellation" in ifood.actions_of(placed["id"]))
    [body] = [b for oid, a, b in ifood.actions if a == "requestCancellation"]
    assert body == {"reason": "RESTAURANTE FECHADO", "cancellationCode": "506"}


def test_an_order_with_an_unknown_product_is_refused_to_ifood_and_nothing_is_written(api, ifood):
    unknown = ifood.place([("XB", "1", "26.90"), ("NOPE", "1", "3.00")])
    empty = ifood.place([("XB", "1", "26.90")])
    ifood.orders[empty["id"]]["items"] = []
    [report] = poll(api)
    assert sorted(r["problem"] for r in report["refused"]) == ["malformed_order",
                                                               "unknown_products"]
    assert remote_orders(api) == [] and ifood.events == []
    refusals = [(oid, body) for oid, a, body in ifood.actions if a == "requestCancellation"]
    assert {oid for oid, _ in refusals} == {unknown["id"], empty["id"]}
    assert all(body["cancellationCode"] == "503" for _, body in refusals)  # item unavailable
    listed = {r["external_id"]: r for r in api.get("/api/v1/remote-orders").json()["items"]}
    assert listed[unknown["id"]]["status"] == "REFUSED"
    assert listed[unknown["id"]]["problem"]["details"] == [
        {"item": 1, "name": "item NOPE", "external_code": "NOPE"}]


def test_a_failed_order_fetch_leaves_the_event_unacknowledged_and_unrecorded(api, ifood):
    placed = ifood.place([("XB", "1", "26.90")])
    ifood.fail("order", 500)
    [report] = poll(api)
    assert report["taken"] == [] and report["failed"][0]["external_id"] == placed["id"]
    assert len(ifood.events) == 1 and ifood.acknowledged == []
    assert api.get("/api/v1/remote-orders/events", "manager").json()["items"] == []
    [report] = poll(api)
    assert report["taken"] == [placed["id"]] and ifood.events == []
    assert len(remote_orders(api)) == 1


def test_a_failed_acknowledgment_after_the_commit_duplicates_nothing(api, ifood):
    placed = ifood.place([("XB", "1", "26.90")])
    ifood.fail("acknowledgment", 503)
    [report] = poll(api)
    assert "error" in report and len(ifood.events) == 1
    assert [o["external_id"] for o in remote_orders(api)] == [placed["id"]]
    [report] = poll(api)
    assert report["repeated"] and report["acknowledged"] == 1 and ifood.events == []
    assert len(remote_orders(api)) == 1


def test_unknown_codes_are_kept_and_reported(api, ifood, remote_settings):
    placed = ifood.place([("XB", "1", "26.90")])
    ifood.event(placed["id"], "XYZ")
    [report] = poll(api)
    assert report["unknown"] == ["XYZ"] and ifood.events == []
    kept = api.get("/api/v1/remote-orders/events?outcome=unknown", "manager").json()["items"]
    assert [(e["code"], e["external_id"]) for e in kept] == [("XYZ", placed["id"])]
    reported = events(remote_settings, api.tenant.client_id, "remote_orders.unknown_event")
    assert [e["data"]["code"] for e in reported] == ["XYZ"]
    assert_error(api.get("/api/v1/remote-orders/events?outcome=bad", "manager"), 422)


def test_expired_tokens_are_renewed_and_rate_limits_raise_an_alert(api, ifood, remote_settings):
    poll(api)
    ifood.expire_tokens()
    placed = ifood.place([("XB", "1", "26.90")])
    [report] = poll(api)
    assert report["taken"] == [placed["id"]] and ifood.token_requests == 2
    ifood.fail("polling", 429, 500)
    assert "error" in poll(api)[0]
    assert events(remote_settings, api.tenant.client_id, "remote_orders.polling_failed") == []
    assert "error" in poll(api)[0]
    alerts = events(remote_settings, api.tenant.client_id, "remote_orders.polling_failed")
    assert [a["data"]["failures"] for a in alerts] == [2]
    status = api.get("/api/v1/remote-orders/status", "cashier").json()["marketplaces"]
    assert status[0]["polling"]["alert"] is True and status[0]["store"]["open"] is True
    # The operator's probe says so too, without taking the process out of service.
    ready = api.client.get("/ready")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    [warning] = ready.json()["warnings"]
    assert f"polling ifood for {api.tenant.client_id}/" in warning and "2 times" in warning
    poll(api)
    assert len(events(remote_settings, api.tenant.client_id,
                      "remote_orders.polling_recovered")) == 1
    assert "warnings" not in api.client.get("/ready").json()


def test_a_scheduled_order_is_confirmed_to_ifood_and_waits_off_the_kitchen(api, ifood):
    placed = ifood.place([("XB", "1", "26.90")], scheduled=True)
    poll(api)
    [order] = remote_orders(api)
    assert order["status"] == "PENDING" and order["delivery"]["scheduled_for"]
    assert "agendado" in order["notes"]
    poll(api)
    assert ifood.actions_of(placed["id"]) == ["confirm"]


def test_credentials_are_secrets(api):
    shown = api.get("/api/v1/settings").json()
    text = str(shown)
    assert "app-secret" not in text and "IFOOD_CLIENT_SECRET" in text
