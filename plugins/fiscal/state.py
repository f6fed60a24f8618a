"""What the fiscal plugin keeps for the life of the process: its sender."""

from __future__ import annotations

from typing import Any

from posmodern.core.runtime import Runtime

NAME = "fiscal"
#: Marked by a transaction that issued a note (:func:`~posmodern.core.db.written`): this
#: process's sender sends it once the transaction commits.
NOTES_WRITTEN = "fiscal.notes"


def sender(runtime: Runtime) -> Any | None:
    return runtime.state.get(NAME)


def wake(runtime: Runtime, client_id: str) -> None:
    """Tell the sender a note of ``client_id`` is ready (it also looks on its own)."""
    found = sender(runtime)
    if found is not None:
        found.wake(client_id)
