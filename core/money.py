"""Money and quantities in request models and arithmetic: ``Decimal`` only, never float.

The columns are ``DECIMAL(10, 2)`` for money and ``DECIMAL(10, 3)`` for quantities
(:mod:`posmodern.schema.types`); the field types here refuse anything those columns cannot hold, so
a bad amount is a 422 and never a database error.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated

from pydantic import Field

from posmodern.schema.types import CENT, MILLI

MAX_MONEY = Decimal("99999999.99")
#: No money, with the two places money is stored with.
ZERO = Decimal("0.00")
#: No quantity, with the three places quantities are stored with.
ZERO_QUANTITY = Decimal("0.000")

#: A non-negative amount with at most two decimal places that fits the money columns.
MoneyField = Annotated[Decimal, Field(ge=0, le=MAX_MONEY, max_digits=10, decimal_places=2,
                                      examples=["29.90"])]


def cents(value: Decimal) -> Decimal:
    """``value`` rounded to the cent, halves away from zero (as a till rounds)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def quantity(value: Decimal) -> Decimal:
    """``value`` with the three places quantities are stored with."""
    return value.quantize(MILLI, rounding=ROUND_HALF_UP)
