"""LGPD: everything the system holds about one customer, exported or erased.

Each plugin answers for its own tables through ``pos_personal_data_export`` and
``pos_personal_data_erase``; this module calls them all in one tenant transaction, so an erasure
is whole or not at all, and audits the act in that transaction (who, which customer, what each
plugin changed; never the personal data itself).

Erasure anonymises: the customer row stays (its id still links the orders the restaurant must
keep for the tax authorities, and the fiscal documents of those orders) with its name, contacts,
document and address removed; the other plugins remove the personal parts of their rows.
"""

from __future__ import annotations

import uuid
from typing import Any

import pluggy
from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.core import audit
from posmodern.core.asyncio_hooks import call_hook
from posmodern.core.config import Settings
from posmodern.core.errors import NotFound
from posmodern.core.jsonable import json_safe
from posmodern.schema.types import utcnow


async def export(conn: AsyncConnection, hooks: pluggy.HookRelay, settings: Settings,
                 customer_id: uuid.UUID, store_id: str) -> dict[str, Any]:
    """Every plugin's data about the customer, as one JSON-safe document."""
    sections: dict[str, Any] = {}
    for part in await call_hook(hooks.pos_personal_data_export, conn=conn,
                                customer_id=customer_id, store_id=store_id, settings=settings):
        sections.update(part or {})
    if not sections.get("customer"):
        raise NotFound(f"customer {customer_id} not found", code="customer_not_found",
                       details={"customer_id": str(customer_id)})
    return json_safe({"customer_id": customer_id, "store_id": store_id,
                      "exported_at": utcnow(), **sections})


async def erase(conn: AsyncConnection, hooks: pluggy.HookRelay, settings: Settings,
                customer_id: uuid.UUID, store_id: str) -> dict[str, int]:
    """Anonymise the customer in every plugin's tables; ``{table: rows changed}``."""
    await export(conn, hooks, settings, customer_id, store_id)  # 404 for an unknown customer
    changed: dict[str, int] = {}
    for part in await call_hook(hooks.pos_personal_data_erase, conn=conn,
                                customer_id=customer_id, store_id=store_id, settings=settings):
        for table, count in (part or {}).items():
            changed[table] = changed.get(table, 0) + count
    return changed


async def audited(conn: AsyncConnection, action: str, customer_id: uuid.UUID, *,
                  client_id: str, store_id: str, details: dict[str, Any],
                  username: str | None = None, user_id: Any = None,
                  request_id: str | None = None) -> None:
    """Record an export or an erasure in the audit log (no personal data in it)."""
    await audit.append(conn, client_id=client_id, store_id=store_id, action=action,
                       resource_type="customer", resource_id=customer_id, details=details,
                       username=username, user_id=user_id, request_id=request_id)
