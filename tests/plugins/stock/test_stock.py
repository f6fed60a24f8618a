"""Stock items and movements over HTTP, low-stock events, concurrent movements, and stock that
follows order events (redelivered ones included), on both backends."""

import asyncio
import uuid
from decimal import Decimal

import pytest
from kombu import Connection, Exchange, Producer
from sqlalchemy import func, select
from starlette.testclient import TestClient

from posmodern.core.db import Database
from posmodern.core.events import Envelope, json_safe
from posmodern.hosts.app import create_app
from posmodern.plugins.stock.follow_orders import follow_order
from posmodern.plugins.stock.movements import Movement, move
from posmodern.schema.tables import outbox, stock_items, stock_movements
from support.api import Api, assert_error, make_store_users, make_tenant
from support.tenant_db import count, events, fetch, handled, wait_for


@pytest.fixture
def client(settings):
    app = create_app(settings, plugins=["auth", "catalog", "orders", "stock"])
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def api(client, settings):
    return Api(client, make_tenant(settings, roles=("admin", "manager", "kitchen", "cashier")))


@pytest.fixture
def product(api, client, settings):
    """``product("Café")``: a product made through the catalog API (``store="store-2"``: in the
    tenant's other store, by its own admin); returns its id."""
    def make(name="Pão de queijo", price="6.00", store=None):
        staff = api
        if store is not None:
            staff = Api(client, make_store_users(settings, api.tenant.client_id, store))
        made = staff.post("/api/v1/products", json={"name": name, "price": price})
        assert made.status_code == 201, made.text
        return made.json()["product_id"]
    return make


def new_order(api, *lines: tuple[str, str]) -> str:
    made = api.post("/api/v1/orders", "cashier", json={
        "items": [{"product_id": product_id, "quantity": quantity}
                  for product_id, quantity in lines]})
    assert made.status_code == 201, made.text
    return made.json()["order_id"]


def move_order(api, order_id: str, status: str) -> None:
    moved = api.post(f"/api/v1/orders/{order_id}/status", "manager", json={"status": status})
    assert moved.status_code == 200, moved.text


def last_event(settings, client_id: str, event_type: str, order_id: str) -> Envelope:
    found = [e for e in events(settings, client_id, event_type)
             if e["data"]["order_id"] == order_id]
    return Envelope.from_dict(found[-1])


def new_item(api, product_id, quantity="10", minimum=None, maximum=None):
    body = {"product_id": product_id, "quantity": quantity}
    if minimum is not None:
        body["min_quantity"] = minimum
    if maximum is not None:
        body["max_quantity"] = maximum
    created = api.post("/api/v1/stock/items", "manager", json=body)
    assert created.status_code == 201, created.text
    return created.json()


def movement(api, role="kitchen", **body):
    return api.post("/api/v1/stock/movements", role, json=body)


def quantity_of(api, product_id) -> str:
    items = api.get(f"/api/v1/stock/items?product_id={product_id}", "cashier").json()["items"]
    return items[0]["quantity"]


def test_items_and_movements(api, product):
    cheese, coffee = product("Pão de queijo"), product("Café")
    item = new_item(api, cheese, "10", minimum="3", maximum="50")
    assert (item["quantity"], item["min_quantity"], item["low"]) == ("10.000", "3.000", False)
    assert item["product_name"] == "Pão de queijo"
    new_item(api, coffee, "0.5")
    for kind, qty, expected in (("IN", "5", "15.000"), ("OUT", "4.5", "10.500"),
                                ("ADJUST", "-0.5", "10.000")):
        moved = movement(api, stock_item_id=item["stock_item_id"], movement_type=kind,
                         quantity=qty, reason="delivery" if kind == "IN" else "count")
        assert moved.status_code == 201, moved.text
        assert moved.json()["item"]["quantity"] == expected
    by_product = movement(api, product_id=coffee, movement_type="OUT", quantity="0.25")
    assert by_product.json()["quantity"] == "-0.250"
    listed = api.get("/api/v1/stock/items?limit=1", "cashier").json()
    assert [i["product_name"] for i in listed["items"]] == ["Café"]
    rest = api.get(f"/api/v1/stock/items?limit=1&cursor={listed['next_cursor']}", "cashier").json()
    assert [i["product_name"] for i in rest["items"]] == ["Pão de queijo"]
    assert rest["next_cursor"] is None
    detail = api.get(f"/api/v1/stock/items/{item['stock_item_id']}", "cashier").json()
    assert [m["movement_type"] for m in detail["movements"]] == ["ADJUST", "OUT", "IN", "IN"]
    assert detail["movements"][-1]["reason"] == "opening_balance"
    patched = api.patch(f"/api/v1/stock/items/{item['stock_item_id']}", "manager",
                        json={"min_quantity": "10"})
    assert patched.json()["low"] is True
    low = api.get("/api/v1/stock/items?low=true", "cashier").json()["items"]
    assert [i["product_name"] for i in low] == ["Pão de queijo"]


