"""The marketplaces of the process (``pos_marketplaces``) and the stores each one serves."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from sqlalchemy import select

from posmodern.core.asyncio_hooks import collect_sync
from posmodern.core.errors import NotFound, PluginError
from posmodern.core.marketplaces import Marketplace, Merchant
from posmodern.core.runtime import Runtime
from posmodern.core.store_settings import store_values, stores_setting
from posmodern.schema.control import tenants

log = logging.getLogger("posmodern.remote_orders")
PLUGIN = "remote_orders"


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


async def all_merchants(runtime: Runtime,
                        marketplaces: dict[str, Marketplace]) -> list[tuple[Marketplace, Merchant]]:
    """Every (marketplace, merchant) of every tenant; a tenant that cannot be read (being
    created or dropped) is skipped."""
    async with runtime.db.control_connection() as conn:
        client_ids = (await conn.execute(select(tenants.c.client_id).where(
            tenants.c.status == "active"))).scalars().all()
    found = []
    for client_id in client_ids:
        for marketplace in marketplaces.values():
            try:
                merchants = await tenant_merchants(runtime, client_id, marketplace)
            except Exception as exc:  # noqa: BLE001 - one tenant must not stop the others
                log.warning("remote orders: tenant %s skipped: %s", client_id, exc)
                continue
            found += [(marketplace, merchant) for merchant in merchants]
    return found
