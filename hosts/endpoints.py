"""Turn a plugin's :class:`ApiRoute` into a Starlette endpoint.

In order: token and role, body (size, media type, JSON, model), query (model), then the endpoint,
run at most once per ``Idempotency-Key`` when the route honours one (:mod:`.idempotency`). Every
failure is a typed error that becomes the SPEC's JSON error body.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response

from posmodern.core import revocation
from posmodern.core.api import ApiRoute, Principal, Reply, RequestContext
from posmodern.core.errors import (BadRequest, Forbidden, PayloadTooLarge, PosError,
                                   UnsupportedMediaType, ValidationFailed)
from posmodern.core.security import bearer_token, verify_token
from posmodern.hosts import idempotency
from posmodern.hosts.logs import request_id_var
from posmodern.hosts.responses import PosJSONResponse, error_response

_BODY_METHODS = {"POST", "PUT", "PATCH"}


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


async def authenticate(request: Request, route: ApiRoute) -> Principal | None:
    """The caller's principal, checked against the route's roles (None on public routes);
    a token whose user or tenant changed since it was issued is refused
    (:mod:`posmodern.core.revocation`)."""
    if route.roles is None:
        return None
    runtime = request.app.state.runtime
    principal, version = verify_token(runtime.settings, bearer_token(request))
    await revocation.check(runtime.db, runtime.cache, principal, version)
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
        data = json.loads(raw, parse_float=Decimal, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(f"malformed JSON: {exc}", code="malformed_json") from None
    except RecursionError:
        raise BadRequest("malformed JSON: nested too deep", code="malformed_json") from None
    refuse_nul(data, "body")
    return data


def _nul_at(data: Any, where: str) -> list | None:
    # A loop, not recursion: JSON nested as deep as the parser allows must not overflow here.
    pending = [(data, [where])]
    while pending:
        value, loc = pending.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return loc
            continue
        items = value.items() if isinstance(value, dict) else (
            enumerate(value) if isinstance(value, list) else ())
        for key, item in items:
            if isinstance(key, str) and "\x00" in key:
                return [*loc, key]
            pending.append((item, [*loc, key]))
    return None


def refuse_nul(data: Any, where: str) -> None:
    """A NUL character in any string (key or value) is a 422: PostgreSQL cannot store one, and
    no name, note or id of ours has one."""
    loc = _nul_at(data, where)
    if loc is not None:
        message = "strings must not contain NUL (\\u0000) characters"
        raise ValidationFailed(f"invalid {where}", code="validation_error", details=[
            {"loc": [str(part) for part in loc], "msg": message, "type": "nul_character"}])


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


def make_endpoint(route: ApiRoute):
    """A Starlette endpoint running ``route`` with the host's checks around it."""

    async def endpoint(request: Request) -> Response:
        request.scope["pos.route"] = route.name
        runtime = request.app.state.runtime
        try:
            principal = await authenticate(request, route)
            raw_body = None
            body = None
            if route.body is not None and request.method in _BODY_METHODS:
                raw_body = await read_json(request, runtime.settings.max_body_bytes)
                body = validate(route.body, raw_body, "body")
            query = None
            if route.query is not None:
                params = dict(request.query_params)
                refuse_nul(params, "query")
                query = validate(route.query, params, "query")
            ctx = RequestContext(request=request, runtime=runtime, principal=principal,
                                 route=route, request_id=request_id_var.get() or "",
                                 body=body, query=query)
            key = idempotency.requested_key(request, route, principal)
            if key is not None:
                return await idempotency.run_once(
                    ctx, key, idempotency.request_hash(request, raw_body, principal))
            return _render(await route.endpoint(ctx), route)
        except PosError as error:
            return error_response(error)

    endpoint.__name__ = route.name.replace(".", "_")
    return endpoint
