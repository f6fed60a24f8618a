"""Tickets from order events over HTTP, on SQLite and PostgreSQL: one per order and station,
bump/start/recall moving the order through the orders plugin, additions, voids, cancellations,
and the limits of what a cook may see and do."""

import asyncio
import uuid

from posmodern.core.db import Database
from posmodern.core.events import Envelope
from posmodern.plugins.kds.follow_orders import follow_order
from posmodern.schema.tables import kds_tickets
from sqlalchemy import select
from support.api import Api, assert_error, make_store_users, make_tenant
from support.kitchen import move, of_order, order_status, place, tickets
from support.tenant_db import events, fetch, wait_for


def test_a_confirmed_order_makes_one_ticket_per_station(staff, menu, bar):
    order = place(staff, menu, ("X-Burger", "2"), ("Guaraná lata", "1"), ("Pudim de leite", "1"),
                  notes="sem cebola")
    assert tickets(staff) == []  # PENDING: nothing for the kitchen yet
    move(staff, order["order_id"], "CONFIRMED")
    bar_ticket, kitchen = of_order(staff, order["order_id"], 2)
    assert (kitchen["station"], bar_ticket["station"]) == ("cozinha", "bar")
    assert [(i["product_name"], i["quantity"]) for i in kitchen["items"]] == [
        ("X-Burger", "2.000"), ("Pudim de leite", "1.000")]
    assert [i["product_name"] for i in bar_ticket["items"]] == ["Guaraná lata"]
    assert kitchen["order_number"] == order["order_number"] and kitchen["notes"] == "sem cebola"
    assert kitchen["status"] == "NEW" and kitchen["addition"] is False
    assert kitchen["source"] == "pos"
    assert [t["station"] for t in tickets(staff, station="bar")] == ["bar"]
    assert len(tickets(staff, station="expo")) == 2  # the expo sees every station


def test_start_bump_and_recall_move_the_order_through_the_orders_plugin(staff, menu, bar,
                                                                       settings):
    order = place(staff, menu, ("X-Burger", "1"), ("Guaraná lata", "2"))
    move(staff, order["order_id"], "CONFIRMED")
    bar_ticket, kitchen = of_order(staff, order["order_id"], 2)
    started = staff.post(f"/api/v1/kds/tickets/{kitchen['ticket_id']}/start", "kitchen")
    assert started.status_code == 200 and started.json()["status"] == "STARTED"
    assert order_status(staff, order["order_id"]) == "IN_PREPARATION"
    assert_error(staff.post(f"/api/v1/kds/tickets/{kitchen['ticket_id']}/start", "kitchen"),
                 409, "ticket_not_new")
    bumped = staff.post(f"/api/v1/kds/tickets/{kitchen['ticket_id']}/bump", "kitchen")
    assert bumped.status_code == 200 and bumped.json()["status"] == "BUMPED"
    assert order_status(staff, order["order_id"]) == "IN_PREPARATION"  # the bar still works
    assert_error(staff.post(f"/api/v1/kds/tickets/{kitchen['ticket_id']}/bump", "kitchen"),
                 409, "already_bumped")
    assert staff.post(f"/api/v1/kds/tickets/{bar_ticket['ticket_id']}/bump",
                      "kitchen").status_code == 200
    assert order_status(staff, order["order_id"]) == "READY"
    statuses = [e["data"]["new_status"] for e in events(settings, staff.tenant.client_id,
                                                       "order.status_updated")
                if e["data"]["order_id"] == order["order_id"]]
    assert statuses == ["CONFIRMED", "IN_PREPARATION", "READY"]
    assert [t["ticket_id"] for t in tickets(staff, station="bar", status="BUMPED")] == [
        bar_ticket["ticket_id"]]
    recalled = staff.post(f"/api/v1/kds/tickets/{bar_ticket['ticket_id']}/recall", "kitchen")
    assert recalled.status_code == 200 and recalled.json()["status"] == "NEW"
    assert recalled.json()["recalled_at"] and recalled.json()["bumped_at"] is None
    assert_error(staff.post(f"/api/v1/kds/tickets/{bar_ticket['ticket_id']}/recall",
                            "kitchen"), 409, "not_bumped")
    assert [t["ticket_id"] for t in tickets(staff, station="bar")] == [bar_ticket["ticket_id"]]


