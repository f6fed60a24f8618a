"""Users, password hashes (argon2) and access tokens (JWT).

A token carries the user, their tenant (client), store and roles; the host trusts a request's
tenant only from its verified token.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterable
from datetime import timedelta
from functools import lru_cache
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, insert, or_, select, update

from posmodern.core.api import ROLES, Principal
from posmodern.core.config import Settings
from posmodern.core.credentials import (check_password, check_username, clean_password,
                                        fold_username)
from posmodern.core.db import Database
from posmodern.core.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed
from posmodern.schema.tables import users
from posmodern.schema.types import utcnow

ALGORITHM = "HS256"
ISSUER = "posmodern"
_hasher = PasswordHasher()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Verified when the username is unknown, so a wrong username costs as much as a wrong
    password. Made on first need, not at import (argon2 takes about 0.2 s of every start)."""
    return _hasher.hash("not-a-real-password")


def _verify_unknown(password: str) -> None:
    verify_password(_dummy_hash(), password)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def issue_token(settings: Settings, principal: Principal, version: int | None = None, *,
                signed_in_at: int | None = None) -> tuple[str, int]:
    """A signed access token for ``principal`` and its lifetime in seconds; ``version`` (the
    user's ``token_version``) lets each request check the user has not changed since.
    ``signed_in_at`` (seconds since the epoch; now by default) is when the person typed their
    password, kept by a refreshed token (claim ``auth_time``)."""
    now = utcnow()
    ttl = settings.token_ttl_seconds
    claims = {
        "auth_time": signed_in_at if signed_in_at is not None else int(now.timestamp()),
        "iss": ISSUER,
        "sub": principal.user_id,
        "name": principal.username,
        "cid": principal.client_id,
        "sid": principal.store_id,
        "roles": sorted(principal.roles),
        "iat": now,
        "exp": now + timedelta(seconds=ttl),
        "jti": uuid.uuid4().hex,
    }
    if version is not None:
        claims["ver"] = version
    return jwt.encode(claims, settings.secret_key, algorithm=ALGORITHM), ttl


# Tokens already verified, until they expire: a till sends the same token all shift, and checking
# its signature and claims again on every request costs more than the rest of a small request.
_VERIFIED: OrderedDict[tuple[str, str], tuple[Principal, float, int | None]] = OrderedDict()
_VERIFIED_MAX = 4096


def decode_token(settings: Settings, token: str) -> Principal:
    """The principal a token speaks for; :class:`Unauthorized` if it is invalid or expired."""
    return verify_token(settings, token)[0]


def verify_token(settings: Settings, token: str) -> tuple[Principal, int | None]:
    """The principal a token speaks for and the user's token version it was issued at;
    :class:`Unauthorized` if it is invalid or expired. Whether the user changed since is
    :mod:`posmodern.core.revocation`'s to say."""
    key = (settings.secret_key, token)
    known = _VERIFIED.get(key)
    if known is not None and known[1] > time.time():
        return known[0], known[2]
    principal, expires, version = _verify(settings, token)
    _VERIFIED[key] = (principal, expires, version)
    while len(_VERIFIED) > _VERIFIED_MAX:
        try:
            _VERIFIED.popitem(last=False)
        except KeyError:
            break
    return principal, version


def _verify(settings: Settings, token: str) -> tuple[Principal, float, int | None]:
    try:
        claims = jwt.decode(token, settings.secret_key, algorithms=[ALGORITHM], issuer=ISSUER,
                            options={"require": ["exp", "iat", "sub", "cid", "sid", "roles"]})
    except jwt.ExpiredSignatureError:
        raise Unauthorized("token expired", code="token_expired") from None
    except jwt.PyJWTError as exc:
        raise Unauthorized(f"invalid token: {exc}", code="invalid_token") from None
    roles = claims.get("roles")
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise Unauthorized("invalid token: roles", code="invalid_token")
    principal = Principal(user_id=str(claims["sub"]), username=str(claims.get("name", "")),
                          client_id=str(claims["cid"]), store_id=str(claims["sid"]),
                          roles=frozenset(roles))
    version = claims.get("ver")
    version = version if isinstance(version, int) and not isinstance(version, bool) else None
    return principal, float(claims["exp"]), version


