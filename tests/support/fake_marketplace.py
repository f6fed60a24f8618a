"""Small iFood and Open Delivery of our own on 127.0.0.1, speaking the slice of their APIs the
marketplace plugins use.

Both: OAuth2 client credentials (a wrong secret is a 401; ``expire_tokens`` makes every token
issued so far answer 401, as an expired one does), event polling filtered by
``x-polling-merchants`` (200 with the events not acknowledged, in the order a test sets, or 204),
acknowledgment, the order, the actions on it (recorded), merchant status. A test places orders
(``place``, each item with the options the customer chose), cancels them (``cancel``), repeats
events (``repeat``), adds unknown codes (``event``), makes a route fail (``fail``: the next
answers of that route are the given statuses) or hang until released (``hang``, for a process
killed mid-call).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from support.services import free_port

CLIENT_ID, CLIENT_SECRET = "app-client", "app-secret"


async def form_of(request: Request) -> dict[str, str]:
    """An x-www-form-urlencoded body (what an OAuth2 token request sends)."""
    return {key: values[0] for key, values in parse_qs((await request.body()).decode()).items()}


def _lines(items: list[tuple]) -> list[tuple[str, float, float, list[tuple]]]:
    """``place``'s items: (externalCode, quantity, unitPrice) or with a fourth element, the
    options chosen for each unit: [(externalCode, name, quantity, unitPrice)]."""
    return [(code, float(q), float(p), [(oc, on, float(oq), float(op))
                                        for oc, on, oq, op in (rest[0] if rest else [])])
            for code, q, p, *rest in items]


def _line_total(quantity: float, price: float, options: list[tuple]) -> float:
    return round(quantity * (price + sum(oq * op for _, _, oq, op in options)), 2)


class FakeMarketplace:
    """What both fakes share: the server, tokens, events, failures."""

    name = "fake"

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.orders: dict[str, dict] = {}
        self.events: list[dict] = []          # not acknowledged yet
        self.acknowledged: list[str] = []
        self.actions: list[tuple[str, str, dict | None]] = []
        self.requests: list[tuple[str, str]] = []
        self.tokens: set[str] = set()
        self.token_requests = 0
        self.failures: dict[str, list[int]] = {}
        self.hanging: dict[str, threading.Event] = {}
        self.entered: dict[str, threading.Event] = {}
        self.shuffle = False
        # Unique per fake: a merchant id belongs to one tenant of the (shared) control tables.
        self.merchant = f"m-{uuid.uuid4().hex[:10]}"
        self._clock = itertools.count()
        self._lock = threading.Lock()
        app = Starlette(routes=self.routes())
        self._server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port,
                                                     log_level="warning", lifespan="off"))
        self._thread = threading.Thread(target=self._server.run, daemon=True,
                                        name=f"fake-{self.name}")

    def routes(self) -> list[Route]:
        raise NotImplementedError

    # --- lifecycle ------------------------------------------------------------------------------

    def __enter__(self):
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the fake marketplace did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc) -> None:
        for gate in self.hanging.values():
            gate.set()
        self._server.should_exit = True
        self._thread.join(10)

    # --- what a test plays ----------------------------------------------------------------------

    def stamp(self) -> str:
        """Event times one second apart, in the order they were made."""
        base = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
        return (base + timedelta(seconds=next(self._clock))).isoformat().replace("+00:00", "Z")

    def fail(self, route: str, *statuses: int) -> None:
        self.failures.setdefault(route, []).extend(statuses)

    def hang(self, route: str) -> threading.Event:
        """The route's next calls wait until the returned event is set."""
        self.hanging[route] = threading.Event()
        self.entered[route] = threading.Event()
        return self.hanging[route]

    def expire_tokens(self) -> None:
        self.tokens.clear()

    def actions_of(self, order_id: str) -> list[str]:
        return [action for oid, action, _ in self.actions if oid == order_id]

    # --- plumbing -------------------------------------------------------------------------------

    async def gate(self, route: str, request: Request) -> Response | None:
        """Record the call; answer a failure, a 401 for a bad token, or wait when told."""
        self.requests.append((route, request.url.path))
        if route in self.hanging:
            self.entered[route].set()
            while not self.hanging[route].is_set():
                await asyncio.sleep(0.02)
        if self.failures.get(route):
            status = self.failures[route].pop(0)
            return JSONResponse({"title": "failure", "status": status}, status_code=status)
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if token not in self.tokens:
            return JSONResponse({"title": "invalid token", "status": 401}, status_code=401)
        return None

    def issue(self, client_id: str, secret: str) -> str | None:
        self.token_requests += 1
        if (client_id, secret) != (CLIENT_ID, CLIENT_SECRET):
            return None
        token = uuid.uuid4().hex
        self.tokens.add(token)
        return token

    def pending_for(self, merchant: str) -> list[dict]:
        with self._lock:
            found = [e for e in self.events if self.merchant_of(e) == merchant]
        return list(reversed(found)) if self.shuffle else found

    def take_acks(self, ids: set[str]) -> None:
        with self._lock:
            self.events = [e for e in self.events if self.event_id(e) not in ids]
            self.acknowledged += sorted(ids)

    def merchant_of(self, event: dict) -> str:
        raise NotImplementedError

    def event_id(self, event: dict) -> str:
        raise NotImplementedError


