"""The poller of the server's own: elected, it polls every REMOTE_ORDERS_POLL_SECONDS, takes the
order without anyone asking, and sends its confirmation soon after."""

from __future__ import annotations

import contextlib

import pytest
from starlette.testclient import TestClient

from posmodern.hosts.app import create_app
from support.api import Api, make_tenant
from support.remote_orders import add_menu, remote_orders, sell_through_ifood
from support.settings import make_settings
from support.tenant_db import wait_for

PLUGINS = ["auth", "catalog", "orders", "payments", "kds", "settings", "remote_orders", "ifood"]


@contextlib.contextmanager
def selling_through_ifood(database_url, tmp_path, exchange, ifood, poll_seconds: str):
    """A server of its own polling iFood every ``poll_seconds``, and a store selling there."""
    settings = make_settings(database_url, tmp_path, exchange=exchange, IFOOD_API_URL=ifood.url,
                             REMOTE_ORDERS_POLL_SECONDS=poll_seconds)
    with TestClient(create_app(settings, plugins=PLUGINS)) as client:
        staff = Api(client, make_tenant(settings))
        add_menu(staff)
        sell_through_ifood(staff, ifood.merchant)
        yield staff


@pytest.fixture
def api(database_url, tmp_path, exchange, ifood):
    with selling_through_ifood(database_url, tmp_path, exchange, ifood, "0.2") as staff:
        yield staff


def test_the_server_polls_takes_and_confirms_on_its_own(api, ifood):
    placed = ifood.place([("XB", "1", "26.90")])
    [order] = wait_for(lambda: remote_orders(api), timeout=30)
    assert order["external_id"] == placed["id"]
    wait_for(lambda: ifood.actions_of(placed["id"]) == ["confirm"], timeout=30)
    assert ifood.events == []


def test_what_we_tell_the_marketplace_goes_when_it_is_queued_not_at_the_next_poll(
        database_url, tmp_path, exchange, ifood):
    # Polls every 5 minutes here: our confirmation and our "preparing" reach iFood within the
    # test's 10 s only because the poller is told when the transaction that queued them commits.
    with selling_through_ifood(database_url, tmp_path, exchange, ifood, "300") as staff:
        placed = ifood.place([("XB", "1", "26.90")])
        polled = staff.post("/api/v1/remote-orders/poll", "manager")
        assert polled.status_code == 200, polled.text
        [order] = wait_for(lambda: remote_orders(staff))
        wait_for(lambda: ifood.actions_of(placed["id"]) == ["confirm"])
        polls = sum(1 for route, _ in ifood.requests if route == "polling")
        moved = staff.post(f"/api/v1/orders/{order['order_id']}/status", "manager",
                           json={"status": "IN_PREPARATION"})
        assert moved.status_code == 200, moved.text
        wait_for(lambda: ifood.actions_of(placed["id"]) == ["confirm", "startPreparation"])
        # Sent without asking iFood for events again.
        assert sum(1 for route, _ in ifood.requests if route == "polling") == polls
