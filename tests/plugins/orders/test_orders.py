"""Taking orders over the API: pricing, numbers, lifecycle, items and events, on both backends."""

import uuid
from decimal import Decimal

import pytest
from sqlalchemy import select

from posmodern.schema.tables import audit_log, order_items, orders
from support.api import Api, assert_error, make_tenant
from support.menu import order_body
from support.tenant_db import events, fetch


def test_an_order_is_priced_from_the_catalog_in_decimal(staff, menu, settings):
    body = order_body(menu, ("X-Burger", "2"), ("Guaraná lata", "3"), ("Pudim de leite", "0.5"),
                      notes="mesa da janela")
    body["items"][0].update(notes="sem cebola", customizations={"ponto": "bem passado"})
    body["items"][1]["unit_price"] = "0.01"  # a client-sent price is refused, never used
    assert_error(staff.post("/api/v1/orders", "cashier", json=body), 422)
    del body["items"][1]["unit_price"]
    created = staff.post("/api/v1/orders", "cashier", json=body)
    assert created.status_code == 201, created.text
    order = created.json()
    assert order["status"] == "PENDING" and order["payment_status"] == "PENDING"
    assert order["source"] == "pos" and order["order_number"] == "1"
    # 2 x 26.90 + 3 x 6.50 + 0.5 x 12.00 = 53.80 + 19.50 + 6.00
    assert [(i["product_name"], i["quantity"], i["unit_price"], i["subtotal"])
            for i in order["items"]] == [("X-Burger", "2.000", "26.90", "53.80"),
                                         ("Guaraná lata", "3.000", "6.50", "19.50"),
                                         ("Pudim de leite", "0.500", "12.00", "6.00")]
    assert (order["subtotal"], order["tax"], order["discount"], order["total"]) == \
        ("79.30", "0.00", "0.00", "79.30")
    assert order["items"][0]["notes"] == "sem cebola"
    assert order["items"][0]["customizations"] == {"ponto": "bem passado"}
    assert order["notes"] == "mesa da janela"
    assert staff.get(f"/api/v1/orders/{order['order_id']}", "kitchen").json() == order
    (created_event,) = events(settings, staff.tenant.client_id, "order.created")
    assert created_event["data"]["order_id"] == order["order_id"]
    assert created_event["data"]["total"] == "79.30"
    assert created_event["store_id"] == "store-1"


def test_prices_are_those_of_the_moment_of_ordering(staff, menu):
    first = staff.post("/api/v1/orders", json=order_body(menu, ("Misto quente", "1"))).json()
    staff.patch(f"/api/v1/products/{menu['Misto quente']['product_id']}", json={"price": "15.00"})
    second = staff.post("/api/v1/orders", json=order_body(menu, ("Misto quente", "1"))).json()
    assert (first["total"], second["total"]) == ("14.00", "15.00")
    assert staff.get(f"/api/v1/orders/{first['order_id']}").json()["total"] == "14.00"
    assert (first["order_number"], second["order_number"]) == ("1", "2")


def test_lifecycle_moves_forward_and_refuses_anything_else(staff, menu, settings):
    order = staff.post("/api/v1/orders", json=order_body(menu, ("X-Burger", "1"))).json()
    path = f"/api/v1/orders/{order['order_id']}/status"
    skipped = assert_error(staff.post(path, json={"status": "READY"}), 409,
                           "transition_not_allowed")
    assert skipped["details"] == {"current": "PENDING", "requested": "READY",
                                  "allowed": ["CONFIRMED", "CANCELLED"]}
    assert "CONFIRMED" in skipped["message"]
    for status, role in (("CONFIRMED", "cashier"), ("IN_PREPARATION", "kitchen"),
                         ("READY", "kitchen"), ("DELIVERED", "waiter"), ("COMPLETED", "cashier")):
        moved = staff.post(path, role, json={"status": status})
        assert moved.status_code == 200, moved.text
        assert moved.json()["status"] == status
    closed = assert_error(staff.post(path, json={"status": "CANCELLED"}), 409)
    assert closed["details"]["allowed"] == []
    assert_error(staff.post(path, json={"status": "PENDING"}), 409)
    assert_error(staff.post(path, json={"status": "DONE"}), 422)
    changes = events(settings, staff.tenant.client_id, "order.status_updated")
    assert [(e["data"]["previous_status"], e["data"]["new_status"]) for e in changes] == [
        ("PENDING", "CONFIRMED"), ("CONFIRMED", "IN_PREPARATION"), ("IN_PREPARATION", "READY"),
        ("READY", "DELIVERED"), ("DELIVERED", "COMPLETED")]
    assert changes[0]["data"]["order"]["items"][0]["product_name"] == "X-Burger"


