"""What the fiscal plugin keeps for the life of the process: its sender."""

from __future__ import annotations

from typing import Any

from posmodern.core.runtime import Runtime

NAME = "fiscal"


def sender(runtime: Runtime) -> Any | None:
    return runtime.state.get(NAME)


def wake(runtime: Runtime) -> None:
    """Tell the sender a note is ready (it also looks on its own every POS_FISCAL_POLL_SECONDS)."""
    found = sender(runtime)
    if found is not None:
        found.wake()
