"""The running pieces a host shares with its plugins."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pluggy

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
