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


def watch_through_disconnects(base_url: str, token: str, station: str, *, disconnects: int,
                              done, rng, longest: float = 0.4) -> list[str]:
    """A kitchen screen that drops its stream ``disconnects`` times at random moments and comes
    back with ``Last-Event-ID``, as a browser on a flaky Wi-Fi does; then reads until ``done()``.

    Returns the id of every ticket it saw created, in the order seen (the first snapshot's
    tickets included): a ticket missing or seen twice is the stream's fault.
    """
    import queue
    import time

    seen: list[str] = []
    last_id = None

    def read(screen: Screen, until: float) -> None:
        while time.monotonic() < until:
            try:
                event = screen.next(max(0.01, until - time.monotonic()))
            except queue.Empty:
                return
            if event.name == "snapshot":  # the whole screen: what it shows, once
                seen.extend(t["ticket_id"] for t in event.data["tickets"]
                            if t["ticket_id"] not in seen)
            elif event.name == "ticket" and event.data["change"] == "created":
                seen.append(event.data["ticket"]["ticket_id"])

    for round_ in range(disconnects + 1):
        screen = Screen(base_url, token, station=station, last_event_id=last_id)
        if round_ < disconnects:
            read(screen, time.monotonic() + rng.uniform(0.02, longest))
        else:
            deadline = time.monotonic() + 120
            while not done() and time.monotonic() < deadline:
                read(screen, time.monotonic() + 0.2)
            read(screen, time.monotonic() + 1.0)  # what was still on its way
        screen.close()
        last_id = screen.last_id
    return seen


def run_orders_through_disconnects(base_url: str, staff, menu, *, orders: int,
                                   disconnects: int, rng) -> tuple[list[str], list[str]]:
    """Confirm ``orders`` orders of one X-Burger (a ticket each at ``cozinha``) from a thread
    while a screen drops its stream ``disconnects`` times; returns the tickets the screen saw
    created and the tickets the kitchen made."""
    import threading
    import time

    placed = threading.Event()
    confirmed: list[str] = []
    failures: list[BaseException] = []

    def place_all() -> None:
        try:
            for _ in range(orders):
                made = place(staff, menu, ("X-Burger", "1"))
                move(staff, made["order_id"], "CONFIRMED")
                confirmed.append(made["order_id"])
                time.sleep(rng.uniform(0.0, 0.1))
        except BaseException as error:  # noqa: BLE001 - told to the caller below
            failures.append(error)
        finally:
            placed.set()

    made_ids: list[str] = []

    def all_made() -> bool:
        if not placed.is_set():
            return False
        made_ids[:] = [t["ticket_id"] for t in tickets(staff, station="cozinha")]
        return len(made_ids) >= len(confirmed)

    thread = threading.Thread(target=place_all, daemon=True)
    thread.start()
    seen = watch_through_disconnects(base_url, staff.token("kitchen"), "cozinha",
                                     disconnects=disconnects, done=all_made, rng=rng)
    thread.join()
    if failures:
        raise failures[0]
    return seen, made_ids
