"""Stations (routing rules, one default, who may change them), all-day counts, the expo and the
customer board, held courses fired later, and preparation-time figures, over HTTP."""

from support.api import assert_error
from support.kitchen import move, of_order, order_status, place, tickets


def test_stations_route_by_product_before_category_and_keep_one_default(staff, menu, bar):
    listed = staff.get("/api/v1/kds/stations", "kitchen").json()["items"]
    assert [(s["code"], s["kind"], s["is_default"]) for s in listed] == [
        ("cozinha", "prep", True), ("bar", "prep", False), ("expo", "expo", False)]
    assert_error(staff.post("/api/v1/kds/stations", "kitchen", json={"code": "x", "name": "X"}),
                 403)
    assert_error(staff.post("/api/v1/kds/stations", "manager", json={"code": "bar",
                                                                     "name": "Bar 2"}),
                 409, "station_exists")
    assert_error(staff.post("/api/v1/kds/stations", "manager", json={
        "code": "Sala Quente", "name": "x"}), 422)
    assert_error(staff.post("/api/v1/kds/stations", "manager", json={
        "code": "lenta", "name": "x", "warn_minutes": 10, "late_minutes": 5}), 422)
    sweets = staff.post("/api/v1/kds/stations", "manager", json={
        "code": "doces", "name": "Doces", "product_ids": [menu["Suco de laranja"]["product_id"]],
        "is_default": True})
    assert sweets.status_code == 201, sweets.text
    defaults = [s["code"] for s in staff.get("/api/v1/kds/stations", "kitchen").json()["items"]
                if s["is_default"]]
    assert defaults == ["doces"]
    order = place(staff, menu, ("Suco de laranja", "1"), ("Guaraná lata", "1"), ("X-Burger", "1"))
    move(staff, order["order_id"], "CONFIRMED")
    made = of_order(staff, order["order_id"], 2)
    assert {t["station"]: [i["product_name"] for i in t["items"]] for t in made} == {
        "bar": ["Guaraná lata"], "doces": ["Suco de laranja", "X-Burger"]}
    assert_error(staff.delete(f"/api/v1/kds/stations/{sweets.json()['station_id']}", "manager"),
                 409, "default_station")
    cozinha = next(s for s in listed if s["code"] == "cozinha")
    changed = staff.patch(f"/api/v1/kds/stations/{cozinha['station_id']}", "admin",
                          json={"is_default": True, "warn_minutes": 5, "late_minutes": 12})
    assert changed.status_code == 200 and changed.json()["warn_minutes"] == 5
    removed = staff.delete(f"/api/v1/kds/stations/{sweets.json()['station_id']}", "manager")
    assert removed.status_code == 200
    assert "doces" not in [s["code"] for s in staff.get("/api/v1/kds/stations",
                                                        "kitchen").json()["items"]]


def test_all_day_counts_expo_board_and_stats(staff, menu, bar):
    first = place(staff, menu, ("X-Burger", "2"), ("Guaraná lata", "1"))
    second = place(staff, menu, ("X-Burger", "1"), ("Misto quente", "1"))
    for order in (first, second):
        move(staff, order["order_id"], "CONFIRMED")
    first_bar, first_kitchen = of_order(staff, first["order_id"], 2)
    [second_kitchen] = of_order(staff, second["order_id"], 1)
    misto = next(i for i in second_kitchen["items"] if i["product_name"] == "Misto quente")
    done = staff.post(f"/api/v1/kds/tickets/{second_kitchen['ticket_id']}/items/"
                      f"{misto['item_id']}/done", "kitchen", json={})
    assert done.status_code == 200 and [i["done"] for i in done.json()["items"]] == [False, True]
    counts = staff.get("/api/v1/kds/all-day", "kitchen").json()["stations"]
    assert counts == [
        {"station": "cozinha", "items": [{"product_id": menu["X-Burger"]["product_id"],
                                          "product_name": "X-Burger", "quantity": "3"}]},
        {"station": "bar", "items": [{"product_id": menu["Guaraná lata"]["product_id"],
                                      "product_name": "Guaraná lata", "quantity": "1"}]}]
    assert [s["station"] for s in staff.get("/api/v1/kds/all-day", "kitchen",
                                            params={"station": "bar"}).json()["stations"]] == [
        "bar"]
    for ticket in (first_kitchen, first_bar):
        staff.post(f"/api/v1/kds/tickets/{ticket['ticket_id']}/start", "kitchen")
        staff.post(f"/api/v1/kds/tickets/{ticket['ticket_id']}/bump", "kitchen")
    expo = {o["order_number"]: o for o in staff.get("/api/v1/kds/expo",
                                                    "kitchen").json()["items"]}
    assert expo[first["order_number"]]["ready"] is True
    assert expo[second["order_number"]]["ready"] is False
    assert staff.get("/api/v1/kds/board", "cashier").json() == {
        "preparing": [second["order_number"]], "ready": [first["order_number"]]}
    figures = staff.get("/api/v1/kds/stats", "manager").json()
    assert figures["tickets"] == 2
    assert [(line["product_name"], line["count"]) for line in figures["by_product"]] == [
        ("Guaraná lata", 1), ("X-Burger", 1)]
    assert [line["station"] for line in figures["by_station"]] == ["bar", "cozinha"]
    assert all(line["p50_seconds"] <= line["p90_seconds"] for line in figures["by_station"])
    assert len(figures["by_hour"]) == 1 and 0 <= figures["by_hour"][0]["hour"] < 24
    assert_error(staff.get("/api/v1/kds/stats", "kitchen"), 403)
    assert_error(staff.get("/api/v1/kds/stats", "manager", params={"tz": "Mars/Olympus"}), 422,
                 "unknown_time_zone")


def test_a_held_course_waits_until_the_waiter_fires_it(staff, menu):
    order = place(staff, menu, ("Misto quente", "1"),
                  ("X-Burger", "1", {"hold": True, "course": "principal"}), role="waiter")
    move(staff, order["order_id"], "CONFIRMED")
    [now_ticket] = of_order(staff, order["order_id"], 1)
    assert [i["product_name"] for i in now_ticket["items"]] == ["Misto quente"]
    [held] = tickets(staff, status="HELD")
    assert held["items"][0]["course"] == "principal" and held["fired_at"] is None
    staff.post(f"/api/v1/kds/tickets/{now_ticket['ticket_id']}/bump", "kitchen")
    assert order_status(staff, order["order_id"]) == "IN_PREPARATION"  # the main course waits
    fired = staff.post(f"/api/v1/kds/orders/{order['order_id']}/fire", "waiter")
    assert fired.status_code == 200 and fired.json()["items"][0]["status"] == "NEW"
    assert_error(staff.post(f"/api/v1/kds/orders/{order['order_id']}/fire", "waiter"), 409,
                 "nothing_held")
    [main] = [t for t in tickets(staff) if t["order_id"] == order["order_id"]]
    assert main["round"] == 1 and main["fired_at"]
    staff.post(f"/api/v1/kds/tickets/{main['ticket_id']}/bump", "kitchen")
    assert order_status(staff, order["order_id"]) == "READY"
