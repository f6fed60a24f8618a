"""The dashboard on the embedded backend: the running process, in-process, on both databases."""

import asyncio
import logging
import uuid

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from posmodern.core import hookimpl
from posmodern.core.db import Database
from posmodern.core.events import Subscription
from posmodern.core.plugins import get_plugin_manager
from posmodern.hosts.app import create_app
from posmodern.schema.tables import audit_log
from support import services
from support.api import Api, assert_error, make_tenant
from support.settings import make_settings
from support.sse import events

SERVICES = "/api/v1/dashboard/services"
log = logging.getLogger("posmodern.test.dashboard")
log.setLevel(logging.INFO)


class Kitchen:
    """A plugin with one durable subscription, so the bus has a queue to show."""

    @staticmethod
    async def on_order(envelope, conn):
        return None

    @hookimpl
    def pos_subscriptions(self, settings):
        return [Subscription("kitchen.tickets", ("order.*",), self.on_order)]


def _client(settings, plugins=("auth", "dashboard"), extra=()):
    pm = get_plugin_manager(list(plugins), extra=extra)
    return TestClient(create_app(settings, pm=pm))


@pytest.fixture
def client(settings):
    with _client(settings, extra=[("kitchen", Kitchen())]) as test_client:
        yield test_client


@pytest.fixture
def api(client, settings):
    return Api(client, make_tenant(settings, roles=("admin", "cashier")))


def test_the_process_its_plugins_and_what_it_depends_on(api):
    listed = api.get(SERVICES)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["backend"] == "embedded"
    by_id = {s["id"]: s for s in body["services"]}
    assert set(by_id) == {"pos", "database", "event-bus", "cache"}
    assert all(s["status"] == "healthy" for s in by_id.values()), by_id
    assert all(s["actions"] == [] for s in by_id.values())
    assert by_id["pos"]["usage"]["memory_bytes"] > 10_000_000
    process = api.get(f"{SERVICES}/pos").json()
    plugins = {p["name"]: p for p in process["details"]["plugins"]}
    assert set(plugins) == {"auth", "dashboard", "kitchen"}
    assert "pos_routes" in plugins["auth"]["hooks"]
    assert {"pos_startup", "pos_static_assets", "pos_commands"} <= set(
        plugins["dashboard"]["hooks"])
    assert plugins["kitchen"]["hooks"] == ["pos_subscriptions"]
    assert process["usage"]["cpu_percent"] is not None
    database = api.get(f"{SERVICES}/database").json()
    assert database["details"]["tenants"] >= 1 and "***" not in database["details"]["dialect"]
    bus = api.get(f"{SERVICES}/event-bus").json()
    assert bus["details"]["subscriptions"] == ["kitchen.tickets"]
    assert "backlog" in bus["details"]["stats"]
    assert_error(api.get(f"{SERVICES}/nope"), 404, "service_not_found")


def test_admins_only_and_only_of_operating_tenants(api, client, settings, tmp_path):
    assert_error(api.get(SERVICES, "cashier"), 403)
    assert_error(api.get("/api/v1/dashboard/event-bus", "cashier"), 403)
    assert_error(api.post(f"{SERVICES}/pos/restart", "cashier"), 403)
    assert_error(client.get(SERVICES), 401)
    restricted = make_settings(settings.database_url, tmp_path, POS_OPS_CLIENTS="platform-ops")
    with _client(restricted) as other:
        error = assert_error(Api(other, api.tenant).get(SERVICES), 403, "not_an_operator")
        assert "POS_OPS_CLIENTS" in error["message"]
    allowed = make_settings(settings.database_url, tmp_path,
                            POS_OPS_CLIENTS=f"platform-ops, {api.tenant.client_id}")
    with _client(allowed) as other:
        assert Api(other, api.tenant).get(SERVICES).status_code == 200


def test_production_keeps_it_closed_until_ops_clients_are_named(api, settings, tmp_path):
    secrets = dict(POS_ENV="production", POS_SECRET_KEY="k3y-" + uuid.uuid4().hex + "-sign",
                   POS_DATA_KEY="k3y-" + uuid.uuid4().hex + "-data")
    closed = make_settings(settings.database_url, tmp_path, **secrets)
    with _client(closed) as other:
        error = assert_error(Api(other, api.tenant).get(SERVICES), 403, "not_an_operator")
        assert "POS_OPS_CLIENTS" in error["message"]
    opened = make_settings(settings.database_url, tmp_path, POS_OPS_CLIENTS=api.tenant.client_id,
                           **secrets)
    with _client(opened) as other:
        assert Api(other, api.tenant).get(SERVICES).status_code == 200


