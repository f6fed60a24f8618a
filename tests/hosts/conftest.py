"""Fixtures of the host's tests: an app serving the auth plugin and a probe plugin made for them."""
import uuid
from decimal import Decimal

import pytest
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, insert, select
from starlette.testclient import TestClient

from posmodern.core import hookimpl
from posmodern.core.api import ANY_ROLE, PUBLIC, ApiRoute, Reply
from posmodern.core.errors import GatewayTimeout
from posmodern.core.plugins import get_plugin_manager
from posmodern.hosts.app import create_app
from posmodern.schema.tables import audit_log
from support.api import Api, make_tenant


class Tip(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: Decimal = Field(ge=0, max_digits=10, decimal_places=2)
    note: str | None = Field(default=None, max_length=20)


class Probe:
    """A plugin made for these tests."""

    @hookimpl
    def pos_routes(self, settings):
        async def boom(ctx):
            raise RuntimeError("kaboom")

        async def tip(ctx):
            async with ctx.transaction() as conn:
                await conn.execute(insert(audit_log).values(
                    audit_id=uuid.uuid4(), client_id=ctx.client_id, store_id=ctx.store_id,
                    action="tip", details={"amount": str(ctx.body.amount)}))
                count = await conn.scalar(select(func.count()).select_from(audit_log)
                                          .where(audit_log.c.action == "tip"))
            return Reply({"amount": ctx.body.amount, "tips_so_far": count}, 201)

        async def ping(ctx):
            return {"pong": True}

        async def call_out(ctx):
            # Writes, then "calls a provider" with no transaction open; fails when told to.
            async with ctx.transaction() as conn:
                await conn.execute(insert(audit_log).values(
                    audit_id=uuid.uuid4(), client_id=ctx.client_id, store_id=ctx.store_id,
                    action="call_out", details={"key": ctx.idempotency_key}))
                calls = await conn.scalar(select(func.count()).select_from(audit_log)
                                          .where(audit_log.c.action == "call_out"))
            if ctx.body.note == "fail" and calls == 1:
                raise GatewayTimeout("the provider did not answer", code="provider_timeout")
            return Reply({"calls": calls, "key": ctx.idempotency_key}, 201)

        return [
            ApiRoute("probe.boom", "GET", "/api/v1/probe/boom", boom, ANY_ROLE),
            ApiRoute("probe.tip", "POST", "/api/v1/probe/tips", tip, frozenset({"cashier"}),
                     body=Tip, status_code=201, idempotent=True),
            ApiRoute("probe.ping", "GET", "/api/v1/probe/ping", ping, PUBLIC),
            ApiRoute("probe.call_out", "POST", "/api/v1/probe/call-out", call_out,
                     frozenset({"cashier"}), body=Tip, status_code=201, idempotent=True,
                     own_transactions=True, errors=(502, 504)),
        ]


@pytest.fixture
def client(settings):
    app = create_app(settings, pm=get_plugin_manager(["auth"], extra=[("probe", Probe())]))
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def api(client, settings):
    return Api(client, make_tenant(settings))
