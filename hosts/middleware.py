"""ASGI middleware: request id, access log, metrics, and a JSON 500 for unexpected errors."""

from __future__ import annotations

import logging
import re
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from posmodern.core.errors import PosError
from posmodern.core.ids import new_uuid
from posmodern.hosts.logs import request_id_var
from posmodern.hosts.metrics import Metrics
from posmodern.hosts.responses import PosJSONResponse

log = logging.getLogger("posmodern.http")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


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
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"],
                                      (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception:  # noqa: BLE001 - the one place unexpected errors are caught
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


def _fallback_route(scope: Scope) -> str:
    path = scope["path"]
    if path in ("/health", "/ready", "/metrics", "/openapi.json"):
        return path
    return "static" if not path.startswith("/api/") else "unmatched"
