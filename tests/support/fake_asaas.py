"""A small Asaas of our own on 127.0.0.1, speaking the slice of its REST API v3 the provider uses.

Customers (``POST/GET /v3/customers``), charges (``POST/GET /v3/payments``, filter by
``externalReference``; ``GET/DELETE /v3/payments/{id}``), the PIX QR code
(``GET /v3/payments/{id}/pixQrCode``) and refunds (``POST /v3/payments/{id}/refund``), with
Asaas's error answers: 401 for a wrong ``access_token``, 400 with ``errors: [{code, description}]``
for bad input, 404 for unknown ids. A test can make it slow (``delay``: the work is done, the answer
comes late, as a slow gateway does: ``slow``) or fail (``fail_next``), play the customer paying
(``pay``), and build the webhook bodies Asaas would send (``event``).
"""

from __future__ import annotations

import asyncio
import base64
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from support.services import free_port

BRASILIA = timezone(timedelta(hours=-3))
BILLING_TYPES = ("PIX", "BOLETO", "CREDIT_CARD", "UNDEFINED")


def _digits_ok(document: str) -> bool:
    """CPF (11) or CNPJ (14) digits with valid check digits, as Asaas checks them."""
    if not document.isdigit() or len(document) not in (11, 14) or len(set(document)) == 1:
        return False
    numbers = [int(d) for d in document]
    if len(document) == 11:
        for size in (9, 10):
            total = sum(n * w for n, w in zip(numbers[:size], range(size + 1, 1, -1)))
            if numbers[size] != (total * 10 % 11) % 10:
                return False
        return True
    for size in (12, 13):
        weights = ([5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2] if size == 12
                   else [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2])
        rest = sum(n * w for n, w in zip(numbers[:size], weights)) % 11
        if numbers[size] != (0 if rest < 2 else 11 - rest):
            return False
    return True


def valid_cpf(seed: int) -> str:
    """A CPF with valid check digits, different for each seed."""
    base = [int(d) for d in f"{(seed * 7919 + 123456789) % 10**9:09d}"]
    for size in (9, 10):
        total = sum(n * w for n, w in zip(base[:size], range(size + 1, 1, -1)))
        base.append((total * 10 % 11) % 10)
    return "".join(map(str, base))


def _error(status: int, code: str, description: str) -> JSONResponse:
    return JSONResponse({"errors": [{"code": code, "description": description}]},
                        status_code=status)


