"""JSON responses that speak POS Modern's types (Decimal as a string, aware times, UUIDs)."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

from posmodern.core.errors import PosError
from posmodern.core.jsonable import encode


def dumps(content: Any) -> bytes:
    return encode(content).encode("utf-8")


class PosJSONResponse(JSONResponse):
    """A JSON body from data, or from :class:`~posmodern.core.jsonable.Encoded` text as is."""

    def render(self, content: Any) -> bytes:
        return dumps(content)


def error_response(error: PosError, headers: dict[str, str] | None = None) -> PosJSONResponse:
    """The SPEC §3 error body for a typed error, with the headers it asks for."""
    if error.headers:
        headers = {**error.headers, **(headers or {})}
    return PosJSONResponse(error.to_body(), status_code=error.status, headers=headers)