class FakeIFood(FakeMarketplace):
    name = "ifood"
    REASONS = [{"cancelCodeId": "501", "description": "PROBLEMAS DE SISTEMA"},
               {"cancelCodeId": "503", "description": "ITEM INDISPONÍVEL"},
               {"cancelCodeId": "506", "description": "RESTAURANTE FECHADO"}]

    def routes(self) -> list[Route]:
        return [
            Route("/authentication/v1.0/oauth/token", self.token, methods=["POST"]),
            Route("/order/v1.0/events:polling", self.polling, methods=["GET"]),
            Route("/order/v1.0/events/acknowledgment", self.acknowledgment, methods=["POST"]),
            Route("/order/v1.0/orders/{id}", self.order, methods=["GET"]),
            Route("/order/v1.0/orders/{id}/cancellationReasons", self.reasons, methods=["GET"]),
            Route("/order/v1.0/orders/{id}/{action}", self.act, methods=["POST"]),
            Route("/merchant/v1.0/merchants/{id}/status", self.status, methods=["GET"]),
        ]

    def merchant_of(self, event: dict) -> str:
        return event["merchantId"]

    def event_id(self, event: dict) -> str:
        return event["id"]

    def event(self, order_id: str, code: str, merchant: str | None = None) -> dict:
        event = {"id": uuid.uuid4().hex, "code": code, "fullCode": code, "orderId": order_id,
                 "merchantId": merchant or self.merchant, "createdAt": self.stamp()}
        with self._lock:
            self.events.append(event)
        return event

    def repeat(self, event: dict) -> None:
        with self._lock:
            self.events.append(dict(event))

    def place(self, items: list[tuple], *, merchant: str | None = None,
              delivery_fee: str = "5.00", benefits: str = "0", prepaid: bool = True,
              scheduled: bool = False, order_id: str | None = None, raw: dict | None = None
              ) -> dict:
        """An order of (externalCode, quantity, unitPrice[, options]) items and its PLC event;
        options are (externalCode, name, quantity per unit, unitPrice)."""
        order_id = order_id or str(uuid.uuid4())
        merchant = merchant or self.merchant
        lines = _lines(items)
        subtotal = round(sum(_line_total(q, p, o) for _, q, p, o in lines), 2)
        amount = round(subtotal + float(delivery_fee) - float(benefits), 2)
        order = raw or {
            "id": order_id, "displayId": order_id[:4].upper(), "orderType": "DELIVERY",
            "orderTiming": "SCHEDULED" if scheduled else "IMMEDIATE",
            "createdAt": self.stamp(), "merchant": {"id": merchant, "name": "Cantina"},
            "items": [{"id": uuid.uuid4().hex, "name": f"item {code}", "externalCode": code,
                       "quantity": q, "unitPrice": p, "price": round(q * p, 2),
                       "optionsPrice": round(_line_total(q, p, options) - q * p, 2),
                       "totalPrice": _line_total(q, p, options), "observations": None,
                       "options": [{"index": index, "id": uuid.uuid4().hex, "name": name,
                                    "externalCode": option_code, "unit": "UN",
                                    "quantity": oq, "unitPrice": op, "addition": 0,
                                    "price": round(oq * op, 2)}
                                   for index, (option_code, name, oq, op)
                                   in enumerate(options)] or None}
                      for code, q, p, options in lines],
            "total": {"subTotal": subtotal, "deliveryFee": float(delivery_fee),
                      "benefits": float(benefits), "orderAmount": amount,
                      "additionalFees": 0},
            "payments": {"prepaid": amount if prepaid else 0,
                         "pending": 0 if prepaid else amount,
                         "methods": [{"value": amount, "currency": "BRL", "method": "CREDIT",
                                      "type": "ONLINE" if prepaid else "OFFLINE",
                                      "prepaid": prepaid}]},
            "customer": {"id": "c-1", "name": "Bia Souza",
                         "phone": {"number": "0800 123 4567", "localizer": "1234"}},
            "delivery": {"mode": "DEFAULT", "deliveredBy": "IFOOD", "deliveryAddress": {
                "streetName": "Rua Augusta", "streetNumber": "100", "neighborhood": "Consolação",
                "city": "São Paulo", "state": "SP", "postalCode": "01305000",
                "formattedAddress": "Rua Augusta, 100", "complement": "ap 12"}},
            "schedule": ({"deliveryDateTimeStart": "2026-12-01T22:00:00Z",
                          "deliveryDateTimeEnd": "2026-12-01T22:30:00Z"} if scheduled else None),
        }
        self.orders[order_id] = order
        self.event(order_id, "PLC", merchant)
        return order

    def cancel(self, order_id: str) -> dict:
        return self.event(order_id, "CAN", self.orders[order_id]["merchant"]["id"])

    async def token(self, request: Request):
        if "authentication" in self.failures and self.failures["authentication"]:
            status = self.failures["authentication"].pop(0)
            return JSONResponse({"error": "down"}, status_code=status)
        form = await form_of(request)
        if form.get("grantType") != "client_credentials":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        token = self.issue(str(form.get("clientId")), str(form.get("clientSecret")))
        if token is None:
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        return JSONResponse({"accessToken": token, "type": "bearer", "expiresIn": 21600})

    async def polling(self, request: Request):
        if (refused := await self.gate("polling", request)) is not None:
            return refused
        merchant = request.headers.get("x-polling-merchants", "")
        events = self.pending_for(merchant)
        return JSONResponse(events) if events else Response(status_code=204)

    async def acknowledgment(self, request: Request):
        if (refused := await self.gate("acknowledgment", request)) is not None:
            return refused
        self.take_acks({item["id"] for item in await request.json()})
        return Response(status_code=202)

    async def order(self, request: Request):
        if (refused := await self.gate("order", request)) is not None:
            return refused
        order = self.orders.get(request.path_params["id"])
        return JSONResponse(order) if order else JSONResponse({"message": "not found"}, 404)

    async def reasons(self, request: Request):
        if (refused := await self.gate("reasons", request)) is not None:
            return refused
        return JSONResponse(self.REASONS)

    async def act(self, request: Request):
        if (refused := await self.gate("action", request)) is not None:
            return refused
        body = await request.body()
        self.actions.append((request.path_params["id"], request.path_params["action"],
                             json.loads(body) if body else None))
        return Response(status_code=202)

    async def status(self, request: Request):
        if (refused := await self.gate("status", request)) is not None:
            return refused
        return JSONResponse([{"operation": "DELIVERY", "salesChannel": "IFOOD-APP",
                              "available": True, "state": "OK",
                              "message": {"title": "Loja aberta"}}])


