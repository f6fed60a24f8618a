"""Events: the envelope every event travels in, subscriptions, and publishing through the outbox.

Publishing never talks to a broker: :func:`publish` writes an outbox row in the caller's database
transaction, so an event exists exactly when the change it describes was committed. The relay
(:mod:`posmodern.core.relay`) moves outbox rows to the bus afterwards.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, fields
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.core import outbox
from posmodern.core.ids import new_uuid
from posmodern.core.jsonable import (  # noqa: F401 - json_default, json_safe: their old home
    Encoded, encode, json_default, json_safe)
from posmodern.schema.types import utcnow


@dataclass(frozen=True)
class Envelope:
    """One event. ``type`` is dotted (``order.created``); ``data`` is JSON-safe."""

    type: str
    client_id: str
    store_id: str
    data: dict[str, Any]
    id: str = field(default_factory=lambda: str(new_uuid()))
    occurred_at: str = field(default_factory=lambda: utcnow().isoformat())
    version: int = 1

    def to_dict(self) -> dict[str, Any]:
        # Shallow on purpose: ``data`` is JSON-safe already, and asdict() would deep-copy it.
        return {name: getattr(self, name) for name in _ENVELOPE_FIELDS}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> "Envelope":
        """Rebuild an envelope received from the bus; unknown keys are ignored."""
        return cls(
            type=str(raw["type"]),
            client_id=str(raw["client_id"]),
            store_id=str(raw["store_id"]),
            data=dict(raw.get("data") or {}),
            id=str(raw["id"]),
            occurred_at=str(raw["occurred_at"]),
            version=int(raw.get("version", 1)),
        )


_ENVELOPE_FIELDS = tuple(f.name for f in fields(Envelope))

EventHandler = Callable[[Envelope, AsyncConnection], Awaitable[None]]
Listener = Callable[[Envelope], Awaitable[None] | None]


@dataclass(frozen=True)
class Subscription:
    """A plugin's handler for some event types.

    ``handle(envelope, conn)`` runs inside a transaction of the event's tenant that also records
    ``(name, envelope.id)`` as processed: a redelivered event is skipped, and the handler's writes
    and that record commit together. Replicas of one service share the work (one queue per name).
    Events that wait may share one transaction, handled one after another in order; when that
    transaction fails each is handled again alone. So a handler changes nothing but through
    ``conn`` (work outside the database is queued in it and done after the commit).
    """

    name: str
    event_types: tuple[str, ...]
    handle: EventHandler


@dataclass(frozen=True)
class Broadcast:
    """A per-process listener that sees every matching event (live screens, SSE streams).

    Not deduplicated and not transactional: use it to notify, never to change data.
    """

    name: str
    event_types: tuple[str, ...]
    listen: Listener


def matches(pattern: str, event_type: str) -> bool:
    """AMQP topic matching on dotted types: ``*`` is one word, ``#`` zero or more."""
    def match(p: list[str], t: list[str]) -> bool:
        if not p:
            return not t
        if p[0] == "#":
            return any(match(p[1:], t[i:]) for i in range(len(t) + 1))
        return bool(t) and p[0] in ("*", t[0]) and match(p[1:], t[1:])
    return match(pattern.split("."), event_type.split("."))


async def publish(conn: AsyncConnection, envelope: Envelope) -> Envelope:
    """Write ``envelope`` to the outbox in ``conn``'s transaction; it is sent once committed.

    Its ``data`` must be JSON-safe already (:func:`emit` makes it so). The row is written with
    the transaction's last statement (:mod:`posmodern.core.outbox`).
    """
    _insert(conn, envelope, envelope.to_dict())
    return envelope


def _insert(conn: AsyncConnection, envelope: Envelope, payload: dict | Encoded) -> None:
    outbox.add(conn, {"event_id": uuid.UUID(envelope.id), "event_type": envelope.type,
                      "payload": payload, "created_at": utcnow()})


async def emit(conn: AsyncConnection, event_type: str, *, client_id: str, store_id: str,
               data: dict[str, Any] | Encoded, version: int = 1) -> Envelope:
    """Build an envelope of ``data`` (any values :mod:`~posmodern.core.jsonable` writes, or an
    object already :class:`Encoded`) and :func:`publish` it; ``data`` is encoded once, for the
    outbox row and the envelope's copy."""
    text = encode(data)
    envelope = Envelope(type=event_type, client_id=client_id, store_id=store_id,
                        data=json.loads(text), version=version)
    head = encode({name: value for name, value in envelope.to_dict().items() if name != "data"})
    _insert(conn, envelope, Encoded(f'{head[:-1]},"data":{text}}}'))
    return envelope
