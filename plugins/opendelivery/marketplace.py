"""An Open Delivery ordering application as a
:class:`~posmodern.core.marketplaces.Marketplace`.

OAuth2 client credentials (``/oauth/token``); polling is required (``GET /v1/events:polling``
with ``x-polling-merchants``, 200 or 204; ``POST /v1/events/acknowledgment``), webhooks optional
(``X-App-Signature``: hex HMAC-SHA256 of the body). ``GET /v1/orders/{id}``;
``POST /v1/orders/{id}/confirm|readyForPickup|dispatch|requestCancellation``; 422 to an action
already done (an order already confirmed) is a success. The standard has no start of
preparation: it is not sent. Cancellation codes are the standard's fixed list.
"""

from __future__ import annotations

import json
from typing import Any

from posmodern.core.errors import Unauthorized
from posmodern.core.marketplace_http import Credentials, MarketplaceHttp, expect
from posmodern.core.marketplaces import (Action, CancellationReason, MalformedOrder, MarketEvent,
                                         MarketOrder, Merchant, signature_ok)
from posmodern.plugins.opendelivery import settings as spec
from posmodern.plugins.opendelivery.orders import REASONS, event_of, order_of
from posmodern.schema.types import utcnow

NAME = "Open Delivery"
PATHS = {Action.CONFIRM: "confirm", Action.READY_TO_PICKUP: "readyForPickup",
         Action.DISPATCH: "dispatch", Action.REQUEST_CANCELLATION: "requestCancellation"}
#: An action the application already took answers 422: what we asked for is so.
ALREADY_DONE = 422


class OpenDelivery:
    name = "opendelivery"
    merchant_setting = spec.MERCHANT_ID
    settings = spec.STORE

    def __init__(self, process_settings) -> None:
        self.webhook_secret = spec.WEBHOOK_SECRET.value(process_settings)
        self.http = MarketplaceHttp(
            NAME, lambda c: {"grant_type": "client_credentials", "client_id": c.client_id,
                             "client_secret": c.client_secret},
            lambda answer: (answer["access_token"], float(answer.get("expires_in", 3600))))

    def _base(self, merchant: Merchant) -> str:
        return str(merchant.values.get(spec.API_URL.name) or "").rstrip("/")

    async def _call(self, merchant: Merchant, method: str, path: str, **kwargs: Any):
        values = merchant.values
        credentials = Credentials(self._base(merchant) + "/oauth/token",
                                  values.get(spec.CLIENT_ID.name) or "",
                                  values.get(spec.CLIENT_SECRET.name) or "")
        return await self.http.request(credentials, method, self._base(merchant) + path,
                                       **kwargs)

    async def poll(self, merchant: Merchant) -> list[MarketEvent]:
        answer = await self._call(merchant, "GET", "/v1/events:polling",
                                  headers={"x-polling-merchants": merchant.merchant_id})
        if answer.status_code == 204:
            return []
        expect(NAME, answer, 200)
        events = []
        for raw in answer.json() or []:
            try:
                events.append(event_of(raw, merchant.merchant_id))
            except MalformedOrder:
                continue
        return events

    async def acknowledge(self, merchant: Merchant, events: list[MarketEvent]) -> None:
        answer = await self._call(merchant, "POST", "/v1/events/acknowledgment", json=[
            {"id": e.event_id, "orderId": e.external_id, "eventType": e.code} for e in events])
        expect(NAME, answer, 200, 202, 204)

    async def order(self, merchant: Merchant, external_id: str) -> MarketOrder:
        answer = expect(NAME, await self._call(merchant, "GET", f"/v1/orders/{external_id}"),
                        200)
        try:
            return order_of(answer.json())
        except json.JSONDecodeError:
            raise MalformedOrder("the order is not JSON") from None

    async def act(self, merchant: Merchant, external_id: str, action: Action,
                  reason: CancellationReason | None = None) -> None:
        path = PATHS.get(action)
        if path is None:
            return  # not in the standard
        body: dict[str, Any] = {"createdAt": utcnow().isoformat()}
        if action == Action.REQUEST_CANCELLATION:
            body.update(reason=reason.description if reason else "", mode="MANUAL",
                        code=reason.code if reason else "SYSTEMIC_ISSUES")
        answer = await self._call(merchant, "POST", f"/v1/orders/{external_id}/{path}",
                                  json=body)
        expect(NAME, answer, 200, 202, 204, ALREADY_DONE)

    async def cancellation_reasons(self, merchant: Merchant,
                                   external_id: str) -> list[CancellationReason]:
        return list(REASONS)

    async def store_status(self, merchant: Merchant) -> dict[str, Any]:
        answer = await self._call(merchant, "GET", f"/v1/merchants/{merchant.merchant_id}/status")
        if answer.status_code == 404:
            return {"open": None, "detail": "the application does not report it"}
        body = expect(NAME, answer, 200).json() or {}
        return {"open": body.get("status") in ("AVAILABLE", "OPEN"), "detail": body.get("status")}

    def parse_webhook(self, headers: dict[str, str], body: bytes) -> list[MarketEvent]:
        if not signature_ok(self.webhook_secret, body, headers.get("x-app-signature")):
            raise Unauthorized("bad or missing X-App-Signature", code="bad_signature")
        try:
            raw = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise MalformedOrder("the webhook body is not JSON") from None
        return [event_of(item, str(headers.get("x-app-merchantid", "")))
                for item in (raw if isinstance(raw, list) else [raw])]

    async def aclose(self) -> None:
        await self.http.aclose()
