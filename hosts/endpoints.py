"""Turn a plugin's :class:`ApiRoute` into a Starlette endpoint.

In order: token and role, body (size, media type, JSON, model), query (model), then the endpoint,
inside an idempotency record when the route asks for one. Every failure is a typed error that
becomes the SPEC's JSON error body.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from starlette.requests import Request
from starlette.responses import Response

from posmodern.core import outbox
from posmodern.core.api import ApiRoute, Principal, Reply, RequestContext
from posmodern.core.errors import (BadRequest, Conflict, Forbidden, PayloadTooLarge, PosError,
                                   Unauthorized, UnsupportedMediaType, ValidationFailed)
from posmodern.core.jsonable import Encoded, dumps, encode
from posmodern.core.security import decode_token
from posmodern.core.writes import fetch, insert_ignore, write
from posmodern.hosts.logs import request_id_var
from posmodern.hosts.responses import PosJSONResponse, error_response
from posmodern.schema.tables import idempotency_keys
from posmodern.schema.types import utcnow

IDEMPOTENCY_HEADER = "Idempotency-Key"
# A key claimed by a request that never stored an answer (its process died) is free after this.
IN_FLIGHT_LEASE = timedelta(minutes=5)
_BODY_METHODS = {"POST", "PUT", "PATCH"}


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def authenticate(request: Request, route: ApiRoute) -> Principal | None:
    """The caller's principal, checked against the route's roles (None on public routes)."""
    if route.roles is None:
        return None
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("missing bearer token", code="missing_token")
    principal = decode_token(request.app.state.runtime.settings, token.strip())
    if not principal.has_any(route.roles):
        raise Forbidden(f"this action needs one of the roles: {', '.join(sorted(route.roles))}",
                        details={"required": sorted(route.roles), "roles": sorted(principal.roles)})
    return principal


async def read_json(request: Request, limit: int) -> Any:
    """The request body as JSON (numbers with a fraction as ``Decimal``), within ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            declared_size = int(declared)
        except ValueError:
            raise BadRequest("invalid Content-Length") from None
        if declared_size > limit:
            raise PayloadTooLarge(f"body over {limit} bytes", details={"limit": limit})
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"body over {limit} bytes", details={"limit": limit})
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip():
        raise BadRequest("a JSON body is required", code="missing_body")
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type and media_type != "application/json" and not media_type.endswith("+json"):
        raise UnsupportedMediaType("send the body as application/json",
                                   details={"content_type": media_type})
    try:
        return json.loads(raw, parse_float=Decimal, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(f"malformed JSON: {exc}", code="malformed_json") from None


def validation_details(exc: ValidationError) -> list[dict[str, Any]]:
    return [
        {"loc": [str(part) for part in err["loc"]], "msg": err["msg"], "type": err["type"]}
        for err in exc.errors(include_url=False, include_input=False)
    ]


def validate(model: type[BaseModel], data: Any, where: str) -> BaseModel:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(f"invalid {where}", details=validation_details(exc)) from None


def _render(result: Any, route: ApiRoute) -> Response:
    if isinstance(result, Response):
        return result
    if isinstance(result, Reply):
        return PosJSONResponse(result.body, status_code=result.status, headers=result.headers)
    return PosJSONResponse(result, status_code=route.status_code)


def _as_reply(result: Any, route: ApiRoute) -> Reply:
    if isinstance(result, Reply):
        return result
    if isinstance(result, Response):
        raise TypeError(f"idempotent route {route.name} must return data, not a Response")
    return Reply(result, route.status_code)


def request_hash(request: Request, raw_body: Any) -> str:
    canonical = dumps(raw_body, sort_keys=True, separators=(",", ":"))
    material = f"{request.method} {request.url.path}\n{canonical}"
    return hashlib.sha256(material.encode()).hexdigest()


def _key_row(ctx: RequestContext, key: str, fingerprint: str, **answer: Any) -> dict[str, Any]:
    now = utcnow()
    return dict(idempotency_key=key, route=ctx.route.name, request_hash=fingerprint,
                created_at=now, expires_at=now + timedelta(
                    hours=ctx.runtime.settings.idempotency_ttl_hours), **answer)


async def _stored(conn, ctx: RequestContext, key: str, fingerprint: str) -> Response | None:
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


async def _claim(conn, ctx: RequestContext, key: str, fingerprint: str) -> Response | None:
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


async def _keep_answer(conn, ctx: RequestContext, key: str, fingerprint: str, status: int,
                       body: Encoded) -> None:
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


async def _insert_key_and_events(conn, row: dict[str, Any]) -> bool:
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


async def _store_reply(conn, key: str, reply: Reply) -> Encoded:
    """Keep the reply for repeats; its body encoded once, for the column and the response."""
    body = encode(reply.body)
    await write(conn, _STORE_REPLY, {"key": key, "reply_status": reply.status,
                                     "reply_body": body})
    return body


async def _run_idempotent(ctx: RequestContext, key: str, fingerprint: str) -> Response:
    """Run the endpoint at most once per key: replay the stored answer for a repeat.

    The endpoint runs first and its answer is stored with the key at the end of the same
    transaction: one write for the key, and the key's unique index decides between concurrent
    attempts (a later one waits for the first to commit, then rolls its own work back and
    replays the first's answer). A repeat whose own run fails (the order it confirmed is no
    longer pending) still gets the stored answer.
    """
    ctx.idempotency_key = key
    if ctx.route.own_transactions:
        return await _run_idempotent_in_steps(ctx, key, fingerprint)
    db = ctx.runtime.db
    try:
        async with db.transaction(ctx.client_id) as conn:
            ctx._conn = conn
            reply = _as_reply(await ctx.route.endpoint(ctx), ctx.route)
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
    finally:
        ctx._conn = None
    return PosJSONResponse(body, status_code=reply.status, headers=reply.headers)


async def _run_idempotent_in_steps(ctx: RequestContext, key: str, fingerprint: str) -> Response:
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
                idempotency_keys.c.idempotency_key == key, idempotency_keys.c.status_code.is_(None)))
        raise
    async with db.transaction(ctx.client_id) as conn:
        body = await _store_reply(conn, key, reply)
    return PosJSONResponse(body, status_code=reply.status, headers=reply.headers)


def make_endpoint(route: ApiRoute):
    """A Starlette endpoint running ``route`` with the host's checks around it."""

    async def endpoint(request: Request) -> Response:
        request.scope["pos.route"] = route.name
        runtime = request.app.state.runtime
        try:
            principal = authenticate(request, route)
            raw_body = None
            body = None
            if route.body is not None and request.method in _BODY_METHODS:
                raw_body = await read_json(request, runtime.settings.max_body_bytes)
                body = validate(route.body, raw_body, "body")
            query = None
            if route.query is not None:
                query = validate(route.query, dict(request.query_params), "query")
            ctx = RequestContext(request=request, runtime=runtime, principal=principal,
                                 route=route, request_id=request_id_var.get() or "",
                                 body=body, query=query)
            key = request.headers.get(IDEMPOTENCY_HEADER)
            if route.idempotent and key is not None:
                if not key.strip() or len(key) > 255:
                    raise BadRequest("Idempotency-Key must be 1-255 characters",
                                     code="invalid_idempotency_key")
                if principal is None:
                    raise BadRequest("Idempotency-Key needs an authenticated route")
                return await _run_idempotent(ctx, key.strip(), request_hash(request, raw_body))
            return _render(await route.endpoint(ctx), route)
        except PosError as error:
            return error_response(error)

    endpoint.__name__ = route.name.replace(".", "_")
    return endpoint
