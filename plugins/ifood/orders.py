"""iFood's events and orders (Merchant API, order module v1.0) mapped to the marketplace types."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from posmodern.core.marketplaces import (EventKind, MalformedOrder, MarketEvent, MarketItem,
                                         MarketOption, MarketOrder, MarketPayment, count,
                                         moment, money)

#: Event codes and what they mean to us; any other code is kept and reported.
KINDS = {"PLC": EventKind.PLACED, "CAN": EventKind.CANCELLED,
         **{code: EventKind.NOTED for code in (
             "CFM", "PRS", "RTP", "DSP", "CON", "CAR", "CARF", "SPS", "SPE", "ADR", "GTO",
             "AAO", "AAD", "CCR", "RPS", "HSD", "HSS")}}
FEE_NAMES = {"DELIVERY_FEE": "Taxa de entrega", "SMALL_ORDER_FEE": "Taxa de pedido mínimo",
             "SERVICE_FEE": "Taxa de serviço"}


def event_of(raw: Any) -> MarketEvent:
    if not isinstance(raw, dict) or not raw.get("id") or not raw.get("orderId"):
        raise MalformedOrder("an iFood event needs an id and an orderId", details=repr(raw)[:200])
    code = str(raw.get("code") or raw.get("fullCode") or "")
    return MarketEvent(event_id=str(raw["id"]), code=code,
                       kind=KINDS.get(code, EventKind.UNKNOWN), external_id=str(raw["orderId"]),
                       merchant_id=str(raw.get("merchantId") or ""),
                       created_at=moment(raw.get("createdAt")), raw=raw)


def _options(item: dict) -> tuple[MarketOption, ...]:
    """An item's complements (``options``: externalCode, name, quantity, unitPrice; ``price``
    is quantity × unitPrice)."""
    options = item.get("options") or []
    if not isinstance(options, list) or not all(isinstance(o, dict) for o in options):
        raise MalformedOrder("an iFood item's options are not a list of objects")
    return tuple(MarketOption(
        external_code=str(option["externalCode"]) if option.get("externalCode") else None,
        name=str(option.get("name") or "?"),
        quantity=count(option.get("quantity", 1), "options.quantity"),
        unit_price=money(option.get("unitPrice", option.get("price", 0)), "options.unitPrice"))
        for option in options)


def _items(raw: dict) -> tuple[MarketItem, ...]:
    items = raw.get("items")
    if not isinstance(items, list):
        raise MalformedOrder("the iFood order has no items list")
    mapped = []
    for item in items:
        if not isinstance(item, dict):
            raise MalformedOrder("an iFood item is not an object")
        mapped.append(MarketItem(
            external_code=str(item["externalCode"]) if item.get("externalCode") else None,
            name=str(item.get("name") or "?"),
            quantity=count(item.get("quantity")),
            unit_price=money(item.get("unitPrice", 0), "unitPrice"),
            notes=str(item["observations"]) if item.get("observations") else None,
            options=_options(item)))
    return tuple(mapped)


def _fees(raw: dict, total: dict) -> tuple[tuple[str, Decimal], ...]:
    fees = [(FEE_NAMES["DELIVERY_FEE"], money(total.get("deliveryFee", 0), "deliveryFee"))]
    for fee in raw.get("additionalFees") or []:
        kind = str(fee.get("type") or "")
        fees.append((FEE_NAMES.get(kind, kind.replace("_", " ").title() or "Taxa"),
                     money(fee.get("value", 0), "additionalFees.value")))
    return tuple(fees)


def _payments(raw: dict) -> tuple[MarketPayment, ...]:
    methods = (raw.get("payments") or {}).get("methods") or []
    return tuple(MarketPayment(method=str(m.get("method") or "?"),
                               amount=money(m.get("value", 0), "payments.value"),
                               prepaid=bool(m.get("prepaid")) or m.get("type") == "ONLINE")
                 for m in methods if isinstance(m, dict))


def _address(raw: dict) -> dict | None:
    address = (raw.get("delivery") or {}).get("deliveryAddress")
    if not isinstance(address, dict):
        return None
    return {"street": address.get("streetName"), "number": address.get("streetNumber"),
            "complement": address.get("complement"), "district": address.get("neighborhood"),
            "city": address.get("city"), "state": address.get("state"),
            "postal_code": address.get("postalCode"), "reference": address.get("reference"),
            "formatted": address.get("formattedAddress")}


def order_of(raw: Any) -> MarketOrder:
    """An iFood order as a :class:`MarketOrder`; :class:`MalformedOrder` when it is not one."""
    if not isinstance(raw, dict) or not raw.get("id"):
        raise MalformedOrder("the iFood order has no id")
    try:
        total = raw.get("total") or {}
        customer = raw.get("customer") or {}
        schedule = raw.get("schedule") or {}
        scheduled = raw.get("orderTiming") == "SCHEDULED"
        return MarketOrder(
            external_id=str(raw["id"]), display_id=str(raw.get("displayId") or raw["id"])[:50],
            merchant_id=str((raw.get("merchant") or {}).get("id") or ""),
            created_at=moment(raw.get("createdAt")), items=_items(raw),
            total=money(total.get("orderAmount", 0), "orderAmount"), fees=_fees(raw, total),
            discount=money(total.get("benefits", 0), "benefits"), payments=_payments(raw),
            customer={"name": customer.get("name"),
                      "phone": (customer.get("phone") or {}).get("number"),
                      "localizer": (customer.get("phone") or {}).get("localizer")},
            address=_address(raw), order_type=str(raw.get("orderType") or "DELIVERY"),
            scheduled_for=(moment(schedule.get("deliveryDateTimeStart"), "schedule")
                           if scheduled else None),
            notes=raw.get("extraInfo"))
    except (AttributeError, TypeError, KeyError) as exc:
        raise MalformedOrder(f"the iFood order cannot be read: {exc}") from None
