"""Every hook POS Modern calls, in one place.

Hooks are prefixed ``pos_``. A hook implementation may return a value or an awaitable; the core
awaits through :func:`posmodern.core.asyncio_hooks.call_hook`, and no hook is ``firstresult``.
Registration hooks (``pos_routes``, ``pos_subscriptions``, ``pos_payment_providers`` …) return
lists of small typed objects, each with a ``name`` the host checks for duplicates, and must answer
synchronously: they run while the app or CLI is being built.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from decimal import Decimal
from typing import TYPE_CHECKING

import click
import pluggy
from pluggy import HookspecMarker

if TYPE_CHECKING:
    from posmodern.core.api import ApiRoute, App, RequestContext, StaticAssets
    from posmodern.core.config import Settings
    from posmodern.core.events import Broadcast, Subscription
    from posmodern.core.legacy_import import LegacyImporter
    from posmodern.core.marketplaces import Marketplace
    from posmodern.core.migrations import MigrationBranch
    from posmodern.core.orders import Adjustment, ItemRequest, OrderDraft, OrderRequest
    from posmodern.core.ownership import TableAccess
    from posmodern.core.payments import PaidElsewhere, PaymentProvider
    from posmodern.core.peripherals import PrinterDriver, ReceiptExtras
    from posmodern.core.plugin_settings import SettingSpec
    from posmodern.core.runtime import Runtime
    from sqlalchemy.ext.asyncio import AsyncConnection

hookspec = HookspecMarker("posmodern")


# --- host -----------------------------------------------------------------------------------

@hookspec
def pos_routes(settings: Settings) -> list[ApiRoute]:
    """Called once while the host app is built. Return the HTTP routes this plugin serves."""


@hookspec
def pos_static_assets(settings: Settings) -> list[StaticAssets]:
    """Called once while the host app is built. Return folders of web pages to serve."""


@hookspec
def pos_apps(settings: Settings) -> list[App]:
    """Called once while the host app is built. Return the pages this plugin offers people
    (:class:`~posmodern.core.api.App`: name, path, pt-BR title, icon, roles); the start page
    ``/`` links each to the signed-in users holding one of its roles."""


@hookspec
def pos_startup(runtime: Runtime) -> None | Awaitable[None]:
    """Called when the host starts, once the database is open and before requests.

    The bus is built (``runtime.bus``: events written to the outbox go out) but starts relaying
    and consuming only after every plugin's ``pos_startup``, so subscriptions and broadcasts are
    in place before the first message arrives.

    Build what the plugin needs for the life of the process and keep it in
    ``runtime.state[<plugin name>]``.
    """


@hookspec
def pos_ready_warnings(runtime: Runtime) -> list[str] | Awaitable[list[str]]:
    """What an operator should know about this plugin that does not take the process out of
    service (a marketplace that stopped answering): ``GET /ready`` lists it under
    ``warnings``, its status unchanged. Called on every probe: answer from what the plugin
    keeps in memory, never from the database or a remote party."""


@hookspec
def pos_shutdown(runtime: Runtime) -> None | Awaitable[None]:
    """Called when the host stops, before the bus and database close. Release resources.

    Also called when start-up failed part-way (this plugin's ``pos_startup`` may not have run):
    release what you find in ``runtime.state``, nothing more.
    """


@hookspec
def pos_table_access() -> list[TableAccess]:
    """Called once while the host app is built (and by ``pos plugins``). Return the tenant tables
    this plugin owns (only it writes them) and those of other plugins it reads.

    A table claimed by two plugins stops the start-up. Changes to another plugin's table go
    through a hook its owner implements or an event its owner handles.
    """


@hookspec
def pos_settings() -> list[SettingSpec]:
    """Called when the host or the CLI starts, before anything else. Return the settings this
    plugin reads (:class:`~posmodern.core.plugin_settings.SettingSpec`: name, type, default,
    secret or not, description, scope ``process`` or ``store``).

    Every value is validated then, and a bad one stops the start naming the variable; a name
    declared by two plugins (or by the core) stops it too. Read a value with
    ``spec.value(settings)``, a store's with :func:`posmodern.core.store_settings.store_values`.
    """


@hookspec
def pos_commands() -> list[click.Command]:
    """Called when the ``pos`` CLI starts. Return click commands to add under ``pos``."""


@hookspec
def pos_demo_data(conn: AsyncConnection, client_id: str, store_id: str) -> None | Awaitable[None]:
    """Called by ``pos demo`` inside the demo tenant's transaction. Add demo rows if missing.

    Must be idempotent: ``pos demo`` runs at every embedded start.
    """


# --- events ---------------------------------------------------------------------------------

@hookspec
def pos_subscriptions(settings: Settings, hooks: pluggy.HookRelay) -> list[Subscription]:
    """Called when the bus starts. Return the event handlers this plugin owns.

    Each handler runs once per event (deduplicated by subscription name and event id) in a
    transaction of the event's tenant; replicas of a service share the work. ``hooks`` is the
    process's hook relay, for a handler that calls other plugins' hooks.
    """


@hookspec
def pos_broadcasts(runtime: Runtime) -> list[Broadcast]:
    """Called when the bus starts. Return per-process listeners (live screens, streams).

    Every process running the plugin sees every matching event; listeners must not write data.
    """


# --- orders ---------------------------------------------------------------------------------

@hookspec
def pos_order_validate(conn: AsyncConnection, draft: OrderDraft,
                       settings: Settings) -> None | Awaitable[None]:
    """Called before an order is written or its items change, in the same transaction.

    Raise :class:`posmodern.core.errors.ValidationFailed` (or another ``PosError``) to refuse it.
    ``settings`` lets a plugin read its own (per-store) settings.
    """


@hookspec
def pos_order_adjustments(conn: AsyncConnection, draft: OrderDraft,
                          settings: Settings) -> list[Adjustment] | Awaitable[list[Adjustment]]:
    """Called when an order is priced, after its lines are priced from the catalog.

    Return taxes and fees to add (``Adjustment(kind="tax"|"fee")``); the order's ``tax`` is the sum
    of the ``tax`` adjustments, and its ``total`` is subtotal + adjustments - discount.
    ``settings`` lets a plugin read its own (per-store) settings.
    """


@hookspec
def pos_order_status_changed(conn: AsyncConnection, order: dict, previous: str, new: str,
                             client_id: str, store_id: str) -> None | Awaitable[None]:
    """Called in the transaction that moved an order from ``previous`` to ``new`` status.

    ``order`` is the order as the API shows it, already in ``new``; ``client_id`` and
    ``store_id`` are its tenant and store (to publish an event with). For reactions that must
    commit with the change: raising refuses the change and rolls the reaction back with it.
    Anything else should subscribe to the ``order.status_updated`` event instead.
    """


@hookspec
def pos_order_payment_status(conn: AsyncConnection, order_id: uuid.UUID,
                             payment_status: str) -> None | Awaitable[None]:
    """Called by the payments plugin in the transaction that changed what an order's tenders
    cover, with the order's new payment status (``PENDING``, ``PARTIALLY_PAID``, ``PAID``,
    ``PARTIALLY_REFUNDED``, ``REFUNDED``).

    Implemented by the plugin that owns orders, which records it. When no plugin of the process
    implements it, the payments plugin publishes ``payment.balance_changed`` instead.
    """


@hookspec
def pos_order_kitchen_status(conn: AsyncConnection, order_id: uuid.UUID, status: str,
                             hooks: pluggy.HookRelay) -> None | Awaitable[None]:
    """Called by the kitchen display in the transaction of a ticket's start (``status`` is
    ``IN_PREPARATION``) or of the bump that finished the order's last station (``READY``).

    Implemented by the plugin that owns orders, which moves the order forward to ``status``
    through its lifecycle (publishing ``order.status_updated`` for each step; ``hooks`` is the
    caller's hook relay, for ``pos_order_status_changed``) and leaves alone an order already
    there, past it, or closed. When no plugin of the process implements it, the kitchen display
    publishes ``kds.order_progress`` instead and the orders plugin handles it in its own process.
    """


@hookspec
def pos_order_place(conn: AsyncConnection, runtime: Runtime,
                    request: OrderRequest) -> dict | Awaitable[dict]:
    """Place an order another plugin asks for (see ``core/order_desk.py``), in ``conn``'s
    transaction; return it as the API shows it. Implemented once, by the plugin owning orders."""


@hookspec
def pos_order_add_items(conn: AsyncConnection, runtime: Runtime, store_id: str,
                        order_id: uuid.UUID, items: list[ItemRequest],
                        while_cooking: bool) -> dict | Awaitable[dict]:
    """Add a round of ``items`` to a store's open, unpaid order; return the order. With
    ``while_cooking`` (a table's tab) the round is taken while earlier rounds are in the kitchen
    or served, and an order already ``READY``/``DELIVERED`` goes back to ``IN_PREPARATION``.
    Implemented once, by the plugin owning orders."""


@hookspec
def pos_order_move(conn: AsyncConnection, runtime: Runtime, store_id: str, order_id: uuid.UUID,
                   status: str) -> dict | Awaitable[dict]:
    """Move a store's order to ``status`` through its lifecycle; return the order. Implemented
    once, by the plugin owning orders."""


@hookspec
def pos_order_transfer(conn: AsyncConnection, runtime: Runtime, store_id: str,
                       order_id: uuid.UUID, item_ids: list[uuid.UUID] | None,
                       to_order_id: uuid.UUID | None,
                       to_table_id: uuid.UUID | None) -> dict | Awaitable[dict]:
    """Move items (``item_ids``; None: all of them) of a store's open, unpaid order into another
    open order of the store (``to_order_id``), or onto a table (``to_table_id``: the whole order
    changes table, or the items leave in a new order on that table). Return ``{"from": order,
    "to": order}``; an order left with no items is closed (``COMPLETED``, total 0). Implemented
    once, by the plugin owning orders."""


# --- payments -------------------------------------------------------------------------------

@hookspec
def pos_payment_providers(settings: Settings) -> list[PaymentProvider]:
    """Called when the payments plugin starts. Return the payment providers this plugin offers.

    Each is a :class:`~posmodern.core.payments.PaymentProvider` (subclass ``ProviderBase``); its
    ``name`` must be unique across plugins (a clash stops the start-up) and is the last part of its
    webhook path. See ``core/payments.py`` for what the payments plugin counts on.
    """


@hookspec
def pos_payment_take(ctx: RequestContext, order_id: uuid.UUID, method: str, amount: Decimal,
                     customer: dict | None, description: str | None) -> dict | Awaitable[dict]:
    """Take one tender of an order for another plugin of the process, during that plugin's
    request (a kiosk's PIX charge; see :func:`posmodern.core.payments.take_payment`), exactly as
    ``POST /api/v1/orders/{id}/payments`` takes it for the caller ``ctx.principal``.

    No transaction may be open (the provider is asked outside one); the request's
    ``Idempotency-Key``, if any, names the tender, so a retry asks the provider for the same
    charge. Return the payment as the API shows it (a PIX code in ``details.pix``). Implemented
    once, by the payments plugin.
    """


@hookspec
def pos_payment_cancel_pending(runtime: Runtime, client_id: str,
                               order_id: uuid.UUID) -> int | Awaitable[int]:
    """Give up an order's tenders still waiting at their provider (the PIX code of an order
    nobody paid in time): each is cancelled at the provider, outside any transaction, then
    recorded; returns how many (see :func:`posmodern.core.payments.cancel_pending_payments`).
    Call it after the transaction that cancelled the order committed. Implemented once, by the
    payments plugin."""


@hookspec
def pos_payment_record(conn: AsyncConnection, paid: PaidElsewhere,
                       hooks: pluggy.HookRelay) -> dict | Awaitable[dict]:
    """Record money an order's customer paid elsewhere (a marketplace's online payment) as a
    confirmed tender, in ``conn``'s transaction (see
    :func:`posmodern.core.payments.record_paid_elsewhere`); return the tender as the API shows it.
    Implemented once, by the plugin keeping payments; the same ``provider`` and ``external_id``
    on the same order again returns the tender already recorded."""


# --- remote orders --------------------------------------------------------------------------

@hookspec
def pos_marketplaces(settings: Settings) -> list[Marketplace]:
    """Called when the remote_orders plugin starts (and builds its routes). Return the delivery
    apps this plugin connects (:class:`~posmodern.core.marketplaces.Marketplace`); each ``name``
    must be unique across plugins (a clash stops the start-up) and is the channel its orders are
    deduplicated in. See ``core/marketplaces.py`` for what remote_orders counts on.
    """


# --- peripherals ----------------------------------------------------------------------------

@hookspec
def pos_printer_drivers(settings: Settings) -> list[PrinterDriver]:
    """Called when the peripherals plugin builds its routes and starts its print spool. Return
    the printer drivers this plugin offers (:class:`~posmodern.core.peripherals.PrinterDriver`),
    each with a name no other driver has; a printer names its driver.
    """


@hookspec
def pos_receipt_extras(conn: AsyncConnection, order_id: uuid.UUID,
                       store_id: str) -> ReceiptExtras | None:
    """Called by the peripherals plugin while it lays out an order's customer receipt (on
    ``payment.completed``, and again on the fiscal plugins' events that reprint it), in the
    transaction of that event's handler. Return
    :class:`~posmodern.core.peripherals.ReceiptExtras` (a fiscal key and its QR code; or
    ``later=True`` while the plugin's document is on its way, the receipt then waiting for the
    plugin's event) or None. Only plugins of the peripherals plugin's process are asked.
    """


# --- schema ---------------------------------------------------------------------------------

@hookspec
def pos_migrations() -> list[MigrationBranch]:
    """Called by ``pos db upgrade|current``, by ``pos tenant create`` and at start-up when
    ``POS_AUTO_MIGRATE`` is on. Return the Alembic branches of the plugin's own tenant tables.

    Each :class:`~posmodern.core.migrations.MigrationBranch` names a folder of revisions carrying
    the branch label ``name``; they are applied to every tenant after the built-in ones.
    """


# --- data operations ------------------------------------------------------------------------

@hookspec
def pos_legacy_importers(settings: Settings) -> list[LegacyImporter]:
    """Called by ``pos import-json``. Return a
    :class:`~posmodern.core.legacy_import.LegacyImporter` for each file of the legacy JSON export
    this plugin reads into its own tables (``products.json`` …); a file read by two plugins
    stops the import.
    """


@hookspec
def pos_personal_data_export(conn: AsyncConnection, customer_id: uuid.UUID, store_id: str,
                             settings: Settings) -> dict | Awaitable[dict]:
    """Called in one tenant transaction when a customer's data is exported (LGPD art. 18).

    Return ``{section: JSON-safe data}`` of what this plugin's tables hold about the customer
    (its own tables only), or ``{}``.
    """


@hookspec
def pos_personal_data_erase(conn: AsyncConnection, customer_id: uuid.UUID, store_id: str,
                            settings: Settings) -> dict | Awaitable[dict]:
    """Called in one tenant transaction when a customer is erased (LGPD art. 18, VI).

    Remove or anonymise what this plugin's tables hold about the customer; keep what the law
    obliges the restaurant to keep (orders and their fiscal data) without the personal part.
    Return ``{table: rows changed}``. Raising refuses the erasure and rolls every plugin's part
    back.
    """
