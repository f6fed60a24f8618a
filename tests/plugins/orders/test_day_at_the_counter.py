"""A day at the counter, black box: a real `pos serve` driven over HTTP only.

Embedded (SQLite, in-process bus) and production-like (PostgreSQL, RabbitMQ): the menu is set up,
orders come in with retries, statuses move (and some moves are refused), tables fill and free,
the day's orders are paged through, and a second restaurant tries to read the first one's orders.
"""

from support import services
from support.api import Api, assert_error, make_tenant
from support.live import http_client, live_server
from support.tenant_db import wait_for

PAGE = 3


def _menu(api: Api) -> dict[str, str]:
    products = {}
    for category, items in {"Pratos": [("Feijoada", "49.90"), ("PF de frango", "32.00")],
                            "Bebidas": [("Guaraná", "6.50"), ("Caipirinha", "22.00")],
                            "Sobremesas": [("Pudim", "12.00")]}.items():
        made = api.post("/api/v1/categories", "manager", json={"name": category})
        assert made.status_code == 201, made.text
        for name, price in items:
            product = api.post("/api/v1/products", "manager", json={
                "name": name, "price": price, "category_id": made.json()["category_id"]})
            assert product.status_code == 201, product.text
            products[name] = product.json()["product_id"]
    return products


def _items(menu: dict[str, str], *lines: tuple[str, str]) -> list[dict]:
    return [{"product_id": menu[name], "quantity": quantity} for name, quantity in lines]


def _walk(api: Api, order_id: str, *statuses: str, role: str = "cashier") -> dict:
    for status in statuses:
        moved = api.post(f"/api/v1/orders/{order_id}/status", role, json={"status": status})
        assert moved.status_code == 200, moved.text
    return moved.json()


def test_a_day_at_the_counter(settings, backend, tmp_path):
    broker = services.AMQP_URL if backend == "postgresql" else "memory://"
    first = make_tenant(settings)
    second = make_tenant(settings, roles=("admin",))
    try:
        with live_server(settings, tmp_path, broker=broker) as server, \
                http_client(server) as client:
            _day(Api(client, first), Api(client, second))
    finally:
        if broker != "memory://":
            services.delete_bus(settings.bus_exchange,
                                [f"{settings.bus_exchange}.waiter.table_occupancy"])


