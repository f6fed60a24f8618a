"""The floor through the API: layouts with sections and elements, tables drawn on them, assigned
to waiters, reserved and freed by hand; bad input changes nothing."""

from __future__ import annotations

import uuid

from support.api import Api, assert_error, make_store_users

from .conftest import user_id

ROOM = {"name": "Varanda", "sections": [{"name": "Fumantes", "color": "#aa3300"}],
        "elements": [{"kind": "bar", "x": 0, "y": 0, "width": 30, "height": 5,
                      "label": "Balcão"},
                     {"kind": "door", "x": 50, "y": 95, "section": "Fumantes"}]}


def test_a_layout_is_drawn_and_its_tables_placed_and_assigned(floor):
    layout = floor.post("/api/v1/waiter/layouts", json=ROOM)
    assert layout.status_code == 201, layout.text
    layout_id = layout.json()["layout_id"]
    table = floor.post("/api/v1/waiter/tables", json={
        "table_number": "V1", "capacity": 6, "layout_id": layout_id, "section": "Fumantes",
        "x": 20, "y": 40, "width": 10, "height": 10, "shape": "round"})
    assert table.status_code == 201, table.text
    moved = floor.patch(f"/api/v1/waiter/tables/{table.json()['table_id']}",
                        json={"x": 60, "capacity": 8})
    assert moved.status_code == 200, moved.text
    waiter = user_id(floor, "waiter")
    assigned = floor.post(f"/api/v1/waiter/tables/{table.json()['table_id']}/assign",
                          json={"waiter_id": waiter})
    assert assigned.json()["waiter_id"] == waiter
    redrawn = floor.patch(f"/api/v1/waiter/layouts/{layout_id}", json={
        "elements": ROOM["elements"][:1], "sections": []})
    assert redrawn.status_code == 200, redrawn.text
    seen = floor.get(f"/api/v1/waiter/layouts/{layout_id}", "waiter").json()
    assert seen["name"] == "Varanda" and seen["sections"] == []
    assert [e["label"] for e in seen["elements"]] == ["Balcão"]
    (drawn,) = seen["tables"]
    assert (drawn["x"], drawn["y"], drawn["width"], drawn["shape"], drawn["capacity"]) == (
        60, 40, 10, "round", 8)
    mine = floor.get("/api/v1/waiter/tables", "waiter", params={"mine": "true"}).json()
    assert [t["table_number"] for t in mine["items"]] == ["V1"]


def test_a_table_is_reserved_and_freed_by_hand_and_other_moves_are_refused(floor):
    table = floor.post("/api/v1/waiter/tables", json={"table_number": "1", "capacity": 2}).json()
    url = f"/api/v1/waiter/tables/{table['table_id']}/state"
    reserved = floor.post(url, "waiter", json={"status": "RESERVED",
                                               "reserved_until": "2030-01-01T20:00:00Z"})
    assert reserved.json()["status"] == "RESERVED" and reserved.json()["reserved_until"]
    assert_error(floor.post(url, json={"status": "OCCUPIED"}), 422)
    assert floor.post(url, json={"status": "FREE"}).json()["status"] == "FREE"


def test_bad_floor_input_is_refused_and_changes_nothing(floor, settings):
    layout = floor.post("/api/v1/waiter/layouts", json=ROOM).json()
    table = floor.post("/api/v1/waiter/tables", json={"table_number": "1", "capacity": 2}).json()
    before = floor.get("/api/v1/waiter/layouts").json()
    one = f"/api/v1/waiter/tables/{table['table_id']}"
    assert_error(floor.post("/api/v1/waiter/layouts", json=ROOM), 409, "layout_exists")
    assert_error(floor.post("/api/v1/waiter/layouts", json={
        "name": "X", "elements": [{"kind": "wall", "x": 100, "y": 0}]}), 422)
    assert_error(floor.patch(f"/api/v1/waiter/layouts/{layout['layout_id']}",
                             json={"name": None}), 422)
    assert_error(floor.patch(f"/api/v1/waiter/layouts/{uuid.uuid4()}", json={"name": "Y"}),
                 404, "layout_not_found")
    assert_error(floor.patch(one, json={"layout_id": str(uuid.uuid4())}), 422,
                 "unknown_layout")
    assert_error(floor.patch(one, json={"x": -1}), 422)
    assert_error(floor.post(one + "/assign", json={"waiter_id": user_id(floor, "cashier")}),
                 422, "unknown_waiter")
    assert_error(floor.post(one + "/assign", "waiter", json={"waiter_id": None}), 403)
    assert_error(floor.post(f"/api/v1/waiter/tables/{uuid.uuid4()}/state",
                            json={"status": "RESERVED"}), 404, "table_not_found")
    # Another store's admin sees none of this store's floor and cannot touch it.
    branch = Api(floor.client, make_store_users(settings, floor.tenant.client_id, "store-2"))
    assert branch.get("/api/v1/waiter/layouts").json()["items"] == []
    assert_error(branch.patch(one, json={"x": 5}), 404, "table_not_found")
    assert floor.get("/api/v1/waiter/layouts").json() == before
