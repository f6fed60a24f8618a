"""The audit log: who did what sensitive act, written in the act's own transaction."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.core.api import RequestContext
from posmodern.core.db import Database
from posmodern.core.events import json_safe
from posmodern.schema.tables import audit_log
from posmodern.schema.types import utcnow


async def record(conn: AsyncConnection, ctx: RequestContext, action: str, *,
                 resource_type: str | None = None, resource_id: Any = None,
                 details: dict[str, Any] | None = None) -> None:
    """Write one audit entry for the request's user."""
    principal = ctx.principal
    await conn.execute(insert(audit_log).values(
        audit_id=uuid.uuid4(),
        client_id=principal.client_id if principal else "",
        store_id=principal.store_id if principal else "",
        occurred_at=utcnow(),
        user_id=uuid.UUID(principal.user_id) if principal else None,
        username=principal.username if principal else None,
        action=action,
        resource_type=resource_type,
        resource_id=None if resource_id is None else str(resource_id),
        details=json_safe(details) if details else None,
        request_id=ctx.request_id,
    ))


async def record_failed_login(db: Database, client_id: str, username: str, *,
                              request_id: str, details: dict[str, Any]) -> None:
    """Audit a refused sign-in in the tenant it named (none for a tenant that does not exist).

    ``username`` is what was typed, known or not; the password is never recorded.
    """
    if not await db.tenant_exists(client_id):
        return
    async with db.transaction(client_id) as conn:
        await conn.execute(insert(audit_log).values(
            audit_id=uuid.uuid4(), client_id=client_id, store_id="", occurred_at=utcnow(),
            user_id=None, username=username[:100], action="auth.login_failed",
            resource_type="user", details=json_safe(details), request_id=request_id[:64]))
