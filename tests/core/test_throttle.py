"""The cap on password hashes computed at once."""

import asyncio

import pytest

from posmodern.core.cache import MemoryCache
from posmodern.core.config import Settings
from posmodern.core.errors import ServiceUnavailable
from posmodern.core.throttle import LoginThrottle


def throttle(**settings) -> LoginThrottle:
    return LoginThrottle(MemoryCache(), Settings(**settings))


async def test_sign_ins_beyond_the_hashing_slots_wait_then_get_a_503():
    gate = throttle(login_hash_slots=2, login_hash_wait_seconds=0.2)
    running, most = 0, 0

    async def sign_in(seconds: float) -> None:
        nonlocal running, most
        async with gate.hashing():
            running += 1
            most = max(most, running)
            await asyncio.sleep(seconds)
            running -= 1

    # Six quick ones share two slots: they wait their turn, none is refused.
    await asyncio.gather(*(sign_in(0.03) for _ in range(6)))
    assert most == 2
    # Two slow ones hold both slots longer than a third will wait.
    slow = [asyncio.create_task(sign_in(0.5)) for _ in range(2)]
    await asyncio.sleep(0.01)
    with pytest.raises(ServiceUnavailable) as refused:
        await sign_in(0)
    assert refused.value.status == 503 and refused.value.headers == {"Retry-After": "1"}
    await asyncio.gather(*slow)
    await sign_in(0)
