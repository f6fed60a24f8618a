"""The endpoints every menu table has: list by name, create, read, change, deactivate.

Every change publishes ``catalog.<what>_changed`` (``catalog.product_changed``,
``catalog.category_changed``) in its transaction, so a copy of the menu kept elsewhere (the
kiosk's cache) knows when to read it again.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.core import audit
from posmodern.core.api import Reply, RequestContext
from posmodern.core.events import emit
from posmodern.core.records import as_dict, fetch_one, insert_one, list_by_name, update_one

#: Checks what a new row or a change refers to: (conn, store_id, row_id or None, values).
ReferenceCheck = Callable[[AsyncConnection, str, "uuid.UUID | None", dict[str, Any]],
                          Awaitable[None]]


@dataclass(frozen=True)
class Related:
    """A field of the body kept in another table (a product's ``modifier_group_ids``): ``save``
    writes it once the row exists (conn, store_id, row_id, value or None when not sent), ``read``
    adds what it shows to a page of items (conn, store_id, items)."""

    field: str
    save: Callable[[AsyncConnection, str, uuid.UUID, Any], Awaitable[None]]
    read: Callable[[AsyncConnection, str, list[dict[str, Any]]], Awaitable[None]]


@dataclass(frozen=True)
class MenuResource:
    table: Table
    what: str                    # "category", "product": names the id and the 404 code
    filters: tuple[str, ...]     # query fields that select rows equal to them
    check_references: ReferenceCheck
    #: Fields only these roles see (a product's cost: what the house pays is not the floor's).
    private: tuple[str, ...] = ()
    private_to: frozenset[str] = frozenset()
    related: Related | None = None

    @property
    def id_name(self) -> str:
        return f"{self.what}_id"

    async def _changed(self, conn: AsyncConnection, ctx: RequestContext, row,
                       change: str) -> None:
        """Publish ``catalog.<what>_changed``: the row's id, what happened and whether it is
        active now."""
        await emit(conn, f"catalog.{self.what}_changed", client_id=ctx.client_id,
                   store_id=ctx.store_id, data={self.id_name: getattr(row, self.id_name),
                                                "change": change, "active": row.active})

    def _shown(self, ctx: RequestContext, item: dict[str, Any]) -> dict[str, Any]:
        if self.private and not ctx.principal.has_any(self.private_to):
            return {key: value for key, value in item.items() if key not in self.private}
        return item

    def _split(self, values: dict[str, Any]) -> tuple[dict[str, Any], Any]:
        """The row's values, and the related field's value (None when not sent)."""
        if self.related is None:
            return values, None
        values = dict(values)
        return values, values.pop(self.related.field, None)

    async def _shown_rows(self, conn: AsyncConnection, ctx: RequestContext,
                          items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if self.related is not None:
            await self.related.read(conn, ctx.store_id, items)
        return [self._shown(ctx, item) for item in items]

    async def list(self, ctx: RequestContext) -> dict:
        query = ctx.query
        async with ctx.transaction() as conn:
            page = await list_by_name(
                conn, self.table, ctx.store_id, limit=query.limit, cursor=query.cursor,
                search=query.q, equal={name: getattr(query, name) for name in self.filters})
            items = await self._shown_rows(conn, ctx, page["items"])
        return {**page, "items": items}

    async def create(self, ctx: RequestContext) -> Reply:
        values, related = self._split(
            dict(ctx.body.model_dump(), client_id=ctx.client_id, store_id=ctx.store_id))
        values[self.id_name] = uuid.uuid4()
        async with ctx.transaction() as conn:
            await self.check_references(conn, ctx.store_id, None, values)
            row = await insert_one(conn, self.table, values)
            if self.related is not None:
                await self.related.save(conn, ctx.store_id, values[self.id_name], related)
            await self._changed(conn, ctx, row, "created")
            (item,) = await self._shown_rows(conn, ctx, [as_dict(row)])
        return Reply(item, 201)

    async def get(self, ctx: RequestContext) -> dict:
        async with ctx.transaction() as conn:
            row = await fetch_one(conn, self.table, ctx.store_id, ctx.path[self.id_name],
                                  what=self.what)
            (item,) = await self._shown_rows(conn, ctx, [as_dict(row)])
        return item

    async def update(self, ctx: RequestContext) -> dict:
        return await self._change(ctx, ctx.body.changes(), "updated")

    async def deactivate(self, ctx: RequestContext) -> dict:
        """Soft delete: the row stays (orders and products keep pointing at it), inactive."""
        return await self._change(ctx, {"active": False}, "deactivated")

    async def _change(self, ctx: RequestContext, changes: dict[str, Any], change: str) -> dict:
        row_id = ctx.path[self.id_name]
        changes, related = self._split(changes)
        async with ctx.transaction() as conn:
            await self.check_references(conn, ctx.store_id, row_id, changes)
            before = None
            if "price" in changes:
                before = await fetch_one(conn, self.table, ctx.store_id, row_id, what=self.what,
                                         lock=True)
            if changes:
                row = await update_one(conn, self.table, ctx.store_id, row_id, changes,
                                       what=self.what)
            else:  # only the related field was sent
                row = await fetch_one(conn, self.table, ctx.store_id, row_id, what=self.what,
                                      lock=True)
            if self.related is not None:
                await self.related.save(conn, ctx.store_id, row_id, related)
            if before is not None and before.price != row.price:
                await audit.record(conn, ctx, f"{self.what}.price_changed",
                                   resource_type=self.what, resource_id=row_id,
                                   details={"name": row.name, "from": before.price,
                                            "to": row.price})
            await self._changed(conn, ctx, row, change)
            (item,) = await self._shown_rows(conn, ctx, [as_dict(row)])
        return item