def test_control_is_refused_in_one_process_and_audited(api, settings):
    error = assert_error(api.post(f"{SERVICES}/event-bus/stop"), 409, "not_supported")
    assert "restart the process" in error["message"]
    assert_error(api.post(f"{SERVICES}/nope/restart"), 404)

    async def audited():
        db = Database(settings.database_url)
        try:
            async with db.transaction(api.tenant.client_id) as conn:
                return (await conn.execute(select(
                    audit_log.c.action, audit_log.c.username, audit_log.c.resource_id,
                    audit_log.c.details).where(audit_log.c.action.like("dashboard.%")))).all()
        finally:
            await db.dispose()
    rows = asyncio.run(audited())
    assert [(r.action, r.username, r.resource_id) for r in rows] == [
        ("dashboard.service.stop", "admin", "event-bus")]
    assert rows[0].details["backend"] == "embedded"
    assert rows[0].details["outcome"].startswith("refused")


@pytest.fixture
def quiet_access_log():
    """Only the test's own lines in the log: the requests' access lines are written after their
    answers, so one could land between the test's lines."""
    access = logging.getLogger("posmodern.http")
    level = access.level
    access.setLevel(logging.WARNING)
    yield
    access.setLevel(level)


def _said(message: str) -> str:
    """What the test's logger said: the text log format (set by another test of the run, as
    logging is per process) writes "LEVEL logger: " before it."""
    return message.rsplit(": ", 1)[-1]


def test_log_tail_and_follow_resume_without_losing_or_repeating_a_line(api, client,
                                                                       quiet_access_log):
    api.token("admin")
    marker = uuid.uuid4().hex[:8]
    for n in range(3):
        log.info("before %s %d", marker, n)
    # Other loggers of this process (the relay, the election) may write between the test's lines.
    tail = api.get(f"{SERVICES}/pos/logs", params={"tail": 20}).json()
    assert [m for m in (_said(line["message"]) for line in tail["lines"]) if marker in m] == [
        f"before {marker} {n}" for n in range(3)]
    headers = api.headers("admin")
    seen = []
    url = f"{SERVICES}/pos/logs?follow=true&tail=1"
    with client.stream("GET", url, headers=headers) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        stream = events(response.iter_lines())
        first = next(stream)
        # tail=1 starts at the last line written: the test's last, or another logger's since.
        assert _said(first.data["message"]) not in (f"before {marker} 0", f"before {marker} 1")
        for n in range(3):
            log.info("live %s %d", marker, n)
        while len(seen) < 2:
            event = next(stream)
            if marker in event.data["message"]:
                seen.append(event)
    assert [_said(e.data["message"]) for e in seen] == [f"live {marker} 0", f"live {marker} 1"]
    for n in range(3, 5):
        log.info("live %s %d", marker, n)  # printed while nobody follows
    resumed = []
    with client.stream("GET", url, headers={**headers, "Last-Event-ID": seen[-1].id}) as response:
        for event in events(response.iter_lines()):
            if marker in event.data["message"]:
                resumed.append(_said(event.data["message"]))
            if len(resumed) == 3:
                break
    assert resumed == [f"live {marker} {n}" for n in range(2, 5)]


def test_a_resume_from_before_a_restart_starts_from_the_tail(api, client, quiet_access_log):
    api.token("admin")
    marker = uuid.uuid4().hex[:8]
    log.info("only %s", marker)
    with client.stream("GET", f"{SERVICES}/pos/logs?follow=true&tail=1",
                       headers={**api.headers("admin"),
                                "Last-Event-ID": "0000dead:12"}) as response:
        first = next(events(response.iter_lines()))
    assert _said(first.data["message"]) == f"only {marker}"


def test_the_watch_stream_sends_history_then_snapshots(api, client):
    with client.stream("GET", f"{SERVICES}?watch=true", headers=api.headers("admin")) as response:
        stream = events(response.iter_lines())
        assert next(stream).name == "history"
        snapshots = [next(stream), next(stream)]
    assert [e.name for e in snapshots] == ["services", "services"]
    assert {s["id"] for s in snapshots[1].data["services"]} == {"pos", "database", "event-bus",
                                                              "cache"}
    assert snapshots[1].data["at"] > snapshots[0].data["at"]


