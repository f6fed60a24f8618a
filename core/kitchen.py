"""Where each item of an order is made: a store's kitchen stations route by product, then by
category (or its parent), else to the default station.

The kds plugin keeps the stations (its screens show them); the peripherals plugin prints the same
stations' tickets, so a store routes its screens and its printers once.
"""

from __future__ import annotations

from typing import Any

#: The station of a store that has none yet.
DEFAULT_STATION = "cozinha"


class Router:
    """Sends an item to its station: by product, then by category, else the default.

    ``stations`` are rows with ``code``, ``kind`` (only ``prep`` stations make items),
    ``is_default``, ``product_ids`` and ``category_ids``.
    """

    def __init__(self, stations: list[Any]) -> None:
        prep = [s for s in stations if s.kind == "prep"]
        self.by_product = {str(p): s.code for s in prep for p in (s.product_ids or [])}
        self.by_category = {str(c): s.code for s in prep for c in (s.category_ids or [])}
        default = [s.code for s in prep if s.is_default] or [s.code for s in prep]
        self.default = default[0] if default else DEFAULT_STATION

    def station_of(self, product_id: Any, category_id: Any, parent_id: Any = None) -> str:
        """The product's own rule, else its category's, else its parent category's, else the
        default station."""
        for rules, key in ((self.by_product, product_id), (self.by_category, category_id),
                           (self.by_category, parent_id)):
            if key is not None and str(key) in rules:
                return rules[str(key)]
        return self.default
