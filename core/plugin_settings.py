"""Settings a plugin declares: typed, documented, validated at start, listed with secrets masked.

A plugin returns :class:`SettingSpec` objects from ``pos_settings`` (tox's
``tox_add_core_config``) and reads each value through its spec (``ASAAS_TIMEOUT.value(settings)``)
instead of looking a string up. The host and the CLI call :func:`check_settings` before anything
else, so a bad value stops the start with the variable's name. A setting of ``scope="store"``
takes its value from the environment (or its default) for every store, and a store may override
it through ``/api/v1/settings`` (:mod:`posmodern.core.store_settings` reads the overrides).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

from posmodern.core.errors import ConfigError, PluginError

if TYPE_CHECKING:
    from posmodern.core.config import Settings
    from posmodern.core.plugins import PosPluginManager

MASK = "********"
SCOPES = ("process", "store")
#: The types a setting may have, and how the docs and errors call them. ``tuple`` is a
#: comma-separated list of words (``POS_OPS_CLIENTS=a,b``).
TYPE_NAMES: dict[type, str] = {str: "text", int: "integer", float: "number", Decimal: "decimal",
                               bool: "true/false", tuple: "list"}
_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


class SettingInvalid(ConfigError):
    """A setting's value cannot be used; ``name`` is the variable, the message says what fits."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name
        self.message = message


@dataclass(frozen=True)
class SettingSpec:
    """One setting: its variable ``name``, ``type``, ``default`` (``None``: unset) and meaning.

    ``secret`` values are masked wherever they are shown; ``choices``, ``min`` and ``max`` bound
    the value; ``check``, when given, receives the typed value and returns what is wrong with it
    (a CNPJ's check digits) or None; ``default_text`` documents a default the plugin works out at run time (the spec's
    ``default`` is then ``None``). ``scope="store"``: a store may override the value.
    """

    name: str
    type: type = str
    default: Any = None
    description: str = ""
    secret: bool = False
    scope: str = "process"
    choices: tuple[str, ...] = ()
    min: int | float | Decimal | None = None
    max: int | float | Decimal | None = None
    default_text: str | None = None
    check: Callable[[Any], str | None] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise PluginError(f"setting name {self.name!r} must be UPPER_CASE letters, digits, _")
        if self.type not in TYPE_NAMES:
            raise PluginError(f"setting {self.name}: type {self.type!r} is not one of "
                              f"{', '.join(t.__name__ for t in TYPE_NAMES)}")
        if self.scope not in SCOPES:
            raise PluginError(f"setting {self.name}: scope must be process or store")
        if self.default is not None:
            try:
                self.parse(self.default)
            except SettingInvalid as exc:
                raise PluginError(f"setting {self.name}: bad default: {exc.message}") from None

    @property
    def type_name(self) -> str:
        return TYPE_NAMES[self.type]

    def expected(self) -> str:
        """What a value must be, in words (``a decimal from 0 to 100``)."""
        if self.choices:
            return "one of " + ", ".join(self.choices)
        words = {str: "text", int: "an integer", float: "a number", Decimal: "a decimal",
                 bool: "true or false", tuple: "a comma-separated list"}[self.type]
        if self.min is not None and self.max is not None:
            return f"{words} from {self.min} to {self.max}"
        if self.min is not None:
            return f"{words} of at least {self.min}"
        if self.max is not None:
            return f"{words} of at most {self.max}"
        return words

    def parse(self, raw: Any) -> Any:
        """``raw`` (the environment's text, or a JSON value from the API) as a typed value."""
        value = self._convert(raw.strip() if isinstance(raw, str) else raw)
        if value is None:
            raise SettingInvalid(self.name, f"{self.name} must be {self.expected()}, got {raw!r}")
        if self.choices and value not in self.choices:
            raise SettingInvalid(self.name, f"{self.name} must be {self.expected()}, got {raw!r}")
        if (self.min is not None and value < self.min) or (self.max is not None
                                                          and value > self.max):
            raise SettingInvalid(self.name, f"{self.name} must be {self.expected()}, got {raw!r}")
        problem = self.check(value) if self.check is not None else None
        if problem:
            raise SettingInvalid(self.name, f"{self.name}: {problem}, got {raw!r}")
        return value

    def _convert(self, raw: Any) -> Any:
        """The typed value, or None when ``raw`` does not fit the type."""
        kind = self.type
        if isinstance(raw, kind) and not (kind is int and isinstance(raw, bool)):
            return raw
        if kind is bool:
            text = raw.lower() if isinstance(raw, str) else None
            return True if text in _TRUE else False if text in _FALSE else None
        if kind is tuple:
            if isinstance(raw, list) and all(isinstance(item, str) for item in raw):
                return tuple(item.strip() for item in raw if item.strip())
            if isinstance(raw, str):
                return tuple(item.strip() for item in raw.split(",") if item.strip())
            return None
        if kind is str or isinstance(raw, bool):
            return None
        if kind is int:
            if isinstance(raw, str) and re.fullmatch(r"[+-]?\d+", raw):
                return int(raw)
            if isinstance(raw, Decimal) and raw == raw.to_integral_value():
                return int(raw)
            return None
        if not isinstance(raw, (str, int, float, Decimal)):
            return None
        try:
            number = Decimal(str(raw))
        except InvalidOperation:
            return None
        if not number.is_finite():
            return None
        return number if kind is Decimal else float(number)

    def lookup(self, env: Mapping[str, str]) -> tuple[Any, str]:
        """The value in ``env`` and where it came from: ``env``, ``file`` (``<NAME>_FILE``, as
        Docker secrets are mounted) or ``default``. An empty variable counts as unset."""
        if env.get(self.name):
            return self.parse(env[self.name]), "env"
        path = env.get(f"{self.name}_FILE")
        if path:
            try:
                text = Path(path).read_text().strip()
            except OSError as exc:
                raise SettingInvalid(self.name, f"{self.name}_FILE={path} cannot be read: "
                                                f"{exc}") from exc
            return self.parse(text), "file"
        return self.default, "default"

    def read(self, env: Mapping[str, str]) -> Any:
        """The value in ``env`` (or the default)."""
        return self.lookup(env)[0]

    def value(self, settings: Settings) -> Any:
        """The value the process started with (for a store setting: every store's, unless the
        store overrides it; see :func:`posmodern.core.store_settings.store_values`)."""
        return self.read(settings.extra)

    def to_json(self, value: Any) -> Any:
        """``value`` as JSON: decimals as strings (as money is), lists as arrays."""
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, tuple):
            return list(value)
        return value

    def shown(self, value: Any) -> Any:
        """``value`` as JSON, masked when the setting is secret."""
        if self.secret and value is not None:
            return MASK
        return self.to_json(value)

    def text(self, value: Any) -> str:
        """``value`` as a person would write it in the environment."""
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, tuple):
            return ",".join(value)
        return str(value)


