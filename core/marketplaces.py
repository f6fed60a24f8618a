"""The marketplace contract: what a delivery-app plugin (iFood, Open Delivery …) registers through
``pos_marketplaces``, and the small types it speaks.

The ``remote_orders`` plugin keeps the books (which events were handled, which orders taken,
which status changes are still to be sent) and asks a marketplace only to talk to its API:

- ``poll(merchant)`` returns the events not acknowledged yet, in any order and possibly
  repeated; ``acknowledge(merchant, events)`` is called only once what they mean is committed.
- ``order(merchant, external_id)`` returns the order, mapped to :class:`MarketOrder`; a payload
  that cannot be mapped raises :class:`MalformedOrder` (the order is then refused to the
  marketplace with ``act(..., REQUEST_CANCELLATION, reason)``).
- ``act(merchant, external_id, action, reason)`` tells the marketplace what our order did; an
  answer meaning "already done" (Open Delivery's 422 for a confirmed order) is a success.
- ``cancellation_reasons(merchant, external_id)`` the reasons it accepts for a cancellation.
- ``store_status(merchant)`` whether the marketplace shows the store open, and why not.
- ``parse_webhook(headers, body)`` checks the caller's signature (raise
  :class:`~posmodern.core.errors.Unauthorized`) and returns the events it carries.

Errors: :class:`MarketplaceUnavailable` for a failure worth retrying at the next poll (5xx, 429,
a timeout, an expired token that could not be renewed); nothing is recorded then, so nothing is
lost.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from posmodern.core.errors import BadGateway, ValidationFailed

if TYPE_CHECKING:
    from posmodern.core.plugin_settings import SettingSpec


class EventKind(enum.StrEnum):
    """What a marketplace event means to us."""

    PLACED = "PLACED"          # a new order: take it
    CANCELLED = "CANCELLED"    # the marketplace (or its customer) cancelled the order
    NOTED = "NOTED"            # known, nothing for us to do (an echo of our own confirm)
    UNKNOWN = "UNKNOWN"        # a code this plugin does not know: kept and reported


class Action(enum.StrEnum):
    """What we tell a marketplace about one of its orders."""

    CONFIRM = "confirm"
    START_PREPARATION = "startPreparation"
    READY_TO_PICKUP = "readyToPickup"
    DISPATCH = "dispatch"
    REQUEST_CANCELLATION = "requestCancellation"


class MarketplaceUnavailable(BadGateway):
    """The marketplace failed or did not answer; try again at the next poll."""

    code = "marketplace_unavailable"


class MalformedOrder(ValidationFailed):
    """The marketplace's order cannot be taken as it is (no items, a bad amount)."""

    code = "malformed_order"


@dataclass(frozen=True)
class Merchant:
    """One store's account at a marketplace: our tenant and store, the marketplace's id of the
    store, and the store's values of the marketplace's settings (credentials among them)."""

    client_id: str
    store_id: str
    merchant_id: str
    values: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class MarketEvent:
    """An event as the marketplace sent it, with what it means (``kind``)."""

    event_id: str
    code: str
    kind: EventKind
    external_id: str
    merchant_id: str
    created_at: datetime
    raw: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class MarketOption:
    """An option the customer chose for an item (a complement: "Ao ponto", "Bacon"):
    ``external_code`` names one of our modifier options (its ``external_code``); ``quantity``
    is per unit of the item, ``unit_price`` what the marketplace charged for one."""

    external_code: str | None
    name: str
    quantity: Decimal = Decimal(1)
    unit_price: Decimal = Decimal("0.00")


@dataclass(frozen=True)
class MarketItem:
    """A line of a marketplace order: ``external_code`` names our product (its
    ``metadata.external_code``), ``options`` what the customer chose for it."""

    external_code: str | None
    name: str
    quantity: Decimal
    unit_price: Decimal
    notes: str | None = None
    options: tuple[MarketOption, ...] = ()


