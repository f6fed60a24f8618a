"""Request bodies of the counter's shift routes."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import Field

from posmodern.core.bodies import PageQuery, Strict
from posmodern.core.money import MAX_MONEY, MoneyField

#: Cash taken out of the drawer (to the safe) and cash put in (more change).
MovementKind = Literal["sangria", "suprimento"]


class ShiftOpen(Strict):
    opening_amount: MoneyField = Field(description="The float counted into the drawer")
    notes: str | None = Field(default=None, max_length=500)


class ShiftClose(Strict):
    counted_amount: MoneyField = Field(description="The cash the cashier counted at closing")
    notes: str | None = Field(default=None, max_length=500)


class MovementCreate(Strict):
    kind: MovementKind
    amount: Decimal = Field(gt=0, le=MAX_MONEY, max_digits=10, decimal_places=2,
                            examples=["100.00"])
    reason: str | None = Field(default=None, max_length=200)


class ShiftQuery(PageQuery):
    pass
