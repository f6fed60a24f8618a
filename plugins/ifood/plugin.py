"""The iFood plugin: one marketplace for remote_orders, and its settings."""

from __future__ import annotations

from posmodern.core import hookimpl
from posmodern.plugins.ifood import settings as spec
from posmodern.plugins.ifood.marketplace import IFood


@hookimpl
def pos_marketplaces(settings):
    return [IFood(settings)]


@hookimpl
def pos_settings():
    return spec.ALL
