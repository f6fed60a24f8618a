"""JSON for POS Modern's values: ``Decimal`` money as strings, times as ISO 8601, UUIDs as strings.

One encoding everywhere: HTTP bodies, events, and JSON columns (the database engines serialize
with :func:`dumps`), so an amount reads ``"29.70"`` wherever it is seen.
"""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any


_BY_TYPE = {Decimal: str, uuid.UUID: str, datetime: datetime.isoformat, date: date.isoformat,
            set: list, frozenset: list, tuple: list}


def json_default(value: Any) -> Any:
    """How :mod:`json` writes the values it does not know."""
    # By exact type first: a listing of orders calls this for every amount, id and time.
    convert = _BY_TYPE.get(type(value))
    if convert is not None:
        return convert(value)
    for kind, convert in _BY_TYPE.items():
        if isinstance(value, kind):
            return convert(value)
    raise TypeError(f"{type(value).__name__} is not JSON-safe")


class Encoded(str):
    """JSON text already encoded: :func:`dumps` (and so a JSON column) writes it as it is."""

    __slots__ = ()


def dumps(data: Any, **options: Any) -> str:
    """``data`` as JSON text."""
    if type(data) is Encoded:
        return data
    return json.dumps(data, default=json_default, **options)


def encode(data: Any) -> Encoded:
    """``data`` as compact JSON text, for a JSON column or an HTTP body (UTF-8, not escaped);
    text already :class:`Encoded` as it is."""
    if type(data) is Encoded:
        return data
    return Encoded(json.dumps(data, default=json_default, ensure_ascii=False,
                              separators=(",", ":")))


def json_safe(data: Any) -> Any:
    """``data`` as plain JSON values: decimals become strings, UUIDs and times ISO strings."""
    return json.loads(dumps(data))
