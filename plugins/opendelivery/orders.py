"""Open Delivery's events and orders (v1) mapped to the marketplace types."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from posmodern.core.marketplaces import (CancellationReason, EventKind, MalformedOrder,
                                         MarketEvent, MarketItem, MarketOption, MarketOrder,
                                         MarketPayment, count, moment, money)

KINDS = {"CREATED": EventKind.PLACED, "CANCELLED": EventKind.CANCELLED,
         **{code: EventKind.NOTED for code in (
             "CONFIRMED", "DISPATCHED", "READY_FOR_PICKUP", "PICKED_UP", "DELIVERED",
             "CONCLUDED", "CANCELLATION_REQUESTED", "CANCELLATION_REQUEST_DENIED",
             "ORDER_CANCELLATION_REQUEST")}}
#: Open Delivery's cancellation codes (a fixed list: there is no endpoint for them).
REASONS = [CancellationReason(code, text) for code, text in (
    ("UNAVAILABLE_ITEM", "Item indisponível"),
    ("OUTDATED_MENU", "Cardápio desatualizado"),
    ("SYSTEMIC_ISSUES", "Problemas de sistema"),
    ("DUPLICATE_APPLICATION", "Pedido em duplicidade"),
    ("RESTAURANT_WITHOUT_DELIVERY_MAN", "Restaurante sem entregador"),
    ("ORDER_OUTSIDE_THE_DELIVERY_AREA", "Pedido fora da área de entrega"),
    ("BLOCKED_CUSTOMER", "Cliente bloqueado"),
    ("OUTSIDE_DELIVERY_HOURS", "Fora do horário de entrega"),
    ("INTERNAL_DIFFICULTIES_OF_THE_RESTAURANT", "Dificuldades internas do restaurante"),
    ("RISK_AREA", "Área de risco"))]


def event_of(raw: Any, merchant_id: str = "") -> MarketEvent:
    if not isinstance(raw, dict) or not raw.get("eventId") or not raw.get("orderId"):
        raise MalformedOrder("an Open Delivery event needs an eventId and an orderId")
    code = str(raw.get("eventType") or "")
    return MarketEvent(event_id=str(raw["eventId"]), code=code,
                       kind=KINDS.get(code, EventKind.UNKNOWN), external_id=str(raw["orderId"]),
                       merchant_id=str(raw.get("merchantId") or merchant_id),
                       created_at=moment(raw.get("createdAt")), raw=raw)


def _value(price: Any, what: str) -> Decimal:
    return money((price or {}).get("value", 0) if isinstance(price, dict) else price, what)


def _options(item: dict) -> tuple[MarketOption, ...]:
    """An item's options (externalCode, name, quantity, unitPrice ``{value, currency}``)."""
    options = item.get("options") or []
    if not isinstance(options, list) or not all(isinstance(o, dict) for o in options):
        raise MalformedOrder("an Open Delivery item's options are not a list of objects")
    return tuple(MarketOption(
        external_code=str(option["externalCode"]) if option.get("externalCode") else None,
        name=str(option.get("name") or "?"),
        quantity=count(option.get("quantity", 1), "options.quantity"),
        unit_price=_value(option.get("unitPrice"), "options.unitPrice"))
        for option in options)


def _items(raw: dict) -> tuple[MarketItem, ...]:
    items = raw.get("items")
    if not isinstance(items, list):
        raise MalformedOrder("the Open Delivery order has no items list")
    return tuple(MarketItem(
        external_code=str(item["externalCode"]) if item.get("externalCode") else None,
        name=str(item.get("name") or "?"), quantity=count(item.get("quantity")),
        unit_price=_value(item.get("unitPrice"), "unitPrice"),
        notes=item.get("specialInstructions"), options=_options(item)) for item in items)


def _address(raw: dict) -> dict | None:
    address = (raw.get("delivery") or {}).get("deliveryAddress")
    if not isinstance(address, dict):
        return None
    return {"street": address.get("street"), "number": address.get("number"),
            "complement": address.get("complement"), "district": address.get("district"),
            "city": address.get("city"), "state": address.get("state"),
            "postal_code": address.get("postalCode"), "reference": address.get("reference"),
            "formatted": address.get("formattedAddress")}


def order_of(raw: Any) -> MarketOrder:
    """An Open Delivery order as a :class:`MarketOrder`; :class:`MalformedOrder` otherwise."""
    if not isinstance(raw, dict) or not raw.get("id"):
        raise MalformedOrder("the Open Delivery order has no id")
    try:
        total = raw.get("total") or {}
        customer = raw.get("customer") or {}
        schedule = raw.get("schedule") or {}
        methods = (raw.get("payments") or {}).get("methods") or []
        return MarketOrder(
            external_id=str(raw["id"]), display_id=str(raw.get("displayId") or raw["id"])[:50],
            merchant_id=str((raw.get("merchant") or {}).get("id") or ""),
            created_at=moment(raw.get("createdAt")), items=_items(raw),
            total=_value(total.get("orderAmount"), "orderAmount"),
            fees=tuple((str(fee.get("name") or fee.get("type") or "Taxa"),
                        _value(fee.get("price"), "otherFees.price"))
                       for fee in raw.get("otherFees") or []),
            discount=_value(total.get("discount"), "discount"),
            payments=tuple(MarketPayment(str(m.get("method") or "?"),
                                         money(m.get("value", 0), "payments.value"),
                                         m.get("type") == "PREPAID") for m in methods),
            customer={"name": customer.get("name"),
                      "phone": (customer.get("phone") or {}).get("number")},
            address=_address(raw), order_type=str(raw.get("type") or "DELIVERY"),
            scheduled_for=(moment(schedule.get("scheduledDateTimeStart"), "schedule")
                           if raw.get("orderTiming") == "SCHEDULED" else None),
            notes=raw.get("extraInfo"))
    except (AttributeError, TypeError, KeyError) as exc:
        raise MalformedOrder(f"the Open Delivery order cannot be read: {exc}") from None
