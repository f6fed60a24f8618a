"""A service started while RabbitMQ is down serves anyway (issue 12): it takes and confirms
orders, keeps their events in the outbox and says `/ready` is not; once the broker is up its
consumer and relay connect by themselves and the kitchen gets every ticket, once. On a private
RabbitMQ node (the machine's shared one is never stopped)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import httpx
import pytest

from support.api import Api, make_tenant
from support.kitchen import move, place
from support.menu import create_menu
from support.private_services import PrivateRabbit
from support.server import serving
from support.tenant_db import wait_for

PLUGINS = "auth,catalog,customers,orders,waiter,kds"


@pytest.mark.faults
@pytest.mark.timeout(600)
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_service_started_with_the_broker_down_serves_and_catches_up(settings, tmp_path):
    rabbit = PrivateRabbit(Path(tempfile.mkdtemp(prefix="pos-broker-down-")))
    tenant = make_tenant(settings)
    env = {"DATABASE_URL": settings.database_url, "POS_DATA_DIR": str(settings.data_dir),
           "BROKER_URL": rabbit.url, "POS_BUS_EXCHANGE": settings.bus_exchange,
           "POS_PLUGINS": PLUGINS, "POS_AUTO_MIGRATE": "true", "POS_LOG_FORMAT": "text",
           "POS_OUTBOX_POLL_SECONDS": "0.2"}
    try:
        with serving(env, cwd=tmp_path, timeout=90) as server, \
                httpx.Client(base_url=server.url, timeout=30) as client:
            staff = Api(client, tenant)
            ready = client.get("/ready")
            assert ready.status_code == 503 and ready.json()["checks"]["bus"].startswith("error")
            menu = create_menu(staff)
            orders = [place(staff, menu, ("X-Burger", "1")) for _ in range(3)]
            for order in orders:
                assert move(staff, order["order_id"], "CONFIRMED")["status"] == "CONFIRMED"
            assert staff.get("/api/v1/kds/tickets", "kitchen").json()["items"] == []

            rabbit.start()
            for order in orders:
                [ticket] = wait_for(lambda o=order: of_order_now(staff, o["order_id"]),
                                    timeout=120)
                assert ticket["order_number"] == order["order_number"]
            assert wait_for(lambda: client.get("/ready").status_code == 200, timeout=60)
            # Nothing twice: one ticket per order, however often the relay tried.
            tickets = staff.get("/api/v1/kds/tickets", "kitchen").json()["items"]
            assert sorted(t["order_number"] for t in tickets) == sorted(
                o["order_number"] for o in orders)
    finally:
        rabbit.close()


def of_order_now(staff: Api, order_id: str) -> list[dict]:
    listed = staff.get("/api/v1/kds/tickets", "kitchen").json()["items"]
    return [t for t in listed if t["order_id"] == order_id]
