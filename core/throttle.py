"""Sign-in throttling: lockouts per account and per client address, and a cap on the password
hashes computed at once.

An account (tenant + username, known or not, so a lock says nothing about who exists) may fail
``login_account_failures`` times; each failure after that locks it for twice as long as the
last, from 1 s up to ``login_lockout_max_seconds``. The lock holds even for the right password.
Failures are remembered for a day after the last one, and a success forgets them. A client
address may fail ``login_address_failures`` times a minute, across accounts, before it must
wait for the minute to end. The counters live in the runtime's cache: Redis when configured,
so every replica sees them, process memory when embedded.

Each argon2 hash takes 64 MiB and about 0.2 s of a core: at most ``login_hash_slots`` run at
once. A sign-in waits up to ``login_hash_wait_seconds`` for a slot, then gets a 503 with
``Retry-After``. Waiting suits a cashier better than an immediate refusal: at the start of a
shift a dozen tills sign in at once, and a second's wait beats typing the password again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from posmodern.core.cache import Cache
from posmodern.core.config import Settings
from posmodern.core.errors import ServiceUnavailable, TooManyRequests

FIRST_LOCK_SECONDS = 1
FAILURE_MEMORY_SECONDS = 24 * 3600
ADDRESS_WINDOW_SECONDS = 60


class LoginThrottle:
    """Counts failed sign-ins and refuses attempts while an account or address is locked."""

    def __init__(self, cache: Cache, settings: Settings) -> None:
        self.cache = cache
        self.account_failures = settings.login_account_failures
        self.max_lock = settings.login_lockout_max_seconds
        self.address_failures = settings.login_address_failures
        self.hash_wait = settings.login_hash_wait_seconds
        self._slots = asyncio.Semaphore(settings.login_hash_slots)

    @staticmethod
    def _account(client_id: str, username: str) -> str:
        return f"login:account:{client_id}:{username}"

    @staticmethod
    def _address(address: str) -> str:
        return f"login:address:{address}"

    async def check(self, client_id: str, username: str, address: str) -> None:
        """Raise :class:`TooManyRequests` while the address or the account is locked."""
        now = time.time()
        until = await self.cache.get(f"lock:{self._address(address)}")
        if until and until > now:
            raise TooManyRequests(
                "too many failed sign-ins from this address; wait before trying again",
                code="address_locked", retry_after=until - now)
        until = await self.cache.get(f"lock:{self._account(client_id, username)}")
        if until and until > now:
            raise TooManyRequests(
                "this account is locked after too many failed sign-ins; wait before trying "
                "again, even with the right password", code="account_locked",
                retry_after=until - now)

    async def failed(self, client_id: str, username: str, address: str) -> float | None:
        """Count a failed sign-in; the seconds the account is now locked for, if it is."""
        account = self._account(client_id, username)
        count, _ = await self.cache.incr(account, FAILURE_MEMORY_SECONDS)
        seen, window_left = await self.cache.incr(self._address(address), ADDRESS_WINDOW_SECONDS,
                                                  refresh=False)
        now = time.time()
        if seen >= self.address_failures:
            await self.cache.set(f"lock:{self._address(address)}", now + window_left,
                                 ttl=window_left)
        if count < self.account_failures:
            return None
        doublings = min(count - self.account_failures, 30)
        lock = min(FIRST_LOCK_SECONDS * 2 ** doublings, self.max_lock)
        await self.cache.set(f"lock:{account}", now + lock, ttl=lock)
        return lock

    async def succeeded(self, client_id: str, username: str) -> None:
        """Forget an account's failures after it signed in."""
        await self.cache.delete(self._account(client_id, username))

    @asynccontextmanager
    async def hashing(self) -> AsyncIterator[None]:
        """Hold one of the password-hashing slots; :class:`ServiceUnavailable` when none frees
        up in time."""
        try:
            await asyncio.wait_for(self._slots.acquire(), self.hash_wait)
        except TimeoutError:
            raise ServiceUnavailable("the server is busy signing others in; try again",
                                     code="busy_signing_in", retry_after=1) from None
        try:
            yield
        finally:
            self._slots.release()
