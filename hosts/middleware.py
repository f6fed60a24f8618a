"""ASGI middleware: request id, security headers, access log, metrics, and a JSON 500 for
unexpected errors."""

from __future__ import annotations

import logging
import re
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from posmodern.core.db import unavailable
from posmodern.core.errors import PosError
from posmodern.core.ids import new_uuid
from posmodern.hosts.logs import request_id_var
from posmodern.hosts.metrics import Metrics
from posmodern.hosts.responses import PosJSONResponse

log = logging.getLogger("posmodern.http")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# On every answer, API and pages alike (deploy/gateway/headers.conf sends the same): no MIME
# sniffing, no framing (clickjacking a till's buttons), no page loading anything from elsewhere
# (the pages work on a LAN without internet), no URL leaked to another site.
SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"content-security-policy", b"default-src 'self'; img-src 'self' data:; object-src 'none'; "
                                 b"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"),
    (b"referrer-policy", b"no-referrer"),
)
# Only over TLS: sent over plain HTTP it would be ignored, and a store's LAN may have no TLS.
HSTS = (b"strict-transport-security", b"max-age=31536000")


class RequestMiddleware:
    """Gives every request an id (``X-Request-ID``), logs and measures it, and turns an
    unexpected exception into a logged traceback and a JSON 500 that names the request id."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _SAFE_ID.match(incoming) else new_uuid().hex
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = {"code": 500, "sent": False}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                status["sent"] = True
                message["headers"] = _with_hygiene(scope, message.get("headers") or [],
                                                   message["status"], request_id)
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception as exc:  # noqa: BLE001 - the one place unexpected errors are caught
            down = unavailable(exc)
            if down is not None:
                # Not a bug here: the database cannot serve now; the client retries later.
                log.warning("database unavailable: %s: %s", type(exc).__name__, exc,
                            extra={"path": scope["path"], "method": scope["method"]})
                if not status["sent"]:
                    response = PosJSONResponse(down.to_body(), status_code=down.status,
                                               headers=down.headers)
                    await response(scope, receive, send_wrapper)
                return
            log.exception("unhandled error", extra={"path": scope["path"],
                                                   "method": scope["method"]})
            if not status["sent"]:
                error = PosError("internal error; quote the request id when reporting it",
                                 code="internal_error", details={"request_id": request_id})
                error.status = 500
                response = PosJSONResponse(error.to_body(), status_code=500)
                await response(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("pos.route") or _fallback_route(scope)
            self.metrics.observe(scope["method"], route, status["code"], elapsed)
            if scope["path"] not in ("/health", "/metrics"):
                log.info("%s %s %s", scope["method"], scope["path"], status["code"], extra={
                    "method": scope["method"], "path": scope["path"], "status": status["code"],
                    "duration_ms": round(elapsed * 1000, 2), "route": route})
            request_id_var.reset(token)


def _with_hygiene(scope: Scope, headers: list, status: int, request_id: str) -> list:
    """The answer's headers with the request id and the security headers (those the endpoint
    set itself kept), and a redirect within this host made relative."""
    present = {name.lower() for name, _ in headers}
    extra = [(b"x-request-id", request_id.encode())]
    extra += [header for header in SECURITY_HEADERS if header[0] not in present]
    if scope.get("scheme") == "https" and HSTS[0] not in present:
        extra.append(HSTS)
    if 300 <= status < 400:
        headers = [(name, _relative(scope, value) if name.lower() == b"location" else value)
                   for name, value in headers]
    return [*headers, *extra]


def _relative(scope: Scope, location: bytes) -> bytes:
    # Starlette builds the trailing-slash redirect (/dashboard -> /dashboard/) from the Host
    # header, so a forged Host sent the browser to another site; the path alone cannot.
    host = dict(scope["headers"]).get(b"host", b"")
    for scheme in (b"http://", b"https://"):
        if host and location.startswith(scheme + host + b"/"):
            return location[len(scheme + host):]
    return location


def _fallback_route(scope: Scope) -> str:
    path = scope["path"]
    if path in ("/health", "/ready", "/metrics", "/openapi.json"):
        return path
    return "static" if not path.startswith("/api/") else "unmatched"
