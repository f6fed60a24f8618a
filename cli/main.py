"""``pos``: the command line of POS Modern, a thin click layer over the core and the host.

Plugins add commands through ``pos_commands``; they appear next to the built-in ones.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine
from typing import Any

import click

from posmodern.core.asyncio_hooks import collect_sync
from posmodern.core.config import Settings
from posmodern.core.errors import ConfigError, PluginError, PosError
from posmodern.core.plugin_settings import check_settings
from posmodern.core.plugins import PosPluginManager, get_plugin_manager


def run(coro: Coroutine) -> Any:
    """Run a coroutine from a command, turning typed errors into a clean exit."""
    try:
        return asyncio.run(coro)
    except PosError as error:
        raise click.ClickException(error.message) from None


class CliState:
    """What every command gets: settings and the chosen plugins, built on first use."""

    def __init__(self, plugins: str | None) -> None:
        self.plugin_arg = plugins
        self._settings: Settings | None = None
        self._pm: PosPluginManager | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            try:
                self._settings = Settings.from_env()
            except ConfigError as exc:
                raise click.ClickException(str(exc)) from None
        return self._settings

    @property
    def plugin_names(self) -> tuple[str, ...] | None:
        if self.plugin_arg:
            return tuple(n.strip() for n in self.plugin_arg.split(",") if n.strip())
        return self.settings.plugins

    @property
    def pm(self) -> PosPluginManager:
        if self._pm is None:
            try:
                pm = get_plugin_manager(self.plugin_names)
                # Before any command runs: a bad value stops it, naming the variable.
                check_settings(pm, self.settings)
            except (PluginError, ConfigError) as exc:
                raise click.ClickException(str(exc)) from None
            self._pm = pm
        return self._pm


class PosGroup(click.Group):
    """The ``pos`` group: built-in commands plus those of the loaded plugins."""

    def _plugin_commands(self, ctx: click.Context) -> dict[str, click.Command]:
        state = ctx.ensure_object(CliState) if ctx.obj else CliState(ctx.params.get("plugins"))
        try:
            commands = collect_sync(state.pm.hook.pos_commands)
        except click.ClickException:
            return {}
        return {c.name: c for c in commands if c.name not in self.commands}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._plugin_commands(ctx)})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return super().get_command(ctx, name) or self._plugin_commands(ctx).get(name)


@click.group(cls=PosGroup)
@click.option("--plugins", envvar="POS_PLUGINS", metavar="A,B",
              help="Plugins to load (default: every installed one).")
@click.pass_context
def cli(ctx: click.Context, plugins: str | None) -> None:
    """POS Modern: restaurant point of sale back end."""
    ctx.obj = CliState(plugins)


def main() -> None:
    from posmodern.cli import commands  # noqa: F401 - registers the built-in commands

    try:
        cli(prog_name="pos")
    except (ConfigError, PluginError) as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