def _day(api: Api, rival: Api) -> None:
    # Morning: the manager sets up the menu; the admin sets the dining room.
    menu = _menu(api)
    caipirinha = api.delete(f"/api/v1/products/{menu['Caipirinha']}", "manager")
    assert caipirinha.json()["active"] is False  # no alcohol before noon
    tables = {number: api.post("/api/v1/waiter/tables", json={
        "table_number": number, "capacity": 4}).json()["table_id"] for number in ("1", "2")}
    regular = api.post("/api/v1/customers", "cashier", json={
        "name": "Seu Jorge", "phone": "(21) 99876-5432", "document_number": "529.982.247-25"})
    assert regular.status_code == 201, regular.text

    # The counter: a take-away order whose answer is lost, so the till sends it again.
    body = {"items": _items(menu, ("PF de frango", "1"), ("Guaraná", "2")),
            "customer_id": regular.json()["customer_id"], "notes": "para viagem"}
    sent = api.post("/api/v1/orders", "cashier", json=body, headers={"Idempotency-Key": "till1-1"})
    again = api.post("/api/v1/orders", "cashier", json=body, headers={"Idempotency-Key": "till1-1"})
    assert sent.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true" and again.json() == sent.json()
    takeaway = sent.json()
    assert (takeaway["order_number"], takeaway["total"], takeaway["status"]) == \
        ("1", "45.00", "PENDING")
    assert_error(api.post("/api/v1/orders", "cashier", headers={"Idempotency-Key": "till1-1"},
                          json={"items": _items(menu, ("Pudim", "1"))}), 422,
                 "idempotency_key_reused")
    assert_error(api.post("/api/v1/orders", "cashier",
                          json={"items": _items(menu, ("Caipirinha", "1"))}), 422,
                 "inactive_product")
    found = api.get("/api/v1/customers", "cashier", params={"phone": "21998765432"}).json()
    assert [c["name"] for c in found["items"]] == ["Seu Jorge"]

    # The kitchen works it; a skipped step and a cancel from the kitchen are refused.
    refused = assert_error(api.post(f"/api/v1/orders/{takeaway['order_id']}/status", "kitchen",
                                    json={"status": "READY"}), 409, "transition_not_allowed")
    assert refused["details"]["allowed"] == ["CONFIRMED", "CANCELLED"]
    _walk(api, takeaway["order_id"], "CONFIRMED")
    _walk(api, takeaway["order_id"], "IN_PREPARATION", "READY", role="kitchen")
    assert_error(api.post(f"/api/v1/orders/{takeaway['order_id']}/status", "kitchen",
                          json={"status": "CANCELLED"}), 403)
    done = _walk(api, takeaway["order_id"], "DELIVERED", "COMPLETED")
    assert done["status"] == "COMPLETED"
    assert_error(api.post(f"/api/v1/orders/{takeaway['order_id']}/status",
                          json={"status": "CANCELLED"}), 409)

    # Lunch: a waiter seats table 1, then adds a round; table 2 orders and changes its mind.
    lunch = api.post("/api/v1/orders", "waiter", headers={"Idempotency-Key": "tablet-7"}, json={
        "items": _items(menu, ("Feijoada", "2")), "table_id": tables["1"]}).json()
    assert lunch["source"] == "waiter"
    wait_for(lambda: api.get(f"/api/v1/waiter/tables/{tables['1']}", "waiter")
             .json()["status"] == "OCCUPIED")
    _walk(api, lunch["order_id"], "CONFIRMED")
    round_two = api.post(f"/api/v1/orders/{lunch['order_id']}/items", "waiter",
                         headers={"Idempotency-Key": "tablet-8"},
                         json={"items": _items(menu, ("Guaraná", "2"), ("Pudim", "2"))})
    assert round_two.status_code == 200, round_two.text
    assert round_two.json()["total"] == "136.80"  # 99.80 + 13.00 + 24.00
    second_table = api.post("/api/v1/orders", "waiter", json={
        "items": _items(menu, ("PF de frango", "1")), "table_id": tables["2"]}).json()
    wait_for(lambda: api.get(f"/api/v1/waiter/tables/{tables['2']}", "waiter")
             .json()["status"] == "OCCUPIED")
    _walk(api, second_table["order_id"], "CANCELLED")
    wait_for(lambda: api.get(f"/api/v1/waiter/tables/{tables['2']}", "waiter")
             .json()["status"] == "FREE")
    _walk(api, lunch["order_id"], "IN_PREPARATION", "READY", "DELIVERED", "COMPLETED")
    freed = wait_for(lambda: (t := api.get(f"/api/v1/waiter/tables/{tables['1']}", "waiter")
                              .json())["status"] == "FREE" and t)
    assert freed["current_order_id"] is None

    # A busy afternoon at the kiosk.
    for n in range(5):
        kiosk = api.post("/api/v1/orders", "kiosk", headers={"Idempotency-Key": f"kiosk-{n}"},
                         json={"items": _items(menu, ("Pudim", str(n + 1)))})
        assert kiosk.status_code == 201 and kiosk.json()["source"] == "kiosk"

    # Closing: the manager pages through the day, newest first, items embedded.
    seen, cursor = [], None
    while True:
        page = api.get("/api/v1/orders", "manager",
                       params={"limit": PAGE, **({"cursor": cursor} if cursor else {})}).json()
        assert len(page["items"]) <= PAGE and all(o["items"] for o in page["items"])
        seen += [int(o["order_number"]) for o in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    # Eight orders, newest first; numbers are unique, not gapless (a repeated request's
    # attempt may have taken one before it was rolled back).
    assert len(seen) == 8 and seen == sorted(set(seen), reverse=True) and seen[-1] == 1
    completed = api.get("/api/v1/orders", "manager", params={"status": "COMPLETED"}).json()
    assert {o["order_id"] for o in completed["items"]} == {takeaway["order_id"], lunch["order_id"]}
    at_table = api.get("/api/v1/orders", params={"table_id": tables["1"]}).json()["items"]
    assert [len(o["items"]) for o in at_table] == [3]

    # Across the street, another restaurant on the same platform tries to look.
    assert rival.get("/api/v1/orders").json() == {"items": [], "next_cursor": None}
    for order in (takeaway, lunch):
        assert_error(rival.get(f"/api/v1/orders/{order['order_id']}"), 404, "order_not_found")
        assert_error(rival.post(f"/api/v1/orders/{order['order_id']}/status",
                                json={"status": "CANCELLED"}), 404)
    assert_error(rival.get(f"/api/v1/customers/{regular.json()['customer_id']}"), 404)
    assert rival.get("/api/v1/products").json()["items"] == []
    assert api.get(f"/api/v1/orders/{lunch['order_id']}").json()["status"] == "COMPLETED"
