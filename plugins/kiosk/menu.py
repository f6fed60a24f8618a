"""The kiosk's menu: the store's available products under their categories, from the cache.

The menu is read from the catalog's tables once, encoded as JSON and kept in the process's cache
(Redis when configured, so every replica shares one copy; process memory when embedded) under
the tenant and store, with a stamp naming that copy. Each process also keeps the text of the copy
it last served: a request asks the cache only for the small stamp, and sends its own text while
the stamp is the same, so 1,000 products do not cross from Redis at every request. Every process
clears the stamp and the copy when the catalog says something changed
(``catalog.product_changed``, ``catalog.category_changed``, ``catalog.modifier_group_changed``),
and both expire after ``KIOSK_MENU_CACHE_SECONDS`` whatever happens, in case a change raced a
rebuild.

Each product carries the options a customer may choose: its active modifier groups, in the order
they are asked, with their active options only (the orders plugin checks and prices the choice
again). A product that must answer a group with no option left on sale cannot be sold, so it is
not offered.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.responses import Response

from posmodern.core.api import RequestContext
from posmodern.core.events import Broadcast, Envelope
from posmodern.core.jsonable import encode
from posmodern.core.runtime import Runtime
from posmodern.plugins.kiosk.settings import (IDLE_SECONDS, MENU_CACHE_SECONDS, PAY_AT_COUNTER,
                                              PAYMENT_MINUTES, of)
from posmodern.schema.tables import (categories, modifier_groups, product_modifier_groups,
                                     products)

CATALOG_EVENTS = ("catalog.product_changed", "catalog.category_changed",
                  "catalog.modifier_group_changed")
#: Where a product's (and so its category's) picture is: ``metadata.image_url``.
IMAGE = "image_url"


def cache_key(client_id: str, store_id: str) -> str:
    return f"kiosk.menu:{client_id}:{store_id}"


def stamp_key(client_id: str, store_id: str) -> str:
    return f"kiosk.menu_stamp:{client_id}:{store_id}"


def _image(metadata: Any) -> str | None:
    value = metadata.get(IMAGE) if isinstance(metadata, dict) else None
    return value if isinstance(value, str) and value else None


async def _groups(conn: AsyncConnection, store_id: str) -> dict[Any, list[dict[str, Any]]]:
    """Each product's active groups with their active options (what a customer sees of them),
    in the order they are asked; a group with no option on sale is left with none."""
    rows = (await conn.execute(
        select(product_modifier_groups.c.product_id, modifier_groups.c.modifier_group_id,
               modifier_groups.c.name, modifier_groups.c.min_choices,
               modifier_groups.c.max_choices, modifier_groups.c.options)
        .join(modifier_groups, modifier_groups.c.modifier_group_id
              == product_modifier_groups.c.modifier_group_id)
        .where(modifier_groups.c.store_id == store_id, modifier_groups.c.active.is_(True))
        .order_by(product_modifier_groups.c.product_id,
                  product_modifier_groups.c.position))).all()
    found: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        found[row.product_id].append({
            "modifier_group_id": row.modifier_group_id, "name": row.name,
            "min_choices": row.min_choices, "max_choices": row.max_choices,
            "options": [{"option_id": option["option_id"], "name": option["name"],
                         "price": option["price"]}
                        for option in row.options or [] if option.get("active", True)]})
    return found


def _sellable(groups: list[dict[str, Any]]) -> bool:
    return all(group["options"] or group["min_choices"] == 0 for group in groups)


async def read_menu(conn: AsyncConnection, store_id: str) -> dict[str, Any]:
    """The store's active categories that hold active products, and those products, by name.

    A product whose category is inactive is not offered, nor one whose required group has no
    option on sale. Categories have no picture of their own: a category shows its first
    product's.
    """
    shown = {row.category_id: row for row in (await conn.execute(
        select(categories.c.category_id, categories.c.name, categories.c.description,
               categories.c.parent_id)
        .where(categories.c.store_id == store_id, categories.c.active.is_(True))
        .order_by(categories.c.name))).all()}
    rows = (await conn.execute(
        select(products.c.product_id, products.c.name, products.c.description,
               products.c.price, products.c.category_id, products.c.metadata)
        .where(products.c.store_id == store_id, products.c.active.is_(True))
        .order_by(products.c.name, products.c.product_id))).all()
    groups = await _groups(conn, store_id)
    items = [{"product_id": row.product_id, "name": row.name, "description": row.description,
              "price": row.price, "category_id": row.category_id,
              "image_url": _image(row.metadata),
              "modifier_groups": [g for g in groups.get(row.product_id, []) if g["options"]]}
             for row in rows if (row.category_id is None or row.category_id in shown)
             and _sellable(groups.get(row.product_id, []))]
    pictures: dict[Any, str | None] = {}
    for item in items:
        if item["category_id"] is not None and not pictures.get(item["category_id"]):
            pictures[item["category_id"]] = item["image_url"]
    used = {item["category_id"] for item in items}
    return {"categories": [{"category_id": c.category_id, "name": c.name,
                            "description": c.description, "parent_id": c.parent_id,
                            "image_url": pictures.get(c.category_id)}
                           for c in shown.values() if c.category_id in used],
            "products": items}


def _kiosk_settings(runtime: Runtime) -> dict[str, Any]:
    settings = runtime.settings
    return {"idle_seconds": IDLE_SECONDS.value(settings),
            "payment_minutes": PAYMENT_MINUTES.value(settings),
            "pay_at_counter": PAY_AT_COUNTER.value(settings)}


async def menu_text(runtime: Runtime, client_id: str, store_id: str) -> str:
    """The menu as JSON text: this process's copy while the cache's stamp names it, else the
    cached copy, else a fresh one (then cached under a new stamp)."""
    key, cache = cache_key(client_id, store_id), runtime.cache
    held: dict[str, tuple[str, str]] = of(runtime).menus
    stamp = await cache.get(stamp_key(client_id, store_id))
    if stamp is not None and key in held and held[key][0] == stamp:
        return held[key][1]
    cached = await cache.get(key) if stamp is not None else None
    if isinstance(cached, dict) and cached.get("stamp") == stamp:
        held[key] = (stamp, cached["text"])
        return cached["text"]
    async with runtime.db.transaction(client_id) as conn:
        menu = await read_menu(conn, store_id)
    text, stamp = encode({**menu, "settings": _kiosk_settings(runtime)}), uuid.uuid4().hex
    ttl = MENU_CACHE_SECONDS.value(runtime.settings)
    await cache.set(key, {"stamp": stamp, "text": text}, ttl=ttl)
    await cache.set(stamp_key(client_id, store_id), stamp, ttl=ttl)
    held[key] = (stamp, text)
    return text


async def get_menu(ctx: RequestContext) -> Response:
    # Kept as text: the cached copy goes out as it is, never decoded and encoded again.
    text = await menu_text(ctx.runtime, ctx.client_id, ctx.store_id)
    return Response(text, media_type="application/json")


def cache_clearer(runtime: Runtime) -> Broadcast:
    """Every process clears its tenant's menu when the catalog changed (a per-process listener:
    a memory cache lives in each process)."""
    async def clear(envelope: Envelope) -> None:
        await runtime.cache.delete(stamp_key(envelope.client_id, envelope.store_id))
        await runtime.cache.delete(cache_key(envelope.client_id, envelope.store_id))
    return Broadcast("kiosk.menu_cache", CATALOG_EVENTS, clear)