@pytest.mark.parametrize("reached", ["PENDING", "IN_PREPARATION", "DELIVERED"])
def test_cancel_from_any_open_state_by_the_counter_a_manager_past_pending(staff, menu, settings, reached):
    order = staff.post("/api/v1/orders", json=order_body(menu, ("X-Burger", "1"))).json()
    path = f"/api/v1/orders/{order['order_id']}/status"
    for status in ("CONFIRMED", "IN_PREPARATION", "READY", "DELIVERED"):
        if order["status"] == reached:
            break
        order = staff.post(path, json={"status": status}).json()
    assert_error(staff.post(path, "kitchen", json={"status": "CANCELLED"}), 403,
                 "cancel_not_allowed")
    # A cashier cancels an order nobody has seen yet; past PENDING a manager approves.
    if reached != "PENDING":
        refused = assert_error(staff.post(path, "cashier", json={"status": "CANCELLED"}), 403,
                               "cancel_needs_manager")
        assert refused["details"] == {"status": reached}
        assert staff.get(f"/api/v1/orders/{order['order_id']}").json()["status"] == reached
    cancelled = staff.post(path, "cashier" if reached == "PENDING" else "manager",
                           json={"status": "CANCELLED"})
    assert cancelled.json()["status"] == "CANCELLED"
    (event,) = events(settings, staff.tenant.client_id, "order.cancelled")
    assert event["data"]["previous_status"] == reached
    assert_error(staff.post(path, json={"status": "CONFIRMED"}), 409)


def test_a_waiter_adds_a_round_and_removes_an_item(staff, menu, settings):
    order = staff.post("/api/v1/orders", "waiter",
                       json=order_body(menu, ("Suco de laranja", "2"))).json()
    assert order["source"] == "waiter" and order["waiter_id"]
    base = f"/api/v1/orders/{order['order_id']}"
    staff.post(base + "/status", json={"status": "CONFIRMED"})
    added = staff.post(base + "/items", "waiter",
                       json=order_body(menu, ("X-Burger", "1"), ("Guaraná lata", "2")))
    assert added.status_code == 200, added.text
    order = added.json()
    assert [i["product_name"] for i in order["items"]] == ["Suco de laranja", "X-Burger",
                                                           "Guaraná lata"]
    assert order["total"] == "57.90"  # 18.00 + 26.90 + 13.00
    juice = order["items"][0]["item_id"]
    removed = staff.delete(f"{base}/items/{juice}", "waiter")
    assert removed.status_code == 200, removed.text
    assert removed.json()["total"] == "39.90"
    assert_error(staff.delete(f"{base}/items/{juice}", "waiter"), 404, "item_not_found")
    changes = events(settings, staff.tenant.client_id, "order.items_changed")
    assert [len(c["data"]["added"]) for c in changes] == [2, 0]
    assert [(c["data"]["removed"][0]["product_name"], c["data"]["removed"][0]["status"])
            for c in changes[1:]] == [("Suco de laranja", "REMOVED")]
    assert changes[-1]["data"]["order"]["total"] == "39.90"
    stored = fetch(settings, staff.tenant.client_id,
                   select(orders.c.total).where(orders.c.order_id == uuid.UUID(order["order_id"])))
    assert stored[0].total == Decimal("39.90")
    # A void stays on record, and is audited.
    kept = fetch(settings, staff.tenant.client_id, select(order_items.c.status)
                 .where(order_items.c.item_id == uuid.UUID(juice)))
    assert [row.status for row in kept] == ["REMOVED"]
    voids = fetch(settings, staff.tenant.client_id,
                  select(audit_log.c.username, audit_log.c.details)
                  .where(audit_log.c.action == "order.item_removed"))
    assert [(v.username, v.details["product_name"], v.details["order_status"])
            for v in voids] == [("waiter", "Suco de laranja", "CONFIRMED")]
    # Once the kitchen has started, the items are fixed.
    staff.post(base + "/status", json={"status": "IN_PREPARATION"})
    locked = assert_error(staff.post(base + "/items", "waiter",
                                     json=order_body(menu, ("X-Burger", "1"))), 409,
                          "order_not_editable")
    assert locked["details"]["editable_in"] == ["PENDING", "CONFIRMED"]
    remaining = staff.get(base).json()["items"]
    assert_error(staff.delete(f"{base}/items/{remaining[0]['item_id']}"), 409,
                 "order_not_editable")


def test_the_last_item_stays_cancel_instead(staff, menu):
    order = staff.post("/api/v1/orders", json=order_body(menu, ("X-Burger", "1"))).json()
    item = order["items"][0]["item_id"]
    assert_error(staff.delete(f"/api/v1/orders/{order['order_id']}/items/{item}"), 409,
                 "last_item")


