"""The payment provider contract: what a payment plugin registers.

A provider is an object with a ``name``, the ``methods`` it accepts and async operations. The
payments plugin keeps the money bookkeeping (tenders, totals, refunds, events); a provider only
talks to whoever moves the money (the cash drawer, Asaas, a card acquirer).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable

PAYMENT_METHODS = ("cash", "pix", "credit_card", "debit_card", "boleto", "voucher")
PAYMENT_STATES = ("PENDING", "AUTHORIZED", "CONFIRMED", "FAILED", "CANCELLED", "REFUNDED",
                  "PARTIALLY_REFUNDED")


@dataclass(frozen=True)
class PaymentRequest:
    """One tender the payments plugin asks a provider to take."""

    payment_id: uuid.UUID
    order_id: uuid.UUID
    client_id: str
    store_id: str
    method: str
    amount: Decimal
    reference: str
    customer: dict[str, Any] | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PaymentResult:
    """What a provider answers: our state, its id, and what the customer needs (a PIX code …)."""

    status: str
    external_id: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RefundRequest:
    refund_id: uuid.UUID
    payment_id: uuid.UUID
    external_id: str | None
    amount: Decimal
    reason: str | None = None


@dataclass(frozen=True)
class WebhookEvent:
    """A provider notification, mapped: which charge, its new state, and the provider's event id."""

    event_id: str
    external_id: str
    status: str
    amount: Decimal | None = None
    raw: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class PaymentProvider(Protocol):
    """What ``pos_payment_providers`` returns a list of."""

    name: str
    methods: tuple[str, ...]
    gives_change: bool

    async def authorize(self, request: PaymentRequest) -> PaymentResult: ...
    async def capture(self, payment_id: uuid.UUID, external_id: str | None) -> PaymentResult: ...
    async def refund(self, request: RefundRequest) -> PaymentResult: ...
    async def status(self, external_id: str) -> PaymentResult: ...
    async def parse_webhook(self, headers: dict[str, str], body: bytes) -> list[WebhookEvent]: ...
