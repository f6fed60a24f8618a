"""The order contract the order hooks speak: the statuses of an order, of its items and of its
bill, a draft being priced, and adjustments to it.

The orders plugin owns orders; these small types let other plugins (a tax plugin, a loyalty
plugin, stock following orders) take part in pricing, validation and status changes without
importing it. Every status is defined here once and every set of statuses derived from it.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from posmodern.core.money import ZERO


class OrderStatus(enum.StrEnum):
    """Where an order is in its life, in the order it gets there (``CANCELLED`` aside).

    The values are what the API shows and the ``orders.status`` column holds.
    """

    PENDING = "PENDING"
    CONFIRMED = "CONFIRMED"
    IN_PREPARATION = "IN_PREPARATION"
    READY = "READY"
    DELIVERED = "DELIVERED"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


#: Every order status, in the order of the lifecycle (``CANCELLED`` last).
ORDER_STATUSES = tuple(OrderStatus)
#: An order in one of these is closed: nothing more happens to it (its table is free again).
CLOSED_STATUSES = (OrderStatus.COMPLETED, OrderStatus.CANCELLED)
#: An order in one of these can still move on (its table stays occupied).
OPEN_STATUSES = tuple(status for status in OrderStatus if status not in CLOSED_STATUSES)
#: An order in one of these holds its goods: they have left the shelf (stock counts them out).
GOODS_OUT_STATUSES = tuple(status for status in OrderStatus
                           if status not in (OrderStatus.PENDING, OrderStatus.CANCELLED))


class ItemStatus(enum.StrEnum):
    """An order item's ``status``: on the order, or taken off it (a void stays on record)."""

    PENDING = "PENDING"
    CANCELLED = "CANCELLED"
    REMOVED = "REMOVED"


#: Item statuses that hold no goods: the item is no longer part of the order.
GONE_ITEM_STATUSES = (ItemStatus.CANCELLED, ItemStatus.REMOVED)


class PaymentStatus(enum.StrEnum):
    """An order's ``payment_status``: how much of its bill its tenders cover.

    The orders plugin writes ``PENDING`` with a new order; the payments plugin owns the column
    afterwards and recomputes it with every tender.
    """

    PENDING = "PENDING"
    PARTIALLY_PAID = "PARTIALLY_PAID"
    PAID = "PAID"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED"
    REFUNDED = "REFUNDED"


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
    #: The options chosen, as sold: ``[{option_id, modifier_group_id, group, name, price}]``
    #: (their prices are in ``unit_price``).
    modifiers: list[dict[str, Any]] | None = None


@dataclass
class OrderDraft:
    """An order before it is written: what validation and adjustment hooks see."""

    client_id: str
    store_id: str
    source: str
    lines: list[OrderLine]
    subtotal: Decimal
    discount: Decimal = ZERO
    customer_id: uuid.UUID | None = None
    table_id: uuid.UUID | None = None
    order_id: uuid.UUID | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    #: Fees the placing plugin set (a marketplace's delivery fee), priced as given.
    fees: list[Adjustment] = field(default_factory=list)


@dataclass(frozen=True)
class Adjustment:
    """An amount a plugin adds to an order: ``tax`` (reported as the order's tax) or ``fee``."""

    name: str
    kind: str
    amount: Decimal

    def __post_init__(self) -> None:
        if self.kind not in ADJUSTMENT_KINDS:
            raise ValueError(f"adjustment kind must be one of {ADJUSTMENT_KINDS}")


@dataclass(frozen=True)
class ItemRequest:
    """One line another plugin asks for: the price comes from the catalog, as for the API."""

    product_id: uuid.UUID
    quantity: Decimal
    notes: str | None = None
    customizations: Any = None
    #: Ids of the options chosen among the product's modifier groups (priced from the catalog).
    modifiers: tuple[uuid.UUID, ...] = ()
    #: The options were chosen on another menu (a delivery app's): each must still be an active
    #: option of the product, but its groups' min and max choices are not enforced, as the
    #: customer has already ordered (what our groups miss travels in ``notes``).
    chosen_elsewhere: bool = False


@dataclass
class OrderRequest:
    """An order placed by another plugin of the process (a kiosk, a waiter's tab, a marketplace)
    through :func:`posmodern.core.order_desk.place_order`.

    It is priced, validated and numbered as an order of the API; ``external_id`` is the id the
    order has where it came from (a marketplace's), ``discount`` is given as is (the placing plugin
    answers for it: no role limit applies). ``fees`` are ``fee`` adjustments given as they are (a
    marketplace's delivery and service fees), kept when the order is priced again; ``delivery`` is
    where and to whom the order goes (JSON: ``customer`` name and phone, ``address``, a
    ``scheduled_for`` time), shown as the order's ``delivery``.
    """

    client_id: str
    store_id: str
    source: str
    items: list[ItemRequest]
    customer_id: uuid.UUID | None = None
    table_id: uuid.UUID | None = None
    waiter_id: uuid.UUID | None = None
    discount: Decimal = ZERO
    notes: str | None = None
    external_id: str | None = None
    fees: tuple[Adjustment, ...] = ()
    delivery: dict[str, Any] | None = None

