"""Server-sent events: the wire format, a keep-alive, and the response that carries them (shared
by every plugin that streams: the dashboard, the kitchen display)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from starlette.responses import StreamingResponse

from posmodern.core.events import json_default

KEEPALIVE_SECONDS = 15.0
RETRY_MS = 1000


def event(data: Any, *, name: str | None = None, id: str | None = None) -> bytes:
    """One SSE event; ``data`` as one line of JSON."""
    lines = []
    if id is not None:
        lines.append(f"id: {id}")
    if name is not None:
        lines.append(f"event: {name}")
    lines.append("data: " + json.dumps(data, default=json_default, ensure_ascii=False,
                                       separators=(",", ":")))
    return ("\n".join(lines) + "\n\n").encode("utf-8")


async def with_keepalive(events: AsyncIterator[bytes], every: float) -> AsyncIterator[bytes]:
    """``events``, with a comment line whenever nothing was sent for ``every`` seconds, so that
    proxies keep the connection and a vanished client is noticed."""
    iterator = events.__aiter__()
    pending: asyncio.Task | None = None
    try:
        while True:
            if pending is None:
                pending = asyncio.ensure_future(iterator.__anext__())
            done, _ = await asyncio.wait({pending}, timeout=every)
            if not done:
                yield b": keep-alive\n\n"
                continue
            try:
                item = pending.result()
            except StopAsyncIteration:
                return
            finally:
                pending = None
            yield item
    finally:
        if pending is not None:
            pending.cancel()
            try:
                await pending
            except (asyncio.CancelledError, StopAsyncIteration):
                pass
        aclose = getattr(iterator, "aclose", None)
        if aclose is not None:
            await aclose()


class EventStream(StreamingResponse):
    """``text/event-stream`` that is never cached or buffered by a proxy."""

    media_type = "text/event-stream"

    def __init__(self, events: AsyncIterator[bytes], *, keepalive: float = KEEPALIVE_SECONDS
                 ) -> None:
        async def body() -> AsyncIterator[bytes]:
            yield f"retry: {RETRY_MS}\n\n".encode()
            async for chunk in with_keepalive(events, keepalive):
                yield chunk

        super().__init__(body(), headers={"Cache-Control": "no-cache, no-store",
                                          "X-Accel-Buffering": "no"})
