"""Modifier groups: a product's options, some priced ("Adicionais": bacon +4,00, 0 to 3), some
required ("Ponto da carne": choose exactly 1).

A group belongs to a store and is attached to any number of products (``modifier_group_ids`` of a
product, kept in ``product_modifier_groups`` in the order given). Its options are edited with it
and keep their ``option_id`` across changes: an order names options by id and is priced from
here (the orders plugin), storing the names and prices it was sold with. An option's
``external_code`` is its code in a delivery app's menu: a marketplace order's options are matched
to ours by it (the remote_orders plugin), as its items are by a product's
``metadata.external_code``.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.core.errors import ValidationFailed
from posmodern.core.money import cents
from posmodern.core.records import fetch_one, missing_ids
from posmodern.plugins.catalog.resource import MenuResource, Related
from posmodern.schema.tables import modifier_groups, product_modifier_groups


def _problem(loc: list, kind: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, code=kind,
                            details=[{"loc": loc, "msg": message, "type": kind}])


async def _prepare_group(conn: AsyncConnection, store_id: str, group_id: uuid.UUID | None,
                         values: dict[str, Any]) -> None:
    """Check a new group or a change and complete it: new options get an id, prices are stored
    as decimal strings, and min ≤ max holds with what is stored (a change may send one of them).
    """
    stored = None
    if group_id is not None:
        stored = await fetch_one(conn, modifier_groups, store_id, group_id,
                                 what="modifier_group")
    if "options" in values:
        known = {option["option_id"]: option for option in stored.options} if stored else {}
        options = []
        for index, option in enumerate(values["options"]):
            given = None
            if not isinstance(option, dict):  # a change gives the body's models
                given = option.model_fields_set
                option = option.model_dump()
            option_id = option.get("option_id")
            if option_id is None:
                option_id = uuid.uuid4()
            elif str(option_id) not in known:
                raise _problem(["options", index, "option_id"], "unknown_option",
                               f"no option {option_id} in this group (leave it out to add one)")
            code = option.get("external_code")
            if given is not None and "external_code" not in given and str(option_id) in known:
                # A change that does not mention it (a form that does not show it) keeps it.
                code = known[str(option_id)].get("external_code")
            options.append({"option_id": str(option_id), "name": option["name"],
                            "price": str(cents(option["price"])), "active": option["active"],
                            **({"external_code": code} if code is not None else {})})
        values["options"] = options
    low = values.get("min_choices", stored.min_choices if stored else 0)
    high = values.get("max_choices", stored.max_choices if stored else 1)
    if low > high:
        raise _problem(["min_choices"], "min_above_max",
                       f"min_choices ({low}) is more than max_choices ({high})")


MODIFIER_GROUPS = MenuResource(modifier_groups, "modifier_group", ("active",), _prepare_group)


# --- attached to products -----------------------------------------------------------------

def group_view(row: Any) -> dict[str, Any]:
    """A group as a product shows it."""
    return {"modifier_group_id": row.modifier_group_id, "name": row.name,
            "min_choices": row.min_choices, "max_choices": row.max_choices,
            "active": row.active, "options": row.options}


async def save_product_groups(conn: AsyncConnection, store_id: str, product_id: uuid.UUID,
                              group_ids: list[uuid.UUID] | None) -> None:
    """Attach exactly ``group_ids`` to the product, in that order (422 for a group that is not
    the store's, before anything is written)."""
    if group_ids is None:
        return
    unknown = await missing_ids(conn, modifier_groups, store_id, set(group_ids))
    if unknown:
        raise ValidationFailed(
            "no such modifier group in this store", code="unknown_modifier_group",
            details=[{"loc": ["modifier_group_ids", index], "msg": "unknown modifier group",
                      "type": "unknown_modifier_group", "modifier_group_id": str(group_id)}
                     for index, group_id in enumerate(group_ids) if group_id in unknown])
    await conn.execute(delete(product_modifier_groups)
                       .where(product_modifier_groups.c.product_id == product_id))
    if group_ids:
        await conn.execute(insert(product_modifier_groups), [
            {"product_id": product_id, "modifier_group_id": group_id, "position": position}
            for position, group_id in enumerate(group_ids)])


async def add_product_groups(conn: AsyncConnection, store_id: str,
                             items: list[dict[str, Any]]) -> None:
    """Give each product of ``items`` its ``modifier_groups``: one query for the page."""
    ids = [item["product_id"] for item in items]
    by_product: dict[uuid.UUID, list[dict]] = defaultdict(list)
    if ids:
        rows = await conn.execute(
            select(product_modifier_groups.c.product_id, modifier_groups)
            .join(modifier_groups, modifier_groups.c.modifier_group_id
                  == product_modifier_groups.c.modifier_group_id)
            .where(product_modifier_groups.c.product_id.in_(ids),
                   modifier_groups.c.store_id == store_id)
            .order_by(product_modifier_groups.c.product_id, product_modifier_groups.c.position))
        for row in rows:
            by_product[row.product_id].append(group_view(row))
    for item in items:
        item["modifier_groups"] = by_product.get(item["product_id"], [])


PRODUCT_GROUPS = Related("modifier_group_ids", save_product_groups, add_product_groups)
