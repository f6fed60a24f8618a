"""What the payments plugin keeps for the life of a process: its provider registry."""

from __future__ import annotations

from dataclasses import dataclass

import pluggy

from posmodern.core.asyncio_hooks import collect_sync
from posmodern.core.payments import ProviderRegistry
from posmodern.core.runtime import Runtime

PLUGIN = "payments"
#: Built-in providers win when the client names none and several take a method.
PREFERRED = ("cash", "asaas")


@dataclass
class PaymentsState:
    registry: ProviderRegistry
    #: The hooks of this process: the order's payment status is the orders plugin's to write.
    hooks: pluggy.HookRelay


def build(runtime: Runtime) -> PaymentsState:
    """Collect every plugin's providers (duplicate names stop the start-up)."""
    providers = collect_sync(runtime.pm.hook.pos_payment_providers, settings=runtime.settings)
    return PaymentsState(ProviderRegistry(providers, preferred=PREFERRED), runtime.pm.hook)


def of(runtime: Runtime) -> PaymentsState:
    return runtime.state[PLUGIN]