@dataclass(frozen=True)
class Declared:
    """A setting and the plugin that declared it (``core`` for the core's own)."""

    plugin: str
    spec: SettingSpec


def declared_settings(pm: PosPluginManager) -> list[Declared]:
    """The core's settings and every setting the loaded plugins declare through
    ``pos_settings``, sorted by plugin and name. A name declared twice, or a hook answer that is
    not a list of :class:`SettingSpec`, is a :class:`PluginError`."""
    from posmodern.core.config import CORE_SETTINGS

    found = [Declared("core", spec) for spec in CORE_SETTINGS]
    for impl in pm.hook.pos_settings.get_hookimpls():
        specs = impl.function()
        if not isinstance(specs, (list, tuple)) or not all(isinstance(s, SettingSpec)
                                                           for s in specs):
            raise PluginError(f"pos_settings of plugin {impl.plugin_name!r} must return a list "
                              f"of SettingSpec, got {specs!r}")
        found += [Declared(impl.plugin_name, spec) for spec in specs]
    owners: dict[str, list[str]] = {}
    for item in found:
        owners.setdefault(item.spec.name, []).append(item.plugin)
    twice = [f"{name} (by {', '.join(plugins)})" for name, plugins in owners.items()
             if len(plugins) > 1]
    if twice:
        raise PluginError(f"setting(s) declared more than once: {'; '.join(twice)}")
    return sorted(found, key=lambda d: (d.plugin != "core", d.plugin, d.spec.name))


def check_settings(pm: PosPluginManager, settings: Settings) -> None:
    """Parse every setting the loaded plugins declare from the process's environment.

    Raises :class:`SettingInvalid` naming the first variable with a bad value (or
    :class:`PluginError` for a name declared twice). Called before anything else starts.
    """
    for item in declared_settings(pm):
        item.spec.lookup(settings.extra)


def effective_settings(pm: PosPluginManager, settings: Settings) -> list[dict[str, Any]]:
    """What ``pos config`` shows: every declared setting with its value (secrets masked),
    where the value came from, and what it is."""
    rows = []
    for item in declared_settings(pm):
        spec = item.spec
        value, source = spec.lookup(settings.extra)
        rows.append({"name": spec.name, "plugin": item.plugin, "value": spec.shown(value),
                     "source": source, "type": spec.type_name, "scope": spec.scope,
                     "secret": spec.secret, "default": spec.shown(spec.default),
                     "description": spec.description})
    return rows


_DOC_HEAD = """# Configuration

<!-- Generated by `pos config --markdown` from the settings the core and the plugins declare
(`pos_settings`); do not edit by hand. tests/core/test_plugin_settings.py keeps it in step. -->

Everything comes from the environment. Any setting may instead come from a file named by
`<NAME>_FILE` (Docker/Compose secrets). Every value is checked when a process starts: a bad one
stops `pos serve` (and any `pos` command) with an error naming the variable. `pos config` prints
the effective settings of the loaded plugins, where each value came from (`env`, `file`,
`default`), secrets masked; `pos config --json` the same as JSON.

A setting *per store* is every store's value unless the store overrides it: admins read and change
a store's values through `GET`/`PUT`/`PATCH /api/v1/settings` (the `settings` plugin; managers may
read), and plugins read them with `posmodern.core.store_settings.store_values`.
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _default_cell(spec: SettingSpec) -> str:
    if spec.default_text is not None:
        return spec.default_text
    if spec.default is None:
        return "–"
    return MASK if spec.secret else f"`{spec.text(spec.default)}`"


def settings_markdown(pm: PosPluginManager) -> str:
    """docs/configuration.md: every setting the core and the loaded plugins declare."""
    parts = [_DOC_HEAD]
    plugin = None
    for item in declared_settings(pm):
        if item.plugin != plugin:
            plugin = item.plugin
            title = "The core" if plugin == "core" else f"Plugin `{plugin}`"
            parts.append(f"\n## {title}\n\n| variable | value | default | meaning |\n"
                         "|---|---|---|---|\n")
        spec = item.spec
        kind = spec.expected() + ("; secret" if spec.secret else "") + (
            "; per store" if spec.scope == "store" else "")
        parts.append(f"| `{spec.name}` | {_cell(kind)} | {_cell(_default_cell(spec))} | "
                     f"{_cell(spec.description)} |\n")
    return "".join(parts)
