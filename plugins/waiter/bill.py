"""The bill of a table: asked for (a "conferência" slip the printers print), split by items or
equally among the guests, the optional service charge (taxa de serviço), closed when paid.

A split says how much each part pays: each part is then a tender of the order through the
payments API (partial tenders until the total is covered). It is worked out from what remains
to pay now, so a part already paid is not asked again.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from posmodern.core.api import RequestContext
from posmodern.core.errors import Conflict, ValidationFailed
from posmodern.core.events import Envelope, Subscription, emit
from posmodern.core.money import ZERO, cents
from posmodern.core.orders import Adjustment
from posmodern.core.plugin_settings import SettingSpec
from posmodern.core.store_settings import store_value
from posmodern.plugins.waiter import states, tabs
from posmodern.plugins.waiter.floor import load_table, table_view
from posmodern.plugins.waiter.models import Split, TableState

SERVICE_CHARGE = SettingSpec(
    "POS_SERVICE_CHARGE_PERCENT", Decimal, Decimal(0),
    "the service charge (taxa de serviço) on table orders, in % of the subtotal after the "
    "discount; 0: none (a store sets 10 to charge the usual 10 %)", scope="store",
    min=Decimal(0), max=Decimal(20))
SERVICE_CHARGE_NAME = "Taxa de serviço"
BILL_REQUESTED = "waiter.bill_requested"
ONE_CENT = Decimal("0.01")


async def service_charge(conn, draft, settings) -> list[Adjustment]:
    """The store's service charge on an order served at a table (none at the counter)."""
    if draft.table_id is None:
        return []
    percent = await store_value(conn, settings, draft.store_id, SERVICE_CHARGE)
    fee = cents((draft.subtotal - draft.discount) * percent / 100)
    if fee <= ZERO:
        return []
    return [Adjustment(f"{SERVICE_CHARGE_NAME} ({percent.normalize():f}%)", "fee", fee)]


def equal_parts(remaining: Decimal, people: int) -> list[Decimal]:
    """``remaining`` in ``people`` parts differing by at most a cent (the first ones pay it)."""
    in_cents = int(remaining / ONE_CENT)
    if in_cents < people:
        raise Conflict(f"{remaining} cannot be split among {people} people",
                       code="split_exceeds_remaining",
                       details={"remaining": remaining, "people": people})
    share, extra = divmod(in_cents, people)
    return [(share + (1 if n < extra else 0)) * ONE_CENT for n in range(people)]


def item_parts(order: dict[str, Any], parts: list[list[uuid.UUID]],
               remaining: Decimal) -> list[dict[str, Any]]:
    """Each part pays its items' share of the bill (service charge and discount shared in
    proportion to the items' prices)."""
    items = {str(item["item_id"]): item for item in order["items"]}
    named = [str(item_id) for part in parts for item_id in part]
    unknown = sorted(set(named) - set(items))
    if unknown:
        raise ValidationFailed(f"the tab has no item {unknown[0]}", code="unknown_item",
                               details=[{"loc": ["parts"], "msg": "not an item of the tab",
                                         "type": "unknown_item", "item_ids": unknown}])
    if len(named) != len(set(named)):
        raise ValidationFailed("an item is in one part only", code="item_in_two_parts")
    subtotal = Decimal(str(order["subtotal"]))
    ratio = Decimal(str(order["total"])) / subtotal if subtotal else ZERO
    answer = []
    for part in parts:
        chosen = [items[str(i)] for i in part]
        amount = cents(sum((Decimal(str(i["subtotal"])) for i in chosen), ZERO) * ratio)
        answer.append({"amount": amount, "items": [str(i["item_id"]) for i in chosen]})
    asked = sum((part["amount"] for part in answer), ZERO)
    if asked > remaining:
        raise Conflict(f"the parts ask {asked}, more than the {remaining} that remains",
                       code="split_exceeds_remaining",
                       details={"asked": asked, "remaining": remaining})
    return answer


async def split(ctx: RequestContext) -> dict:
    body: Split = ctx.body
    async with ctx.transaction() as conn:
        table = await load_table(conn, ctx.store_id, ctx.path["table_id"])
        tab = await tabs.tab_view(conn, ctx.runtime, ctx.store_id, table)
    remaining = tab["balance"]["remaining"]
    if remaining <= ZERO:
        raise Conflict("nothing remains to pay", code="nothing_to_pay", details=tab["balance"])
    if body.by == "equal":
        parts = [{"amount": amount} for amount in equal_parts(remaining, body.people)]
    else:
        parts = item_parts(tab["order"], body.parts, remaining)
    return {"order_id": tab["order"]["order_id"], "by": body.by, "parts": parts,
            **tab["balance"]}


async def request_bill(ctx: RequestContext) -> dict:
    """The table asks for its bill: the state shows it, and a "conferência" slip is printed
    where a receipt printer is (``waiter.bill_requested``)."""
    async with ctx.transaction() as conn:
        table = await load_table(conn, ctx.store_id, ctx.path["table_id"], lock=True)
        tab = await tabs.tab_view(conn, ctx.runtime, ctx.store_id, table)
        saved = await states.save(conn, table, ctx.client_id, ctx.store_id,
                                  status=TableState.BILL_REQUESTED)
        await emit(conn, BILL_REQUESTED, client_id=ctx.client_id, store_id=ctx.store_id, data={
            "table_id": table.table_id, "table_number": table.table_number,
            "order_id": tab["order"]["order_id"], "order": tab["order"],
            "balance": tab["balance"], "guests": table.occupied_seats})
        return {**tab, "table": table_view(saved)}


def close_when_paid(hooks) -> Subscription:
    """A table's order fully paid (``payment.completed``) is completed: the table is free."""
    desk = tabs.HooksOnly(hooks)

    async def handle(envelope: Envelope, conn) -> None:
        try:
            order_id = uuid.UUID(str(envelope.data.get("order_id")))
        except ValueError:
            return
        if await tabs.close_paid(conn, desk, envelope.store_id, order_id):
            table_id = await conn.scalar(tabs.table_of(order_id))
            await states.refresh(conn, table_id, envelope.client_id, envelope.store_id)

    return Subscription("waiter.close_when_paid", ("payment.completed",), handle)
