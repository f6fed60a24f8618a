"""Structured JSON logs with the request id, and a ring buffer of recent lines."""

from __future__ import annotations

import collections
import contextvars
import json
import logging
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id",
                                                                            default=None)
_RESERVED = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message", "asctime", "color_message"}


class JSONFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id and any extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or request_id_var.get()
        if request_id:
            entry["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in _RESERVED and key not in entry and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class RingBuffer(logging.Handler):
    """Keeps the last ``capacity`` formatted lines, numbered, for the dashboard to read.

    Listeners are called with the new line's number after each line (from the logging thread):
    a live view wakes up instead of polling.
    """

    def __init__(self, capacity: int = 2000) -> None:
        super().__init__()
        self.lines: collections.deque[tuple[int, float, str]] = collections.deque(maxlen=capacity)
        self._seq = 0
        self._cond = threading.Condition()
        self._listeners: list[Callable[[int], None]] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:  # noqa: BLE001 - logging must never raise
            return
        with self._cond:
            self._seq += 1
            seq = self._seq
            self.lines.append((seq, time.time(), line))
            self._cond.notify_all()
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(seq)
            except Exception:  # noqa: BLE001 - logging must never raise
                pass

    def add_listener(self, listener: Callable[[int], None]) -> None:
        with self._cond:
            self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[int], None]) -> None:
        with self._cond:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def since(self, seq: int) -> list[tuple[int, float, str]]:
        """Lines numbered after ``seq``."""
        with self._cond:
            return [entry for entry in self.lines if entry[0] > seq]

    @property
    def last_seq(self) -> int:
        return self._seq


ring_buffer = RingBuffer()


def configure_logging(level: str = "INFO", fmt: str = "json") -> None:
    """JSON (or plain) lines on stderr plus the in-memory ring buffer; safe to call twice."""
    formatter: logging.Formatter = (
        JSONFormatter() if fmt == "json"
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.setLevel(level)
    for handler in list(root.handlers):
        if getattr(handler, "_posmodern", False):
            root.removeHandler(handler)
    stream = logging.StreamHandler(sys.stderr)
    stream.setFormatter(formatter)
    stream._posmodern = True  # type: ignore[attr-defined]
    ring_buffer.setFormatter(formatter)
    ring_buffer._posmodern = True  # type: ignore[attr-defined]
    root.addHandler(stream)
    root.addHandler(ring_buffer)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # uvicorn's own access log repeats ours; keep its errors.
    logging.getLogger("uvicorn.access").disabled = True
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