class FakeAsaas:
    """The fake server; ``with FakeAsaas() as asaas:`` runs it for a block."""

    def __init__(self, api_key: str = "fake-asaas-key") -> None:
        self.api_key = api_key
        self.customers: dict[str, dict] = {}
        self.charges: dict[str, dict] = {}
        self.requests: list[dict] = []
        self.delay = 0.0
        self.slow_route: tuple[str, str] | None = None
        self.fail_next: list[int] = []
        self._events = 0
        self._lock = threading.Lock()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/v3"
        app = Starlette(routes=[
            Route("/v3/customers", self.create_customer, methods=["POST"]),
            Route("/v3/customers", self.list_customers, methods=["GET"]),
            Route("/v3/payments", self.create_charge, methods=["POST"]),
            Route("/v3/payments", self.list_charges, methods=["GET"]),
            Route("/v3/payments/{id}", self.get_charge, methods=["GET"]),
            Route("/v3/payments/{id}", self.delete_charge, methods=["DELETE"]),
            Route("/v3/payments/{id}/pixQrCode", self.pix_qr_code, methods=["GET"]),
            Route("/v3/payments/{id}/refund", self.refund, methods=["POST"]),
        ], middleware=[])
        app.add_middleware(_Gate, fake=self)
        self._server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port,
                                                     log_level="warning", lifespan="off"))
        self._thread = threading.Thread(target=self._server.run, name="fake-asaas", daemon=True)

    # --- lifecycle ------------------------------------------------------------------------------

    def start(self) -> "FakeAsaas":
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the fake Asaas did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)

    def __enter__(self) -> "FakeAsaas":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- what a test plays ----------------------------------------------------------------------

    def slow(self, seconds: float, method: str = "POST", path: str = "/v3/payments") -> None:
        """Answer ``method path`` ``seconds`` late (0: on time again); the work is done at once."""
        self.delay = seconds
        self.slow_route = (method, path) if seconds else None

    def add_customer(self, name: str = "Consumidor final", seed: int = 0) -> str:
        """A customer the account already has (a store's counter-sale payer); returns its id."""
        customer_id = f"cus_{uuid.uuid4().hex[:12]}"
        self.customers[customer_id] = {"object": "customer", "id": customer_id, "name": name,
                                       "cpfCnpj": valid_cpf(seed), "deleted": False}
        return customer_id

    def charge_for(self, reference: str) -> dict | None:
        return next((c for c in self.charges.values() if c["externalReference"] == reference),
                    None)

    def pay(self, charge_id: str, status: str = "RECEIVED") -> dict:
        """The customer paid (PIX read, boleto paid): the charge becomes ``status``."""
        charge = self.charges[charge_id]
        charge["status"] = status
        charge["paymentDate"] = datetime.now(BRASILIA).date().isoformat()
        return charge

    def event(self, kind: str, charge_id: str) -> dict:
        """The body Asaas posts to the webhook for ``kind`` about a charge, with a fresh id."""
        with self._lock:
            self._events += 1
            number = self._events
        return {"id": f"evt_{uuid.uuid4().hex}&{number}", "event": kind,
                "dateCreated": datetime.now(BRASILIA).strftime("%Y-%m-%d %H:%M:%S"),
                "payment": dict(self.charges[charge_id])}

    # --- the API --------------------------------------------------------------------------------

    async def create_customer(self, request: Request):
        body = await request.json()
        if not str(body.get("name") or "").strip():
            return _error(400, "invalid_name", "O nome do cliente deve ser informado")
        document = str(body.get("cpfCnpj") or "")
        if not _digits_ok(document):
            return _error(400, "invalid_cpfCnpj", "O CPF/CNPJ informado é inválido")
        customer = {"object": "customer", "id": f"cus_{uuid.uuid4().hex[:12]}",
                    "dateCreated": datetime.now(BRASILIA).date().isoformat(),
                    "name": body["name"], "cpfCnpj": document, "email": body.get("email"),
                    "mobilePhone": body.get("mobilePhone"),
                    "externalReference": body.get("externalReference"), "deleted": False}
        self.customers[customer["id"]] = customer
        return JSONResponse(customer)

    async def list_customers(self, request: Request):
        found = [c for c in self.customers.values()
                 if all(c.get(k) == v for k, v in request.query_params.items()
                        if k in ("cpfCnpj", "externalReference"))]
        return JSONResponse(_page(found))

    async def create_charge(self, request: Request):
        body = await request.json()
        if body.get("customer") not in self.customers:
            return _error(400, "invalid_customer", "Customer inválido ou não informado")
        if body.get("billingType") not in BILLING_TYPES:
            return _error(400, "invalid_billingType", "Forma de pagamento inválida")
        value = body.get("value")
        if not isinstance(value, (int, float)) or value <= 0:
            return _error(400, "invalid_value", "O campo value deve ser informado")
        today = datetime.now(BRASILIA).date().isoformat()
        if not body.get("dueDate") or body["dueDate"] < today:
            return _error(400, "invalid_dueDate", "A data de vencimento não pode ser anterior a hoje")
        charge_id = f"pay_{uuid.uuid4().hex[:16]}"
        card = body["billingType"] == "CREDIT_CARD" and body.get("creditCardToken")
        charge = {
            "object": "payment", "id": charge_id, "dateCreated": today,
            "customer": body["customer"], "value": value, "netValue": round(value * 0.99, 2),
            "description": body.get("description"), "billingType": body["billingType"],
            "status": "CONFIRMED" if card else "PENDING", "dueDate": body["dueDate"],
            "originalDueDate": body["dueDate"], "paymentDate": None,
            "invoiceUrl": f"https://sandbox.asaas.com/i/{charge_id[4:]}",
            "bankSlipUrl": (f"https://sandbox.asaas.com/b/pdf/{charge_id[4:]}"
                            if body["billingType"] == "BOLETO" else None),
            "externalReference": body.get("externalReference"), "deleted": False,
            "refunds": None,
        }
        self.charges[charge_id] = charge
        return JSONResponse(charge)

    async def list_charges(self, request: Request):
        reference = request.query_params.get("externalReference")
        found = [c for c in self.charges.values()
                 if reference is None or c["externalReference"] == reference]
        return JSONResponse(_page(found))

    async def get_charge(self, request: Request):
        charge = self.charges.get(request.path_params["id"])
        if charge is None:
            return _error(404, "not_found", "Cobrança não encontrada")
        return JSONResponse(charge)

    async def delete_charge(self, request: Request):
        charge = self.charges.get(request.path_params["id"])
        if charge is None:
            return _error(404, "not_found", "Cobrança não encontrada")
        if charge["status"] not in ("PENDING", "OVERDUE"):
            return _error(400, "invalid_action", "Só cobranças pendentes podem ser removidas")
        charge["deleted"] = True
        return JSONResponse({"deleted": True, "id": charge["id"]})

    async def pix_qr_code(self, request: Request):
        charge = self.charges.get(request.path_params["id"])
        if charge is None:
            return _error(404, "not_found", "Cobrança não encontrada")
        if charge["billingType"] != "PIX":
            return _error(400, "invalid_billingType", "A cobrança não é Pix")
        payload = f"00020101021226820014br.gov.bcb.pix2560fake/{charge['id']}5204000053039865802BR"
        return JSONResponse({"encodedImage": base64.b64encode(payload.encode()).decode(),
                             "payload": payload,
                             "expirationDate": f"{charge['dueDate']} 23:59:59"})

    async def refund(self, request: Request):
        charge = self.charges.get(request.path_params["id"])
        if charge is None:
            return _error(404, "not_found", "Cobrança não encontrada")
        if charge["status"] not in ("RECEIVED", "CONFIRMED"):
            return _error(400, "invalid_action", "Esta cobrança não pode ser estornada")
        body = await request.json() if await request.body() else {}
        refunded = sum(Decimal(str(r["value"])) for r in charge["refunds"] or [])
        left = Decimal(str(charge["value"])) - refunded
        value = Decimal(str(body.get("value") or left))
        if value <= 0 or value > left:
            return _error(400, "invalid_value", "O valor do estorno excede o valor disponível")
        charge["refunds"] = [*(charge["refunds"] or []), {
            "dateCreated": datetime.now(BRASILIA).strftime("%Y-%m-%d %H:%M:%S"),
            "status": "DONE", "value": float(value), "description": body.get("description")}]
        if value == left:
            charge["status"] = "REFUNDED"
        return JSONResponse(charge)


