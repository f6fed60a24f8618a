"""HTTP endpoints of the payments plugin (SPEC §3)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field
from sqlalchemy import select

from posmodern.core.api import Reply, RequestContext
from posmodern.core.bodies import Strict
from posmodern.core.errors import Forbidden
from posmodern.plugins.payments import ledger, refunds, registry, tenders, webhooks
from posmodern.schema.tables import payments

NAME = r"^[a-z][a-z0-9_]{0,49}$"


class Payer(Strict):
    """Who pays, for providers that charge a named customer (Asaas)."""

    name: str = Field(min_length=1, max_length=100)
    cpf_cnpj: str = Field(min_length=11, max_length=18, pattern=r"^[0-9./-]+$")
    email: str | None = Field(default=None, max_length=100)
    phone: str | None = Field(default=None, max_length=20)


class PaymentCreate(Strict):
    method: str = Field(pattern=NAME, description="cash, pix, credit_card, boleto, voucher …")
    amount: Decimal = Field(gt=0, max_digits=10, decimal_places=2,
                            description="What this tender pays; with cash, what was handed over")
    provider: str | None = Field(default=None, pattern=NAME,
                                 description="Default: the provider that takes the method")
    customer: Payer | None = None
    card_token: str | None = Field(default=None, max_length=100,
                                   description="A tokenized card, for card charges")
    description: str | None = Field(default=None, max_length=200)


class RefundCreate(Strict):
    amount: Decimal | None = Field(default=None, gt=0, max_digits=10, decimal_places=2,
                                   description="Default: everything that can still be refunded")
    reason: str | None = Field(default=None, max_length=200)


async def providers(ctx: RequestContext) -> dict:
    state = registry.of(ctx.runtime)
    return {"items": [p.describe() for p in sorted(state.registry, key=lambda p: p.name)]}


#: Methods a role may not record: a kiosk holds no till, so "paid in cash" from it is a lie
#: no one can check. A caller with any role that may record the method may.
REFUSED_METHODS = {"kiosk": frozenset({"cash"})}


def check_method_allowed(roles: frozenset[str], method: str) -> None:
    """:class:`Forbidden` unless one of ``roles`` may record a payment by ``method``."""
    if all(method in REFUSED_METHODS.get(role, ()) for role in roles):
        raise Forbidden(f"your role may not record {method} payments",
                        code="method_not_allowed_for_role",
                        details={"method": method, "roles": sorted(roles)})


async def create_payment(ctx: RequestContext) -> Reply:
    body: PaymentCreate = ctx.body
    check_method_allowed(ctx.principal.roles, body.method)
    options = {k: v for k, v in (("card_token", body.card_token),
                                 ("description", body.description),
                                 ("remote_ip", ctx.request.client.host if ctx.request.client
                                  else None)) if v}
    view, status = await tenders.take(
        ctx, registry.of(ctx.runtime), ctx.path["order_id"], method=body.method,
        amount=body.amount, provider_name=body.provider,
        customer=body.customer.model_dump() if body.customer else None, options=options)
    return Reply(view, status)


async def take_for_plugin(ctx: RequestContext, order_id, method: str, amount: Decimal,
                          customer: dict | None, description: str | None) -> dict:
    """``pos_payment_take``: a tender another plugin takes during its request, as the API would
    for the same caller."""
    check_method_allowed(ctx.principal.roles, method)
    view, _status = await tenders.take(
        ctx, registry.of(ctx.runtime), order_id, method=method, amount=amount,
        provider_name=None, customer=customer,
        options={"description": description} if description else {})
    return view


async def list_order_payments(ctx: RequestContext) -> dict:
    async with ctx.transaction() as conn:
        order = await ledger.lock_order(conn, ctx.path["order_id"], ctx.store_id, lock=False)
        rows = (await conn.execute(select(payments).where(payments.c.order_id == order.order_id)
                                   .order_by(payments.c.created_at))).all()
        covered = await ledger.coverage(conn, order)
    return {"items": [ledger.payment_view(row) for row in rows],
            "order": covered.to_dict(order.payment_status)}


async def get_payment(ctx: RequestContext) -> dict:
    payment, order = await tenders.load(ctx, ctx.path["payment_id"])
    return ledger.payment_view(payment, order)


async def refund_payment(ctx: RequestContext) -> Reply:
    body: RefundCreate = ctx.body
    view, status = await refunds.refund(ctx, registry.of(ctx.runtime), ctx.path["payment_id"],
                                        amount=body.amount, reason=body.reason)
    return Reply(view, status)


async def cancel_payment(ctx: RequestContext) -> dict:
    return await tenders.cancel(ctx, registry.of(ctx.runtime), ctx.path["payment_id"])


async def refresh_payment(ctx: RequestContext) -> dict:
    return await tenders.refresh(ctx, registry.of(ctx.runtime), ctx.path["payment_id"])


async def webhook(ctx: RequestContext) -> dict:
    body = await ctx.raw_body()
    headers = {k.lower(): v for k, v in ctx.request.headers.items()}
    return await webhooks.receive(ctx, ctx.runtime.db, registry.of(ctx.runtime),
                                  ctx.path["provider"], headers, body)
