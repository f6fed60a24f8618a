"""Request bodies and queries of the orders plugin."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Literal, get_args

from pydantic import Field, field_validator

from posmodern.core.bodies import ModifierChoice, PageQuery, Strict
from posmodern.core.money import ZERO, MoneyField
from posmodern.core.orders import ORDER_STATUSES, ItemRequest, OrderStatus

MAX_ITEMS = 100
MAX_QUANTITY = Decimal("1000")
#: The most options one item may name.
MAX_MODIFIERS = 50
Source = Literal["pos", "waiter", "kiosk", "remote"]
SOURCES = get_args(Source)


class ItemIn(Strict):
    product_id: uuid.UUID
    quantity: Decimal = Field(gt=0, le=MAX_QUANTITY, decimal_places=3, examples=["2"])
    notes: str | None = Field(default=None, max_length=500)
    customizations: dict[str, Any] | list[Any] | None = Field(
        default=None, description="Free-form choices for the kitchen (no effect on the price)")
    modifiers: list[ModifierChoice] = Field(
        default_factory=list, max_length=MAX_MODIFIERS,
        description="Options chosen among the product's modifier groups; each adds its price "
                    "(from the catalog) to the item's unit price")

    def request(self) -> ItemRequest:
        """The line as the order desk takes it."""
        return ItemRequest(self.product_id, self.quantity, self.notes, self.customizations,
                           tuple(choice.option_id for choice in self.modifiers))


class OrderCreate(Strict):
    items: list[ItemIn] = Field(min_length=1, max_length=MAX_ITEMS)
    customer_id: uuid.UUID | None = None
    table_id: uuid.UUID | None = None
    discount: MoneyField = ZERO
    notes: str | None = Field(default=None, max_length=1000)
    source: Source | None = Field(
        default=None, description="Where the order comes from; by default from the caller's role")


class ItemsAdd(Strict):
    items: list[ItemIn] = Field(min_length=1, max_length=MAX_ITEMS)


class StatusChange(Strict):
    status: OrderStatus


class OrderQuery(PageQuery):
    status: str | None = Field(default=None, max_length=200,
                               description="One status or several, comma-separated")
    created_from: datetime | None = Field(default=None, description="Created at or after (ISO)")
    created_to: datetime | None = Field(default=None, description="Created before (ISO)")
    table_id: uuid.UUID | None = None
    customer_id: uuid.UUID | None = None

    @field_validator("status")
    @classmethod
    def _known_statuses(cls, value: str | None) -> str | None:
        if value is None:
            return None
        unknown = [s for s in value.split(",") if s not in ORDER_STATUSES]
        if unknown:
            raise ValueError(f"unknown status {', '.join(unknown)}; "
                             f"one of {', '.join(ORDER_STATUSES)}")
        return value

    @field_validator("created_from", "created_to")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        # A time without a zone is taken as UTC, the zone every stored time is in.
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        try:
            return value.astimezone(timezone.utc)
        except OverflowError:
            raise ValueError("the time with its offset is outside years 1 to 9999") from None

    @property
    def statuses(self) -> list[str]:
        return self.status.split(",") if self.status else []
