"""The live stream against real servers (uvicorn through ``pos serve``): a confirmed order's
ticket reaches its station's screen within a second, a screen that reconnects with
Last-Event-ID replays what it missed, and with the kitchen in processes of its own on RabbitMQ
(two replicas) every screen sees every ticket while each ticket is made once."""

import queue
import random
import time
from datetime import timedelta

import httpx
import pytest
from posmodern.core.db import Database
from posmodern.schema.tables import kds_changes, kds_tickets
from posmodern.schema.types import utcnow
from sqlalchemy import func, select, update
from support.api import Api, make_tenant
from support.kitchen import Screen, run_orders_through_disconnects
from support.menu import create_menu, order_body
from support.server import Server, serving
from support.services import AMQP_URL, _run as run
from support.tenant_db import fetch, wait_for

EMBEDDED = "auth,catalog,customers,orders,waiter,kds"


def server_env(settings, plugins: str, broker: str = "memory://") -> dict[str, str]:
    return {"DATABASE_URL": settings.database_url, "POS_DATA_DIR": str(settings.data_dir),
            "BROKER_URL": broker, "POS_BUS_EXCHANGE": settings.bus_exchange,
            "POS_PLUGINS": plugins, "POS_AUTO_MIGRATE": "true", "POS_LOG_FORMAT": "text",
            "POS_OUTBOX_POLL_SECONDS": "0.2"}


def confirmed_order(staff: Api, menu, *lines) -> dict:
    made = staff.post("/api/v1/orders", "cashier", json=order_body(menu, *lines))
    assert made.status_code == 201, made.text
    moved = staff.post(f"/api/v1/orders/{made.json()['order_id']}/status", "manager",
                       json={"status": "CONFIRMED"})
    assert moved.status_code == 200, moved.text
    return made.json()


def test_a_screen_sees_tickets_live_and_misses_nothing_across_a_reconnection(settings, tmp_path):
    tenant = make_tenant(settings)
    with serving(server_env(settings, EMBEDDED), cwd=tmp_path) as server, \
            httpx.Client(base_url=server.url) as client:
        staff = Api(client, tenant)
        menu = create_menu(staff)
        screen = Screen(server.url, staff.token("kitchen"), station="cozinha")
        snapshot = screen.next(5)
        assert snapshot.name == "snapshot" and snapshot.data == {"tickets": []}
        first = confirmed_order(staff, menu, ("X-Burger", "1"))
        answered = time.monotonic()
        event = screen.until(lambda e: e.name == "ticket", timeout=1.0)
        assert time.monotonic() - answered < 1.0
        assert event.data["change"] == "created"
        ticket = event.data["ticket"]
        assert ticket["order_number"] == first["order_number"] and ticket["station"] == "cozinha"
        screen.close()
        resume_from = screen.last_id

        # While the screen is away: a bump, a new order, and that order's cancellation.
        staff.post(f"/api/v1/kds/tickets/{ticket['ticket_id']}/bump", "kitchen")
        second = confirmed_order(staff, menu, ("Misto quente", "2"))
        wait_for(lambda: len(staff.get("/api/v1/kds/tickets", "kitchen").json()["items"]) == 1)
        staff.post(f"/api/v1/orders/{second['order_id']}/status", "manager",
                   json={"status": "CANCELLED"})
        back = Screen(server.url, staff.token("kitchen"), station="cozinha",
                      last_event_id=resume_from)
        seen = [back.next(5) for _ in range(3)]
        assert [(e.name, e.data["change"], e.data["ticket"]["order_number"]) for e in seen] == [
            ("ticket", "bumped", first["order_number"]),
            ("ticket", "created", second["order_number"]),
            ("ticket", "cancelled", second["order_number"])]
        assert seen[-1].data["ticket"]["alert"] == "cancelled"
        assert [int(e.id) for e in seen] == sorted(int(e.id) for e in seen)
        with pytest.raises(queue.Empty):
            back.next(0.5)  # nothing twice
        back.close()


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_two_kitchen_replicas_on_rabbitmq_make_each_ticket_once(settings, tmp_path):
    tenant = make_tenant(settings)
    counter_env = server_env(settings, "auth,catalog,customers,orders,waiter", AMQP_URL)
    kitchen_env = server_env(settings, "auth,kds", AMQP_URL)
    with serving(counter_env, cwd=tmp_path) as counter:
        kitchens = [Server(kitchen_env, cwd=tmp_path) for _ in range(2)]
        try:
            for kitchen in kitchens:
                kitchen.wait_healthy()
            with httpx.Client(base_url=counter.url) as front, \
                    httpx.Client(base_url=kitchens[0].url) as back:
                staff, cooks = Api(front, tenant), Api(back, tenant)
                menu = create_menu(staff)
                screens = [Screen(k.url, cooks.token("kitchen"), station="cozinha")
                           for k in kitchens]
                assert all(s.next(5).name == "snapshot" for s in screens)
                orders = [confirmed_order(staff, menu, ("X-Burger", "1")) for _ in range(5)]
                numbers = {o["order_number"] for o in orders}
                for screen in screens:
                    seen = {screen.until(lambda e: e.name == "ticket").data["ticket"]
                            ["order_number"] for _ in range(5)}
                    assert seen == numbers
                    screen.close()
                made = fetch(settings, tenant.client_id, select(
                    kds_tickets.c.order_id, func.count()).group_by(kds_tickets.c.order_id))
                assert sorted(count for _, count in made) == [1] * 5
                listed = cooks.get("/api/v1/kds/tickets", "kitchen").json()["items"]
                first = next(t for t in listed if t["order_id"] == orders[0]["order_id"])
                assert cooks.post(f"/api/v1/kds/tickets/{first['ticket_id']}/bump",
                                  "kitchen").status_code == 200

                # The orders plugin runs elsewhere: it applies kds.order_progress a moment later.
                def ready():
                    order = staff.get(f"/api/v1/orders/{orders[0]['order_id']}", "manager")
                    return order.json()["status"] == "READY"
                wait_for(ready)
        finally:
            for kitchen in kitchens:
                kitchen.stop()


