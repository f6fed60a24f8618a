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


class Screen:
    """A kitchen screen reading ``GET /api/v1/kds/stream`` in a thread, as a browser would."""

    def __init__(self, base_url: str, token: str, station: str | None = None,
                 last_event_id: str | None = None) -> None:
        import queue
        import threading

        self.events: queue.Queue = queue.Queue()
        self.last_id = last_event_id
        self._stop = threading.Event()
        headers = {"Authorization": f"Bearer {token}"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = last_event_id
        params = {"station": station} if station else {}
        self._thread = threading.Thread(target=self._read, daemon=True,
                                        args=(base_url, headers, params))
        self._thread.start()

    def _read(self, base_url, headers, params) -> None:
        import httpx

        from support.sse import events

        try:
            with httpx.Client(base_url=base_url, timeout=httpx.Timeout(5, read=None)) as client:
                with client.stream("GET", "/api/v1/kds/stream", headers=headers,
                                   params=params) as response:
                    if response.status_code != 200:
                        self.events.put(AssertionError(response.read()))
                        return
                    for event in events(response.iter_lines()):
                        if self._stop.is_set():
                            return
                        self.events.put(event)
        except httpx.HTTPError as error:
            if not self._stop.is_set():  # the server went away under an open screen
                self.events.put(error)

    def next(self, timeout: float = 1.5):
        """The next event within ``timeout`` seconds (raises ``queue.Empty`` otherwise)."""
        event = self.events.get(timeout=timeout)
        if isinstance(event, Exception):
            raise event
        if event.id is not None:
            self.last_id = event.id
        return event

    def until(self, check, timeout: float = 5.0):
        """Events until one for which ``check(event)`` is true; returns it."""
        import time

        deadline = time.monotonic() + timeout
        while True:
            event = self.next(max(0.01, deadline - time.monotonic()))
            if check(event):
                return event

    def close(self) -> None:
        """Stop reading (the connection closes with the next event or keep-alive)."""
        self._stop.set()
