"""``GET /api/v1/audit``: the tenant's audit log for its admins, newest first, read-only."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

from pydantic import Field, field_validator
from sqlalchemy import select

from posmodern.core.api import RequestContext
from posmodern.core.bodies import PageQuery
from posmodern.core.pagination import after, decode_cursor, page
from posmodern.schema.tables import audit_log

_SHOWN = ("seq", "audit_id", "occurred_at", "store_id", "user_id", "username", "action",
          "resource_type", "resource_id", "details", "request_id")


class AuditQuery(PageQuery):
    action: str | None = Field(default=None, max_length=100,
                               description="An action (`user.updated`), or a prefix ending in "
                                           "`.` (`user.`)")
    resource_type: str | None = Field(default=None, max_length=50)
    resource_id: str | None = Field(default=None, max_length=100)
    user: str | None = Field(default=None, max_length=100, description="Who acted: username")
    user_id: uuid.UUID | None = None
    since: datetime | None = Field(default=None, description="At or after (ISO)")
    until: datetime | None = Field(default=None, description="Before (ISO)")

    @field_validator("since", "until")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value


async def list_audit(ctx: RequestContext) -> dict:
    query: AuditQuery = ctx.query
    statement = select(*(audit_log.c[name] for name in _SHOWN))
    if query.action:
        statement = statement.where(
            audit_log.c.action.startswith(query.action, autoescape=True)
            if query.action.endswith(".") else audit_log.c.action == query.action)
    for name in ("resource_type", "resource_id", "user_id"):
        if getattr(query, name) is not None:
            statement = statement.where(audit_log.c[name] == getattr(query, name))
    if query.user:
        statement = statement.where(audit_log.c.username == query.user)
    if query.since:
        statement = statement.where(audit_log.c.occurred_at >= query.since)
    if query.until:
        statement = statement.where(audit_log.c.occurred_at < query.until)
    if query.cursor:
        statement = statement.where(after([audit_log.c.seq], decode_cursor(query.cursor, [int]),
                                          descending=True))
    statement = statement.order_by(audit_log.c.seq.desc()).limit(query.limit + 1)
    async with ctx.transaction() as conn:
        rows = (await conn.execute(statement)).all()
    items, next_cursor = page(rows, query.limit, lambda row: [row.seq])
    return {"items": [dict(row._mapping) for row in items], "next_cursor": next_cursor}
