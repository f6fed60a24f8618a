"""Reading server-sent events in tests, from any iterator of text lines (httpx, TestClient)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


@dataclass
class Event:
    name: str
    id: str | None
    data: Any


def events(lines: Iterator[str]) -> Iterator[Event]:
    """The events of a stream, as they come (comments and ``retry`` skipped)."""
    name, event_id, data = "message", None, []
    for line in lines:
        if line == "":
            if data:
                yield Event(name, event_id, json.loads("\n".join(data)))
            name, event_id, data = "message", None, []
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if field == "event":
            name = value
        elif field == "id":
            event_id = value
        elif field == "data":
            data.append(value)
