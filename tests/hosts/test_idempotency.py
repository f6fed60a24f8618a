"""Idempotency-Key in the host (hosts/idempotency.py), on both backends: a repeat replays the
first answer, a key is refused for another request or while its first request runs, a failed
attempt on a route that calls out releases it, and keys are per tenant."""
import asyncio
from datetime import timedelta

from sqlalchemy import func, select
from starlette.requests import Request

from posmodern.core.api import Principal
from posmodern.core.db import Database
from posmodern.hosts.idempotency import IN_FLIGHT_LEASE, request_hash
from posmodern.schema.tables import audit_log, idempotency_keys
from posmodern.schema.types import utcnow
from support.api import Api, assert_error, make_store_users, make_tenant
from support.tenant_db import count, fetch


TIPS = "/api/v1/probe/tips"


def test_idempotency_key_replays_and_refuses_reuse(api):
    headers = {"Idempotency-Key": "tip-1"}
    first = api.post("/api/v1/probe/tips", "cashier", json={"amount": "5.00"}, headers=headers)
    again = api.post("/api/v1/probe/tips", "cashier", json={"amount": "5.00"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() == {"amount": "5.00", "tips_so_far": 1}
    assert again.headers["idempotent-replayed"] == "true"
    assert_error(api.post("/api/v1/probe/tips", "cashier", json={"amount": "6.00"},
                          headers=headers), 422, "idempotency_key_reused")
    assert api.post("/api/v1/probe/tips", "cashier", json={"amount": "6.00"},
                    headers={"Idempotency-Key": "tip-2"}).json()["tips_so_far"] == 2


def test_a_route_that_calls_out_claims_the_key_and_releases_it_on_failure(api):
    key = {"Idempotency-Key": "call-1"}
    failed = api.post("/api/v1/probe/call-out", "cashier", json={"amount": "1", "note": "fail"},
                      headers=key)
    assert_error(failed, 504, "provider_timeout")
    # The failure released the key: the retry runs again, and sees the key it came with.
    retried = api.post("/api/v1/probe/call-out", "cashier", json={"amount": "1", "note": "fail"},
                       headers=key)
    assert retried.status_code == 201 and retried.json() == {"calls": 2, "key": "call-1"}
    replayed = api.post("/api/v1/probe/call-out", "cashier", json={"amount": "1", "note": "fail"},
                        headers=key)
    assert replayed.json() == retried.json() and replayed.headers["idempotent-replayed"] == "true"
    assert_error(api.post("/api/v1/probe/call-out", "cashier", json={"amount": "2"},
                          headers=key), 422, "idempotency_key_reused")


def test_idempotency_keys_are_per_tenant(api, client, settings):
    other = Api(client, make_tenant(settings))
    headers = {"Idempotency-Key": "same-key"}
    assert api.post("/api/v1/probe/tips", "cashier", json={"amount": "1"},
                    headers=headers).json()["tips_so_far"] == 1
    theirs = other.post("/api/v1/probe/tips", "cashier", json={"amount": "9"}, headers=headers)
    assert theirs.status_code == 201 and "idempotent-replayed" not in theirs.headers


def test_a_key_is_its_users_another_user_sending_it_never_gets_the_answer(api, settings):
    client_id = api.tenant.client_id
    made = make_store_users(settings, client_id, "store-1", roles=("cashier",))
    colleague = Api(api.client, made)
    headers = {"Idempotency-Key": "shared-till"}
    first = api.post(TIPS, "cashier", json={"amount": "5.00"}, headers=headers)
    assert first.status_code == 201
    theirs = colleague.post(TIPS, "cashier", json={"amount": "5.00"}, headers=headers)
    assert_error(theirs, 422, "idempotency_key_reused")
    assert "idempotent-replayed" not in theirs.headers
    assert api.post(TIPS, "cashier", json={"amount": "1.00"}).json()["tips_so_far"] == 2


def _claim_in_flight(api, settings, key: str, body: dict, age: timedelta) -> None:
    """A key claimed ``age`` ago by the cashier's request with ``body`` that has stored no
    answer yet."""
    client_id = api.tenant.client_id
    scope = {"type": "http", "method": "POST", "path": TIPS, "query_string": b"",
             "headers": [(b"host", b"testserver")], "scheme": "http"}
    cashier = Principal(user_id=api.get("/api/v1/auth/me", "cashier").json()["user_id"],
                        username="cashier", client_id=client_id, store_id="store-1",
                        roles=frozenset({"cashier"}))
    fingerprint = request_hash(Request(scope), body, cashier)

    async def claim() -> None:
        db = Database(settings.database_url)
        try:
            async with db.transaction(client_id) as conn:
                claimed = utcnow() - age
                await conn.execute(idempotency_keys.insert().values(
                    idempotency_key=key, route="probe.tip", request_hash=fingerprint,
                    created_at=claimed, expires_at=claimed + timedelta(hours=24)))
        finally:
            await db.dispose()

    asyncio.run(claim())


def test_a_key_whose_first_request_still_runs_is_refused_until_its_lease_ends(api, settings):
    body = {"amount": "3.00"}
    _claim_in_flight(api, settings, "busy", body, timedelta(seconds=1))
    assert_error(api.post(TIPS, "cashier", json=body, headers={"Idempotency-Key": "busy"}),
                 409, "idempotency_key_in_flight")
    assert_error(api.post(TIPS, "cashier", json={"amount": "4.00"},
                          headers={"Idempotency-Key": "busy"}), 422, "idempotency_key_reused")
    # A claim older than the lease belongs to a request that died: the key is free again.
    _claim_in_flight(api, settings, "died", body, IN_FLIGHT_LEASE)
    ran = api.post(TIPS, "cashier", json=body, headers={"Idempotency-Key": "died"})
    assert ran.status_code == 201 and "idempotent-replayed" not in ran.headers
    again = api.post(TIPS, "cashier", json=body, headers={"Idempotency-Key": "died"})
    assert again.headers["idempotent-replayed"] == "true" and again.json() == ran.json()


def test_the_endpoint_runs_in_the_transaction_that_keeps_its_answer(api, settings):
    """``ctx.transaction()`` on an idempotent route is the request's own transaction: what the
    endpoint wrote commits with the key's row, once however many repeats come."""
    for _ in range(3):
        answer = api.post(TIPS, "cashier", json={"amount": "1.00"},
                          headers={"Idempotency-Key": "one-tip"})
        assert answer.status_code == 201 and answer.json()["tips_so_far"] == 1
    tips = fetch(settings, api.tenant.client_id, select(func.count()).select_from(audit_log)
                 .where(audit_log.c.action == "tip"))[0][0]
    assert tips == 1 and count(settings, api.tenant.client_id, idempotency_keys) == 1


def test_a_key_is_checked_before_the_endpoint_runs(api, client):
    for bad in ("", " ", "k" * 256):
        assert_error(api.post(TIPS, "cashier", json={"amount": "1"},
                              headers={"Idempotency-Key": bad}), 400, "invalid_idempotency_key")
    # Without a key an idempotent route just runs; on a route that is not idempotent a key is
    # ignored.
    assert api.post(TIPS, "cashier", json={"amount": "1"}).json()["tips_so_far"] == 1
    assert api.post(TIPS, "cashier", json={"amount": "1"}).json()["tips_so_far"] == 2
    ping = client.get("/api/v1/probe/ping", headers={"Idempotency-Key": "k"})
    assert ping.status_code == 200 and "idempotent-replayed" not in ping.headers