def test_discounts_are_bounded_role_checked_and_audited(staff, menu, settings):
    body = order_body(menu, ("X-Burger", "2"))  # 53.80
    assert_error(staff.post("/api/v1/orders", "waiter", json={**body, "discount": "1.00"}), 403,
                 "discount_not_allowed")
    over = assert_error(staff.post("/api/v1/orders", "cashier",
                                   json={**body, "discount": "5.39"}), 403, "discount_not_allowed")
    assert over["details"]["limit"] == "5.38"  # 10 % of 53.80
    by_cashier = staff.post("/api/v1/orders", "cashier", json={**body, "discount": "5.38"})
    assert by_cashier.json()["total"] == "48.42"
    assert_error(staff.post("/api/v1/orders", "manager", json={**body, "discount": "53.81"}),
                 422, "discount_too_large")
    free = staff.post("/api/v1/orders", "manager", json={**body, "discount": "53.80"})
    assert free.json()["total"] == "0.00"
    audited = fetch(settings, staff.tenant.client_id,
                    select(audit_log.c.action, audit_log.c.username, audit_log.c.details)
                    .where(audit_log.c.action == "order.discount")
                    .order_by(audit_log.c.occurred_at))
    assert [(a.action, a.username, a.details["discount"]) for a in audited] == [
        ("order.discount", "cashier", "5.38"), ("order.discount", "manager", "53.80")]


def test_listing_filters_pages_and_embeds_items(staff, menu):
    made = [staff.post("/api/v1/orders", json=order_body(menu, ("X-Burger", str(n + 1)))).json()
            for n in range(5)]
    staff.post(f"/api/v1/orders/{made[1]['order_id']}/status", json={"status": "CONFIRMED"})
    listed = staff.get("/api/v1/orders").json()
    assert [o["order_number"] for o in listed["items"]] == ["5", "4", "3", "2", "1"]
    assert listed["next_cursor"] is None
    assert listed["items"][0]["items"][0]["quantity"] == "5.000"
    pages, cursor = [], None
    while True:
        page = staff.get("/api/v1/orders", params={"limit": 2, **({"cursor": cursor}
                                                                   if cursor else {})}).json()
        pages.append([o["order_number"] for o in page["items"]])
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert pages == [["5", "4"], ["3", "2"], ["1"]]
    confirmed = staff.get("/api/v1/orders", params={"status": "CONFIRMED"}).json()["items"]
    assert [o["order_number"] for o in confirmed] == ["2"]
    both = staff.get("/api/v1/orders", params={"status": "CONFIRMED,PENDING"}).json()["items"]
    assert len(both) == 5
    assert_error(staff.get("/api/v1/orders", params={"status": "LOST"}), 422)
    third = made[2]["created_at"]
    since = staff.get("/api/v1/orders", params={"created_from": third}).json()["items"]
    assert [o["order_number"] for o in since] == ["5", "4", "3"]
    before = staff.get("/api/v1/orders", params={"created_to": third}).json()["items"]
    assert [o["order_number"] for o in before] == ["2", "1"]
    assert_error(staff.get("/api/v1/orders", params={"created_from": "yesterday"}), 422)
    assert_error(staff.get("/api/v1/orders", params={"cursor": "eyJ4Ijp9"}), 422, "invalid_cursor")


def test_another_tenant_or_store_cannot_see_or_touch_orders(staff, menu, counter_client, settings):
    order = staff.post("/api/v1/orders", json=order_body(menu, ("X-Burger", "1"))).json()
    other = Api(counter_client, make_tenant(settings))
    base = f"/api/v1/orders/{order['order_id']}"
    assert other.get("/api/v1/orders").json()["items"] == []
    assert_error(other.get(base), 404, "order_not_found")
    assert_error(other.post(base + "/status", json={"status": "CANCELLED"}), 404)
    assert_error(other.post(base + "/items", json=order_body(menu, ("X-Burger", "1"))), 404)
    # Ordering another tenant's product is ordering an unknown product.
    assert_error(other.post("/api/v1/orders", json=order_body(menu, ("X-Burger", "1"))), 422,
                 "unknown_product")
    assert staff.get(base).json()["status"] == "PENDING"
    assert len(fetch(settings, staff.tenant.client_id, select(order_items.c.item_id))) == 1


def test_the_order_statuses_are_named_in_a_refusal_and_in_openapi(staff, menu, counter_client):
    statuses = ["PENDING", "CONFIRMED", "IN_PREPARATION", "READY", "DELIVERED", "COMPLETED",
                "CANCELLED"]
    order = staff.post("/api/v1/orders", json=order_body(menu, ("X-Burger", "1"))).json()
    error = assert_error(staff.post(f"/api/v1/orders/{order['order_id']}/status",
                                    json={"status": "DONE"}), 422, "validation_error")
    assert " or ".join(f"'{s}'" for s in statuses[-2:]) in error["details"][0]["msg"]
    document = counter_client.get("/openapi.json").json()

    def schema_of(found):
        ref = found.get("$ref")
        return document["components"]["schemas"][ref.rsplit("/", 1)[1]] if ref else found
    change = document["paths"]["/api/v1/orders/{order_id}/status"]["post"]["requestBody"]
    body = schema_of(change["content"]["application/json"]["schema"])
    assert schema_of(body["properties"]["status"])["enum"] == statuses
