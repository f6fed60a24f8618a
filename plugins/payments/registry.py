"""What the payments plugin keeps for the life of a process: its provider registry.

Providers come from every plugin's ``pos_payment_providers``; the registry is the payments
plugin's own (a provider plugin implements :class:`~posmodern.core.payments.PaymentProvider` and
never needs it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pluggy

from posmodern.core.asyncio_hooks import collect_sync
from posmodern.core.errors import NotFound, PluginError, ValidationFailed
from posmodern.core.payments import PaymentProvider
from posmodern.core.runtime import Runtime

PLUGIN = "payments"
#: Built-in providers win when the client names none and several take a method.
PREFERRED = ("cash", "asaas")
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,49}$")


class ProviderRegistry:
    """The providers of one process, by name; picks one for a method when the client names none.

    Built-in providers are preferred for a method (``cash`` takes cash); when only third-party
    providers take a method, exactly one must, or the client has to name it.
    """

    def __init__(self, providers: Iterable[PaymentProvider],
                 preferred: tuple[str, ...] = ()) -> None:
        self._providers: dict[str, PaymentProvider] = {}
        for provider in providers:
            _check_provider(provider)
            if provider.name in self._providers:
                raise PluginError(f"payment provider {provider.name!r} is registered twice")
            self._providers[provider.name] = provider
        self.preferred = preferred

    def __iter__(self):
        return iter(self._providers.values())

    def __len__(self) -> int:
        return len(self._providers)

    def names(self) -> list[str]:
        return sorted(self._providers)

    def get(self, name: str) -> PaymentProvider:
        """The provider called ``name``; an unknown name is a 404 (webhooks) or caught earlier."""
        try:
            return self._providers[name]
        except KeyError:
            raise NotFound(f"unknown payment provider {name!r}", code="unknown_provider",
                           details={"providers": self.names()}) from None

    def methods(self) -> list[str]:
        return sorted({m for p in self._providers.values() for m in p.methods})

    def choose(self, method: str, name: str | None = None) -> PaymentProvider:
        """The provider that takes ``method`` (the named one, checked), or a 422 saying why not."""
        if name is not None:
            provider = self._providers.get(name)
            if provider is None:
                raise ValidationFailed(f"unknown payment provider {name!r}",
                                       code="unknown_provider",
                                       details={"providers": self.names()})
            if method not in provider.methods:
                raise ValidationFailed(f"provider {name!r} does not take {method!r}",
                                       code="method_not_supported",
                                       details={"methods": list(provider.methods)})
            return provider
        takers = [p for p in self._providers.values() if method in p.methods]
        if not takers:
            raise ValidationFailed(f"no payment provider takes {method!r}", code="unknown_method",
                                   details={"methods": self.methods()})
        for preferred in self.preferred:
            for provider in takers:
                if provider.name == preferred:
                    return provider
        if len(takers) > 1:
            raise ValidationFailed(f"several providers take {method!r}: name one",
                                   code="provider_required",
                                   details={"providers": sorted(p.name for p in takers)})
        return takers[0]

    async def aclose(self) -> None:
        for provider in self._providers.values():
            await provider.aclose()


def _check_provider(provider: Any) -> None:
    if not isinstance(provider, PaymentProvider):
        raise PluginError(f"{provider!r} is not a PaymentProvider (see core/payments.py)")
    if not isinstance(provider.name, str) or not _NAME.match(provider.name):
        raise PluginError(f"payment provider name {provider.name!r} must be lowercase letters, "
                          "digits and '_' (it is part of the webhook URL)")
    if not provider.methods or not all(isinstance(m, str) and _NAME.match(m)
                                       for m in provider.methods):
        raise PluginError(f"payment provider {provider.name!r} must list its methods "
                          "(lowercase names such as 'pix')")


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
