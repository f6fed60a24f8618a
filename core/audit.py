"""The audit log: who did what sensitive act, written in the act's own transaction."""

from __future__ import annotations

import getpass
import uuid
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.core.api import RequestContext
from posmodern.core.db import Database
from posmodern.core.events import json_safe
from posmodern.schema.tables import audit_log
from posmodern.schema.types import utcnow


async def append(conn: AsyncConnection, *, client_id: str, action: str, store_id: str = "",
                 user_id: Any = None, username: str | None = None,
                 resource_type: str | None = None, resource_id: Any = None,
                 details: dict[str, Any] | None = None, request_id: str | None = None) -> None:
    """Write one audit entry in ``conn``'s transaction (every entry goes through here)."""
    await conn.execute(insert(audit_log).values(
        audit_id=uuid.uuid4(),
        client_id=client_id,
        store_id=store_id,
        occurred_at=utcnow(),
        user_id=None if user_id is None else uuid.UUID(str(user_id)),
        username=None if username is None else username[:100],
        action=action,
        resource_type=resource_type,
        resource_id=None if resource_id is None else str(resource_id)[:100],
        details=json_safe(details) if details else None,
        request_id=None if request_id is None else request_id[:64],
    ))


async def record(conn: AsyncConnection, ctx: RequestContext, action: str, *,
                 resource_type: str | None = None, resource_id: Any = None,
                 details: dict[str, Any] | None = None) -> None:
    """Write one audit entry for the request's user."""
    principal = ctx.principal
    await append(conn, client_id=principal.client_id if principal else "",
                 store_id=principal.store_id if principal else "",
                 user_id=principal.user_id if principal else None,
                 username=principal.username if principal else None, action=action,
                 resource_type=resource_type, resource_id=resource_id, details=details,
                 request_id=ctx.request_id)


def cli_operator() -> str:
    """Who ran a ``pos`` command, as the audit log names them (the OS account)."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


async def record_cli(db: Database, client_id: str, action: str, *, resource_type: str,
                     resource_id: Any, details: dict[str, Any]) -> None:
    """Audit an act done with the ``pos`` command line, in its own transaction."""
    async with db.transaction(client_id) as conn:
        await append(conn, client_id=client_id, action=action, username=cli_operator(),
                     resource_type=resource_type, resource_id=resource_id, details=details)


async def record_failed_login(db: Database, client_id: str, username: str, *,
                              request_id: str, details: dict[str, Any]) -> None:
    """Audit a refused sign-in in the tenant it named (none for a tenant that does not exist).

    ``username`` is what was typed, known or not; the password is never recorded.
    """
    if not await db.tenant_exists(client_id):
        return
    async with db.transaction(client_id) as conn:
        await append(conn, client_id=client_id, username=username,
                     action="auth.login_failed", resource_type="user", details=details,
                     request_id=request_id)
