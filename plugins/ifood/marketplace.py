"""iFood's Merchant API as a :class:`~posmodern.core.marketplaces.Marketplace`.

OAuth2 client credentials (``/authentication/v1.0/oauth/token``, renewed before it expires and
on a 401); ``GET /order/v1.0/events:polling`` with ``x-polling-merchants`` (200 with events, 204
without); ``POST /order/v1.0/events/acknowledgment``; ``GET /order/v1.0/orders/{id}``;
``POST /order/v1.0/orders/{id}/confirm|startPreparation|readyToPickup|dispatch|
requestCancellation``; ``GET /order/v1.0/orders/{id}/cancellationReasons``;
``GET /merchant/v1.0/merchants/{id}/status``. Webhooks carry ``X-IFood-Signature``, the hex
HMAC-SHA256 of the body with the app's client secret.
"""

from __future__ import annotations

import json
from typing import Any

from posmodern.core.errors import Unauthorized
from posmodern.core.marketplace_http import Credentials, MarketplaceHttp, expect
from posmodern.core.marketplaces import (Action, CancellationReason, MalformedOrder, MarketEvent,
                                         MarketOrder, Merchant, signature_ok)
from posmodern.plugins.ifood import settings as spec
from posmodern.plugins.ifood.orders import event_of, order_of

TOKEN = "/authentication/v1.0/oauth/token"
ORDERS = "/order/v1.0"


class IFood:
    name = "ifood"
    merchant_setting = spec.MERCHANT_ID
    settings = spec.STORE

    def __init__(self, process_settings) -> None:
        self.base = spec.API_URL.value(process_settings).rstrip("/")
        self.webhook_secret = spec.WEBHOOK_SECRET.value(process_settings)
        self.http = MarketplaceHttp(
            "iFood", lambda c: {"grantType": "client_credentials", "clientId": c.client_id,
                                "clientSecret": c.client_secret},
            lambda answer: (answer["accessToken"], float(answer.get("expiresIn", 3600))))

    def _credentials(self, merchant: Merchant) -> Credentials:
        values = merchant.values
        return Credentials(self.base + TOKEN, values.get(spec.CLIENT_ID.name) or "",
                           values.get(spec.CLIENT_SECRET.name) or "")

    async def _call(self, merchant: Merchant, method: str, path: str, **kwargs: Any):
        return await self.http.request(self._credentials(merchant), method, self.base + path,
                                       **kwargs)

    async def poll(self, merchant: Merchant) -> list[MarketEvent]:
        answer = await self._call(merchant, "GET", ORDERS + "/events:polling",
                                  headers={"x-polling-merchants": merchant.merchant_id})
        if answer.status_code == 204:
            return []
        expect("iFood", answer, 200)
        events = []
        for raw in answer.json() or []:
            try:
                events.append(event_of(raw))
            except MalformedOrder:
                continue  # no id to acknowledge it by nor order to fetch: nothing to keep
        return events

    async def acknowledge(self, merchant: Merchant, events: list[MarketEvent]) -> None:
        answer = await self._call(merchant, "POST", ORDERS + "/events/acknowledgment",
                                  json=[{"id": e.event_id} for e in events])
        expect("iFood", answer, 200, 202)

    async def order(self, merchant: Merchant, external_id: str) -> MarketOrder:
        answer = await self._call(merchant, "GET", f"{ORDERS}/orders/{external_id}")
        expect("iFood", answer, 200)
        try:
            return order_of(answer.json())
        except json.JSONDecodeError:
            raise MalformedOrder("iFood answered an order that is not JSON") from None

    async def act(self, merchant: Merchant, external_id: str, action: Action,
                  reason: CancellationReason | None = None) -> None:
        body = None
        if action == Action.REQUEST_CANCELLATION and reason is not None:
            body = {"reason": reason.description, "cancellationCode": reason.code}
        answer = await self._call(merchant, "POST", f"{ORDERS}/orders/{external_id}/{action}",
                                  json=body)
        expect("iFood", answer, 200, 202)

    async def cancellation_reasons(self, merchant: Merchant,
                                   external_id: str) -> list[CancellationReason]:
        answer = await self._call(merchant, "GET",
                                  f"{ORDERS}/orders/{external_id}/cancellationReasons")
        if answer.status_code == 204:
            return []
        expect("iFood", answer, 200)
        return [CancellationReason(str(r["cancelCodeId"]), str(r.get("description") or ""))
                for r in answer.json() or []]

    async def store_status(self, merchant: Merchant) -> dict[str, Any]:
        answer = await self._call(merchant, "GET",
                                  f"/merchant/v1.0/merchants/{merchant.merchant_id}/status")
        expect("iFood", answer, 200)
        operations = answer.json() or []
        return {"open": any(op.get("available") for op in operations),
                "operations": [{"operation": op.get("operation"), "state": op.get("state"),
                                "available": op.get("available"),
                                "message": (op.get("message") or {}).get("title")}
                               for op in operations]}

    def parse_webhook(self, headers: dict[str, str], body: bytes) -> list[MarketEvent]:
        if not signature_ok(self.webhook_secret, body, headers.get("x-ifood-signature")):
            raise Unauthorized("bad or missing X-IFood-Signature", code="bad_signature")
        try:
            raw = json.loads(body)
            return [event_of(item) for item in (raw if isinstance(raw, list) else [raw])]
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise MalformedOrder("the webhook body is not JSON") from None

    async def aclose(self) -> None:
        await self.http.aclose()

