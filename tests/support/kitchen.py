"""Driving the kitchen display in tests: orders placed and moved, tickets read as a cook does."""

from __future__ import annotations

from support.tenant_db import wait_for


def place(staff, menu, *lines, role="cashier", **extra) -> dict:
    """An order from (product name, quantity[, customizations]) lines."""
    items = []
    for line in lines:
        item = {"product_id": menu[line[0]]["product_id"], "quantity": line[1]}
        if len(line) > 2:
            item["customizations"] = line[2]
        items.append(item)
    made = staff.post("/api/v1/orders", role, json={"items": items, **extra})
    assert made.status_code == 201, made.text
    return made.json()


def move(staff, order_id: str, status: str, role: str = "manager") -> dict:
    moved = staff.post(f"/api/v1/orders/{order_id}/status", role, json={"status": status})
    assert moved.status_code == 200, moved.text
    return moved.json()


def tickets(staff, station=None, status=None, role="kitchen") -> list[dict]:
    params = {k: v for k, v in (("station", station), ("status", status)) if v}
    listed = staff.get("/api/v1/kds/tickets", role, params=params)
    assert listed.status_code == 200, listed.text
    return listed.json()["items"]


def of_order(staff, order_id: str, count: int, **filters) -> list[dict]:
    """The order's tickets on screen once there are ``count`` of them (events take a moment)."""
    def found():
        mine = [t for t in tickets(staff, **filters) if t["order_id"] == order_id]
        return mine if len(mine) == count else None
    return sorted(wait_for(found), key=lambda t: (t["station"], t["round"]))


def order_status(staff, order_id: str) -> str:
    return staff.get(f"/api/v1/orders/{order_id}", "manager").json()["status"]
