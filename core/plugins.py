"""Build the plugin manager: built-in and third-party plugins, all through entry points.

Built-in plugins are listed once, as ``posmodern`` entry points in ``setup.cfg``; a third-party
package adds its own the same way. A process chooses a subset by name (``POS_PLUGINS`` or
``--plugins``); an unknown or repeated name is an error, as are two packages claiming one name.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points

import pluggy

from posmodern.core import hookspecs
from posmodern.core.errors import PluginError

GROUP = "posmodern"


@dataclass(frozen=True)
class PluginInfo:
    """Where a loaded plugin comes from."""

    name: str
    module: str
    distribution: str | None
    version: str | None


class PosPluginManager(pluggy.PluginManager):
    """A pluggy manager that remembers where each plugin came from."""

    def __init__(self) -> None:
        super().__init__(GROUP)
        self.add_hookspecs(hookspecs)
        self.infos: dict[str, PluginInfo] = {}

    def hooks_of(self, name: str) -> list[str]:
        """The hooks a loaded plugin implements."""
        plugin = self.get_plugin(name)
        return sorted(caller.name for caller in self.get_hookcallers(plugin) or [])


def available_plugins() -> dict[str, EntryPoint]:
    """Every plugin installed in the ``posmodern`` entry-point group, by name."""
    found: dict[str, EntryPoint] = {}
    for ep in entry_points(group=GROUP):
        other = found.get(ep.name)
        if other is not None and other.value != ep.value:
            raise PluginError(
                f"plugin name {ep.name!r} is claimed twice: {_origin(other)} and {_origin(ep)}"
            )
        found[ep.name] = ep
    return found


def _origin(ep: EntryPoint) -> str:
    dist = ep.dist.name if ep.dist is not None else "?"
    return f"{ep.value} (from {dist})"


def get_plugin_manager(names: Sequence[str] | None = None,
                       extra: Iterable[tuple[str, object]] = ()) -> PosPluginManager:
    """A fresh plugin manager with the chosen plugins (all installed ones when ``names`` is None).

    ``extra`` registers objects that are not installed (tests, embedding applications).
    """
    available = available_plugins()
    if names is None:
        chosen = sorted(available)
    else:
        chosen = list(names)
        repeated = sorted({n for n in chosen if chosen.count(n) > 1})
        if repeated:
            raise PluginError(f"plugin(s) named more than once: {', '.join(repeated)}")
        unknown = [n for n in chosen if n not in available]
        if unknown:
            raise PluginError(
                f"unknown plugin(s): {', '.join(unknown)}; "
                f"installed: {', '.join(sorted(available)) or 'none'}"
            )
    pm = PosPluginManager()
    for name in chosen:
        ep = available[name]
        try:
            plugin = ep.load()
        except Exception as exc:  # a broken third-party package must say which one it is
            raise PluginError(f"plugin {name!r} ({_origin(ep)}) failed to load: {exc}") from exc
        pm.register(plugin, name=name)
        dist = ep.dist
        pm.infos[name] = PluginInfo(name, ep.value, dist.name if dist else None,
                                    dist.version if dist else None)
    for name, plugin in extra:
        if pm.has_plugin(name):
            raise PluginError(f"plugin name {name!r} is already loaded")
        pm.register(plugin, name=name)
        pm.infos[name] = PluginInfo(name, getattr(plugin, "__name__", type(plugin).__name__),
                                    None, None)
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(str(exc)) from exc
    return pm
