"""The options an order item names, checked against its product's modifier groups and priced
from the catalog (the catalog plugin's ``modifier_groups``, read here as ``products`` is).

An item chooses options by id. Each must be an active option of an active group attached to the
item's product, named once; each group's count must lie within its ``min_choices`` and
``max_choices`` (a group with ``min_choices`` ≥ 1 is required even when the item names nothing),
except for an item whose options were chosen on a delivery app's menu (``chosen_elsewhere``).
The item keeps the options as sold — group, name, price — so its history does not change when
the menu does.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.core.money import ZERO
from posmodern.core.writes import fetch, one_of
from posmodern.schema.tables import modifier_groups, product_modifier_groups

_GROUPS = {
    dialect: select(product_modifier_groups.c.product_id, modifier_groups.c.modifier_group_id,
                    modifier_groups.c.name, modifier_groups.c.min_choices,
                    modifier_groups.c.max_choices, modifier_groups.c.options)
    .join(modifier_groups, modifier_groups.c.modifier_group_id
          == product_modifier_groups.c.modifier_group_id)
    .where(ids, modifier_groups.c.store_id == bindparam("store_id"),
           modifier_groups.c.active.is_(True))
    .order_by(product_modifier_groups.c.product_id, product_modifier_groups.c.position)
    for dialect, ids in one_of(product_modifier_groups.c.product_id, "product_ids").items()}


async def groups_of(conn: AsyncConnection, store_id: str,
                    product_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[Any]]:
    """The active modifier groups of each product, in the order they are asked: one query."""
    found: dict[uuid.UUID, list[Any]] = defaultdict(list)
    rows = await fetch(conn, _GROUPS[conn.dialect.name],
                       {"product_ids": list(product_ids), "store_id": store_id})
    for row in rows:
        found[row.product_id].append(row)
    return found


def _problem(loc: list, kind: str, message: str, **about: Any) -> dict[str, Any]:
    return {"loc": loc, "msg": message, "type": kind,
            **{key: str(value) for key, value in about.items()}}


def choose(index: int, product_name: str, groups: Sequence[Any],
           option_ids: Sequence[uuid.UUID], *, counted: bool = True
           ) -> tuple[list[dict[str, Any]], list[dict]]:
    """The options item ``index`` chose, as sold (in the groups' order), and what is wrong with
    them (problems pointing at the item's ``modifiers``; empty when it may be ordered).
    ``counted=False`` leaves the groups' min and max choices unchecked (options chosen on a
    delivery app's menu: the customer has already ordered)."""
    where = ["items", index, "modifiers"]
    offered = {}
    for group in groups:
        for option in group.options or []:
            offered[option["option_id"]] = (group, option)
    problems, wanted, seen = [], set(), set()
    for position, option_id in enumerate(option_ids):
        key = str(option_id)
        found = offered.get(key)
        if key in seen:
            problems.append(_problem([*where, position], "repeated_modifier",
                                     "an option is named once", option_id=key))
        elif found is None:
            problems.append(_problem([*where, position], "unknown_modifier",
                                     f"not an option of {product_name}", option_id=key))
        elif not found[1].get("active", True):
            problems.append(_problem([*where, position], "inactive_modifier",
                                     f"{found[1]['name']} is not on sale", option_id=key))
        seen.add(key)
        wanted.add(key)
    chosen = []
    for group in groups:
        picked = [option for option in group.options or [] if option["option_id"] in wanted]
        if counted and not group.min_choices <= len(picked) <= group.max_choices:
            kind = "too_few_modifiers" if len(picked) < group.min_choices else "too_many_modifiers"
            bounds = (f"exactly {group.min_choices}" if group.min_choices == group.max_choices
                      else f"{group.min_choices} to {group.max_choices}")
            problems.append(_problem(where, kind, f"choose {bounds} of {group.name} "
                                     f"({len(picked)} chosen)",
                                     modifier_group_id=group.modifier_group_id))
        chosen += [{"option_id": option["option_id"],
                    "modifier_group_id": str(group.modifier_group_id), "group": group.name,
                    "name": option["name"], "price": option["price"]} for option in picked]
    return chosen, problems


def price_of(chosen: Sequence[dict[str, Any]]) -> Decimal:
    """What the options add to the product's price."""
    return sum((Decimal(option["price"]) for option in chosen), ZERO)
