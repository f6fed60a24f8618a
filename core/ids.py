"""Random ids: UUID version 4, as ``uuid.uuid4()`` makes them, from a buffer of the OS's random
bytes.

``uuid.uuid4()`` asks the kernel for 16 bytes on every call; on the virtual machines this runs on
that system call costs about as much as an order's JSON encoding, and an order takes six ids (the
order, its items, its event, the request). Here one call fetches enough bytes for 256 ids. The
buffer is per process: a forked child starts with an empty one, so no two processes hand out the
same bytes.
"""

from __future__ import annotations

import os
import threading
import uuid

_CHUNK = 16 * 256
_lock = threading.Lock()
_buffer = b""
_at = 0


def _reset() -> None:
    global _buffer, _at
    _buffer, _at = b"", 0


os.register_at_fork(after_in_child=_reset)


def new_uuid() -> uuid.UUID:
    """A random (version 4) UUID."""
    global _buffer, _at
    with _lock:
        if _at >= len(_buffer):
            _buffer, _at = os.urandom(_CHUNK), 0
        raw = _buffer[_at:_at + 16]
        _at += 16
    return uuid.UUID(bytes=raw, version=4)
