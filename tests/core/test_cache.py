import asyncio
import uuid

import pytest

from posmodern.core.cache import create_cache
from support import services


@pytest.fixture(params=["memory", "redis"])
async def cache(request):
    url = None if request.param == "memory" else services.REDIS_URL
    made = create_cache(url, prefix=f"test:{uuid.uuid4().hex[:8]}:")
    yield made
    await made.close()


async def test_set_get_delete_and_expiry(cache):
    await cache.ping()
    assert await cache.get("menu") is None
    await cache.set("menu", {"items": [1, 2], "price": "9.90"})
    assert await cache.get("menu") == {"items": [1, 2], "price": "9.90"}
    await cache.delete("menu")
    assert await cache.get("menu") is None
    await cache.set("short", 1, ttl=0.05)
    await asyncio.sleep(0.15)
    assert await cache.get("short") is None


async def test_counters_count_and_expire(cache):
    assert await cache.incr("tries", 10) == (1, pytest.approx(10, abs=0.5))
    count, left = await cache.incr("tries", 10)
    assert count == 2 and 9 < left <= 10
    assert await cache.get("tries") == 2
    # A fixed window: later hits do not push its end back.
    await cache.incr("window", 0.3, refresh=False)
    await asyncio.sleep(0.15)
    count, left = await cache.incr("window", 0.3, refresh=False)
    assert count == 2 and left < 0.2
    await asyncio.sleep(0.25)
    assert (await cache.incr("window", 0.3, refresh=False))[0] == 1
    # A sliding one: each hit does.
    await cache.incr("sliding", 0.3)
    await asyncio.sleep(0.15)
    await cache.incr("sliding", 0.3)
    await asyncio.sleep(0.2)
    assert (await cache.incr("sliding", 0.3))[0] == 3