def _not_catalog(settings, client_id) -> int:
    """The outbox's events but the catalog's (the test adds a product on the way)."""
    return fetch(settings, client_id, select(func.count()).select_from(outbox).where(
        outbox.c.event_type.not_like("catalog.%")))[0][0]


def test_bad_stock_input_writes_nothing(api, product, settings):
    client_id = api.tenant.client_id
    item = new_item(api, product(), "2")
    before = (count(settings, client_id, stock_movements),
              _not_catalog(settings, client_id))
    item_id = item["stock_item_id"]
    assert_error(movement(api, stock_item_id=item_id, movement_type="OUT", quantity="3"), 409,
                 "insufficient_stock")
    for bad in ({"movement_type": "IN", "quantity": "0"},
                {"movement_type": "IN", "quantity": "-1"},
                {"movement_type": "OUT", "quantity": "1.0001"},
                {"movement_type": "ADJUST", "quantity": "0"},
                {"movement_type": "LOST", "quantity": "1"},
                {"movement_type": "IN", "quantity": "99999999"},
                {"movement_type": "IN"}):
        assert_error(movement(api, stock_item_id=item_id, **bad), 422)
    assert_error(movement(api, movement_type="IN", quantity="1"), 422)
    assert_error(movement(api, stock_item_id=item_id, product_id=item["product_id"],
                          movement_type="IN", quantity="1"), 422)
    assert_error(movement(api, stock_item_id=str(uuid.uuid4()), movement_type="IN",
                          quantity="1"), 404, "stock_item_not_found")
    assert_error(movement(api, "cashier", stock_item_id=item_id, movement_type="IN",
                          quantity="1"), 403)
    assert_error(api.post("/api/v1/stock/items", "manager",
                          json={"product_id": str(uuid.uuid4())}), 422, "unknown_product")
    assert_error(api.post("/api/v1/stock/items", "manager",
                          json={"product_id": item["product_id"]}), 409, "stock_item_exists")
    elsewhere = product(store="store-2")
    assert_error(api.post("/api/v1/stock/items", "manager", json={"product_id": elsewhere}),
                 422, "unknown_product")
    assert_error(api.post("/api/v1/stock/items", "manager",
                          json={"product_id": product("Suco"), "min_quantity": "5",
                                "max_quantity": "1"}), 422)
    assert_error(api.get("/api/v1/stock/items?cursor=nonsense", "cashier"), 422, "invalid_cursor")
    assert (count(settings, client_id, stock_movements),
            _not_catalog(settings, client_id)) == before
    assert quantity_of(api, item["product_id"]) == "2.000"


def test_stock_low_is_published_when_an_item_crosses_its_minimum(api, product, settings):
    item = new_item(api, product(), "5", minimum="3")
    item_id = item["stock_item_id"]
    for kind, qty in (("OUT", "2"), ("OUT", "1"), ("IN", "5"), ("OUT", "5")):
        assert movement(api, stock_item_id=item_id, movement_type=kind,
                        quantity=qty).status_code == 201
    lows = events(settings, api.tenant.client_id, "stock.low")
    assert [(e["data"]["previous_quantity"], e["data"]["quantity"]) for e in lows] == [
        ("5.000", "3.000"), ("7.000", "2.000")]
    assert lows[0]["data"]["product_id"] == item["product_id"]


def test_concurrent_movements_never_lose_an_update(api, product, settings):
    item = new_item(api, product(), "100")

    async def hammer():
        db = Database(settings.database_url)
        try:
            async with db.transaction(api.tenant.client_id) as conn:
                row = (await conn.execute(select(stock_items).where(
                    stock_items.c.stock_item_id == uuid.UUID(item["stock_item_id"])))).one()

            async def one(delta: str) -> None:
                async with db.transaction(api.tenant.client_id) as conn:
                    kind = "IN" if delta[0] != "-" else "OUT"
                    await move(conn, row, Movement(kind, Decimal(delta)),
                               client_id=api.tenant.client_id)
            await asyncio.gather(*[one("-1.5") for _ in range(24)], *[one("2") for _ in range(6)])
        finally:
            await db.dispose()
    asyncio.run(hammer())
    assert quantity_of(api, item["product_id"]) == "76.000"  # 100 - 24 * 1.5 + 6 * 2
    assert count(settings, api.tenant.client_id, stock_movements) == 31