def bearer_token(request: Any) -> str:
    """The token of a request's ``Authorization: Bearer …`` header, or :class:`Unauthorized`."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("missing bearer token", code="missing_token")
    return token.strip()


def signed_in_at(settings: Settings, token: str) -> int:
    """When the person behind a valid token typed their password (its ``auth_time``; its
    ``iat`` for a token issued before the claim existed)."""
    claims = jwt.decode(token, settings.secret_key, algorithms=[ALGORITHM], issuer=ISSUER)
    moment = claims.get("auth_time", claims.get("iat"))
    return moment if isinstance(moment, int) and not isinstance(moment, bool) else 0


def check_roles(roles: Iterable[str]) -> list[str]:
    roles = sorted(set(roles))
    unknown = [r for r in roles if r not in ROLES]
    if unknown or not roles:
        raise ValidationFailed(f"roles must be among {', '.join(ROLES)}", details={"roles": roles})
    return roles


async def create_user(db: Database, *, client_id: str, store_id: str, username: str,
                      password: str, roles: Iterable[str], full_name: str | None = None) -> dict:
    """Add a user to a tenant; a taken username is a :class:`Conflict`, a weak password or a
    misleading username (:mod:`posmodern.core.credentials`) a :class:`ValidationFailed`."""
    roles = check_roles(roles)
    username = check_username(username)
    password = check_password(password, username)
    password_hash = await asyncio.to_thread(hash_password, password)
    async with db.transaction(client_id) as conn:
        # Users made before usernames were folded may differ from this one in case only.
        taken = await conn.scalar(select(users.c.user_id).where(or_(
            users.c.username == username, func.lower(users.c.username) == username)))
        if taken:
            raise Conflict(f"user {username!r} already exists")
        user_id = uuid.uuid4()
        await conn.execute(insert(users).values(
            user_id=user_id, client_id=client_id, store_id=store_id, username=username,
            full_name=full_name, password_hash=password_hash, roles=roles))
    return {"user_id": str(user_id), "username": username, "client_id": client_id,
            "store_id": store_id, "roles": roles}


async def set_password(db: Database, client_id: str, username: str, password: str) -> dict:
    """Give a user a new password (and reactivate them); a weak one is refused. Returns the
    user (:func:`get_user`); an unknown username is :class:`NotFound`."""
    user = await find_user(db, client_id, username)
    password = check_password(password, user["username"])
    password_hash = await asyncio.to_thread(hash_password, password)
    async with db.transaction(client_id) as conn:
        await conn.execute(update(users).where(users.c.user_id == uuid.UUID(user["user_id"]))
                           .values(password_hash=password_hash, active=True,
                                   token_version=users.c.token_version + 1))
    return {**user, "active": True}


def _user(row) -> dict:
    return {"user_id": str(row.user_id), "username": row.username, "full_name": row.full_name,
            "store_id": row.store_id, "roles": sorted(row.roles), "active": row.active}


async def get_user(db: Database, client_id: str, user_id: str) -> dict:
    """A tenant's user by id (no password hash); :class:`NotFound` if there is none."""
    try:
        key = uuid.UUID(str(user_id))
    except ValueError:
        raise NotFound(f"no user {user_id}", code="user_not_found") from None
    async with db.transaction(client_id) as conn:
        row = (await conn.execute(select(users).where(users.c.user_id == key))).first()
    if row is None:
        raise NotFound(f"no user {user_id}", code="user_not_found")
    return _user(row)


async def find_user(db: Database, client_id: str, username: str) -> dict:
    """A tenant's user by username, as signing in finds it; :class:`NotFound` if none."""
    folded = fold_username(username)
    async with db.transaction(client_id) as conn:
        rows = (await conn.execute(select(users).where(
            users.c.username.in_(sorted({folded, username.strip()}))))).all()
    row = min(rows, key=lambda r: r.username != folded, default=None)
    if row is None:
        raise NotFound(f"no user {username!r}", code="user_not_found")
    return _user(row)


async def update_user(db: Database, client_id: str, user_id: str, *,
                      roles: Iterable[str] | None = None, active: bool | None = None) -> dict:
    """Change a user's roles or active flag; returns the user as it is now. The caller tells
    :mod:`posmodern.core.revocation` (the user's tokens stop working) and audits."""
    user = await get_user(db, client_id, user_id)
    values: dict = {}
    if roles is not None:
        values["roles"] = check_roles(roles)
    if active is not None:
        values["active"] = active
    if values:
        values["token_version"] = users.c.token_version + 1
        async with db.transaction(client_id) as conn:
            await conn.execute(update(users).where(users.c.user_id == uuid.UUID(user["user_id"]))
                               .values(**values))
    values.pop("token_version", None)
    return {**user, **values}


async def change_password(db: Database, client_id: str, user_id: str, password: str, *,
                          current: str | None = None) -> dict:
    """Give a user a new password; with ``current``, only if it is their password now
    (:class:`Unauthorized` otherwise). A weak one is refused. Returns the user."""
    user = await get_user(db, client_id, user_id)
    password = check_password(password, user["username"])
    if current is not None:
        async with db.transaction(client_id) as conn:
            stored = await conn.scalar(select(users.c.password_hash).where(
                users.c.user_id == uuid.UUID(user["user_id"])))
        if not await asyncio.to_thread(verify_password, stored, clean_password(current)):
            raise Forbidden("the current password is wrong", code="wrong_current_password")
    password_hash = await asyncio.to_thread(hash_password, password)
    async with db.transaction(client_id) as conn:
        await conn.execute(update(users).where(users.c.user_id == uuid.UUID(user["user_id"]))
                           .values(password_hash=password_hash,
                                   token_version=users.c.token_version + 1))
    return user


async def authenticate(db: Database, client_id: str, username: str, password: str) -> Principal:
    """Check a username and password in a tenant; :class:`Unauthorized` if anything is wrong."""
    return (await sign_in(db, client_id, username, password))[0]


async def sign_in(db: Database, client_id: str, username: str,
                  password: str) -> tuple[Principal, int]:
    """:func:`authenticate`, with the user's token version (to issue a token at)."""
    failure = Unauthorized("invalid client, username or password", code="invalid_credentials")
    password = clean_password(password)
    folded = fold_username(username)
    if not await db.tenant_exists(client_id):
        await asyncio.to_thread(_verify_unknown, password)
        raise failure
    async with db.transaction(client_id) as conn:
        # The exact name too: users made before usernames were folded keep signing in.
        rows = (await conn.execute(select(users).where(
            users.c.username.in_(sorted({folded, username.strip()}))))).all()
    row = min(rows, key=lambda r: r.username != folded, default=None)
    if row is None or not row.active:
        await asyncio.to_thread(_verify_unknown, password)
        raise failure
    if not await asyncio.to_thread(verify_password, row.password_hash, password):
        raise failure
    async with db.transaction(client_id) as conn:
        await conn.execute(update(users).where(users.c.user_id == row.user_id)
                           .values(last_login_at=utcnow()))
    principal = Principal(user_id=str(row.user_id), username=row.username, client_id=client_id,
                          store_id=row.store_id, roles=frozenset(row.roles))
    return principal, row.token_version
