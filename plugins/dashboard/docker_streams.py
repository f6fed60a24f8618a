"""Docker's long-lived streams (logs with follow, events) turned into async iterators.

The docker SDK is blocking, so each stream is read by a thread of its own (never the shared
executor: a page left open all day must not starve the rest of the process) and handed to the event
loop through a queue. Closing the iterator closes the HTTP response, which wakes the thread.

Log positions: Docker stamps every line with a nanosecond time. A follower remembers, per replica,
the last time it passed on and how many lines carried exactly that time; reopening a stream asks
Docker for everything since that second and drops what was already passed on. That position,
encoded for every replica, is the SSE event id, so a reconnect neither loses nor repeats a line.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

log = logging.getLogger("posmodern.dashboard")

_CONTROL = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|[\x00-\x08\x0b-\x1f\x7f]")
_DONE = object()


def parse_docker_time(stamp: str) -> int:
    """Nanoseconds since the epoch of an RFC 3339 time as Docker writes it (``…:05.123456789Z``)."""
    main, _, rest = stamp.partition(".")
    fraction = ""
    if rest:
        digits = re.match(r"\d*", rest).group(0)
        fraction, rest = digits, rest[len(digits):]
    else:
        main, rest = main[:19], main[19:]
    moment = datetime.strptime(main, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    if rest not in ("Z", "z", "", "+00:00"):
        moment = datetime.fromisoformat(main + rest)
    return int(moment.timestamp()) * 1_000_000_000 + int((fraction + "000000000")[:9])


def iso_from_ns(ns: int) -> str:
    """An ISO 8601 UTC time with microseconds, as the API shows times."""
    moment = datetime.fromtimestamp(ns // 1_000_000_000, timezone.utc)
    micros = (ns % 1_000_000_000) // 1000
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{micros:06d}Z"


def split_stamped(line: bytes) -> tuple[int, str] | None:
    """``(nanoseconds, message)`` of a line Docker sent with ``timestamps=1``."""
    text = line.decode("utf-8", errors="replace").rstrip("\r\n")
    stamp, _, message = text.partition(" ")
    try:
        ns = parse_docker_time(stamp)
    except ValueError:
        return None
    return ns, _CONTROL.sub("", message)


def lines_of(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Whole lines from a stream of chunks (a frame may hold part of a line, or several)."""
    pending = b""
    for chunk in chunks:
        pending += chunk
        *whole, pending = pending.split(b"\n")
        yield from whole
    if pending:
        yield pending


@dataclass
class Position:
    """How far a follower got in one replica's log: the last time passed on and how many lines
    had exactly that time."""

    ns: int = 0
    count: int = 0
    _skip: int = 0

    def reopen(self) -> None:
        """A new stream starts at ``ns``'s whole second: skip the lines already passed on."""
        self._skip = self.count

    def admit(self, ns: int) -> bool:
        """Whether a line stamped ``ns`` is new; moves the position past it if so."""
        if ns < self.ns:
            return False
        if ns == self.ns:
            if self._skip > 0:
                self._skip -= 1
                return False
            self.count += 1
            return True
        self.ns, self.count, self._skip = ns, 1, 0
        return True

    @property
    def since_seconds(self) -> int:
        return max(1, self.ns // 1_000_000_000)


class Cursor:
    """The positions of every replica of a service, as one opaque string (``1@ns.count,2@…``)."""

    def __init__(self, positions: dict[str, Position] | None = None) -> None:
        self.positions: dict[str, Position] = positions or {}

    def encode(self) -> str:
        return ",".join(f"{replica}@{p.ns}.{p.count}" for replica, p in sorted(
            self.positions.items()))

    @classmethod
    def decode(cls, raw: str | None) -> "Cursor | None":
        """The cursor an SSE client sent back; None when it is not one of ours."""
        if not raw:
            return None
        positions = {}
        try:
            for part in raw.split(","):
                replica, _, where = part.partition("@")
                ns, _, count = where.partition(".")
                if not replica or not replica.isdigit():
                    return None
                positions[replica] = Position(int(ns), int(count))
        except ValueError:
            return None
        return cls(positions)

    def position(self, replica: str, floor_ns: int) -> Position:
        """A replica's position, starting at ``floor_ns`` for a replica not seen before."""
        if replica not in self.positions:
            self.positions[replica] = Position(floor_ns, 0)
        return self.positions[replica]


class ThreadedStream:
    """Run ``produce(stream)`` in a thread and read what it emits asynchronously.

    ``produce`` calls ``stream.emit(item)`` for each item and returns once ``stream.stop`` is set
    (or its source ends). Before blocking on a socket it registers how to close it with
    ``stream.on_stop``, so that closing the stream wakes the thread.
    """

    def __init__(self, name: str, produce: Callable[["ThreadedStream"], None], *,
                 maxsize: int = 10_000) -> None:
        self.name = name
        self.stop = threading.Event()
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue = asyncio.Queue(maxsize=maxsize)
        self._closers: list[Callable[[], None]] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, args=(produce,), name=name, daemon=True)
        self._thread.start()

    def emit(self, item: Any) -> None:
        """Hand an item to the reader (from any thread)."""
        if self.stop.is_set():
            return
        try:
            self._loop.call_soon_threadsafe(self._put, item)
        except RuntimeError:  # the loop is closed: nobody reads any more
            self.stop.set()

    def _put(self, item: Any) -> None:
        try:
            self._queue.put_nowait(item)
        except asyncio.QueueFull:
            log.warning("dashboard stream %s is not read fast enough; dropping an item",
                        self.name)

    def _run(self, produce) -> None:
        try:
            produce(self)
        except Exception:  # noqa: BLE001 - the reader sees the end of the stream
            if not self.stop.is_set():
                log.exception("dashboard stream %s failed", self.name)
        finally:
            try:
                self._loop.call_soon_threadsafe(self._queue.put_nowait, _DONE)
            except RuntimeError:
                pass

    def spawn(self, name: str, target: Callable[..., None], *args: Any) -> threading.Thread:
        """Another producer thread feeding this stream (one per replica, say)."""
        thread = threading.Thread(target=target, args=(self, *args), name=name, daemon=True)
        thread.start()
        return thread

    def on_stop(self, closer: Callable[[], None]) -> bool:
        """Register how to wake a blocked thread; False (nothing kept) if already stopping."""
        with self._lock:
            if self.stop.is_set():
                return False
            self._closers.append(closer)
            return True

    def forget(self, closer: Callable[[], None]) -> None:
        with self._lock:
            if closer in self._closers:
                self._closers.remove(closer)

    async def __aiter__(self) -> AsyncIterator[Any]:
        while True:
            item = await self._queue.get()
            if item is _DONE:
                return
            yield item

    def close(self) -> None:
        """Stop the threads: each ends once its socket is closed."""
        with self._lock:
            self.stop.set()
            closers, self._closers = self._closers, []
        for closer in closers:
            try:
                closer()
            except Exception:  # noqa: BLE001 - already closed
                pass
