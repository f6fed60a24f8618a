"""The order contract the order hooks speak: a draft being priced, and adjustments to it.

The orders plugin owns orders; these small types let other plugins (a tax plugin, a loyalty
plugin) take part in pricing and validation without importing it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

ORDER_STATUSES = ("PENDING", "CONFIRMED", "IN_PREPARATION", "READY", "DELIVERED", "COMPLETED",
                  "CANCELLED")
#: An order in one of these is closed: nothing more happens to it (its table is free again).
CLOSED_STATUSES = ("COMPLETED", "CANCELLED")
ADJUSTMENT_KINDS = ("tax", "fee")


@dataclass(frozen=True)
class OrderLine:
    """One priced line of a draft: the unit price always comes from the catalog."""

    product_id: uuid.UUID
    name: str
    quantity: Decimal
    unit_price: Decimal
    subtotal: Decimal
    category_id: uuid.UUID | None = None
    notes: str | None = None
    customizations: Any = None


@dataclass
class OrderDraft:
    """An order before it is written: what validation and adjustment hooks see."""

    client_id: str
    store_id: str
    source: str
    lines: list[OrderLine]
    subtotal: Decimal
    discount: Decimal = Decimal("0.00")
    customer_id: uuid.UUID | None = None
    table_id: uuid.UUID | None = None
    order_id: uuid.UUID | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Adjustment:
    """An amount a plugin adds to an order: ``tax`` (reported as the order's tax) or ``fee``."""

    name: str
    kind: str
    amount: Decimal

    def __post_init__(self) -> None:
        if self.kind not in ADJUSTMENT_KINDS:
            raise ValueError(f"adjustment kind must be one of {ADJUSTMENT_KINDS}")
