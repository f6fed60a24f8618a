"""The payments plugin's hooks: its providers (cash, Asaas), its routes, and its registry."""

from __future__ import annotations

from posmodern.core import hookimpl
from posmodern.core.api import ANY_ROLE, PUBLIC, ApiRoute
from posmodern.core.ownership import TableAccess
from posmodern.plugins.payments import (asaas, elsewhere, follow_orders, privacy, registry,
                                        routes, tenders)
from posmodern.plugins.payments.asaas import AsaasProvider
from posmodern.plugins.payments.cash import CashProvider

TAKERS = frozenset({"admin", "manager", "cashier", "waiter", "kiosk"})
CASHIERS = frozenset({"admin", "manager", "cashier"})
REFUNDERS = frozenset({"admin", "manager"})
# Who read tenders: not the kitchen's business, nor a kiosk's (it follows its own through
# the answers to creating and refreshing them).
READERS = frozenset({"admin", "manager", "cashier", "waiter", "integration"})
TAGS = ("payments",)
# A route that asks a provider: it failed (502), is not configured (503), did not answer (504).
ASKS_PROVIDER = (502, 503, 504)


@hookimpl
def pos_settings():
    return asaas.SETTINGS


@hookimpl
def pos_payment_providers(settings):
    return [CashProvider(), AsaasProvider(settings)]


@hookimpl
async def pos_payment_take(ctx, order_id, method, amount, customer, description):
    return await routes.take_for_plugin(ctx, order_id, method, amount, customer, description)


@hookimpl
async def pos_payment_cancel_pending(runtime, client_id, order_id):
    return await tenders.cancel_pending(runtime, registry.of(runtime), client_id, order_id)


@hookimpl
async def pos_personal_data_export(conn, customer_id, store_id, settings):
    return await privacy.export_payments(conn, customer_id, store_id)


@hookimpl
async def pos_personal_data_erase(conn, customer_id, store_id, settings):
    return await privacy.erase_payers(conn, customer_id, store_id)


@hookimpl
async def pos_payment_record(conn, paid, hooks):
    return await elsewhere.record(conn, paid, hooks)


@hookimpl
def pos_table_access():
    return [TableAccess("payments", owns=("payments", "refunds"), reads=("orders",))]


@hookimpl
def pos_subscriptions(settings, hooks):
    return follow_orders.subscriptions(hooks)


@hookimpl
def pos_startup(runtime):
    runtime.state[registry.PLUGIN] = registry.build(runtime)


@hookimpl
async def pos_shutdown(runtime):
    state = runtime.state.pop(registry.PLUGIN, None)
    if state is not None:
        await state.registry.aclose()


@hookimpl
def pos_routes(settings):
    return [
        ApiRoute("payments.providers", "GET", "/api/v1/payments/providers", routes.providers,
                 ANY_ROLE, summary="Payment providers and the methods they take", tags=TAGS),
        ApiRoute("payments.create", "POST", "/api/v1/orders/{order_id:uuid}/payments",
                 routes.create_payment, TAKERS, body=routes.PaymentCreate, status_code=201,
                 idempotent=True, own_transactions=True, errors=ASKS_PROVIDER, tags=TAGS,
                 summary="Pay (part of) an order: one tender; several until the total is covered"),
        ApiRoute("payments.list", "GET", "/api/v1/orders/{order_id:uuid}/payments",
                 routes.list_order_payments, READERS, tags=TAGS,
                 summary="An order's tenders and what they cover"),
        ApiRoute("payments.get", "GET", "/api/v1/payments/{payment_id:uuid}", routes.get_payment,
                 READERS, summary="One payment", tags=TAGS),
        ApiRoute("payments.refund", "POST", "/api/v1/payments/{payment_id:uuid}/refund",
                 routes.refund_payment, REFUNDERS, body=routes.RefundCreate, status_code=201,
                 idempotent=True, own_transactions=True, errors=ASKS_PROVIDER, tags=TAGS,
                 summary="Refund all or part of a payment (managers)"),
        ApiRoute("payments.cancel", "POST", "/api/v1/payments/{payment_id:uuid}/cancel",
                 routes.cancel_payment, CASHIERS, errors=ASKS_PROVIDER, tags=TAGS,
                 summary="Give up on a tender still waiting for the customer"),
        ApiRoute("payments.refresh", "POST", "/api/v1/payments/{payment_id:uuid}/refresh",
                 routes.refresh_payment, TAKERS, errors=ASKS_PROVIDER, tags=TAGS,
                 summary="Ask the provider where a waiting tender stands"),
        ApiRoute("payments.webhook", "POST", "/api/v1/payments/webhooks/{provider}",
                 routes.webhook, PUBLIC, tags=TAGS,
                 summary="A provider's notification (checked by the provider's own token)"),
    ]