def _page(items: list[dict]) -> dict:
    return {"object": "list", "hasMore": False, "totalCount": len(items), "limit": 10,
            "offset": 0, "data": items}


class _Gate:
    """Checks the headers every Asaas call needs, records calls, and plays slow or broken."""

    def __init__(self, app, fake: FakeAsaas) -> None:
        self.app = app
        self.fake = fake

    async def __call__(self, scope, receive, send) -> None:
        headers = {k.decode().lower(): v.decode() for k, v in scope.get("headers", [])}
        fake = self.fake
        fake.requests.append({"method": scope["method"], "path": scope["path"],
                              "query": scope.get("query_string", b"").decode(),
                              "user_agent": headers.get("user-agent")})
        if headers.get("access_token") != fake.api_key:
            await _error(401, "invalid_access_token", "Chave de API inválida")(scope, receive, send)
            return
        if fake.fail_next:
            status = fake.fail_next.pop(0)
            await _error(status, "internal_error", "Erro interno")(scope, receive, send)
            return
        delay = fake.delay if fake.slow_route in (None, (scope["method"], scope["path"])) else 0
        if not delay:
            await self.app(scope, receive, send)
            return
        # Do the work now, answer late: what a slow gateway does.
        held: list = []

        async def hold(message) -> None:
            held.append(message)

        await self.app(scope, receive, hold)
        await asyncio.sleep(delay)
        for message in held:
            await send(message)
