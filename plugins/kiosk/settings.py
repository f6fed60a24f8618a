"""The kiosk's settings (docs/configuration.md) and what it keeps for the life of a process."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from posmodern.core.plugin_settings import SettingSpec
from posmodern.core.runtime import Runtime
from posmodern.schema.types import utcnow

PLUGIN = "kiosk"

PAYMENT_MINUTES = SettingSpec("KIOSK_PAYMENT_MINUTES", int, 10, "minutes a kiosk order waits "
                              "for its PIX payment before it is cancelled", min=1, max=1440)
IDLE_SECONDS = SettingSpec("KIOSK_IDLE_SECONDS", int, 60, "seconds without a touch before the "
                           "kiosk page goes back to its start", min=10, max=3600)
PAY_AT_COUNTER = SettingSpec("KIOSK_PAY_AT_COUNTER", bool, True, "offer \"pay at the counter\" "
                             "(the order waits, PENDING, for a cashier to take the payment)")
MENU_CACHE_SECONDS = SettingSpec("KIOSK_MENU_CACHE_SECONDS", int, 300, "seconds the kiosk's menu "
                                 "stays in the cache at most (catalog changes clear it at once)",
                                 min=1, max=86400)
SWEEP_SECONDS = SettingSpec("KIOSK_SWEEP_SECONDS", int, 30, "how often every tenant's unpaid "
                            "kiosk orders past their time are cancelled (a kiosk's requests "
                            "also do it for their store)", min=1, max=3600)
SETTINGS = [PAYMENT_MINUTES, IDLE_SECONDS, PAY_AT_COUNTER, MENU_CACHE_SECONDS, SWEEP_SECONDS]


@dataclass
class KioskState:
    """``clock`` is what "now" is for expiry: a test moves it forward instead of waiting.
    ``menus``: the menu text this process last served per cache key, with its stamp."""

    runtime: Runtime
    clock: Callable[[], datetime] = utcnow
    tasks: list = field(default_factory=list)
    menus: dict[str, tuple[str, str]] = field(default_factory=dict)


def of(runtime: Runtime) -> KioskState:
    return runtime.state[PLUGIN]
