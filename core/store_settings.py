"""Per-store values of the settings declared with ``scope="store"``.

A store's override is a row of the core's ``configurations`` table (changed by the ``settings``
plugin, through ``/api/v1/settings``, with :func:`save_store_values`); without one, the store has the process's value (the environment's,
else the default). Plugins read them here, in their own transaction, so a change applies to the
next sale without a restart.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from posmodern.core.config import Settings
from posmodern.core.plugin_settings import SettingInvalid, SettingSpec
from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.core.ids import new_uuid
from posmodern.core.writes import upsert
from posmodern.schema.tables import configurations
from posmodern.schema.types import utcnow

log = logging.getLogger("posmodern.settings")
#: Where a store's value comes from when the store overrides it.
STORE = "store"


async def store_lookup(conn: AsyncConnection, settings: Settings, store_id: str,
                       specs: Sequence[SettingSpec]) -> dict[str, tuple[Any, str]]:
    """Each spec's value for ``store_id`` and its source: ``store`` (an override), else the
    process's (``env``, ``file`` or ``default``).

    An override that its spec no longer accepts (a plugin narrowed the range) is ignored, with a
    warning, rather than stopping a sale.
    """
    by_name = {spec.name: spec for spec in specs}
    rows = await conn.execute(
        select(configurations.c.config_key, configurations.c.config_value)
        .where(configurations.c.store_id == store_id,
               configurations.c.config_key.in_(list(by_name))))
    found = {spec.name: spec.lookup(settings.extra) for spec in specs}
    for name, stored in rows:
        try:
            found[name] = (by_name[name].parse(stored), STORE)
        except SettingInvalid as exc:
            log.warning("store %s: ignoring its value of %s: %s", store_id, name, exc.message)
    return found


async def store_values(conn: AsyncConnection, settings: Settings, store_id: str,
                       specs: Sequence[SettingSpec]) -> dict[str, Any]:
    """Each spec's value for ``store_id``, by name (see :func:`store_lookup`)."""
    found = await store_lookup(conn, settings, store_id, specs)
    return {name: value for name, (value, _) in found.items()}


async def store_value(conn: AsyncConnection, settings: Settings, store_id: str,
                      spec: SettingSpec) -> Any:
    """One spec's value for ``store_id``."""
    return (await store_values(conn, settings, store_id, [spec]))[spec.name]


async def stores_setting(conn: AsyncConnection, spec: SettingSpec) -> list[str]:
    """The stores of the tenant that set their own value of ``spec`` (a marketplace's merchant
    id: the stores it serves)."""
    rows = await conn.execute(
        select(configurations.c.store_id).where(configurations.c.config_key == spec.name)
        .order_by(configurations.c.store_id))
    return [store for store in rows.scalars() if store is not None]


_KEY = ("client_id", "store_id", "config_key")
_UPSERT = {dialect: upsert(dialect, configurations, keys=_KEY, set_={
    "config_value": bindparam("new_value", type_=configurations.c.config_value.type),
    "updated_at": bindparam("now", type_=configurations.c.updated_at.type)})
    for dialect in ("postgresql", "sqlite")}


async def save_store_values(conn: AsyncConnection, client_id: str, store_id: str,
                            values: dict[str, Any]) -> None:
    """Store a store's overrides, each already in its JSON form; ``None`` drops the override (the
    store goes back to the process's value). Validation is the caller's."""
    now = utcnow()
    reset = [name for name, value in values.items() if value is None]
    if reset:
        await conn.execute(delete(configurations).where(
            configurations.c.store_id == store_id, configurations.c.config_key.in_(reset)))
    for name, stored in values.items():
        if stored is None:
            continue
        await conn.execute(_UPSERT[conn.dialect.name], {
            "config_id": new_uuid(), "client_id": client_id, "store_id": store_id,
            "config_key": name, "config_value": stored, "created_at": now, "updated_at": now,
            "new_value": stored, "now": now})
