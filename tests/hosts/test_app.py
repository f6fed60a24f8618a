"""The host: health, readiness, metrics, OpenAPI, auth, errors and start-up, on both backends
(Idempotency-Key: test_idempotency.py)."""

import asyncio
import json
import logging
import re
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from posmodern.core import hookimpl
from posmodern.core.db import Database
from posmodern.core.plugins import get_plugin_manager
from posmodern.hosts.app import create_app, start_runtime
from posmodern.schema.tables import idempotency_keys, outbox
from posmodern.schema.types import utcnow
from support.api import assert_error, make_tenant
from support.tenant_db import count


THIRDPARTY = Path(__file__).resolve().parents[1] / "fixtures" / "thirdparty"


def test_health_ready_and_metrics(client):
    health = client.get("/health")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    assert health.json()["plugins"] == ["auth", "probe"]
    ready = client.get("/ready").json()
    assert ready == {"status": "ready", "checks": {"database": "ok", "bus": "ok", "cache": "ok"}}
    client.get("/api/v1/probe/ping")
    metrics = client.get("/metrics").text
    assert 'pos_http_requests_total{method="GET",route="probe.ping",status="200"} 1.0' in metrics
    assert "pos_outbox_backlog" in metrics


def test_every_reference_of_the_products_openapi_resolves(settings):
    """With every built-in plugin: the enums of query parameters (a print job's status, a fiscal
    note's) are components like the bodies' models, so a client generator or schemathesis
    sees the whole schema."""
    document = TestClient(create_app(settings)).get("/openapi.json").json()
    text = json.dumps(document)
    refs = set(re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', text))
    assert refs and refs <= set(document["components"]["schemas"])
    assert "$defs" not in text
    kinds = document["paths"]["/api/v1/peripherals/print-jobs"]["get"]["parameters"]
    [status] = [p for p in kinds if p["name"] == "status"]
    assert "$ref" in json.dumps(status["schema"])


def test_openapi_lists_every_route(client):
    document = client.get("/openapi.json").json()
    assert document["openapi"].startswith("3.")
    served = {(r.methods and sorted(r.methods - {"HEAD"})[0], r.path)
              for r in client.app.routes if hasattr(r, "methods")}
    listed = {(method.upper(), path) for path, ops in document["paths"].items() for method in ops}
    assert served == listed
    tip = document["paths"]["/api/v1/probe/tips"]["post"]
    assert tip["security"] == [{"bearerAuth": []}] and tip["x-roles"] == ["cashier"]
    assert tip["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/Tip")
    assert any(p["name"] == "Idempotency-Key" for p in tip["parameters"])
    assert set(tip["responses"]) == {"201", "400", "401", "403", "404", "409", "413", "415",
                                     "422", "503"}
    call_out = document["paths"]["/api/v1/probe/call-out"]["post"]
    assert {"502", "503", "504"} <= set(call_out["responses"])
    assert "provider" in call_out["responses"]["502"]["description"]
    ping = document["paths"]["/api/v1/probe/ping"]["get"]
    assert "401" not in ping["responses"] and "504" not in ping["responses"]


def test_bad_input_gets_the_spec_error_shape(api):
    post = lambda **kw: api.post("/api/v1/probe/tips", "cashier", **kw)  # noqa: E731
    assert_error(post(content=b'{"amount": ', headers={"Content-Type": "application/json"}),
                 400, "malformed_json")
    assert_error(post(content=b"", headers={"Content-Type": "application/json"}), 400, "missing_body")
    assert_error(post(content=b"amount=1", headers={"Content-Type": "text/plain"}), 415)
    wrong = assert_error(post(json={"amount": "lots"}), 422, "validation_error")
    assert wrong["details"][0]["loc"] == ["amount"]
    assert_error(post(json={"amount": "-1"}), 422)
    assert_error(post(json={"amount": "1.001"}), 422)
    assert_error(post(json={"amount": "1", "surprise": True}), 422)
    assert_error(post(json=[1, 2]), 422)
    assert_error(post(content=b'{"amount": NaN}', headers={"Content-Type": "application/json"}), 400)
    huge = json.dumps({"amount": "1", "note": "x" * 2_000_000}).encode()
    assert_error(post(content=huge, headers={"Content-Type": "application/json"}), 413)
    assert_error(api.get("/api/v1/nothing-here"), 404, "no_route")
    assert_error(api.request("PUT", "/api/v1/probe/tips", "cashier", json={}), 405)
    # Nothing of the above was written.
    assert post(json={"amount": "2.50"}).json()["tips_so_far"] == 1


def test_tokens_and_roles(api, client):
    assert_error(client.get("/api/v1/auth/me"), 401, "missing_token")
    assert_error(client.get("/api/v1/auth/me", headers={"Authorization": "Bearer nonsense"}), 401)
    assert_error(client.get("/api/v1/auth/me", headers={"Authorization": "Basic abc"}), 401)
    forbidden = assert_error(api.post("/api/v1/probe/tips", "waiter", json={"amount": "1"}), 403)
    assert forbidden["details"]["required"] == ["cashier"]
    me = api.get("/api/v1/auth/me", "cashier").json()
    assert me["client_id"] == api.tenant.client_id and me["roles"] == ["cashier"]


def test_unexpected_error_is_a_logged_json_500_with_request_id(api, caplog):
    with caplog.at_level(logging.ERROR, logger="posmodern.http"):
        response = api.get("/api/v1/probe/boom", headers={"X-Request-ID": "req-42"})
    error = assert_error(response, 500, "internal_error")
    assert error["details"] == {"request_id": "req-42"}
    assert response.headers["x-request-id"] == "req-42"
    record = next(r for r in caplog.records if r.getMessage() == "unhandled error")
    assert "kaboom" in caplog.text and record.exc_info is not None


async def _write_old_rows(settings, client_id: str) -> None:
    db = Database(settings.database_url)
    try:
        async with db.transaction(client_id) as conn:
            long_ago = utcnow() - timedelta(days=8)
            await conn.execute(outbox.insert().values(
                event_id=uuid.uuid4(), event_type="test.old", payload={}, created_at=long_ago,
                published_at=long_ago))
            await conn.execute(idempotency_keys.insert().values(
                idempotency_key="old-key", route="probe.tip", request_hash="0" * 64,
                status_code=201, created_at=long_ago, expires_at=long_ago + timedelta(hours=24)))
    finally:
        await db.dispose()


def test_the_running_host_purges_what_is_past_its_retention(settings):
    tenant = make_tenant(settings)
    asyncio.run(_write_old_rows(settings, tenant.client_id))
    assert count(settings, tenant.client_id, outbox) == 1
    with TestClient(create_app(settings, plugins=["auth"])):
        deadline = time.monotonic() + 10
        while (count(settings, tenant.client_id, outbox)
               or count(settings, tenant.client_id, idempotency_keys)):
            assert time.monotonic() < deadline, "the old rows were not purged"
            time.sleep(0.1)


class BrokenStartup:
    """A plugin whose start-up fails, after the payments plugin (called later) has started."""

    runtime = None

    @hookimpl
    async def pos_startup(self, runtime):
        self.runtime = runtime
        raise RuntimeError("the printer is on fire")


async def test_a_failing_start_up_closes_what_was_opened_and_raises(settings):
    broken = BrokenStartup()
    pm = get_plugin_manager(["auth", "payments", "dashboard"], extra=[("broken", broken)])
    threads_before = set(threading.enumerate())
    with pytest.raises(RuntimeError, match="on fire"):
        await start_runtime(settings, pm)
    runtime = broken.runtime
    assert "payments" in pm.infos and runtime.state == {}  # started, then shut down again
    assert runtime.db.control.pool.checkedin() == 0  # the engine was disposed
    for _ in range(100):  # SQLite connections and the bus's publisher have threads
        if set(threading.enumerate()) <= threads_before:
            break
        await asyncio.sleep(0.02)
    assert set(threading.enumerate()) <= threads_before


def test_a_plugin_subset_serves_only_its_routes(settings, monkeypatch):
    monkeypatch.syspath_prepend(str(THIRDPARTY))
    app = create_app(settings, plugins=["tip_jar"])
    with TestClient(app) as only_tips:
        paths = set(only_tips.get("/openapi.json").json()["paths"])
        assert "/api/v1/tip-jar" in paths
        assert not any(p.startswith("/api/v1/auth") for p in paths)
        assert_error(only_tips.post("/api/v1/auth/token", json={}), 404)
        assert only_tips.get("/health").json()["plugins"] == ["tip_jar"]
