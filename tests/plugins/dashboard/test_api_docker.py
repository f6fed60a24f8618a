"""The dashboard's API on the Docker backend: real engine, real containers, a TestClient app."""

import asyncio
import threading

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from posmodern.core.db import Database
from posmodern.hosts.app import create_app
from posmodern.schema.tables import audit_log
from support.api import Api, assert_error, make_tenant
from support.settings import make_settings
from support.sse import events

pytestmark = pytest.mark.containers
SERVICES = "/api/v1/dashboard/services"


@pytest.fixture
def settings(compose_project, tmp_path):
    return make_settings(f"sqlite+aiosqlite:///{tmp_path / 'var' / 'pos.db'}", tmp_path,
                         POS_DASHBOARD_BACKEND="docker",
                         POS_COMPOSE_PROJECT=compose_project.name,
                         POS_DASHBOARD_SAMPLE_SECONDS="1", POS_DASHBOARD_STOP_TIMEOUT="5")


@pytest.fixture
def api(settings):
    with TestClient(create_app(settings, plugins=["auth", "dashboard"])) as client:
        yield Api(client, make_tenant(settings, roles=("admin", "cashier")))


def test_list_details_and_roles(api, compose_project):
    body = api.get(SERVICES).json()
    assert body["backend"] == "docker" and body["project"] == compose_project.name
    by_id = {s["id"]: s for s in body["services"]}
    assert by_id["ticker"]["replicas_total"] == 2 and by_id["ticker"]["actions"] == [
        "start", "stop", "restart"]
    detail = api.get(f"{SERVICES}/ticker").json()
    assert detail["usage"]["cpu_percent"] is not None and detail["details"]["command"]
    assert_error(api.get(SERVICES, "cashier"), 403)
    assert_error(api.post(f"{SERVICES}/ticker/stop", "cashier"), 403)
    assert_error(api.get(f"{SERVICES}/ticker/logs", "cashier"), 403)
    assert_error(api.get(f"{SERVICES}/ghost"), 404, "service_not_found")
    assert_error(api.get(f"{SERVICES}/ghost/logs?follow=true"), 404)
    assert_error(api.get(f"{SERVICES}/ticker/logs?tail=-1"), 422)


def test_stop_and_start_change_docker_ps_and_are_audited(api, compose_project, settings):
    kitchen = f"{compose_project.name}-kitchen-1"
    stopped = api.post(f"{SERVICES}/kitchen/stop")
    assert stopped.status_code == 200, stopped.text
    assert stopped.json()["service"]["status"] == "stopped"
    assert kitchen not in compose_project.running()
    started = api.post(f"{SERVICES}/kitchen/start")
    assert started.json()["service"]["replicas_running"] == 1
    assert kitchen in compose_project.running()
    assert_error(api.post(f"{SERVICES}/ghost/restart"), 404)

    async def audited():
        db = Database(settings.database_url)
        try:
            async with db.transaction(api.tenant.client_id) as conn:
                return (await conn.execute(select(audit_log.c.action, audit_log.c.resource_id,
                                                  audit_log.c.username, audit_log.c.details)
                                           .where(audit_log.c.action.like("dashboard.%"))
                                           .order_by(audit_log.c.occurred_at))).all()
        finally:
            await db.dispose()
    rows = asyncio.run(audited())
    assert [(r.action, r.resource_id, r.username) for r in rows] == [
        ("dashboard.service.stop", "kitchen", "admin"),
        ("dashboard.service.start", "kitchen", "admin")]
    assert rows[0].details == {"backend": "docker", "outcome": "done",
                               "project": compose_project.name}


def test_log_stream_resumes_with_last_event_id(api, compose_project):
    url = f"{SERVICES}/kitchen/logs?follow=true&tail=5"
    with api.client.stream("GET", url, headers=api.headers("admin")) as response:
        stream = events(response.iter_lines())
        assert next(stream).data["message"] == "kitchen ready"
        compose_project.say("kitchen", "first")
        first = next(stream)
    assert first.data["message"] == "first" and first.data["replica"] == "kitchen-1"
    compose_project.say("kitchen", "second")
    compose_project.say("kitchen", "third")
    with api.client.stream("GET", url, headers={**api.headers("admin"),
                                                "Last-Event-ID": first.id}) as response:
        stream = events(response.iter_lines())
        resumed = [next(stream).data["message"], next(stream).data["message"]]
    assert resumed == ["second", "third"]


def test_the_watch_stream_shows_a_stop_as_it_happens(api, compose_project):
    compose_project.wait_healthy("kitchen")
    url = f"{SERVICES}?watch=true"
    with api.client.stream("GET", url, headers=api.headers("admin")) as response:
        stream = events(response.iter_lines())
        assert next(stream).name == "history"
        first = next(stream)
        assert {s["id"]: s["status"] for s in first.data["services"]}["kitchen"] == "healthy"
        # Stopped behind the dashboard's back, as `docker stop` would.
        threading.Thread(target=compose_project.container("kitchen").stop,
                         kwargs={"timeout": 5}).start()
        for event in stream:
            statuses = {s["id"]: s["status"] for s in event.data["services"]}
            if statuses["kitchen"] == "stopped":
                break
    assert statuses["ticker"] == "healthy"
