"""Tables follow their orders through events: occupied while an order is open, then free."""

from support.api import assert_error
from support.menu import order_body
from support.tenant_db import wait_for


def _table_state(staff, table_id):
    return staff.get(f"/api/v1/waiter/tables/{table_id}", "waiter").json()


def test_a_table_is_occupied_by_its_open_orders_and_freed_by_the_last(staff, menu):
    table = staff.post("/api/v1/waiter/tables", json={"table_number": "7", "capacity": 4})
    assert table.status_code == 201, table.text
    table_id = table.json()["table_id"]
    assert table.json()["status"] == "FREE"
    first = staff.post("/api/v1/orders", "waiter",
                       json=order_body(menu, ("X-Burger", "1"), table_id=table_id)).json()
    assert first["table_id"] == table_id
    state = wait_for(lambda: (s := _table_state(staff, table_id))["status"] == "OCCUPIED" and s)
    assert state["current_order_id"] == first["order_id"] and state["occupied_at"]
    second = staff.post("/api/v1/orders", "waiter",
                        json=order_body(menu, ("Guaraná lata", "2"), table_id=table_id)).json()
    wait_for(lambda: _table_state(staff, table_id)["current_order_id"] == second["order_id"])
    # The second check is paid and closed; the first is still open, so the table stays taken.
    for status in ("CONFIRMED", "IN_PREPARATION", "READY", "DELIVERED", "COMPLETED"):
        staff.post(f"/api/v1/orders/{second['order_id']}/status", json={"status": status})
    wait_for(lambda: _table_state(staff, table_id)["current_order_id"] == first["order_id"])
    assert _table_state(staff, table_id)["status"] == "OCCUPIED"
    staff.post(f"/api/v1/orders/{first['order_id']}/status", json={"status": "CANCELLED"})
    freed = wait_for(lambda: (s := _table_state(staff, table_id))["status"] == "FREE" and s)
    assert freed["current_order_id"] is None and freed["occupied_at"] is None
    listed = staff.get("/api/v1/orders", params={"table_id": table_id}).json()["items"]
    assert {o["order_id"] for o in listed} == {first["order_id"], second["order_id"]}


def test_an_unknown_table_is_refused_and_tables_are_per_store(staff, menu):
    refused = assert_error(staff.post("/api/v1/orders", json=order_body(
        menu, ("X-Burger", "1"), table_id="0b3c9d58-7f3e-4a59-8c43-2f4d9a6f1e10")), 422,
        "unknown_table")
    assert refused["details"][0]["loc"] == ["table_id"]
    staff.post("/api/v1/waiter/tables", json={"table_number": "1", "capacity": 2})
    assert_error(staff.post("/api/v1/waiter/tables", json={"table_number": "1", "capacity": 2}),
                 409, "table_exists")
    assert_error(staff.post("/api/v1/waiter/tables", json={"table_number": "2", "capacity": 0}),
                 422)
    assert_error(staff.post("/api/v1/waiter/tables", "waiter",
                            json={"table_number": "3", "capacity": 2}), 403)
    assert [t["table_number"] for t in staff.get("/api/v1/waiter/tables").json()["items"]] == ["1"]