def test_stock_follows_orders_and_a_redelivered_event_moves_it_once(api, client, product,
                                                                    settings):
    tenant = api.tenant
    burger, soda, napkin = product("X-Burger", "25.00"), product("Refri", "7.00"), product("Sachê")
    new_item(api, burger, "10")
    new_item(api, soda, "5")
    order_id = new_order(api, (burger, "2"), (soda, "1"), (napkin, "3"), (burger, "1"))
    move_order(api, order_id, "CONFIRMED")
    wait_for(lambda: quantity_of(api, burger) == "7.000")
    assert quantity_of(api, soda) == "4.000"

    # The broker delivers the confirmation again: skipped by its id, stock stays.
    confirmed = last_event(settings, tenant.client_id, "order.status_updated", order_id)
    bus = client.app.state.runtime.bus
    seen = bus.stats.duplicates
    with Connection("memory://localhost/") as conn:
        Producer(conn.channel(), exchange=Exchange(settings.bus_exchange, type="topic",
                                                   durable=True), serializer="json").publish(
            json_safe(confirmed.to_dict()), routing_key=confirmed.type, message_id=confirmed.id)
    wait_for(lambda: bus.stats.duplicates > seen)
    assert (quantity_of(api, burger), quantity_of(api, soda)) == ("7.000", "4.000")

    # A round added to the confirmed order leaves the shelf too; a voided item comes back.
    added = api.post(f"/api/v1/orders/{order_id}/items", "cashier", json={
        "items": [{"product_id": soda, "quantity": "2"}]})
    assert added.status_code == 200, added.text
    wait_for(lambda: quantity_of(api, soda) == "2.000")
    round_item = added.json()["items"][-1]
    assert (round_item["product_id"], round_item["quantity"]) == (soda, "2.000")
    voided = api.delete(f"/api/v1/orders/{order_id}/items/{round_item['item_id']}", "manager")
    assert voided.status_code == 200, voided.text
    wait_for(lambda: quantity_of(api, soda) == "4.000")

    move_order(api, order_id, "CANCELLED")
    wait_for(lambda: quantity_of(api, burger) == "10.000")
    wait_for(lambda: quantity_of(api, soda) == "5.000")
    moves = api.get(f"/api/v1/stock/movements?reference_id={order_id}", "cashier").json()["items"]
    assert sorted((m["movement_type"], m["quantity"], m["reason"]) for m in moves) == [
        ("IN", "1.000", "order_cancelled"), ("IN", "2.000", "order_confirmed"),
        ("IN", "3.000", "order_cancelled"), ("OUT", "-1.000", "order_confirmed"),
        ("OUT", "-2.000", "order_confirmed"), ("OUT", "-3.000", "order_confirmed")]

    # An order cancelled before it was confirmed never touches the stock.
    never = new_order(api, (burger, "4"))
    move_order(api, never, "CANCELLED")
    cancelled = last_event(settings, tenant.client_id, "order.cancelled", never)
    wait_for(lambda: handled(settings, tenant.client_id, "stock.follow_orders",
                                      cancelled.id))
    assert quantity_of(api, burger) == "10.000"
    assert api.get(f"/api/v1/stock/movements?reference_id={never}", "cashier").json()["items"] == []


def test_following_an_order_is_a_reconciliation(api, product, settings):
    """Handling one order's event twice, or a cancellation before its confirmation, ends in the
    same stock: the handler compares what should be out with what went out."""
    tenant = api.tenant
    fries = product("Batata")
    new_item(api, fries, "20")
    order_id = new_order(api, (fries, "3"))
    move_order(api, order_id, "CONFIRMED")
    move_order(api, order_id, "CANCELLED")
    cancelled = last_event(settings, tenant.client_id, "order.cancelled", order_id)

    async def handle_twice():
        db = Database(settings.database_url)
        try:
            for _ in range(2):
                async with db.transaction(tenant.client_id) as conn:
                    await follow_order(cancelled, conn)
        finally:
            await db.dispose()
    asyncio.run(handle_twice())
    wait_for(lambda: quantity_of(api, fries) == "20.000")
    moves = api.get(f"/api/v1/stock/movements?reference_id={order_id}", "cashier").json()["items"]
    assert sum(Decimal(m["quantity"]) for m in moves) == 0


def test_demo_shelves_are_made_once(api, product, settings):
    from posmodern.plugins.stock.stocktake import stock_every_product
    tenant = api.tenant
    product("Coxinha")
    product("Pastel")

    async def stocktake():
        db = Database(settings.database_url)
        try:
            async with db.transaction(tenant.client_id) as conn:
                return await stock_every_product(conn, tenant.client_id, tenant.store_id)
        finally:
            await db.dispose()
    assert asyncio.run(stocktake()) == 2
    assert asyncio.run(stocktake()) == 0
    items = api.get("/api/v1/stock/items", "cashier").json()["items"]
    assert [(i["product_name"], i["quantity"], i["min_quantity"]) for i in items] == [
        ("Coxinha", "50.000", "10.000"), ("Pastel", "50.000", "10.000")]
