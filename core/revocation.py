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


def _tenant_key(db: Database, client_id: str) -> str:
    # A tenant this process saw dropped (and perhaps made again) is read afresh.
    generation = db.generations.get(client_id, 0)
    return f"auth:tenant:{client_id}" + (f":{generation}" if generation else "")


def _user_key(client_id: str, incarnation: str, user_id: str) -> str:
    # The tenant's creation time in the key: a tenant dropped and made again under the same
    # name starts with nothing cached.
    return f"auth:user:{client_id}:{incarnation}:{user_id}"


def _ttl(cache: Cache) -> float:
    return LOCAL_SECONDS if isinstance(cache, MemoryCache) else SHARED_SECONDS


async def tenant_incarnation(db: Database, client_id: str) -> str:
    """When the active tenant was created (which tells it from one dropped and made again),
    read now, not from the database's cache; "" for a tenant gone or suspended."""
    if not CLIENT_ID.match(client_id or ""):
        return ""
    async with db.control_connection() as conn:
        row = (await conn.execute(select(tenants.c.status, tenants.c.created_at).where(
            tenants.c.client_id == client_id))).first()
    return row.created_at.isoformat() if row is not None and row.status == "active" else ""


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
    tenant_key = _tenant_key(db, client_id)
    incarnation = await cache.get(tenant_key)
    if incarnation is None:
        incarnation = await tenant_incarnation(db, client_id)
        await cache.set(tenant_key, incarnation, ttl=_ttl(cache))
    if not incarnation:
        db.forget_tenant(client_id)
        raise Unauthorized("this client no longer exists or is suspended",
                           code="tenant_inactive")
    user_key = _user_key(client_id, incarnation, principal.user_id)
    current = await cache.get(user_key)
    if current is None:
        current = await current_version(db, client_id, principal.user_id)
        await cache.set(user_key, current, ttl=_ttl(cache))
    if current == REVOKED or current != version:
        raise Unauthorized("this token was revoked (the user was deactivated or changed); "
                           "sign in again", code="token_revoked")


async def user_changed(db: Database, cache: Cache, client_id: str, user_id: str) -> None:
    """Call after a user's password, roles or active flag changed (and committed)."""
    incarnation = await tenant_incarnation(db, client_id)
    await cache.set(_user_key(client_id, incarnation, user_id),
                    await current_version(db, client_id, user_id), ttl=_ttl(cache))


async def tenant_changed(db: Database, cache: Cache, client_id: str) -> None:
    """Call after a tenant was dropped or its status changed."""
    await cache.delete(_tenant_key(db, client_id))