def test_items_added_later_make_an_addition_and_voids_flash_until_acknowledged(staff, menu):
    order = place(staff, menu, ("X-Burger", "1"), ("Misto quente", "1"), role="waiter")
    move(staff, order["order_id"], "CONFIRMED")
    [first] = of_order(staff, order["order_id"], 1)
    added = staff.post(f"/api/v1/orders/{order['order_id']}/items", "waiter", json={
        "items": [{"product_id": menu["Pudim de leite"]["product_id"], "quantity": "2"}]})
    assert added.status_code == 200, added.text
    first, addition = of_order(staff, order["order_id"], 2)
    assert addition["addition"] is True and addition["round"] == 1
    assert [i["product_name"] for i in addition["items"]] == ["Pudim de leite"]
    misto = next(i for i in first["items"] if i["product_name"] == "Misto quente")
    removed = staff.delete(f"/api/v1/orders/{order['order_id']}/items/{misto['item_id']}",
                           "waiter")
    assert removed.status_code == 200, removed.text

    def voided():
        ticket = staff.get(f"/api/v1/kds/tickets/{first['ticket_id']}", "kitchen").json()
        return ticket if ticket["alert"] == "void" else None
    ticket = wait_for(voided)
    assert [(i["product_name"], i["voided"]) for i in ticket["items"]] == [
        ("X-Burger", False), ("Misto quente", True)]
    acknowledged = staff.post(f"/api/v1/kds/tickets/{first['ticket_id']}/acknowledge", "kitchen")
    assert acknowledged.status_code == 200 and acknowledged.json()["alert"] is None
    assert_error(staff.post(f"/api/v1/kds/tickets/{first['ticket_id']}/acknowledge", "kitchen"),
                 409, "nothing_to_acknowledge")


def test_a_cancelled_order_stays_struck_through_until_a_cook_acknowledges_it(staff, menu, bar):
    order = place(staff, menu, ("X-Burger", "1"), ("Guaraná lata", "1"))
    move(staff, order["order_id"], "CONFIRMED")
    of_order(staff, order["order_id"], 2)
    move(staff, order["order_id"], "CANCELLED")

    def flagged():
        mine = [t for t in tickets(staff) if t["order_id"] == order["order_id"]]
        return mine if all(t["alert"] == "cancelled" for t in mine) else None
    cancelled = wait_for(flagged)
    assert {t["status"] for t in cancelled} == {"CANCELLED"} and len(cancelled) == 2
    assert_error(staff.post(f"/api/v1/kds/tickets/{cancelled[0]['ticket_id']}/bump", "kitchen"),
                 409, "already_bumped")
    for ticket in cancelled:
        staff.post(f"/api/v1/kds/tickets/{ticket['ticket_id']}/acknowledge", "kitchen")
    assert [t for t in tickets(staff) if t["order_id"] == order["order_id"]] == []


def test_a_redelivered_or_repeated_event_makes_no_second_ticket(staff, menu, bar, settings):
    order = place(staff, menu, ("X-Burger", "1"), ("Guaraná lata", "1"))
    move(staff, order["order_id"], "CONFIRMED")
    of_order(staff, order["order_id"], 2)
    confirmed = [e for e in events(settings, staff.tenant.client_id, "order.status_updated")
                 if e["data"]["order_id"] == order["order_id"]][-1]

    async def deliver_again():
        # The same confirmation under new ids, as a publisher retrying after a lost confirm
        # would send it (the bus skips a repeated id by itself).
        db = Database(settings.database_url)
        try:
            for _ in range(3):
                envelope = Envelope.from_dict({**confirmed, "id": str(uuid.uuid4())})
                async with db.transaction(staff.tenant.client_id) as conn:
                    await follow_order(envelope, conn)
        finally:
            await db.dispose()
    asyncio.run(deliver_again())
    rows = fetch(settings, staff.tenant.client_id, select(kds_tickets.c.station).where(
        kds_tickets.c.order_id == uuid.UUID(order["order_id"])))
    assert sorted(row.station for row in rows) == ["bar", "cozinha"]


def test_bad_input_and_another_store_or_tenant_sees_nothing(staff, menu, counter_client,
                                                           settings):
    order = place(staff, menu, ("X-Burger", "1"))
    move(staff, order["order_id"], "CONFIRMED")
    [ticket] = of_order(staff, order["order_id"], 1)
    unknown = uuid.uuid4()
    assert_error(staff.post(f"/api/v1/kds/tickets/{unknown}/bump", "kitchen"), 404,
                 "ticket_not_found")
    assert_error(staff.get("/api/v1/kds/tickets", "kitchen", params={"station": "grill"}),
                 422, "unknown_station")
    assert_error(staff.get("/api/v1/kds/stream", "kitchen", params={"station": "grill"}),
                 422, "unknown_station")
    assert_error(staff.get("/api/v1/kds/tickets", "kitchen", params={"status": "DONE"}), 422)
    assert_error(staff.post(f"/api/v1/kds/tickets/{ticket['ticket_id']}/bump", "cashier"), 403)
    assert_error(staff.post(f"/api/v1/kds/tickets/{ticket['ticket_id']}/bump", None), 401)
    other_store = Api(counter_client, make_store_users(settings, staff.tenant.client_id, "store-2",
                                                   roles=("kitchen",)))
    other_tenant = Api(counter_client, make_tenant(settings, roles=("kitchen",)))
    for stranger in (other_store, other_tenant):
        assert tickets(stranger) == []
        assert_error(stranger.post(f"/api/v1/kds/tickets/{ticket['ticket_id']}/bump",
                                   "kitchen"), 404, "ticket_not_found")
        assert stranger.get("/api/v1/kds/expo", "kitchen").json() == {"items": []}
    assert tickets(staff)[0]["status"] == "NEW"