@dataclass(frozen=True)
class MarketPayment:
    """How the customer pays: ``prepaid`` money was taken online by the marketplace."""

    method: str
    amount: Decimal
    prepaid: bool


@dataclass(frozen=True)
class MarketOrder:
    """A marketplace's order, mapped. ``fees`` are (name, amount) pairs (delivery fee, service
    fee); ``discount`` is what the store gives (the marketplace's own vouchers included, as the
    customer pays less); ``total`` what the customer pays in all."""

    external_id: str
    display_id: str
    merchant_id: str
    created_at: datetime
    items: tuple[MarketItem, ...]
    total: Decimal
    fees: tuple[tuple[str, Decimal], ...] = ()
    discount: Decimal = Decimal("0.00")
    payments: tuple[MarketPayment, ...] = ()
    customer: dict[str, Any] = field(default_factory=dict)
    address: dict[str, Any] | None = None
    order_type: str = "DELIVERY"
    scheduled_for: datetime | None = None
    notes: str | None = None

    @property
    def prepaid(self) -> Decimal:
        """What the marketplace already charged the customer."""
        return sum((p.amount for p in self.payments if p.prepaid), Decimal("0.00"))


@dataclass(frozen=True)
class CancellationReason:
    """A reason a marketplace accepts for cancelling one of its orders."""

    code: str
    description: str


@runtime_checkable
class Marketplace(Protocol):
    """A delivery app. ``name`` is its channel (unique; the last part of its webhook path);
    ``merchant_setting`` the per-store setting holding the store's id at the marketplace: a
    store that sets it is served; ``settings`` all the per-store settings it reads (declare them
    in your plugin's ``pos_settings`` too)."""

    name: str
    merchant_setting: SettingSpec
    settings: tuple[SettingSpec, ...]

    async def poll(self, merchant: Merchant) -> list[MarketEvent]: ...
    async def acknowledge(self, merchant: Merchant, events: list[MarketEvent]) -> None: ...
    async def order(self, merchant: Merchant, external_id: str) -> MarketOrder: ...
    async def act(self, merchant: Merchant, external_id: str, action: Action,
                  reason: CancellationReason | None = None) -> None: ...
    async def cancellation_reasons(self, merchant: Merchant,
                                   external_id: str) -> list[CancellationReason]: ...
    async def store_status(self, merchant: Merchant) -> dict[str, Any]: ...
    def parse_webhook(self, headers: dict[str, str], body: bytes) -> list[MarketEvent]: ...
    async def aclose(self) -> None: ...


def money(value: Any, what: str) -> Decimal:
    """A marketplace's amount (a JSON number or string) as cents; :class:`MalformedOrder`
    when it is not one."""
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (ArithmeticError, ValueError, TypeError):
        raise MalformedOrder(f"{what} is not an amount", details={what: repr(value)}) from None
    if not amount.is_finite() or amount < 0:
        raise MalformedOrder(f"{what} is not an amount", details={what: repr(value)})
    return amount


def moment(value: Any, what: str = "createdAt") -> datetime:
    """A marketplace's ISO 8601 time as an aware datetime (UTC when it names no zone)."""
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise MalformedOrder(f"{what} is not a time", details={what: repr(value)}) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def signature_ok(secret: str | None, body: bytes, given: str | None) -> bool:
    """Whether ``given`` is the hex HMAC-SHA256 of ``body`` with ``secret`` (iFood's
    ``X-IFood-Signature``, Open Delivery's ``X-App-Signature``)."""
    if not secret or not given:
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, given.strip().lower())


def count(value: Any, what: str = "quantity") -> Decimal:
    """A marketplace's quantity (more than 0); :class:`MalformedOrder` when it is not one."""
    try:
        number = Decimal(str(value))
    except (ArithmeticError, ValueError, TypeError):
        number = Decimal(0)
    if not number.is_finite() or number <= 0:
        raise MalformedOrder(f"{what} is not a positive number", details={what: repr(value)})
    return number
