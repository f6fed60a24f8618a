"""Asaas (PIX, credit card, boleto) over its REST API v3, as a payment provider.

Its settings (``SETTINGS`` below; docs/configuration.md) name the API root, the key, the
webhook's token, the customer charged when a tender names no payer, and how long to wait.

Our tender id travels as ``externalReference``: before creating a charge the provider looks for
one with that reference, so a retry never makes a second charge. Refunds carry our refund id in
their description for the same reason.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import httpx

from posmodern.core.config import Settings
from posmodern.core.errors import (BadGateway, BadRequest, GatewayTimeout, Unauthorized,
                                   ValidationFailed)
from posmodern.core.money import ZERO, cents
from posmodern.core.payments import (PaymentRequest, PaymentResult, ProviderBase, RefundRequest,
                                     RefundResult, RefundStatus, TenderStatus, WebhookEvent)
from posmodern.core.plugin_settings import SettingSpec

SANDBOX_URL = "https://api-sandbox.asaas.com/v3"
BILLING_TYPES = {"pix": "PIX", "credit_card": "CREDIT_CARD", "boleto": "BOLETO"}
# Asaas's due dates are Brazilian calendar days (Brasília time, no daylight saving since 2019).
BRASILIA = timezone(timedelta(hours=-3))
#: An Asaas charge's status, as ours (refunds are tracked on their own).
STATUSES = {
    **dict.fromkeys(("PENDING", "AWAITING_RISK_ANALYSIS", "OVERDUE", "DUNNING_REQUESTED"),
                    TenderStatus.PENDING),
    **dict.fromkeys(("CONFIRMED", "RECEIVED", "RECEIVED_IN_CASH", "REFUND_REQUESTED",
                     "REFUND_IN_PROGRESS", "REFUNDED", "CHARGEBACK_REQUESTED",
                     "CHARGEBACK_DISPUTE", "AWAITING_CHARGEBACK_REVERSAL", "DUNNING_RECEIVED"),
                    TenderStatus.CONFIRMED),
}
#: Webhook events that change a tender, as our state; every other event is acknowledged only.
EVENTS = {
    "PAYMENT_CONFIRMED": TenderStatus.CONFIRMED,
    "PAYMENT_RECEIVED": TenderStatus.CONFIRMED,
    "PAYMENT_REFUNDED": TenderStatus.REFUNDED,
    "PAYMENT_PARTIALLY_REFUNDED": TenderStatus.REFUNDED,
    "PAYMENT_DELETED": TenderStatus.CANCELLED,
    "PAYMENT_REPROVED_BY_RISK_ANALYSIS": TenderStatus.FAILED,
    "PAYMENT_CREDIT_CARD_CAPTURE_REFUSED": TenderStatus.FAILED,
}
#: An Asaas refund's status, as ours.
REFUND_STATES = {"DONE": RefundStatus.DONE, "PENDING": RefundStatus.PENDING,
                 "CANCELLED": RefundStatus.FAILED}

ASAAS_BASE_URL = SettingSpec("ASAAS_BASE_URL", str, SANDBOX_URL, "Asaas API root (production: "
                             "`https://api.asaas.com/v3`)")
ASAAS_API_KEY = SettingSpec("ASAAS_API_KEY", secret=True, description="Asaas key, sent as "
                            "`access_token`; unset: Asaas is listed but takes no payments (422)")
ASAAS_WEBHOOK_TOKEN = SettingSpec("ASAAS_WEBHOOK_TOKEN", secret=True, description="the webhook's "
                                  "authentication token (`asaas-access-token`); unset: every "
                                  "notification is refused")
ASAAS_CUSTOMER_ID = SettingSpec("ASAAS_CUSTOMER_ID", description="the Asaas customer charged "
                                "when a tender names no payer (a counter sale)")
ASAAS_TIMEOUT = SettingSpec("ASAAS_TIMEOUT", float, 10.0, "seconds to wait for Asaas before "
                            "answering 504", min=0.1)
ASAAS_USER_AGENT = SettingSpec("ASAAS_USER_AGENT", default_text="`posmodern/<version>`",
                               description="the User-Agent sent to Asaas")
SETTINGS = [ASAAS_BASE_URL, ASAAS_API_KEY, ASAAS_WEBHOOK_TOKEN, ASAAS_CUSTOMER_ID, ASAAS_TIMEOUT,
            ASAAS_USER_AGENT]


def _user_agent() -> str:
    try:
        return f"posmodern/{version('pos-modern')}"
    except PackageNotFoundError:
        return "posmodern"


def _money(value: Any) -> Decimal | None:
    try:
        return None if value is None else cents(Decimal(str(value)))
    except InvalidOperation:
        return None


#: An Asaas id as it may appear in a URL path (``pay_…``).
_ID = re.compile(r"[A-Za-z0-9_-]{1,100}")
#: The fields of a notification's charge that we read, and the types they must have.
_CHARGE_FIELDS = {"id": str, "externalReference": (str, type(None)),
                  "value": (int, float, type(None)), "status": (str, type(None)),
                  "refunds": (list, type(None))}


def _check_shape(payload: dict, charge: Any) -> None:
    """Refuse (400) a notification whose fields we read have the wrong types."""
    problems = []
    if not isinstance(payload.get("id"), (str, type(None))):
        problems.append("id")
    if charge is not None:
        if not isinstance(charge, dict):
            problems.append("payment")
        else:
            problems += [f"payment.{name}" for name, kinds in _CHARGE_FIELDS.items()
                         if not isinstance(charge.get(name), kinds)
                         or isinstance(charge.get(name), bool)]
            if isinstance(charge.get("id"), str) and not _ID.fullmatch(charge["id"]):
                problems.append("payment.id")
    if problems:
        raise BadRequest("not an Asaas event: wrong " + ", ".join(problems),
                         code="malformed_webhook", details={"fields": problems})


def _digits(value: Any) -> str:
    return "".join(ch for ch in str(value or "") if ch.isdigit())


class AsaasProvider(ProviderBase):
    name = "asaas"
    methods = tuple(BILLING_TYPES)
    gives_change = False
    takes_webhooks = True

    def __init__(self, settings: Settings) -> None:
        self.base_url = ASAAS_BASE_URL.value(settings).rstrip("/")
        self.api_key = ASAAS_API_KEY.value(settings)
        self.webhook_token = ASAAS_WEBHOOK_TOKEN.value(settings)
        self.customer_id = ASAAS_CUSTOMER_ID.value(settings)
        self.timeout = ASAAS_TIMEOUT.value(settings)
        self.user_agent = ASAAS_USER_AGENT.value(settings) or _user_agent()
        self._client: httpx.AsyncClient | None = None

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "configured": bool(self.api_key),
                "sandbox": "sandbox" in self.base_url}

    # --- HTTP ----------------------------------------------------------------------------------

    def _http(self) -> httpx.AsyncClient:
        if not self.api_key:
            raise ValidationFailed("Asaas is not configured here (ASAAS_API_KEY is unset): "
                                   "pay another way", code="provider_not_configured")
        if self._client is None:
            self._client = httpx.AsyncClient(
                base_url=self.base_url,
                headers={"access_token": self.api_key, "User-Agent": self.user_agent,
                         "Accept": "application/json"},
                timeout=httpx.Timeout(self.timeout, connect=min(self.timeout, 5.0)))
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _call(self, method: str, path: str, *, body: dict | None = None,
                    params: dict | None = None, missing_ok: bool = False) -> dict | None:
        """One request; Asaas's answers become our typed errors (None for a 404 when asked)."""
        client = self._http()
        try:
            response = await client.request(method, path, json=body, params=params)
        except httpx.TimeoutException:
            raise GatewayTimeout(f"Asaas did not answer within {self.timeout:g} s; retry with the "
                                 "same Idempotency-Key", code="provider_timeout",
                                 details={"provider": self.name}) from None
        except httpx.HTTPError as exc:
            raise BadGateway(f"Asaas could not be reached: {type(exc).__name__}",
                             code="provider_unreachable", details={"provider": self.name}) from None
        if response.status_code == 404 and missing_ok:
            return None
        try:
            data = response.json() if response.content else {}
        except ValueError:
            data = None
        if response.status_code in (401, 403):
            raise BadGateway("Asaas refused our credentials (check ASAAS_API_KEY)",
                             code="provider_auth_failed",
                             details={"provider": self.name, "status": response.status_code})
        if response.status_code == 400:
            errors = (data or {}).get("errors") if isinstance(data, dict) else None
            text = "; ".join(str(e.get("description")) for e in errors or [] if isinstance(e, dict))
            raise ValidationFailed(f"Asaas refused the request: {text or 'bad request'}",
                                   code="provider_rejected",
                                   details={"provider": self.name, "errors": errors or []})
        if response.status_code >= 300 or not isinstance(data, dict):
            raise BadGateway(f"Asaas failed (HTTP {response.status_code})", code="provider_error",
                             details={"provider": self.name, "status": response.status_code})
        return data

    # --- the contract -------------------------------------------------------------------------

    def check(self, request: PaymentRequest) -> None:
        if not self.api_key:
            raise ValidationFailed("Asaas is not configured here (ASAAS_API_KEY is unset): "
                                   "pay another way", code="provider_not_configured")
        customer = request.customer
        if customer is None:
            if not self.customer_id:
                raise ValidationFailed(
                    "an Asaas charge needs a payer: send customer {name, cpf_cnpj} "
                    "(or set ASAAS_CUSTOMER_ID for counter sales)", code="customer_required")
            return
        if not str(customer.get("name") or "").strip():
            raise ValidationFailed("customer.name is required", code="customer_required")
        if len(_digits(customer.get("cpf_cnpj"))) not in (11, 14):
            raise ValidationFailed("customer.cpf_cnpj must have 11 (CPF) or 14 (CNPJ) digits",
                                   code="invalid_document")

    async def authorize(self, request: PaymentRequest) -> PaymentResult:
        charge = await self._by_reference(request.reference)
        if charge is None:
            charge = await self._call("POST", "/payments", body=await self._charge_body(request))
        return await self._result(charge)

    async def status(self, reference: str, external_id: str | None) -> PaymentResult:
        charge = await self._charge(reference, external_id)
        if charge is None:
            return PaymentResult(TenderStatus.FAILED, details={"reason": "no such charge at Asaas"})
        return await self._result(charge)

    async def cancel(self, reference: str, external_id: str | None) -> PaymentResult:
        charge = await self._charge(reference, external_id)
        if charge is None or charge.get("deleted"):
            return PaymentResult(TenderStatus.CANCELLED, external_id)
        if STATUSES.get(charge.get("status")) == TenderStatus.PENDING:
            try:
                await self._call("DELETE", f"/payments/{charge['id']}")
            except ValidationFailed:
                charge = await self._call("GET", f"/payments/{charge['id']}")
                return await self._result(charge)  # paid meanwhile: money received wins
            return PaymentResult(TenderStatus.CANCELLED, charge["id"])
        return await self._result(charge)

    async def refund(self, request: RefundRequest) -> RefundResult:
        charge = await self._charge(request.reference, request.external_id)
        if charge is None:
            raise ValidationFailed("Asaas has no such charge to refund", code="provider_rejected")
        mark = f"[posmodern {request.refund_id}]"
        done = self._our_refund(charge, mark)
        if done is None:
            description = f"{request.reason or 'Estorno'} {mark}"[-500:]
            charge = await self._call("POST", f"/payments/{charge['id']}/refund", body={
                "value": float(request.amount), "description": description})
            done = self._our_refund(charge, mark)
        if done is not None:
            return RefundResult(REFUND_STATES.get(done.get("status"), RefundStatus.PENDING),
                                charge["id"])
        if charge.get("status") in ("REFUND_REQUESTED", "REFUND_IN_PROGRESS"):
            return RefundResult(RefundStatus.PENDING, charge["id"])
        return RefundResult(RefundStatus.DONE, charge["id"])

    async def parse_webhook(self, headers: dict[str, str], body: bytes) -> list[WebhookEvent]:
        token = headers.get("asaas-access-token", "")
        if not self.webhook_token or not hmac.compare_digest(token.encode(),
                                                             self.webhook_token.encode()):
            raise Unauthorized("wrong or missing asaas-access-token", code="invalid_webhook_token")
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise BadRequest("the notification is not JSON", code="malformed_json") from None
        if not isinstance(payload, dict) or not isinstance(payload.get("event"), str):
            raise BadRequest("not an Asaas event (no 'event')", code="malformed_webhook")
        charge = payload.get("payment")
        _check_shape(payload, charge)
        # Asaas gives every event an id; should one lack it, a redelivery still hashes the same.
        event_id = payload.get("id") or hashlib.sha256(body).hexdigest()
        kind = payload["event"]
        if charge is None:
            return [WebhookEvent(event_id, None, None, kind=kind, raw=payload)]
        status = EVENTS.get(kind)
        if status == TenderStatus.CONFIRMED:
            # The body is only a claim: the charge, its reference and its amount are Asaas's.
            charge = await self._confirmed(charge)
        refunded = None
        if status == TenderStatus.REFUNDED:
            refunded = self._refunded_total(charge, full=kind == "PAYMENT_REFUNDED")
        return [WebhookEvent(event_id=event_id, external_id=charge.get("id"), status=status,
                             reference=charge.get("externalReference"),
                             amount=_money(charge.get("value")), refunded_amount=refunded,
                             kind=kind, raw=payload)]

    async def _confirmed(self, claimed: dict) -> dict:
        """The charge as Asaas has it, if Asaas says it is paid; else the claim without its
        amount (so it confirms nothing)."""
        charge = await self._call("GET", f"/payments/{claimed['id']}", missing_ok=True)
        if (charge is None or charge.get("deleted") or charge.get("id") != claimed["id"]
                or STATUSES.get(charge.get("status")) != TenderStatus.CONFIRMED):
            return {**claimed, "value": None}
        return charge

    # --- helpers ------------------------------------------------------------------------------

    async def _by_reference(self, reference: str) -> dict | None:
        found = await self._call("GET", "/payments", params={"externalReference": reference})
        for charge in found.get("data") or []:
            if not charge.get("deleted"):
                return charge
        return None

    async def _charge(self, reference: str, external_id: str | None) -> dict | None:
        if external_id:
            return await self._call("GET", f"/payments/{external_id}", missing_ok=True)
        return await self._by_reference(reference)

    async def _customer(self, request: PaymentRequest) -> str:
        if request.customer is None:
            return self.customer_id
        document = _digits(request.customer.get("cpf_cnpj"))
        found = await self._call("GET", "/customers", params={"cpfCnpj": document})
        for customer in found.get("data") or []:
            if not customer.get("deleted"):
                return customer["id"]
        body = {"name": str(request.customer["name"]).strip()[:100], "cpfCnpj": document,
                "externalReference": f"posmodern:{request.client_id}"}
        if request.customer.get("email"):
            body["email"] = request.customer["email"]
        if request.customer.get("phone"):
            body["mobilePhone"] = _digits(request.customer["phone"])
        return (await self._call("POST", "/customers", body=body))["id"]

    async def _charge_body(self, request: PaymentRequest) -> dict[str, Any]:
        today = datetime.now(BRASILIA).date()
        due = today + timedelta(days=3) if request.method == "boleto" else today
        body: dict[str, Any] = {
            "customer": await self._customer(request),
            "billingType": BILLING_TYPES[request.method],
            "value": float(request.amount),
            "dueDate": date.isoformat(due),
            "externalReference": request.reference,
            "description": str(request.metadata.get("description") or "POS Modern")[:500],
        }
        if request.method == "credit_card" and request.metadata.get("card_token"):
            body["creditCardToken"] = request.metadata["card_token"]
            body["remoteIp"] = request.metadata.get("remote_ip") or "127.0.0.1"
        return body

    async def _result(self, charge: dict) -> PaymentResult:
        if charge.get("deleted"):
            return PaymentResult(TenderStatus.CANCELLED, charge.get("id"))
        status = STATUSES.get(charge.get("status"), TenderStatus.PENDING)
        details: dict[str, Any] = {"asaas_status": charge.get("status")}
        for ours, theirs in (("invoice_url", "invoiceUrl"), ("bank_slip_url", "bankSlipUrl"),
                             ("due_date", "dueDate")):
            if charge.get(theirs):
                details[ours] = charge[theirs]
        if status == TenderStatus.PENDING and charge.get("billingType") == "PIX":
            qr = await self._call("GET", f"/payments/{charge['id']}/pixQrCode")
            details["pix"] = {"payload": qr.get("payload"), "encoded_image": qr.get("encodedImage"),
                              "expiration_date": qr.get("expirationDate")}
        return PaymentResult(status, charge.get("id"), details)

    @staticmethod
    def _our_refund(charge: dict, mark: str) -> dict | None:
        for refund in charge.get("refunds") or []:
            if isinstance(refund, dict) and mark in str(refund.get("description") or ""):
                return refund
        return None

    @staticmethod
    def _refunded_total(charge: dict, *, full: bool) -> Decimal | None:
        listed = charge.get("refunds")
        if isinstance(listed, list):
            return sum((_money(r.get("value")) or ZERO for r in listed
                        if isinstance(r, dict) and r.get("status") == "DONE"), ZERO)
        return _money(charge.get("value")) if full else None
