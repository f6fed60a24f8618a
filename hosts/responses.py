"""JSON responses that speak POS Modern's types (Decimal as a string, aware times, UUIDs)."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import JSONResponse

from posmodern.core.errors import PosError
from posmodern.core.events import json_default


def dumps(content: Any) -> bytes:
    return json.dumps(content, default=json_default, ensure_ascii=False,
                      separators=(",", ":")).encode("utf-8")


class PosJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        return dumps(content)


def error_response(error: PosError, headers: dict[str, str] | None = None) -> PosJSONResponse:
    """The SPEC §3 error body for a typed error."""
    return PosJSONResponse(error.to_body(), status_code=error.status, headers=headers)
