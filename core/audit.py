"""The audit log: who did what sensitive act, written in the act's own transaction.

Rows are chained (:mod:`posmodern.core.audit_chain`): each holds its place (``seq``) and a hash
over the previous row's hash and its own content; :func:`verify` finds the first broken link.
Appends are serialised per tenant, so two acts at once never both follow the same row.
"""

from __future__ import annotations

import getpass
import uuid
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.core.api import RequestContext
from posmodern.core.audit_chain import GENESIS, link
from posmodern.core.db import Database
from posmodern.core.events import json_safe
from posmodern.core.locks import serialize
from posmodern.schema.tables import audit_log
from posmodern.schema.types import utcnow


async def append(conn: AsyncConnection, *, client_id: str, action: str, store_id: str = "",
                 user_id: Any = None, username: str | None = None,
                 resource_type: str | None = None, resource_id: Any = None,
                 details: dict[str, Any] | None = None, request_id: str | None = None) -> None:
    """Write one audit entry in ``conn``'s transaction, chained after the last one (every
    entry goes through here)."""
    # Held until the transaction ends: the next append reads this row as the last.
    await serialize(conn, "audit_log", client_id)
    last = (await conn.execute(select(audit_log.c.seq, audit_log.c.chain_hash)
                               .where(audit_log.c.seq.is_not(None))
                               .order_by(audit_log.c.seq.desc()).limit(1))).first()
    row = {
        "seq": last.seq + 1 if last else 1,
        "audit_id": uuid.uuid4(),
        "client_id": client_id,
        "store_id": store_id,
        "occurred_at": utcnow(),
        "user_id": None if user_id is None else uuid.UUID(str(user_id)),
        "username": None if username is None else username[:100],
        "action": action,
        "resource_type": resource_type,
        "resource_id": None if resource_id is None else str(resource_id)[:100],
        "details": json_safe(details) if details else None,
        "request_id": None if request_id is None else request_id[:64],
    }
    row["chain_hash"] = link(last.chain_hash if last else GENESIS, row)
    await conn.execute(insert(audit_log).values(**row))


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


async def verify(db: Database, client_id: str, *, batch: int = 1000) -> tuple[int, dict | None]:
    """Check a tenant's chain: the rows checked, and the first broken link (its ``seq``,
    ``audit_id`` and what is wrong) or None."""
    previous, expected, checked = GENESIS, 1, 0
    while True:
        async with db.transaction(client_id) as conn:
            rows = (await conn.execute(select(audit_log).where(audit_log.c.seq >= expected)
                                       .order_by(audit_log.c.seq).limit(batch))).all()
            if expected == 1:
                unchained = await conn.scalar(select(audit_log.c.audit_id)
                                              .where(audit_log.c.seq.is_(None)).limit(1))
                if unchained is not None:
                    return 0, {"seq": None, "audit_id": str(unchained),
                               "problem": "a row outside the chain"}
        for row in rows:
            if row.seq != expected:
                return checked, {"seq": expected, "audit_id": None,
                                 "problem": f"row {expected} is missing (next is {row.seq})"}
            previous_ok = link(previous, row._mapping)
            if row.chain_hash != previous_ok:
                return checked, {"seq": row.seq, "audit_id": str(row.audit_id),
                                 "problem": "its content or the row before it was changed"}
            previous, expected, checked = row.chain_hash, expected + 1, checked + 1
        if len(rows) < batch:
            return checked, None
