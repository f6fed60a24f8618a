"""The marketplaces of the process (``pos_marketplaces``) and the stores each one serves."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from posmodern.core.asyncio_hooks import collect_sync
from posmodern.core.errors import NotFound, PluginError
from posmodern.core.marketplaces import Marketplace, Merchant
from posmodern.core.runtime import Runtime
from posmodern.core.store_settings import store_values, stores_setting
from posmodern.core.tenancy import active_tenants

log = logging.getLogger("posmodern.remote_orders")
PLUGIN = "remote_orders"
#: How often the polling process reads every tenant's merchants again (a store's settings
#: changed through the API are read again at once).
DIRECTORY_SECONDS = 1800.0


def build(found: Iterable[object]) -> dict[str, Marketplace]:
    """The marketplaces by name; two with one name, or an object that is not one, stop the
    start-up."""
    marketplaces: dict[str, Marketplace] = {}
    for marketplace in found:
        if not isinstance(marketplace, Marketplace):
            raise PluginError(f"pos_marketplaces returned {marketplace!r}, not a Marketplace")
        if marketplace.name in marketplaces:
            raise PluginError(f"two marketplaces are named {marketplace.name!r}")
        marketplaces[marketplace.name] = marketplace
    return marketplaces


def collect(runtime: Runtime) -> dict[str, Marketplace]:
    return build(collect_sync(runtime.pm.hook.pos_marketplaces, settings=runtime.settings))


def marketplace_of(marketplaces: dict[str, Marketplace], name: str) -> Marketplace:
    found = marketplaces.get(name)
    if found is None:
        raise NotFound(f"no marketplace {name!r}", code="unknown_marketplace",
                       details={"marketplaces": sorted(marketplaces)})
    return found


async def tenant_merchants(runtime: Runtime, client_id: str,
                           marketplace: Marketplace) -> list[Merchant]:
    """The tenant's stores that set their merchant id at ``marketplace``."""
    merchants = []
    async with runtime.db.transaction(client_id) as conn:
        for store_id in await stores_setting(conn, marketplace.merchant_setting):
            values = await store_values(conn, runtime.settings, store_id,
                                        marketplace.settings)
            merchant_id = values.get(marketplace.merchant_setting.name)
            if merchant_id:
                merchants.append(Merchant(client_id, store_id, str(merchant_id), values))
    return merchants


async def merchants_of(runtime: Runtime, marketplaces: dict[str, Marketplace],
                       client_id: str) -> list[tuple[Marketplace, Merchant]]:
    """Every (marketplace, merchant) of one tenant; a tenant that cannot be read (being created
    or dropped) has none."""
    found = []
    for marketplace in marketplaces.values():
        try:
            merchants = await tenant_merchants(runtime, client_id, marketplace)
        except Exception as exc:  # noqa: BLE001 - one tenant must not stop the others
            log.warning("remote orders: tenant %s skipped: %s", client_id, exc)
            continue
        found += [(marketplace, merchant) for merchant in merchants]
    return found


@dataclass
class Directory:
    """The merchants of every tenant, as the polling process knows them: read from every tenant
    once per :data:`DIRECTORY_SECONDS`, and again for a tenant whose settings changed
    (``settings.changed``, heard by every process), so that polling every 30 s does not visit
    every tenant every 30 s."""

    runtime: Runtime
    marketplaces: dict[str, Marketplace]
    by_tenant: dict[str, list[tuple[Marketplace, Merchant]]] = field(default_factory=dict)
    stale: set[str] = field(default_factory=set)
    next_full: float = 0.0

    def changed(self, client_id: str) -> None:
        self.stale.add(client_id)

    async def merchants(self) -> list[tuple[Marketplace, Merchant]]:
        if time.monotonic() >= self.next_full:
            self.next_full = time.monotonic() + DIRECTORY_SECONDS
            self.stale.clear()
            self.by_tenant = {client_id: await merchants_of(self.runtime, self.marketplaces,
                                                            client_id)
                              for client_id in await active_tenants(self.runtime.db)}
        while self.stale:
            client_id = self.stale.pop()
            self.by_tenant[client_id] = await merchants_of(self.runtime, self.marketplaces,
                                                           client_id)
        return [pair for pairs in self.by_tenant.values() for pair in pairs]
