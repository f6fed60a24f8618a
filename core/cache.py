"""A small key/value cache with expiry: Redis when configured, process memory otherwise."""

from __future__ import annotations

import json
import time
from typing import Any, Protocol


class Cache(Protocol):
    async def get(self, key: str) -> Any | None: ...
    async def set(self, key: str, value: Any, ttl: float | None = None) -> None: ...
    async def delete(self, key: str) -> None: ...
    async def incr(self, key: str, ttl: float, *, refresh: bool = True) -> tuple[int, float]: ...
    async def ping(self) -> None: ...
    async def close(self) -> None: ...


class MemoryCache:
    """The embedded cache: a dict with expiry times."""

    def __init__(self, prefix: str = "pos:") -> None:
        self.prefix = prefix
        self._items: dict[str, tuple[float | None, str]] = {}

    async def get(self, key: str) -> Any | None:
        item = self._items.get(self.prefix + key)
        if item is None:
            return None
        expires, raw = item
        if expires is not None and expires < time.monotonic():
            self._items.pop(self.prefix + key, None)
            return None
        return json.loads(raw)

    async def set(self, key: str, value: Any, ttl: float | None = None) -> None:
        expires = time.monotonic() + ttl if ttl else None
        self._items[self.prefix + key] = (expires, json.dumps(value))

    async def delete(self, key: str) -> None:
        self._items.pop(self.prefix + key, None)

    async def incr(self, key: str, ttl: float, *, refresh: bool = True) -> tuple[int, float]:
        """Add one to a counter; its count and the seconds until it expires (``ttl`` after
        this hit with ``refresh``, else ``ttl`` after the first)."""
        now = time.monotonic()
        item = self._items.get(self.prefix + key)
        expires, count = (None, 0) if item is None else (item[0], json.loads(item[1]))
        if expires is not None and expires < now:
            expires, count = None, 0
        if refresh or expires is None:
            expires = now + ttl
        self._items[self.prefix + key] = (expires, json.dumps(count + 1))
        return count + 1, expires - now

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        self._items.clear()


class RedisCache:
    """The cache on Redis, values as JSON, keys under a prefix."""

    def __init__(self, url: str, prefix: str = "pos:") -> None:
        from redis.asyncio import Redis

        self.prefix = prefix
        self.redis = Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)

    async def get(self, key: str) -> Any | None:
        raw = await self.redis.get(self.prefix + key)
        return None if raw is None else json.loads(raw)

    async def set(self, key: str, value: Any, ttl: float | None = None) -> None:
        await self.redis.set(self.prefix + key, json.dumps(value),
                             px=int(ttl * 1000) if ttl else None)

    async def delete(self, key: str) -> None:
        await self.redis.delete(self.prefix + key)

    async def incr(self, key: str, ttl: float, *, refresh: bool = True) -> tuple[int, float]:
        """Add one to a counter, atomically across processes; its count and the seconds until
        it expires (``ttl`` after this hit with ``refresh``, else ``ttl`` after the first)."""
        name, ms = self.prefix + key, max(1, int(ttl * 1000))
        async with self.redis.pipeline(transaction=True) as pipe:
            if refresh:
                pipe.incr(name).pexpire(name, ms).pttl(name)
                count, _, left = await pipe.execute()
            else:
                pipe.set(name, 0, px=ms, nx=True).incr(name).pttl(name)
                _, count, left = await pipe.execute()
        return int(count), max(left, 0) / 1000

    async def ping(self) -> None:
        await self.redis.ping()

    async def close(self) -> None:
        await self.redis.aclose()


def create_cache(url: str | None, prefix: str = "pos:") -> Cache:
    """Redis for a ``redis://`` URL, process memory for none."""
    return RedisCache(url, prefix) if url else MemoryCache(prefix)
