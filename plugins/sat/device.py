"""Calls to a store's SAT/MF-e through satcfe's ``ClienteSATLocal``, one at a time per device.

The manufacturer's library blocks until the device answers and no thread can interrupt it: a call
runs in a worker thread that holds the device's lock, and the caller stops waiting after the
timeout. While that call is still stuck, the device is busy: no second call is made to it.
"""

from __future__ import annotations

import asyncio
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_LOCKS: dict[str, threading.Lock] = {}
_LIBRARIES: dict[str, Any] = {}
_GUARD = threading.Lock()


class DeviceSilent(Exception):
    """The device did not answer in time: the call may have been made."""


class DeviceBusy(Exception):
    """An earlier call to the device has not ended yet: nothing was sent."""


class DeviceMissing(Exception):
    """The library cannot be loaded (wrong path, not a SAT library)."""


@dataclass(frozen=True)
class Device:
    library: str
    activation_code: str

    def _client(self, session: int) -> Any:
        from satcfe import BibliotecaSAT, ClienteSATLocal

        with _GUARD:
            library = _LIBRARIES.get(self.library)
            if library is None:
                if not self.library:
                    raise DeviceMissing("a loja não informou a biblioteca do SAT "
                                        "(POS_SAT_LIBRARY)")
                try:
                    library = BibliotecaSAT(self.library)
                except OSError as exc:
                    raise DeviceMissing(f"a biblioteca do SAT não carregou: {exc}") from exc
                if not hasattr(library.ref, "EnviarDadosVenda"):
                    raise DeviceMissing(f"{self.library} não é uma biblioteca SAT "
                                        "(sem EnviarDadosVenda)")
                _LIBRARIES[self.library] = library
        return ClienteSATLocal(library, codigo_ativacao=self.activation_code,
                               numerador_sessao=lambda: session)

    async def call(self, session: int, timeout: float, work: Callable[[Any], Any]) -> Any:
        """``work(client)`` in a worker thread, the client numbering its call ``session``.

        Raises :class:`DeviceBusy` (nothing sent) while an earlier call is stuck,
        :class:`DeviceMissing` when the library does not load, :class:`DeviceSilent` when the
        device does not answer in ``timeout`` seconds; whatever ``work`` raises (satcfe's
        exceptions) otherwise."""
        with _GUARD:
            lock = _LOCKS.setdefault(self.library, threading.Lock())
        if not lock.acquire(blocking=False):
            raise DeviceBusy("o SAT ainda está ocupado com uma chamada anterior")
        client = None
        try:
            client = self._client(session)
        finally:
            if client is None:
                lock.release()

        def run() -> Any:
            try:
                return work(client)
            finally:
                lock.release()

        future = asyncio.get_running_loop().run_in_executor(None, run)
        # A call given up on still ends some day: what it raises then is nobody's to hear.
        future.add_done_callback(lambda done: done.cancelled() or done.exception())
        try:
            return await asyncio.wait_for(asyncio.shield(future), timeout)
        except TimeoutError:
            raise DeviceSilent(f"o SAT não respondeu em {timeout:g} s") from None


def new_session(recent: set[int]) -> int:
    """A session number (6 digits) none of the device's recent calls used (ER SAT: not one of
    the last 100)."""
    while True:
        number = random.randint(100000, 999999)
        if number not in recent:
            return number
