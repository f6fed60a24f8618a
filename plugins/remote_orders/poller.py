"""The poller: every ``REMOTE_ORDERS_POLL_SECONDS``, each store's marketplaces are asked for
their events, which are handled (intake.py), and the queued status changes are sent
(outbound.py).

One process of the deployment polls (core/election.py: an advisory lock on PostgreSQL, a file
lock on SQLite), so two processes never take turns on one marketplace queue. Each merchant is
polled on its own: one failing (a wrong secret, a marketplace down) never stops another. After
``REMOTE_ORDERS_ALERT_AFTER`` failed polls in a row, ``remote_orders.polling_failed`` is
published once, and the status route shows the alert until a poll succeeds
(``remote_orders.polling_recovered``).

An action queued in this process (a confirmation queued as a new order's event is handled) is
sent as soon as its transaction commits, without polling the marketplace again; one queued
elsewhere goes with the next round.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from posmodern.core import tenancy
from posmodern.core.election import ElectedLoop
from posmodern.core.events import emit
from posmodern.core.marketplaces import Marketplace, Merchant
from posmodern.core.runtime import Runtime
from posmodern.plugins.remote_orders import intake, outbound, registry
from posmodern.plugins.remote_orders.settings import ALERT_AFTER, POLL_SECONDS, POLLING
from posmodern.schema.types import utcnow

log = logging.getLogger("posmodern.remote_orders")
#: After a round that took orders, the next comes this soon (to send their confirmations).
CONFIRM_SOON_SECONDS = 2.0


@dataclass
class MerchantHealth:
    """How a store's polls of one marketplace went (this process's view)."""

    failures: int = 0
    alerted: bool = False
    last_poll: datetime | None = None
    last_success: datetime | None = None
    last_error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"failures": self.failures, "alert": self.alerted, "last_poll": self.last_poll,
                "last_success": self.last_success, "last_error": self.last_error}


@dataclass
class Poller:
    runtime: Runtime
    marketplaces: dict[str, Marketplace]
    health: dict[tuple[str, str, str], MerchantHealth] = field(default_factory=dict)
    elected: ElectedLoop | None = None
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    _poll_now: bool = False
    _to_send: set[str] = field(default_factory=set)
    _round: asyncio.Lock = field(default_factory=asyncio.Lock)
    _remembered: set[tuple[str, str, str]] = field(default_factory=set)
    directory: registry.Directory = field(init=False)

    def __post_init__(self) -> None:
        self.directory = registry.Directory(self.runtime, self.marketplaces)

    async def start(self) -> None:
        if not POLLING.value(self.runtime.settings):
            return
        self.runtime.db.on_commit(outbound.ACTIONS_WRITTEN, self.send_soon)
        self.elected = ElectedLoop(self.runtime.db,
                                   f"remote-orders:{self.runtime.settings.bus_exchange}",
                                   self._loop, name="remote_orders.poller")
        await self.elected.start()

    async def stop(self) -> None:
        self.runtime.db.off_commit(outbound.ACTIONS_WRITTEN, self.send_soon)
        if self.elected is not None:
            await self.elected.stop()
        for marketplace in self.marketplaces.values():
            await marketplace.aclose()

    def wake(self) -> None:
        """Poll and send now (a webhook brought events, a route queued an action)."""
        self._poll_now = True
        self._wake.set()

    def send_soon(self, client_id: str) -> None:
        """Send the tenant's queued actions now, without a poll (a transaction of this process
        that queued some committed); only the polling process sends."""
        self._to_send.add(client_id)
        self._wake.set()

    async def _loop(self) -> None:
        clock = asyncio.get_running_loop().time
        next_poll = clock()
        while True:
            try:
                if self._poll_now or clock() >= next_poll:
                    self._poll_now = False
                    self._to_send.clear()  # the round sends every tenant's queue
                    next_poll = clock() + POLL_SECONDS.value(self.runtime.settings)
                    if any(report.get("taken") for report in await self.poll_once()):
                        # Their confirmations are queued as the new orders' events are handled,
                        # perhaps by another process: a round soon sends them.
                        next_poll = min(next_poll, clock() + CONFIRM_SOON_SECONDS)
                elif self._to_send:
                    tenants, self._to_send = self._to_send, set()
                    async with self._round:
                        await self._send(sorted(tenants))
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("remote orders: a poll round failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), max(0.0, next_poll - clock()))
            self._wake.clear()

    async def _send(self, tenants: list[str]) -> None:
        """Send each tenant's queued actions (the caller holds the round)."""
        for tenant in tenants:
            try:
                await outbound.send_pending(self.runtime, self.marketplaces, tenant)
            except Exception:
                log.exception("remote orders: sending the actions of %s failed", tenant)

    async def poll_once(self, client_id: str | None = None) -> list[dict[str, Any]]:
        """One round: every merchant polled and its events handled, then every queued action
        sent; returns a report per merchant. ``client_id`` limits it to one tenant."""
        async with self._round:
            if client_id is None:
                found = await self.directory.merchants()
            else:  # asked for one tenant (its store's settings may have just changed)
                found = await registry.merchants_of(self.runtime, self.marketplaces, client_id)
            reports = [await self._poll(marketplace, merchant) for marketplace, merchant in found]
            await self._send(sorted({merchant.client_id for _, merchant in found}))
            return reports

    def warnings(self) -> list[str]:
        """The stores whose polls of a marketplace are failing past the alert (``/ready``)."""
        return [f"remote_orders: polling {channel} for {client_id}/{store_id} has failed "
                f"{health.failures} times in a row: {health.last_error}"
                for (channel, client_id, store_id), health in sorted(self.health.items())
                if health.alerted]

    async def _poll(self, marketplace: Marketplace, merchant: Merchant) -> dict[str, Any]:
        health = self.health.setdefault(
            (marketplace.name, merchant.client_id, merchant.store_id), MerchantHealth())
        health.last_poll = utcnow()
        answer: dict[str, Any] = {"channel": marketplace.name, "store_id": merchant.store_id,
                                  "merchant_id": merchant.merchant_id}
        try:
            await self._remember(marketplace, merchant)
            events = await marketplace.poll(merchant)
            report = await intake.handle_events(self.runtime, marketplace, merchant, events)
        except Exception as exc:  # noqa: BLE001 - this merchant only
            health.failures += 1
            health.last_error = f"{type(exc).__name__}: {exc}"
            log.warning("remote orders: polling %s for store %s failed (%s in a row): %s",
                        marketplace.name, merchant.store_id, health.failures, health.last_error)
            await self._alert(marketplace, merchant, health)
            return {**answer, "error": health.last_error}
        await self._recovered(marketplace, merchant, health)
        return {**answer, **report.to_dict()}

    async def _remember(self, marketplace: Marketplace, merchant: Merchant) -> None:
        """Record whose merchant this is (a webhook finds its tenant by it); a merchant id
        another tenant claimed stops this one's polls: two tenants must not share a queue."""
        key = (marketplace.name, merchant.merchant_id, merchant.client_id)
        if key not in self._remembered:
            await tenancy.remember_reference(self.runtime.db, f"remote:{marketplace.name}",
                                             merchant.merchant_id, merchant.client_id)
            self._remembered.add(key)

    async def _alert(self, marketplace: Marketplace, merchant: Merchant,
                     health: MerchantHealth) -> None:
        if health.alerted or health.failures < ALERT_AFTER.value(self.runtime.settings):
            return
        health.alerted = True
        await self._publish("remote_orders.polling_failed", marketplace, merchant, health)

    async def _recovered(self, marketplace: Marketplace, merchant: Merchant,
                         health: MerchantHealth) -> None:
        was_alerted = health.alerted
        health.failures, health.alerted, health.last_error = 0, False, None
        health.last_success = utcnow()
        if was_alerted:
            await self._publish("remote_orders.polling_recovered", marketplace, merchant, health)

    async def _publish(self, event_type: str, marketplace: Marketplace, merchant: Merchant,
                       health: MerchantHealth) -> None:
        try:
            async with self.runtime.db.transaction(merchant.client_id) as conn:
                await emit(conn, event_type, client_id=merchant.client_id,
                           store_id=merchant.store_id, data={
                               "channel": marketplace.name, "merchant_id": merchant.merchant_id,
                               **health.to_dict()})
        except Exception:  # noqa: BLE001 - the database may be what failed
            log.exception("remote orders: could not publish %s", event_type)
