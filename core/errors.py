"""Typed errors of POS Modern.

Domain code raises these; the host maps them to HTTP once (``hosts/errors.py``), with the
SPEC §3 body ``{"error": {"code", "message", "details"}}``.
"""

from __future__ import annotations

import math
from typing import Any


class PosError(Exception):
    """Base of every error the API reports to a client."""

    status: int = 400
    code: str = "bad_request"
    #: HTTP headers the answer carries besides the body (``Retry-After`` …).
    headers: dict[str, str] | None = None

    def __init__(self, message: str, *, details: Any = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        if code is not None:
            self.code = code

    def to_body(self) -> dict[str, Any]:
        """The JSON body sent to the client."""
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


class BadRequest(PosError):
    status, code = 400, "bad_request"


class Unauthorized(PosError):
    status, code = 401, "unauthorized"


class Forbidden(PosError):
    status, code = 403, "forbidden"


class NotFound(PosError):
    status, code = 404, "not_found"


class MethodNotAllowed(PosError):
    status, code = 405, "method_not_allowed"


class Conflict(PosError):
    status, code = 409, "conflict"


class PayloadTooLarge(PosError):
    status, code = 413, "payload_too_large"


class UnsupportedMediaType(PosError):
    status, code = 415, "unsupported_media_type"


class ValidationFailed(PosError):
    status, code = 422, "validation_error"


class TooManyRequests(PosError):
    """Too many attempts: the client may try again after ``retry_after`` seconds."""

    status, code = 429, "too_many_requests"

    def __init__(self, message: str, *, retry_after: float, details: Any = None,
                 code: str | None = None) -> None:
        self.retry_after = max(1, math.ceil(retry_after))
        super().__init__(message, code=code,
                         details={"retry_after": self.retry_after, **(details or {})})
        self.headers = {"Retry-After": str(self.retry_after)}


class BadGateway(PosError):
    """An outside service (a payment provider) answered with an error or nonsense."""

    status, code = 502, "bad_gateway"


class ServiceUnavailable(PosError):
    status, code = 503, "service_unavailable"

    def __init__(self, message: str, *, retry_after: float | None = None, details: Any = None,
                 code: str | None = None) -> None:
        super().__init__(message, details=details, code=code)
        if retry_after is not None:
            self.headers = {"Retry-After": str(max(1, math.ceil(retry_after)))}


class GatewayTimeout(PosError):
    """An outside service did not answer in time; what it did is unknown until asked again."""

    status, code = 504, "gateway_timeout"


class PluginError(Exception):
    """A plugin set that cannot be loaded: unknown or duplicate names, bad registrations."""


class ConfigError(Exception):
    """Settings that cannot run, such as a default secret in production."""
