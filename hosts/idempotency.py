"""The ``Idempotency-Key`` header: an idempotent route's endpoint runs at most once per key.

The host's one entry point here is :func:`run_once` (with :func:`requested_key` to read and check
the header, and :func:`request_hash` to tell a repeat from another request under the same key).
A key is per tenant (its row lives in the tenant's ``idempotency_keys``) and per user (the user is
part of :func:`request_hash`), and remembered for
``POS_IDEMPOTENCY_TTL_HOURS``; a repeat gets the stored answer with ``Idempotent-Replayed:
true``, the same key with another request a 422, a key whose first request still runs a 409.

Two ways to run, chosen by the route:

- By default the endpoint runs in one transaction that also stores its answer under the key,
  at its end (on PostgreSQL in one statement with the transaction's outbox rows): the key's
  unique index decides between concurrent attempts.
- ``own_transactions`` routes (a payment provider is called, no transaction may stay open) claim
  the key in a short transaction, run the endpoint, then store its answer; a failure releases
  the key.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from starlette.responses import Response

from posmodern.core import outbox
from posmodern.core.api import ApiRoute, Principal, Reply, RequestContext
from posmodern.core.errors import BadRequest, Conflict, PosError, ValidationFailed
from posmodern.core.jsonable import Encoded, dumps, encode
from posmodern.core.writes import fetch, insert_ignore, write
from posmodern.hosts.responses import PosJSONResponse
from posmodern.schema.tables import idempotency_keys
from posmodern.schema.types import utcnow

IDEMPOTENCY_HEADER = "Idempotency-Key"
# A key claimed by a request that never stored an answer (its process died) is free after this.
IN_FLIGHT_LEASE = timedelta(minutes=5)


def requested_key(request: Request, route: ApiRoute, principal: Principal | None) -> str | None:
    """The request's key when ``route`` honours one and the request sent one, else None;
    a key that cannot be one (empty, over 255 characters, on a public route) is refused."""
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if not route.idempotent or key is None:
        return None
    if not key.strip() or len(key) > 255:
        raise BadRequest("Idempotency-Key must be 1-255 characters",
                         code="invalid_idempotency_key")
    if principal is None:
        raise BadRequest("Idempotency-Key needs an authenticated route")
    return key.strip()


def request_hash(request: Request, raw_body: Any, principal: Principal) -> str:
    """What a repeat must match: the user, the method, the path and the JSON body, canonical.

    The user makes a key theirs: another user of the tenant sending the same key (guessed, or
    read off a shared device) is refused with a 422 and never given the first user's answer.
    """
    canonical = dumps(raw_body, sort_keys=True, separators=(",", ":"))
    material = f"{principal.user_id}\n{request.method} {request.url.path}\n{canonical}"
    return hashlib.sha256(material.encode()).hexdigest()


async def run_once(ctx: RequestContext, key: str, fingerprint: str) -> Response:
    """Run the endpoint at most once per ``key``: replay the stored answer for a repeat.

    The endpoint sees ``ctx.idempotency_key``. Without ``own_transactions`` it runs first and
    its answer is stored with the key at the end of the same transaction: one write for the
    key, and the key's unique index decides between concurrent attempts (a later one waits for
    the first to commit, then rolls its own work back and replays the first's answer). A repeat
    whose own run fails (the order it confirmed is no longer pending) still gets the stored
    answer.
    """
    ctx = replace(ctx, idempotency_key=key)
    if ctx.route.own_transactions:
        return await _run_in_steps(ctx, key, fingerprint)
    db = ctx.runtime.db
    try:
        async with db.transaction(ctx.client_id) as conn:
            reply = _as_reply(await ctx.route.endpoint(replace(ctx, conn=conn)), ctx.route)
            body = encode(reply.body)
            await _keep_answer(conn, ctx, key, fingerprint, reply.status, body)
    except _Answered as answered:
        return answered.response
    except PosError:
        async with db.transaction(ctx.client_id) as conn:
            answered = await _stored(conn, ctx, key, fingerprint)
        if answered is not None:
            return answered
        raise
    return PosJSONResponse(body, status_code=reply.status, headers=reply.headers)


async def _run_in_steps(ctx: RequestContext, key: str, fingerprint: str) -> Response:
    """Claim the key, run the endpoint outside that transaction, then store its answer.

    A failure releases the key so the client's retry runs the endpoint again (which recognises
    its earlier attempt by ``ctx.idempotency_key``).
    """
    db = ctx.runtime.db
    async with db.transaction(ctx.client_id) as conn:
        answered = await _claim(conn, ctx, key, fingerprint)
    if answered is not None:
        return answered
    try:
        reply = _as_reply(await ctx.route.endpoint(ctx), ctx.route)
    except BaseException:
        async with db.transaction(ctx.client_id) as conn:
            await conn.execute(delete(idempotency_keys).where(
                idempotency_keys.c.idempotency_key == key,
                idempotency_keys.c.status_code.is_(None)))
        raise
    async with db.transaction(ctx.client_id) as conn:
        body = await _store_reply(conn, key, reply)
    return PosJSONResponse(body, status_code=reply.status, headers=reply.headers)


def _as_reply(result: Any, route: ApiRoute) -> Reply:
    if isinstance(result, Reply):
        return result
    if isinstance(result, Response):
        raise TypeError(f"idempotent route {route.name} must return data, not a Response")
    return Reply(result, route.status_code)


def _key_row(ctx: RequestContext, key: str, fingerprint: str, **answer: Any) -> dict[str, Any]:
    now = utcnow()
    return dict(idempotency_key=key, route=ctx.route.name, request_hash=fingerprint,
                created_at=now, expires_at=now + timedelta(
                    hours=ctx.runtime.settings.idempotency_ttl_hours), **answer)


async def _stored(conn: AsyncConnection, ctx: RequestContext, key: str,
                  fingerprint: str) -> Response | None:
    """What a key already used answers for this request: None if the key is free (unknown,
    expired, or claimed by an attempt that died without an answer, then deleted here), its
    stored reply for a repeat, or an error (another request's key; one still in flight)."""
    stored = (await conn.execute(select(idempotency_keys).where(
        idempotency_keys.c.idempotency_key == key))).first()
    if stored is None:
        return None
    now = utcnow()
    in_flight = stored.status_code is None
    if stored.expires_at <= now or (in_flight and stored.created_at <= now - IN_FLIGHT_LEASE):
        await conn.execute(delete(idempotency_keys).where(
            idempotency_keys.c.idempotency_key == key))
        return None
    if stored.request_hash != fingerprint:
        raise ValidationFailed(
            "this Idempotency-Key was used with a different request",
            code="idempotency_key_reused", details={"idempotency_key": key})
    if in_flight:
        raise Conflict("a request with this Idempotency-Key is still being processed; retry",
                       code="idempotency_key_in_flight", details={"idempotency_key": key})
    return PosJSONResponse(stored.response_body, status_code=stored.status_code,
                           headers={"Idempotent-Replayed": "true"})


async def _claim(conn: AsyncConnection, ctx: RequestContext, key: str,
                 fingerprint: str) -> Response | None:
    """Own ``key`` (in flight, no answer yet) in ``conn``'s transaction, or answer for it."""
    if await insert_ignore(conn, idempotency_keys, **_key_row(ctx, key, fingerprint)):
        return None
    # Another request holds this key and has committed (PostgreSQL made us wait for it).
    answered = await _stored(conn, ctx, key, fingerprint)
    if answered is None:
        await insert_ignore(conn, idempotency_keys, **_key_row(ctx, key, fingerprint))
    return answered


class _Answered(Exception):
    """The key was answered already: roll this attempt back and give that answer."""

    def __init__(self, response: Response) -> None:
        super().__init__("answered")
        self.response = response


async def _keep_answer(conn: AsyncConnection, ctx: RequestContext, key: str, fingerprint: str,
                       status: int, body: Encoded) -> None:
    """Store this attempt's answer under ``key`` in its transaction, or raise: the key's
    earlier answer (:class:`_Answered`), or the error for a key used otherwise."""
    row = _key_row(ctx, key, fingerprint, status_code=status, response_body=body)
    if await _insert_key_and_events(conn, row):
        return
    # Taken by a request committed meanwhile (PostgreSQL made this insert wait for it).
    answered = await _stored(conn, ctx, key, fingerprint)
    if answered is not None:
        raise _Answered(answered)
    await insert_ignore(conn, idempotency_keys, **row)


# PostgreSQL: the key's row and the transaction's outbox rows in one statement.
_KEY_AND_EVENTS = outbox.along_with_rows(
    pg_insert(idempotency_keys).values({column: bindparam(column.key, type_=column.type)
                                        for column in idempotency_keys.c})
    .on_conflict_do_nothing().returning(idempotency_keys.c.idempotency_key))


async def _insert_key_and_events(conn: AsyncConnection, row: dict[str, Any]) -> bool:
    """Insert the key's row unless the key exists (True when inserted); on PostgreSQL the
    outbox rows the transaction kept go in with it, the rest of the time it writes them."""
    if conn.dialect.name != "postgresql":
        await outbox.flush(conn)
        return await insert_ignore(conn, idempotency_keys, **row)
    params = {**row, **outbox.row_arrays(outbox.take(conn))}
    return (await fetch(conn, _KEY_AND_EVENTS, params))[0].written == 1


_STORE_REPLY = (update(idempotency_keys)
                .where(idempotency_keys.c.idempotency_key == bindparam("key"))
                .values(status_code=bindparam("reply_status"),
                        response_body=bindparam("reply_body",
                                                type_=idempotency_keys.c.response_body.type)))


async def _store_reply(conn: AsyncConnection, key: str, reply: Reply) -> Encoded:
    """Keep the reply for repeats; its body encoded once, for the column and the response."""
    body = encode(reply.body)
    await write(conn, _STORE_REPLY, {"key": key, "reply_status": reply.status,
                                     "reply_body": body})
    return body
