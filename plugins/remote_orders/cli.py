"""``pos remote-orders poll``: one poll of every store's marketplaces, and the queued status
changes sent, without a server (cron, tests, an operator after an outage)."""

from __future__ import annotations

import asyncio
import json

import click

from posmodern.core.db import Database
from posmodern.core.jsonable import encode
from posmodern.core.runtime import Runtime
from posmodern.plugins.remote_orders import registry
from posmodern.plugins.remote_orders.poller import Poller


async def _poll_once(settings, pm, client_id: str | None) -> list[dict]:
    db = Database(settings.database_url)
    # The bus and cache stay unused: events go to the outbox, the server relays them.
    runtime = Runtime(settings=settings, db=db, bus=None, cache=None, pm=pm)
    poller = Poller(runtime, registry.collect(runtime))
    try:
        return await poller.poll_once(client_id)
    finally:
        for marketplace in poller.marketplaces.values():
            await marketplace.aclose()
        await db.dispose()


@click.group("remote-orders")
def remote_orders() -> None:
    """Delivery-app orders (iFood, Open Delivery …)."""


@remote_orders.command("poll")
@click.option("--client", "client_id", default=None, help="Only this tenant.")
@click.pass_obj
def poll(state, client_id: str | None) -> None:
    """Poll every store's marketplaces once, take their orders, send what is queued."""
    reports = asyncio.run(_poll_once(state.settings, state.pm, client_id))
    click.echo(json.dumps(json.loads(encode(reports)), indent=2))
