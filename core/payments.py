"""The payment provider contract: what a payment plugin registers, and the states it speaks.

A provider is an object with a ``name``, the ``methods`` it accepts and async operations. The
payments plugin keeps the money bookkeeping (tenders, totals, refunds, events); a provider only
talks to whoever moves the money (the cash drawer, Asaas, a card acquirer).

How the payments plugin drives a provider, and what that asks of it:

- A tender is written first (status ``PENDING``, no locks kept), then ``authorize`` is called with
  the tender's ``reference``, then the answer is written. ``authorize`` may be called again with
  the same reference (a client retrying after a timeout, with the same ``Idempotency-Key``): it
  must then return the charge it made before, never make a second one.
- ``authorize`` answers ``CONFIRMED`` (the money is ours: cash, a captured card), ``AUTHORIZED``
  (held; the plugin calls ``capture`` at once), ``PENDING`` (the customer still has to act: a PIX
  QR code, a boleto; a webhook or ``status`` tells the end) or ``FAILED`` (declined).
- ``refund`` is called with a fresh ``refund_id`` per refund and must not move money twice for one
  refund id either.
- Errors: raise :class:`~posmodern.core.errors.ValidationFailed` when the provider refused the
  request as invalid, :class:`~posmodern.core.errors.BadGateway` when it failed or answered
  nonsense, :class:`~posmodern.core.errors.GatewayTimeout` when it did not answer in time.
- ``parse_webhook`` checks the caller (raise :class:`~posmodern.core.errors.Unauthorized`) and maps
  a notification to :class:`WebhookEvent` objects; it must not touch the database: the plugin finds
  the tenant from its own records of the charge, never from the caller.

Subclass :class:`ProviderBase` to get sensible defaults for what a simple provider does not need.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from posmodern.core.asyncio_hooks import call_hook
from posmodern.core.errors import NotFound, ServiceUnavailable, ValidationFailed

if TYPE_CHECKING:
    from posmodern.core.api import RequestContext


class TenderStatus(enum.StrEnum):
    """A tender's (one payment of an order) ``status``, as the API shows it.

    ``PENDING``: waiting for the customer or the provider; ``AUTHORIZED``: the money is held;
    ``CONFIRMED``: the money is ours; ``FAILED`` and ``CANCELLED``: nothing was taken; the
    refunded ones were confirmed, then given back in part or in full.
    """

    PENDING = "PENDING"
    AUTHORIZED = "AUTHORIZED"
    CONFIRMED = "CONFIRMED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED"
    REFUNDED = "REFUNDED"


#: What ``authorize``/``capture``/``cancel``/``status`` may answer (refunds are answered apart).
RESULT_STATES = tuple(status for status in TenderStatus
                      if status not in (TenderStatus.PARTIALLY_REFUNDED, TenderStatus.REFUNDED))


class RefundStatus(enum.StrEnum):
    """A refund's ``status``: ``REQUESTED`` until the provider answers, then what it answered:
    ``DONE`` (money returned), ``PENDING`` (the provider is processing it) or ``FAILED``."""

    REQUESTED = "REQUESTED"
    PENDING = "PENDING"
    DONE = "DONE"
    FAILED = "FAILED"


#: What a provider's ``refund`` may answer.
REFUND_STATES = tuple(status for status in RefundStatus if status is not RefundStatus.REQUESTED)


@dataclass(frozen=True)
class PaymentRequest:
    """One tender the payments plugin asks a provider to take.

    ``reference`` is ours and unique: send it to the provider (Asaas's ``externalReference``) so
    a repeated call finds the charge already made.
    """

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

    def __post_init__(self) -> None:
        if self.status not in RESULT_STATES:
            raise ValueError(f"payment result status must be one of {', '.join(RESULT_STATES)}")


@dataclass(frozen=True)
class RefundRequest:
    """Give back ``amount`` of a payment; ``refund_id`` is unique per refund (and per retry of
    it)."""

    refund_id: uuid.UUID
    payment_id: uuid.UUID
    reference: str
    external_id: str | None
    amount: Decimal
    reason: str | None = None


@dataclass(frozen=True)
class RefundResult:
    """``DONE`` (money returned), ``PENDING`` (the provider is processing it) or ``FAILED``."""

    status: str
    external_id: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.status not in REFUND_STATES:
            raise ValueError(f"refund result status must be one of {', '.join(REFUND_STATES)}")


@dataclass(frozen=True)
class WebhookEvent:
    """A provider notification, mapped: which charge, its new state, and the provider's event id.

    ``reference`` is ours (as sent in :class:`PaymentRequest`) when the provider echoes it;
    ``external_id`` is the provider's id of the charge. ``status`` is one of
    :data:`RESULT_STATES` or ``TenderStatus.REFUNDED``; ``refunded_amount`` is the total
    refunded at the provider when it says so; ``None`` status means "nothing for us" (the event
    is still deduped).
    """

    event_id: str
    external_id: str | None
    status: str | None
    reference: str | None = None
    amount: Decimal | None = None
    refunded_amount: Decimal | None = None
    kind: str = ""
    raw: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class PaymentProvider(Protocol):
    """What ``pos_payment_providers`` returns a list of.

    ``gives_change``: a tender above what is due is accepted and the difference handed back (cash).
    ``takes_webhooks``: the provider notifies state changes at ``/api/v1/payments/webhooks/<name>``.
    """

    name: str
    methods: tuple[str, ...]
    gives_change: bool
    takes_webhooks: bool

    def check(self, request: PaymentRequest) -> None:
        """Refuse, before anything is written or sent, a request that can never succeed."""

    async def authorize(self, request: PaymentRequest) -> PaymentResult: ...
    async def capture(self, reference: str, external_id: str | None) -> PaymentResult: ...
    async def cancel(self, reference: str, external_id: str | None) -> PaymentResult: ...
    async def refund(self, request: RefundRequest) -> RefundResult: ...
    async def status(self, reference: str, external_id: str | None) -> PaymentResult: ...
    async def parse_webhook(self, headers: dict[str, str], body: bytes) -> list[WebhookEvent]: ...
    def describe(self) -> dict[str, Any]: ...
    async def aclose(self) -> None: ...


class ProviderBase:
    """Defaults for a provider: no change, no webhooks, nothing to capture, cancel or close."""

    name: str = ""
    methods: tuple[str, ...] = ()
    gives_change: bool = False
    takes_webhooks: bool = False

    def check(self, request: PaymentRequest) -> None:
        return None

    async def authorize(self, request: PaymentRequest) -> PaymentResult:
        raise NotImplementedError

    async def capture(self, reference: str, external_id: str | None) -> PaymentResult:
        return PaymentResult(TenderStatus.CONFIRMED, external_id)

    async def cancel(self, reference: str, external_id: str | None) -> PaymentResult:
        return PaymentResult(TenderStatus.CANCELLED, external_id)

    async def refund(self, request: RefundRequest) -> RefundResult:
        raise ValidationFailed(f"{self.name} payments cannot be refunded here",
                               code="refund_not_supported")

    async def status(self, reference: str, external_id: str | None) -> PaymentResult:
        raise ValidationFailed(f"{self.name} cannot report a payment's status",
                               code="status_not_supported")

    async def parse_webhook(self, headers: dict[str, str], body: bytes) -> list[WebhookEvent]:
        raise NotFound(f"{self.name} sends no webhooks", code="no_webhooks")

    def describe(self) -> dict[str, Any]:
        """What ``GET /api/v1/payments/providers`` shows of this provider."""
        return {"name": self.name, "methods": list(self.methods),
                "gives_change": self.gives_change, "takes_webhooks": self.takes_webhooks}

    async def aclose(self) -> None:
        return None



async def take_payment(ctx: RequestContext, order_id: uuid.UUID, method: str, amount: Decimal, *,
                       customer: dict[str, Any] | None = None,
                       description: str | None = None) -> dict[str, Any]:
    """Take a tender of an order through the payments plugin of this process, during the
    caller's request and with no transaction open (``pos_payment_take``): a kiosk's PIX charge.

    Returns the payment as ``POST /api/v1/orders/{id}/payments`` answers it; its refusals are the
    same 4xx (and 502/504 when the provider fails). 503 ``payments_unavailable`` when no plugin of
    the process takes payments: run the calling plugin with ``payments``.
    """
    results = await call_hook(ctx.runtime.pm.hook.pos_payment_take, ctx=ctx, order_id=order_id,
                              method=method, amount=amount, customer=customer,
                              description=description)
    if not results:
        raise ServiceUnavailable("no plugin of this process takes payments: load the payments "
                                 "plugin", code="payments_unavailable")
    return results[0]


async def cancel_pending_payments(runtime: Any, client_id: str, order_id: uuid.UUID) -> int:
    """Cancel at their providers the order's tenders still waiting for the customer, once the
    order itself was cancelled (``pos_payment_cancel_pending``): a PIX code left on a kiosk's
    screen can no longer be paid. Returns how many; 0 without a payments plugin in the process.
    Money that arrives anyway (paid a moment before) is still recorded, to be refunded."""
    return sum(await call_hook(runtime.pm.hook.pos_payment_cancel_pending, runtime=runtime,
                               client_id=client_id, order_id=order_id))


@dataclass(frozen=True)
class PaidElsewhere:
    """Money an order's customer already paid somewhere else (a marketplace charged it online),
    recorded on the order as a confirmed tender through :func:`record_paid_elsewhere`.

    ``provider`` names who holds the money (``ifood``), ``external_id`` its id of the payment: a
    second record with the same pair on the same order changes nothing. ``amount`` is capped at
    what is left to pay.
    """

    order_id: uuid.UUID
    store_id: str
    provider: str
    method: str
    amount: Decimal
    external_id: str
    details: dict[str, Any] = field(default_factory=dict)


async def record_paid_elsewhere(conn: Any, runtime: Any, paid: PaidElsewhere) -> dict[str, Any]:
    """Record ``paid`` in ``conn``'s transaction through the plugin owning payments
    (``pos_payment_record``); returns the tender as the API shows it. 503 ``payments_unavailable``
    when no plugin of this process keeps payments."""
    results = await call_hook(runtime.pm.hook.pos_payment_record, conn=conn, paid=paid,
                              hooks=runtime.pm.hook)
    if not results:
        raise ServiceUnavailable("no plugin of this process keeps payments: load the payments "
                                 "plugin", code="payments_unavailable")
    return results[0]
