"""Money a marketplace charged online, recorded on the order by another plugin through
``pos_payment_record`` in its own transaction: a confirmed tender, the order paid, once."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from pydantic import BaseModel
from starlette.testclient import TestClient

from posmodern.core import hookimpl
from posmodern.core.api import ApiRoute
from posmodern.core.order_desk import place_order
from posmodern.core.orders import ItemRequest, OrderRequest
from posmodern.core.payments import PaidElsewhere, record_paid_elsewhere
from posmodern.core.plugins import get_plugin_manager
from posmodern.hosts.app import create_app
from support.api import Api, assert_error, make_tenant
from support.menu import create_menu
from support.tenant_db import events


class Paid(BaseModel):
    product_id: str
    amount: str
    times: int = 1


async def _paid_online(ctx):
    body = ctx.body
    async with ctx.transaction() as conn:
        order = await place_order(conn, ctx.runtime, OrderRequest(
            client_id=ctx.client_id, store_id=ctx.store_id, source="remote",
            external_id=f"m-{uuid.uuid4().hex[:6]}",
            items=[ItemRequest(uuid.UUID(body.product_id), Decimal(1))]))
        for _ in range(body.times):
            tender = await record_paid_elsewhere(conn, ctx.runtime, PaidElsewhere(
                order_id=order["order_id"], store_id=ctx.store_id, provider="market",
                method="online", amount=Decimal(body.amount), external_id="pay-1"))
    return {"order_id": order["order_id"], "tender": tender}


class Market:
    @hookimpl
    def pos_routes(self, settings):
        return [ApiRoute("market.paid", "POST", "/api/v1/test-market", _paid_online,
                         frozenset({"admin"}), body=Paid)]


def _client(settings, plugins):
    pm = get_plugin_manager(plugins, extra=[("test_market", Market())])
    return TestClient(create_app(settings, pm=pm))


@pytest.fixture
def api(settings):
    with _client(settings, ["auth", "catalog", "orders", "payments"]) as client:
        yield Api(client, make_tenant(settings))


def test_money_paid_online_pays_the_order_once(api, settings):
    menu = create_menu(api)
    made = api.post("/api/v1/test-market", json={
        "product_id": menu["X-Burger"]["product_id"], "amount": "26.90", "times": 2})
    assert made.status_code == 200, made.text
    order_id = made.json()["order_id"]
    assert api.get(f"/api/v1/orders/{order_id}").json()["payment_status"] == "PAID"
    tenders = api.get(f"/api/v1/orders/{order_id}/payments", "manager").json()
    assert [(p["provider"], p["method"], p["status"], p["amount"], p["external_id"])
            for p in tenders["items"]] == [("market", "online", "CONFIRMED", "26.90", "pay-1")]
    confirmed = events(settings, api.tenant.client_id, "payment.confirmed")
    assert [e["data"]["source"] for e in confirmed] == ["elsewhere"]
    assert len(events(settings, api.tenant.client_id, "payment.completed")) == 1


def test_without_the_payments_plugin_nothing_is_written(settings):
    with _client(settings, ["auth", "catalog", "orders"]) as client:
        api = Api(client, make_tenant(settings))
        menu = create_menu(api)
        answer = api.post("/api/v1/test-market", json={
            "product_id": menu["X-Burger"]["product_id"], "amount": "26.90"})
        assert_error(answer, 503, "payments_unavailable")
        assert api.get("/api/v1/orders").json()["items"] == []
