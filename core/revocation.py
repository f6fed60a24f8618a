"""Tokens refused as soon as what they were issued on changes.

A token carries its user's ``token_version``, which every change to the user (password, roles,
deactivation) increments. Every request compares it with the user's version now, and checks the
tenant is still active: a deactivated user, one whose password or roles changed, and a dropped or
suspended tenant are refused at once. Reactivating a user does not revive their old tokens.

The current versions are cached, so a request costs a cache look-up and not a query: in Redis
when configured (every replica sees a change at once; a change writes the new value through),
in process memory when embedded, where they are kept one second only, so a change made by
another process (``pos users deactivate`` next to a running server) is seen within a second.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from posmodern.core.api import Principal
from posmodern.core.cache import Cache, MemoryCache
from posmodern.core.db import CLIENT_ID, Database
from posmodern.core.errors import Unauthorized
from posmodern.schema.control import tenants
from posmodern.schema.tables import users

SHARED_SECONDS = 300
LOCAL_SECONDS = 1.0
#: The cached version of a user who may not sign in (inactive or gone).
REVOKED = -1


def _tenant_key(client_id: str) -> str:
    return f"auth:tenant:{client_id}"


def _user_key(client_id: str, user_id: str) -> str:
    return f"auth:user:{client_id}:{user_id}"


def _ttl(cache: Cache) -> float:
    return LOCAL_SECONDS if isinstance(cache, MemoryCache) else SHARED_SECONDS


async def tenant_active(db: Database, client_id: str) -> bool:
    """Whether the tenant is registered and active, read now (not the database's cache)."""
    if not CLIENT_ID.match(client_id or ""):
        return False
    async with db.control_connection() as conn:
        status = await conn.scalar(select(tenants.c.status).where(
            tenants.c.client_id == client_id))
    return status == "active"


async def current_version(db: Database, client_id: str, user_id: str) -> int:
    """The user's token version now, or :data:`REVOKED` for a user inactive or gone."""
    try:
        key = uuid.UUID(user_id)
    except ValueError:
        return REVOKED
    async with db.transaction(client_id) as conn:
        row = (await conn.execute(select(users.c.token_version, users.c.active)
                                  .where(users.c.user_id == key))).first()
    if row is None or not row.active:
        return REVOKED
    return row.token_version


async def check(db: Database, cache: Cache, principal: Principal, version: int | None) -> None:
    """Raise :class:`Unauthorized` unless the token's tenant is active and its user unchanged."""
    client_id = principal.client_id
    active = await cache.get(_tenant_key(client_id))
    if active is None:
        active = await tenant_active(db, client_id)
        await cache.set(_tenant_key(client_id), active, ttl=_ttl(cache))
    if not active:
        db.forget_tenant(client_id)
        raise Unauthorized("this client no longer exists or is suspended",
                           code="tenant_inactive")
    current = await cache.get(_user_key(client_id, principal.user_id))
    if current is None:
        current = await current_version(db, client_id, principal.user_id)
        await cache.set(_user_key(client_id, principal.user_id), current, ttl=_ttl(cache))
    if current == REVOKED or current != version:
        raise Unauthorized("this token was revoked (the user was deactivated or changed); "
                           "sign in again", code="token_revoked")


async def user_changed(db: Database, cache: Cache, client_id: str, user_id: str) -> None:
    """Call after a user's password, roles or active flag changed (and committed)."""
    await cache.set(_user_key(client_id, user_id),
                    await current_version(db, client_id, user_id), ttl=_ttl(cache))


async def tenant_changed(cache: Cache, client_id: str) -> None:
    """Call after a tenant was dropped or its status changed."""
    await cache.delete(_tenant_key(client_id))
