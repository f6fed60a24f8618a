"""POS Modern's core: hook specs, plugin manager, settings, database, event bus.

Plugins import :data:`hookimpl` from here to mark their hook implementations.
"""

from pluggy import HookimplMarker

hookimpl = HookimplMarker("posmodern")

__all__ = ["hookimpl"]
