"""The audit log's hash chain: each row's ``chain_hash`` is SHA-256 of the previous row's and of
its own content, so changing or removing a row breaks every link after it.

Part of :mod:`posmodern.core.audit`; a module of its own because the migration that chains the
rows written before uses it too.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

GENESIS = "0" * 64
#: What a row's link covers: all of it but the link itself.
FIELDS = ("seq", "audit_id", "client_id", "store_id", "occurred_at", "user_id", "username",
          "action", "resource_type", "resource_id", "details", "request_id")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        # As stored: UTC, to the microsecond (both backends keep that much).
        return value.astimezone(timezone.utc).isoformat(timespec="microseconds")
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def link(previous: str, row: Mapping[str, Any]) -> str:
    """The chain hash of ``row`` after a row whose chain hash is ``previous``."""
    content = json.dumps({name: _plain(row.get(name)) for name in FIELDS}, sort_keys=True,
                         separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(f"{previous}\n{content}".encode()).hexdigest()