def test_event_bus_in_process(api):
    panel = api.get("/api/v1/dashboard/event-bus").json()
    assert panel["broker"] == "memory" and panel["source"] == "in-process"
    assert panel["status"] == "ok"
    assert [e["name"] for e in panel["exchanges"]] == [panel["exchange"]]
    queue = {q["name"]: q for q in panel["queues"]}[f"{panel['exchange']}.kitchen.tickets"]
    assert queue["messages"] == 0 and queue["consumers"] == 1
    assert {"published", "handled", "backlog", "failures"} <= set(panel["process"])


def _sqlite(tmp_path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'var' / 'pos.db'}"


def test_event_bus_on_rabbitmq_from_its_management_api(tmp_path, exchange):
    settings = make_settings(_sqlite(tmp_path), tmp_path, broker=services.AMQP_URL,
                             exchange=exchange)
    try:
        with _client(settings, extra=[("kitchen", Kitchen())]) as client:
            api = Api(client, make_tenant(settings, roles=("admin",)))
            queue_name = f"{exchange}.kitchen.tickets"
            for _ in range(100):  # the management API's statistics lag a few seconds behind
                panel = api.get("/api/v1/dashboard/event-bus").json()
                queues = {q["name"]: q for q in panel["queues"]}
                if queues.get(queue_name, {}).get("consumers") == 1 and \
                        queues[queue_name]["messages"] is not None:
                    break
                asyncio.run(asyncio.sleep(0.2))
            assert panel["source"] == "rabbitmq-management", panel
            assert panel["status"] == "ok", panel
            assert panel["overview"]["version"]
            assert [e["name"] for e in panel["exchanges"]] == [exchange]
            assert queues[queue_name]["consumers"] == 1
            assert queues[queue_name]["messages"] == 0
            assert all(name.startswith(exchange + ".") for name in queues)
    finally:
        services.delete_bus(exchange, [f"{exchange}.kitchen.tickets"])


def test_an_unreachable_management_api_is_reported_not_raised(tmp_path, exchange):
    settings = make_settings(_sqlite(tmp_path), tmp_path, broker=services.AMQP_URL,
                             exchange=exchange, RABBITMQ_MANAGEMENT_URL=f"http://127.0.0.1:{services.free_port()}/")
    with _client(settings) as client:
        api = Api(client, make_tenant(settings, roles=("admin",)))
        panel = api.get("/api/v1/dashboard/event-bus").json()
    assert panel["status"] == "error" and "management API" in panel["error"]
    services.delete_bus(exchange, [])


def test_the_page_is_served_without_a_token(client):
    page = client.get("/dashboard/")
    assert page.status_code == 200 and "POS Modern" in page.text
    assert "dashboard.js" in page.text and "://" not in page.text  # nothing from a CDN
    assert client.get("/dashboard/dashboard.js").status_code == 200
    assert client.get("/dashboard/dashboard.css").status_code == 200


class Warns:
    """A plugin with something for the operator that does not stop the process serving."""

    @hookimpl
    def pos_ready_warnings(self, runtime):
        return ["certificates: the A1 certificate of store-1 expires in 9 day(s)"]


def test_a_plugins_readiness_warning_shows_the_process_degraded(settings):
    with _client(settings, extra=[("warns", Warns())]) as client:
        api = Api(client, make_tenant(settings, roles=("admin",)))
        ready = client.get("/ready")
        assert ready.status_code == 200
        assert ready.json()["warnings"] == [
            "certificates: the A1 certificate of store-1 expires in 9 day(s)"]
        by_id = {s["id"]: s for s in api.get(SERVICES).json()["services"]}
        process = by_id["pos"]
        assert process["status"] == "degraded"
        assert process["status_text"] == (
            "1 warning(s): certificates: the A1 certificate of store-1 expires in 9 day(s)")
        assert all(by_id[name]["status"] == "healthy" for name in ("database", "cache"))
        details = api.get(f"{SERVICES}/pos").json()["details"]
        assert details["warnings"] == [
            "certificates: the A1 certificate of store-1 expires in 9 day(s)"]
        assert "warns" in {p["name"] for p in details["plugins"]}
