"""The Open Delivery plugin: one marketplace for remote_orders, and its settings."""

from __future__ import annotations

from posmodern.core import hookimpl
from posmodern.plugins.opendelivery import settings as spec
from posmodern.plugins.opendelivery.marketplace import OpenDelivery


@hookimpl
def pos_marketplaces(settings):
    return [OpenDelivery(settings)]


@hookimpl
def pos_settings():
    return spec.ALL
