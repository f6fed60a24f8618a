"""Idempotency-Key on orders against a real server: retries, races, reuse, tenants, expiry."""

import asyncio

import httpx
from starlette.testclient import TestClient

from posmodern.hosts.app import create_app
from posmodern.schema.tables import order_items, orders, outbox
from support.api import Api, assert_error, make_tenant
from support.live import http_client, live_server
from support.menu import create_menu, order_body
from support.settings import make_settings
from support.tenant_db import counts, events

RETRIES = 50


async def _fire(url: str, token: str, body: dict, key: str, times: int) -> list[httpx.Response]:
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}
    limits = httpx.Limits(max_connections=times)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        return await asyncio.gather(*(client.post("/api/v1/orders", json=body, headers=headers)
                                      for _ in range(times)))


def test_fifty_concurrent_retries_make_exactly_one_order(settings, tmp_path):
    tenant = make_tenant(settings, roles=("admin", "cashier"))
    with live_server(settings, tmp_path) as server, http_client(server) as client:
        api = Api(client, tenant)
        menu = create_menu(api)
        body = order_body(menu, ("X-Burger", "1"), ("Guaraná lata", "2"), ("Pudim de leite", "1"))
        answers = asyncio.run(_fire(server.url, api.token("cashier"), body, "till-1:0042",
                                    RETRIES))
        assert [a.status_code for a in answers] == [201] * RETRIES, server.log()
        first = answers[0].json()
        assert all(a.json() == first for a in answers)  # PostgreSQL may reorder keys (JSONB)
        replayed = [a.headers.get("idempotent-replayed") for a in answers]
        assert replayed.count(None) == 1 and replayed.count("true") == RETRIES - 1
        listed = api.get("/api/v1/orders").json()["items"]
        assert [o["order_id"] for o in listed] == [first["order_id"]]
        reused = api.post("/api/v1/orders", "cashier", headers={"Idempotency-Key": "till-1:0042"},
                          json=order_body(menu, ("X-Burger", "2")))
        assert_error(reused, 422, "idempotency_key_reused")
    assert counts(settings, tenant.client_id, orders, order_items) == {"orders": 1,
                                                                      "order_items": 3}
    assert len(events(settings, tenant.client_id, "order.created")) == 1


def test_keys_are_per_tenant_and_expire(database_url, tmp_path):
    settings = make_settings(database_url, tmp_path, POS_IDEMPOTENCY_TTL_HOURS="0")
    with TestClient(create_app(settings, plugins=["auth", "catalog", "orders"])) as client:
        first, second = (Api(client, make_tenant(settings, roles=("admin",))) for _ in range(2))
        made = []
        for api in (first, second):
            body = order_body(create_menu(api), ("X-Burger", "1"))
            for _ in range(2):
                answer = api.post("/api/v1/orders", headers={"Idempotency-Key": "k-1"}, json=body)
                assert answer.status_code == 201, answer.text
                assert "idempotent-replayed" not in answer.headers  # expired at once (TTL 0)
                made.append(answer.json()["order_id"])
        assert len(set(made)) == 4
        for api in (first, second):
            assert counts(settings, api.tenant.client_id, orders, outbox)["orders"] == 2


def test_a_refused_order_keeps_its_key_free(staff, menu, settings):
    body = order_body(menu, ("X-Burger", "0"))
    assert_error(staff.post("/api/v1/orders", headers={"Idempotency-Key": "k-9"}, json=body), 422)
    good = order_body(menu, ("X-Burger", "1"))
    inactive = staff.delete(f"/api/v1/products/{menu['Misto quente']['product_id']}")
    assert inactive.status_code == 200
    assert_error(staff.post("/api/v1/orders", headers={"Idempotency-Key": "k-9"},
                            json=order_body(menu, ("Misto quente", "1"))), 422, "inactive_product")
    placed = staff.post("/api/v1/orders", headers={"Idempotency-Key": "k-9"}, json=good)
    assert placed.status_code == 201 and "idempotent-replayed" not in placed.headers
    again = staff.post("/api/v1/orders", headers={"Idempotency-Key": "k-9"}, json=good)
    assert again.headers["idempotent-replayed"] == "true" and again.json() == placed.json()


def test_a_repeated_status_change_gets_its_answer_not_a_conflict(staff, menu, settings):
    # Running the repeat again would be refused (the order is CONFIRMED already): the client
    # still gets the first answer, and the order moved once.
    order = staff.post("/api/v1/orders", json=order_body(menu, ("X-Burger", "1"))).json()
    path = f"/api/v1/orders/{order['order_id']}/status"
    first = staff.post(path, headers={"Idempotency-Key": "s-1"}, json={"status": "CONFIRMED"})
    assert first.status_code == 200 and first.json()["status"] == "CONFIRMED"
    again = staff.post(path, headers={"Idempotency-Key": "s-1"}, json={"status": "CONFIRMED"})
    assert again.status_code == 200 and again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert_error(staff.post(path, headers={"Idempotency-Key": "s-2"},
                            json={"status": "CONFIRMED"}), 409, "transition_not_allowed")
    assert len(events(settings, staff.tenant.client_id, "order.status_updated")) == 1
