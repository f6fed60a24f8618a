"""Endpoints changing a user: roles, active, password. Each change revokes the user's tokens
(:mod:`posmodern.core.revocation`) and is audited."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from posmodern.core import audit, revocation, security
from posmodern.core.api import ROLES, RequestContext
from posmodern.core.errors import Conflict, Forbidden, ValidationFailed


class UserChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    roles: list[str] | None = Field(default=None, min_length=1,
                                    json_schema_extra={"items": {"enum": list(ROLES)}})
    active: bool | None = None


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    password: str = Field(min_length=1, max_length=200)
    #: Required to change one's own password (admins too); an admin resetting another's omits it.
    current_password: str | None = Field(default=None, max_length=200)


async def get_user(ctx: RequestContext) -> dict:
    return await security.get_user(ctx.runtime.db, ctx.client_id, ctx.path["user_id"])


async def change_user(ctx: RequestContext) -> dict:
    body: UserChange = ctx.body
    if body.roles is None and body.active is None:
        raise ValidationFailed("give roles, active or both", code="nothing_to_change")
    db = ctx.runtime.db
    before = await security.get_user(db, ctx.client_id, ctx.path["user_id"])
    if before["user_id"] == ctx.principal.user_id and (
            body.active is False or (body.roles is not None and "admin" not in body.roles)):
        # Otherwise the last admin could lock the tenant out of its own user management.
        raise Conflict("you may not deactivate yourself or drop your own admin role",
                       code="own_account")
    after = await security.update_user(db, ctx.client_id, before["user_id"], roles=body.roles,
                                       active=body.active)
    await revocation.user_changed(db, ctx.runtime.cache, ctx.client_id, after["user_id"])
    changes = {key: {"from": before[key], "to": after[key]} for key in ("roles", "active")
               if before[key] != after[key]}
    async with ctx.transaction() as conn:
        await audit.record(conn, ctx, "user.updated", resource_type="user",
                           resource_id=after["user_id"],
                           details={"username": after["username"], "changes": changes})
    return after


async def change_password(ctx: RequestContext) -> dict:
    body: PasswordChange = ctx.body
    db = ctx.runtime.db
    user_id = ctx.path["user_id"]
    own = user_id == ctx.principal.user_id
    if not own and "admin" not in ctx.principal.roles:
        raise Forbidden("only an admin may set another user's password",
                        details={"required": ["admin"], "roles": sorted(ctx.principal.roles)})
    if own and body.current_password is None:
        # A stolen token alone must not be enough to take the account over.
        raise ValidationFailed("give your current password to change it",
                               code="current_password_required")
    current = body.current_password if own else None
    user = await security.change_password(db, ctx.client_id, user_id, body.password,
                                          current=current)
    await revocation.user_changed(db, ctx.runtime.cache, ctx.client_id, user["user_id"])
    async with ctx.transaction() as conn:
        await audit.record(conn, ctx, "user.password_changed" if own else "user.password_reset",
                           resource_type="user", resource_id=user["user_id"],
                           details={"username": user["username"]})
    return {"user_id": user["user_id"], "username": user["username"], "password_changed": True}
