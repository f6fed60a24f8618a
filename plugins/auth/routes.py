"""Endpoints of the auth plugin."""

from __future__ import annotations

import logging
import time

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from posmodern.core import audit, credentials, security
from posmodern.core.api import ROLES, Reply, RequestContext
from posmodern.core.errors import Unauthorized
from posmodern.core.plugin_settings import SettingSpec
from posmodern.core.throttle import LoginThrottle
from posmodern.schema.tables import users

log = logging.getLogger("posmodern.auth")


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=200)
    client_id: str = Field(min_length=1, max_length=50)


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=8, max_length=200)
    roles: list[str] = Field(min_length=1, json_schema_extra={"items": {"enum": list(ROLES)}})
    store_id: str | None = Field(default=None, min_length=1, max_length=50)
    full_name: str | None = Field(default=None, max_length=100)


async def issue_token(ctx: RequestContext) -> Reply:
    body: TokenRequest = ctx.body
    throttle: LoginThrottle = ctx.runtime.state["auth"]
    username = credentials.fold_username(body.username)
    address = ctx.request.client.host if ctx.request.client else "unknown"
    await throttle.check(body.client_id, username, address)
    try:
        async with throttle.hashing():
            principal, version = await security.sign_in(ctx.runtime.db, body.client_id,
                                                      username, body.password)
    except Unauthorized:
        locked_for = await throttle.failed(body.client_id, username, address)
        log.warning("sign-in refused", extra={"client_id": body.client_id, "username": username,
                                             "address": address, "locked_for": locked_for})
        await audit.record_failed_login(
            ctx.runtime.db, body.client_id, username, request_id=ctx.request_id,
            details={"address": address, "locked_for_seconds": locked_for})
        raise
    await throttle.succeeded(body.client_id, username)
    async with ctx.runtime.db.transaction(principal.client_id) as conn:
        await audit.append(conn, client_id=principal.client_id, store_id=principal.store_id,
                           user_id=principal.user_id, username=principal.username,
                           action="auth.login", resource_type="user",
                           resource_id=principal.user_id, request_id=ctx.request_id,
                           details={"address": address})
    token, ttl = security.issue_token(ctx.runtime.settings, principal, version)
    # A token is a credential: no cache along the way may keep it.
    return Reply({"access_token": token, "token_type": "bearer", "expires_in": ttl},
                 headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


SESSION_MAX_HOURS = SettingSpec(
    "POS_SESSION_MAX_HOURS", int, 7 * 24, "how long a sign-in lasts when its token is refreshed "
    "(`POST /api/v1/auth/refresh`, as a kitchen screen left signed in does): after it the "
    "password is asked again, hours", min=1, max=90 * 24)


async def refresh_token(ctx: RequestContext) -> Reply:
    """A new token for the caller's valid one, with the same sign-in: the host has checked the
    token and that its user and tenant are unchanged; the sign-in must be younger than
    ``POS_SESSION_MAX_HOURS``."""
    settings = ctx.runtime.settings
    token = security.bearer_token(ctx.request)
    _principal, version = security.verify_token(settings, token)
    since = security.signed_in_at(settings, token)
    if time.time() - since > SESSION_MAX_HOURS.value(settings) * 3600:
        raise Unauthorized("this sign-in is too old to be extended; sign in again",
                           code="session_expired")
    fresh, ttl = security.issue_token(settings, ctx.principal, version, signed_in_at=since)
    return Reply({"access_token": fresh, "token_type": "bearer", "expires_in": ttl},
                 headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


async def me(ctx: RequestContext) -> dict:
    p = ctx.principal
    return {"user_id": p.user_id, "username": p.username, "client_id": p.client_id,
            "store_id": p.store_id, "roles": sorted(p.roles)}


async def list_users(ctx: RequestContext) -> dict:
    async with ctx.transaction() as conn:
        rows = (await conn.execute(
            select(users.c.user_id, users.c.username, users.c.full_name, users.c.store_id,
                   users.c.roles, users.c.active, users.c.last_login_at)
            .order_by(users.c.username))).all()
    return {"items": [dict(row._mapping) for row in rows]}


async def create_user(ctx: RequestContext) -> Reply:
    body: UserCreate = ctx.body
    user = await security.create_user(
        ctx.runtime.db, client_id=ctx.client_id, store_id=body.store_id or ctx.store_id,
        username=body.username, password=body.password, roles=body.roles,
        full_name=body.full_name)
    async with ctx.transaction() as conn:
        await audit.record(conn, ctx, "user.created", resource_type="user",
                           resource_id=user["user_id"],
                           details={"username": user["username"], "roles": user["roles"]})
    return Reply(user, 201)
