"""Orders placed and changed by other plugins of the process, through the plugin owning orders.

A kiosk, a waiter's tab or a marketplace does not write ``orders``: it asks the orders plugin,
which prices, validates, numbers and publishes exactly as for a request to its API, in the
caller's transaction (so the caller's own rows and the order commit together). The hooks
are implemented once, by the orders plugin; when it is not loaded in this process the call
answers 503 ``orders_unavailable`` (run the calling plugin with ``orders``).
"""

from __future__ import annotations

import uuid
from typing import Any

from pluggy import HookCaller
from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.core.asyncio_hooks import call_hook
from posmodern.core.errors import ServiceUnavailable
from posmodern.core.orders import ItemRequest, OrderRequest
from posmodern.core.runtime import Runtime


async def _only(hook: HookCaller, **kwargs: Any) -> dict[str, Any]:
    results = await call_hook(hook, **kwargs)
    if not results:
        raise ServiceUnavailable("no plugin of this process takes orders: load the orders plugin",
                                 code="orders_unavailable")
    return results[0]


async def place_order(conn: AsyncConnection, runtime: Runtime,
                      request: OrderRequest) -> dict[str, Any]:
    """Place ``request``; returns the order as the API shows it (``order.created`` published)."""
    return await _only(runtime.pm.hook.pos_order_place, conn=conn, runtime=runtime,
                       request=request)


async def add_order_items(conn: AsyncConnection, runtime: Runtime, store_id: str,
                          order_id: uuid.UUID, items: list[ItemRequest], *,
                          while_cooking: bool = False) -> dict[str, Any]:
    """Add a round to an open, unpaid order (``order.items_changed`` published).

    Without ``while_cooking`` only while the kitchen has not started (as the API); with it (a
    table's tab) also while earlier rounds cook or were served: a ``READY`` or ``DELIVERED``
    order goes back to ``IN_PREPARATION`` for the new round."""
    return await _only(runtime.pm.hook.pos_order_add_items, conn=conn, runtime=runtime,
                       store_id=store_id, order_id=order_id, items=items,
                       while_cooking=while_cooking)


async def move_order(conn: AsyncConnection, runtime: Runtime, store_id: str,
                     order_id: uuid.UUID, status: str) -> dict[str, Any]:
    """Move an order to ``status`` through its lifecycle (409 when the step is not allowed)."""
    return await _only(runtime.pm.hook.pos_order_move, conn=conn, runtime=runtime,
                       store_id=store_id, order_id=order_id, status=status)


async def transfer_order_items(conn: AsyncConnection, runtime: Runtime, store_id: str,
                               order_id: uuid.UUID, *, item_ids: list[uuid.UUID] | None = None,
                               to_order_id: uuid.UUID | None = None,
                               to_table_id: uuid.UUID | None = None) -> dict[str, Any]:
    """Move items of an open, unpaid order (``item_ids`` None: all) into another open order
    (``to_order_id``) or onto a table (``to_table_id``); returns ``{"from": …, "to": …}``.

    Items that already went to the kitchen are not sent again: the kitchen keeps making them on
    the ticket they are on. An order left empty is closed (``COMPLETED``, nothing to pay)."""
    if (to_order_id is None) == (to_table_id is None):
        raise ValueError("name either the order or the table the items go to")
    return await _only(runtime.pm.hook.pos_order_transfer, conn=conn, runtime=runtime,
                       store_id=store_id, order_id=order_id, item_ids=item_ids,
                       to_order_id=to_order_id, to_table_id=to_table_id)
