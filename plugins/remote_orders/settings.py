"""The settings the remote_orders plugin reads (``pos config`` lists them)."""

from __future__ import annotations

from posmodern.core.plugin_settings import SettingSpec

POLL_SECONDS = SettingSpec(
    "REMOTE_ORDERS_POLL_SECONDS", float, 30.0,
    "How often each store's marketplaces are polled for events (iFood asks every 30 s: polling "
    "also keeps the store open there)", min=0.05, max=300)
POLLING = SettingSpec(
    "REMOTE_ORDERS_POLLING", bool, True,
    "Whether this process polls the marketplaces (one process of the deployment does, elected); "
    "off, orders arrive by webhook or `pos remote-orders poll`")
AUTO_CONFIRM = SettingSpec(
    "REMOTE_ORDERS_AUTO_CONFIRM", bool, True,
    "Confirm a marketplace order as soon as it is taken (it goes to the kitchen); off, someone "
    "confirms it at the counter within the marketplace's time (iFood: 8 minutes)", scope="store")
ALERT_AFTER = SettingSpec(
    "REMOTE_ORDERS_ALERT_AFTER", int, 2,
    "Failed polls in a row of a store's marketplace after which an alert is raised "
    "(remote_orders.polling_failed, /ready, the status route)", min=1, max=100)
MAX_ATTEMPTS = SettingSpec(
    "REMOTE_ORDERS_MAX_ATTEMPTS", int, 50,
    "Attempts to tell a marketplace a status change before it is marked failed", min=1)

ALL = [POLL_SECONDS, POLLING, AUTO_CONFIRM, ALERT_AFTER, MAX_ATTEMPTS]