def test_a_screen_dropping_its_stream_again_and_again_misses_no_ticket_and_sees_none_twice(
        settings, tmp_path):
    """bench/kds_disconnects.py does the same with 50 disconnects and prints the counts."""
    tenant = make_tenant(settings)
    with serving(server_env(settings, EMBEDDED), cwd=tmp_path) as server, \
            httpx.Client(base_url=server.url, timeout=30) as client:
        staff = Api(client, tenant)
        menu = create_menu(staff)
        seen, made = run_orders_through_disconnects(server.url, staff, menu, orders=12,
                                                    disconnects=10, rng=random.Random(7))
    assert len(made) == 12
    assert sorted(seen) == sorted(made)  # none missing, none twice


def test_changes_older_than_kept_are_purged_and_a_screen_away_longer_gets_a_snapshot(
        settings, tmp_path):
    """KDS_CHANGES_RETENTION_HOURS: the purge deletes older changes (never the newest: SQLite
    would number the next one again from 1), and a screen whose Last-Event-ID is older than
    what is kept is sent the tickets on screen, then carries on live."""
    tenant = make_tenant(settings)
    env = {**server_env(settings, EMBEDDED), "KDS_CHANGES_RETENTION_HOURS": "1",
           "KDS_PURGE_SECONDS": "1"}
    with serving(env, cwd=tmp_path) as server, httpx.Client(base_url=server.url) as client:
        staff = Api(client, tenant)
        menu = create_menu(staff)
        screen = Screen(server.url, staff.token("kitchen"), station="cozinha")
        assert screen.next(5).name == "snapshot"
        first = confirmed_order(staff, menu, ("X-Burger", "1"))
        ticket = screen.until(lambda e: e.name == "ticket", timeout=5).data["ticket"]
        screen.close()
        resume_from = screen.last_id
        # While the screen is away (for hours, say): the ticket is bumped, another comes.
        staff.post(f"/api/v1/kds/tickets/{ticket['ticket_id']}/bump", "kitchen")
        second = confirmed_order(staff, menu, ("Misto quente", "2"))
        wait_for(lambda: fetch(settings, tenant.client_id, select(func.count()).select_from(
            kds_changes))[0][0] == 3)
        age(settings, tenant.client_id, hours=2)
        newest = fetch(settings, tenant.client_id, select(func.max(kds_changes.c.seq)))[0][0]
        wait_for(lambda: fetch(settings, tenant.client_id, select(kds_changes.c.seq)) == [
            (newest,)], timeout=15)

        back = Screen(server.url, staff.token("kitchen"), station="cozinha",
                      last_event_id=resume_from)
        snapshot = back.next(5)
        assert snapshot.name == "snapshot" and snapshot.id == str(newest)
        assert [t["order_number"] for t in snapshot.data["tickets"]] == [second["order_number"]]
        third = confirmed_order(staff, menu, ("X-Burger", "3"))
        event = back.until(lambda e: e.name == "ticket", timeout=5)
        assert event.data["change"] == "created" and int(event.id) > newest
        assert event.data["ticket"]["order_number"] == third["order_number"]
        assert first["order_number"] not in {t["order_number"] for t in snapshot.data["tickets"]}
        back.close()


def age(settings, client_id: str, hours: int) -> None:
    """Date every kitchen change ``hours`` ago, as if the screen had been away that long."""
    async def go():
        db = Database(settings.database_url)
        try:
            async with db.transaction(client_id) as conn:
                await conn.execute(update(kds_changes).values(
                    created_at=utcnow() - timedelta(hours=hours)))
        finally:
            await db.dispose()
    run(go())
