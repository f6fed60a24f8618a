"""What a kiosk sends, and the states of a kiosk order."""

from __future__ import annotations

import enum
import uuid
from typing import Literal

from pydantic import Field

from posmodern.core.bodies import ModifierChoice, Strict

#: How the customer eats, as the kitchen reads it on the ticket.
SERVICES = {"eat_in": "Comer aqui", "takeaway": "Para levar"}


class KioskStatus(enum.StrEnum):
    """Where a kiosk order stands: waiting for its PIX (``AWAITING_PAYMENT``) or for a cashier
    (``AT_COUNTER``), sent to the kitchen once paid (``SENT``), cancelled unpaid after its time
    (``EXPIRED``), or cancelled because the payment could not even start (``FAILED``)."""

    AWAITING_PAYMENT = "AWAITING_PAYMENT"
    AT_COUNTER = "AT_COUNTER"
    SENT = "SENT"
    EXPIRED = "EXPIRED"
    FAILED = "FAILED"


#: Waiting for money: payment sends the order to the kitchen.
WAITING = (KioskStatus.AWAITING_PAYMENT, KioskStatus.AT_COUNTER)


class KioskItem(Strict):
    product_id: uuid.UUID
    quantity: int = Field(ge=1, le=99, description="Whole units")
    notes: str | None = Field(default=None, max_length=200)
    modifiers: list[ModifierChoice] = Field(
        default_factory=list, max_length=50,
        description="Options chosen among the product's modifier groups (priced by the catalog)")


class KioskOrderCreate(Strict):
    items: list[KioskItem] = Field(min_length=1, max_length=50)
    customer_name: str = Field(min_length=1, max_length=40,
                               description="The name the counter calls")
    service: Literal["eat_in", "takeaway"]
    payment: Literal["pix", "counter"] = Field(
        default="pix", description="PIX on the screen, or pay at the counter")
