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
