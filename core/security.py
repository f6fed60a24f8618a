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

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, insert, or_, select, update

from posmodern.core.api import ROLES, Principal
from posmodern.core.config import Settings
from posmodern.core.credentials import (check_password, check_username, clean_password,
                                        fold_username)
from posmodern.core.db import Database
from posmodern.core.errors import Conflict, Unauthorized, ValidationFailed
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


def issue_token(settings: Settings, principal: Principal) -> tuple[str, int]:
    """A signed access token for ``principal`` and its lifetime in seconds."""
    now = utcnow()
    ttl = settings.token_ttl_seconds
    claims = {
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
    return jwt.encode(claims, settings.secret_key, algorithm=ALGORITHM), ttl


# Tokens already verified, until they expire: a till sends the same token all shift, and checking
# its signature and claims again on every request costs more than the rest of a small request.
_VERIFIED: OrderedDict[tuple[str, str], tuple[Principal, float]] = OrderedDict()
_VERIFIED_MAX = 4096


def decode_token(settings: Settings, token: str) -> Principal:
    """The principal a token speaks for; :class:`Unauthorized` if it is invalid or expired."""
    key = (settings.secret_key, token)
    known = _VERIFIED.get(key)
    if known is not None and known[1] > time.time():
        return known[0]
    principal, expires = _verify(settings, token)
    _VERIFIED[key] = (principal, expires)
    while len(_VERIFIED) > _VERIFIED_MAX:
        try:
            _VERIFIED.popitem(last=False)
        except KeyError:
            break
    return principal


def _verify(settings: Settings, token: str) -> tuple[Principal, float]:
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
    return principal, float(claims["exp"])


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


async def set_password(db: Database, client_id: str, username: str, password: str) -> None:
    """Give a user a new password (and reactivate them); a weak one is refused."""
    password = check_password(password, username)
    password_hash = await asyncio.to_thread(hash_password, password)
    async with db.transaction(client_id) as conn:
        await conn.execute(update(users).where(
            users.c.username.in_(sorted({fold_username(username), username.strip()})))
                           .values(password_hash=password_hash, active=True))


async def authenticate(db: Database, client_id: str, username: str, password: str) -> Principal:
    """Check a username and password in a tenant; :class:`Unauthorized` if anything is wrong."""
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
    return Principal(user_id=str(row.user_id), username=row.username, client_id=client_id,
                     store_id=row.store_id, roles=frozenset(row.roles))
