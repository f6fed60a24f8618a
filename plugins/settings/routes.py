"""``/api/v1/settings``: read and change the caller's store's values of the per-store settings.

A change names each setting with its new value (``null``: back to the value every store has).
Each is checked by its spec and nothing is written unless all are good; what changed is audited
and published as ``settings.changed`` in the same transaction.
"""

from __future__ import annotations

from typing import Any

from posmodern.core import audit
from posmodern.core.api import RequestContext
from posmodern.core.errors import ValidationFailed
from posmodern.core.events import emit
from posmodern.core.plugin_settings import MASK, Declared, SettingInvalid
from posmodern.core.store_settings import save_store_values, store_lookup
from pydantic import RootModel
from sqlalchemy.ext.asyncio import AsyncConnection

STATE_KEY = "settings"


class SettingsChange(RootModel[dict[str, Any]]):
    """``{"NAME": value, …}``; ``null`` puts a setting back to the value every store has."""


def _declared(ctx: RequestContext) -> dict[str, Declared]:
    return ctx.runtime.state[STATE_KEY]


async def _lookup(conn: AsyncConnection, ctx: RequestContext) -> dict[str, tuple[Any, str]]:
    specs = [item.spec for item in _declared(ctx).values()]
    return await store_lookup(conn, ctx.runtime.settings, ctx.store_id, specs)


def _view(ctx: RequestContext, found: dict[str, tuple[Any, str]]) -> dict[str, Any]:
    items = []
    for name, item in sorted(_declared(ctx).items()):
        spec = item.spec
        value, source = found[name]
        items.append({"name": name, "plugin": item.plugin, "value": spec.shown(value),
                      "source": source, "default": spec.shown(spec.value(ctx.runtime.settings)),
                      "type": spec.type_name, "expected": spec.expected(),
                      "choices": list(spec.choices), "secret": spec.secret,
                      "description": spec.description})
    return {"store_id": ctx.store_id, "items": items}


async def read_settings(ctx: RequestContext) -> dict[str, Any]:
    async with ctx.transaction() as conn:
        return _view(ctx, await _lookup(conn, ctx))


def _parse(ctx: RequestContext, sent: dict[str, Any]) -> dict[str, Any]:
    """The new values by name (None: back to the default), or a 422 naming every bad one.

    A secret sent back masked, as ``GET`` shows it, is left as it is.
    """
    declared = _declared(ctx)
    problems, values = [], {}
    for name, raw in sent.items():
        item = declared.get(name)
        if item is None:
            problems.append({"loc": ["body", name], "type": "unknown_setting",
                             "msg": f"{name} is not a setting a store may change; per-store "
                                    f"settings: {', '.join(sorted(declared)) or 'none'}"})
        elif raw is None:
            values[name] = None
        elif not (item.spec.secret and raw == MASK):
            try:
                values[name] = item.spec.parse(raw)
            except SettingInvalid as exc:
                problems.append({"loc": ["body", name], "type": "invalid_setting",
                                 "msg": exc.message, "expected": item.spec.expected()})
    if problems:
        kinds = {problem["type"] for problem in problems}
        raise ValidationFailed("some settings cannot be set", details=problems,
                               code=kinds.pop() if len(kinds) == 1 else "invalid_settings")
    return values


async def _write(conn: AsyncConnection, ctx: RequestContext, values: dict[str, Any]) -> None:
    declared = _declared(ctx)
    await save_store_values(conn, ctx.client_id, ctx.store_id, {
        name: None if value is None else declared[name].spec.to_json(value)
        for name, value in values.items()})


async def _apply(ctx: RequestContext, values: dict[str, Any]) -> dict[str, Any]:
    declared = _declared(ctx)
    async with ctx.transaction() as conn:
        before = await _lookup(conn, ctx)
        await _write(conn, ctx, values)
        after = await _lookup(conn, ctx)
        changed = [{"name": name, "value": declared[name].spec.shown(after[name][0]),
                    "source": after[name][1],
                    "previous": declared[name].spec.shown(before[name][0])}
                   for name in sorted(values) if before[name] != after[name]]
        if changed:
            await audit.record(conn, ctx, "settings.changed", resource_type="store",
                               resource_id=ctx.store_id, details={"changed": changed})
            await emit(conn, "settings.changed", client_id=ctx.client_id,
                       store_id=ctx.store_id, data={"store_id": ctx.store_id,
                                                    "changed": changed})
        return _view(ctx, after)


async def change_settings(ctx: RequestContext) -> dict[str, Any]:
    sent: dict[str, Any] = ctx.body.root
    if not sent:
        raise ValidationFailed("send at least one setting to change", code="no_settings")
    return await _apply(ctx, _parse(ctx, sent))


async def replace_settings(ctx: RequestContext) -> dict[str, Any]:
    values = _parse(ctx, ctx.body.root)
    kept = {name for name, raw in ctx.body.root.items() if raw == MASK}
    for name in _declared(ctx):
        if name not in values and name not in kept:
            values[name] = None
    return await _apply(ctx, values)
