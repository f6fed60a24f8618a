"""Cursor (keyset) pagination: opaque cursors over a listing's sort key.

A listing sorts on a unique key, such as ``(created_at, order_id)``; the cursor a page returns holds
the key of its last row, and the next page starts strictly after it. Unlike an offset, rows added
or removed meanwhile never shift a page. The cursor is base64url JSON: opaque to clients, and a
forged one only moves the position, since tenant and store filters apply to every page.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import ColumnElement, bindparam, tuple_

from posmodern.core.errors import ValidationFailed

DEFAULT_LIMIT = 50
MAX_LIMIT = 100


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def encode_cursor(key: Sequence[Any]) -> str:
    """An opaque cursor holding a row's sort key."""
    raw = json.dumps([_plain(v) for v in key], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, kinds: Sequence[type]) -> tuple[Any, ...]:
    """The sort key in ``cursor``, each part made a ``kind`` (``str``, ``datetime``, ``uuid.UUID``).

    A cursor not made by :func:`encode_cursor` for this listing is a 422 ``invalid_cursor``.
    """
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        parts = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(parts, list) or len(parts) != len(kinds):
            raise ValueError("wrong shape")
        key = []
        for kind, part in zip(kinds, parts, strict=True):
            if kind is datetime:
                value = datetime.fromisoformat(part)
                if value.tzinfo is None:
                    raise ValueError("naive time")
                value.astimezone(timezone.utc)  # near year 1 or 9999 an offset overflows
            elif kind is uuid.UUID:
                value = uuid.UUID(part)
            elif isinstance(part, kind):
                value = part
                if isinstance(value, str):
                    value.encode()  # a lone surrogate cannot be sent to the database
            else:
                raise ValueError("wrong type")
            key.append(value)
        return tuple(key)
    except (ValueError, TypeError, OverflowError, RecursionError, binascii.Error):
        raise ValidationFailed("invalid cursor: pass back the next_cursor of a previous page",
                               code="invalid_cursor", details={"cursor": cursor[:100]}) from None


def after(columns: Sequence[ColumnElement], key: Sequence[Any], *,
          descending: bool = False) -> ColumnElement[bool]:
    """The condition "row sorts after ``key``" for a listing ordered on ``columns``."""
    values = tuple_(*(bindparam(None, value, type_=column.type)
                      for column, value in zip(columns, key, strict=True)))
    row = tuple_(*columns)
    return row < values if descending else row > values


def page(rows: Sequence[Any], limit: int, key_of) -> tuple[list[Any], str | None]:
    """Split ``limit + 1`` fetched rows into the page and the cursor of the next one (or None)."""
    items = list(rows[:limit])
    if len(rows) <= limit:
        return items, None
    return items, encode_cursor(key_of(items[-1]))