class FakeOpenDelivery(FakeMarketplace):
    """An Open Delivery ordering application: v1 polling, orders, actions; an action already
    done answers 422 (a confirmed order confirmed again)."""

    name = "opendelivery"

    def routes(self) -> list[Route]:
        return [
            Route("/oauth/token", self.token, methods=["POST"]),
            Route("/v1/events:polling", self.polling, methods=["GET"]),
            Route("/v1/events/acknowledgment", self.acknowledgment, methods=["POST"]),
            Route("/v1/orders/{id}", self.order, methods=["GET"]),
            Route("/v1/orders/{id}/{action}", self.act, methods=["POST"]),
            Route("/v1/merchants/{id}/status", self.status, methods=["GET"]),
        ]

    def merchant_of(self, event: dict) -> str:
        return self.orders[event["orderId"]]["merchant"]["id"]

    def event_id(self, event: dict) -> str:
        return event["eventId"]

    def event(self, order_id: str, kind: str) -> dict:
        event = {"eventId": uuid.uuid4().hex, "eventType": kind, "orderId": order_id,
                 "orderURL": f"{self.url}/v1/orders/{order_id}", "createdAt": self.stamp(),
                 "sourceAppId": "fake-app"}
        with self._lock:
            self.events.append(event)
        return event

    def place(self, items: list[tuple], *, merchant: str | None = None,
              delivery_fee: str = "4.00") -> dict:
        """As :meth:`FakeIFood.place`: (externalCode, quantity, unitPrice[, options]) items."""
        order_id = str(uuid.uuid4())
        merchant = merchant or self.merchant
        lines = _lines(items)
        subtotal = round(sum(_line_total(q, p, o) for _, q, p, o in lines), 2)
        amount = round(subtotal + float(delivery_fee), 2)
        order = {
            "id": order_id, "displayId": order_id[:6], "type": "DELIVERY",
            "orderTiming": "INSTANT", "createdAt": self.stamp(),
            "merchant": {"id": merchant, "name": "Cantina"},
            "items": [{"id": uuid.uuid4().hex, "name": f"item {code}", "externalCode": code,
                       "quantity": q, "unit": "UN",
                       "unitPrice": {"value": p, "currency": "BRL"},
                       "optionsPrice": {"value": round(_line_total(q, p, options) - q * p, 2),
                                        "currency": "BRL"},
                       "totalPrice": {"value": _line_total(q, p, options), "currency": "BRL"},
                       **({"options": [{"index": index, "id": uuid.uuid4().hex, "name": name,
                                        "externalCode": option_code, "unit": "UN",
                                        "quantity": oq,
                                        "unitPrice": {"value": op, "currency": "BRL"},
                                        "totalPrice": {"value": round(oq * op, 2),
                                                       "currency": "BRL"}}
                                       for index, (option_code, name, oq, op)
                                       in enumerate(options)]} if options else {})}
                      for code, q, p, options in lines],
            "otherFees": [{"name": "Taxa de entrega", "type": "DELIVERY_FEE",
                           "receivedBy": "MARKETPLACE",
                           "price": {"value": float(delivery_fee), "currency": "BRL"}}],
            "total": {"itemsPrice": {"value": subtotal, "currency": "BRL"},
                      "otherFees": {"value": float(delivery_fee), "currency": "BRL"},
                      "discount": {"value": 0, "currency": "BRL"},
                      "orderAmount": {"value": amount, "currency": "BRL"}},
            "payments": {"prepaid": amount, "pending": 0, "methods": [
                {"value": amount, "currency": "BRL", "type": "PREPAID", "method": "PIX"}]},
            "customer": {"id": "c-9", "name": "Caio Lima", "phone": {"number": "11988887777"}},
            "delivery": {"deliveredBy": "MARKETPLACE", "deliveryAddress": {
                "country": "BR", "state": "SP", "city": "São Paulo", "district": "Pinheiros",
                "street": "Rua dos Pinheiros", "number": "500", "postalCode": "05422000",
                "formattedAddress": "Rua dos Pinheiros, 500"}},
        }
        self.orders[order_id] = order
        self.event(order_id, "CREATED")
        return order

    async def token(self, request: Request):
        form = await form_of(request)
        token = self.issue(str(form.get("client_id")), str(form.get("client_secret")))
        if token is None or form.get("grant_type") != "client_credentials":
            return JSONResponse({"title": "invalid client", "status": 401}, status_code=401)
        return JSONResponse({"access_token": token, "token_type": "bearer", "expires_in": 3600})

    async def polling(self, request: Request):
        if (refused := await self.gate("polling", request)) is not None:
            return refused
        events = self.pending_for(request.headers.get("x-polling-merchants", ""))
        return JSONResponse(events) if events else Response(status_code=204)

    async def acknowledgment(self, request: Request):
        if (refused := await self.gate("acknowledgment", request)) is not None:
            return refused
        self.take_acks({item["id"] for item in await request.json()})
        return Response(status_code=202)

    async def order(self, request: Request):
        if (refused := await self.gate("order", request)) is not None:
            return refused
        order = self.orders.get(request.path_params["id"])
        return (JSONResponse(order) if order
                else JSONResponse({"title": "not found", "status": 404}, status_code=404))

    async def act(self, request: Request):
        if (refused := await self.gate("action", request)) is not None:
            return refused
        order_id, action = request.path_params["id"], request.path_params["action"]
        if action == "confirm" and "confirm" in self.actions_of(order_id):
            return JSONResponse({"title": "order already confirmed", "status": 422},
                                status_code=422)
        body = await request.body()
        self.actions.append((order_id, action, json.loads(body) if body else None))
        return Response(status_code=202)

    async def status(self, request: Request):
        if (refused := await self.gate("status", request)) is not None:
            return refused
        return JSONResponse({"status": "AVAILABLE"})
