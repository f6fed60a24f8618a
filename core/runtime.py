"""The running pieces a host shares with its plugins."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import pluggy

from posmodern.core.asyncio_hooks import collect
from posmodern.core.bus import EventBus
from posmodern.core.cache import Cache
from posmodern.core.config import Settings
from posmodern.core.db import Database


@dataclass
class Runtime:
    """Settings, database, bus, cache and plugin manager of one process.

    ``state`` is where plugins keep what they build at start-up (a provider registry, say), under
    their own name.
    """

    settings: Settings
    db: Database
    bus: EventBus
    cache: Cache
    pm: pluggy.PluginManager
    state: dict[str, Any] = field(default_factory=dict)

    async def ready_warnings(self) -> list[str]:
        """What the plugins want an operator to know without failing readiness
        (``pos_ready_warnings``: ``/ready`` and the dashboard show it); a plugin's failure to say
        is a warning too."""
        try:
            return await collect(self.pm.hook.pos_ready_warnings, runtime=self)
        except Exception as exc:  # noqa: BLE001 - a plugin's bug is a warning, not a failed probe
            logging.getLogger("posmodern.host").exception("a plugin's readiness warnings failed")
            return [f"warnings unavailable: {type(exc).__name__}: {exc}"]
