"""HTTP endpoints of the stock plugin (SPEC §3: ``GET /stock/items``, ``POST /stock/movements``)."""

from __future__ import annotations

import uuid
from decimal import Decimal

from pydantic import Field, model_validator
from sqlalchemy import and_, insert, select, update

from posmodern.core import audit
from posmodern.core.api import Reply, RequestContext
from posmodern.core.bodies import PageQuery, Strict
from posmodern.core.errors import Conflict, NotFound, ValidationFailed
from posmodern.core.money import ZERO, ZERO_QUANTITY
from posmodern.core.pagination import DEFAULT_LIMIT, MAX_LIMIT, after, decode_cursor, page
from posmodern.plugins.stock.movements import (Movement, MovementType, item_query, item_view,
                                               move, movement_view)
from posmodern.schema.tables import products, stock_items, stock_movements
from posmodern.schema.types import utcnow


class ItemQuery(PageQuery):
    product_id: uuid.UUID | None = None
    low: bool | None = Field(default=None, description="Only items at or below their minimum")


class ItemCreate(Strict):
    product_id: uuid.UUID
    quantity: Decimal = Field(default=ZERO_QUANTITY, ge=0, max_digits=10, decimal_places=3,
                              description="Opening balance (recorded as an IN movement)")
    min_quantity: Decimal | None = Field(default=None, ge=0, max_digits=10, decimal_places=3)
    max_quantity: Decimal | None = Field(default=None, ge=0, max_digits=10, decimal_places=3)

    @model_validator(mode="after")
    def _bounds(self):
        if (self.min_quantity is not None and self.max_quantity is not None
                and self.max_quantity < self.min_quantity):
            raise ValueError("max_quantity must not be below min_quantity")
        return self


class ItemUpdate(Strict):
    min_quantity: Decimal | None = Field(default=None, ge=0, max_digits=10, decimal_places=3)
    max_quantity: Decimal | None = Field(default=None, ge=0, max_digits=10, decimal_places=3)


class MovementCreate(Strict):
    """``IN`` and ``OUT`` take a positive quantity; ``ADJUST`` a signed correction (-2 after a
    count found two fewer)."""

    stock_item_id: uuid.UUID | None = None
    product_id: uuid.UUID | None = None
    movement_type: MovementType
    quantity: Decimal = Field(max_digits=10, decimal_places=3)
    reason: str | None = Field(default=None, min_length=1, max_length=50)
    reference_id: uuid.UUID | None = None
    reference_type: str | None = Field(default=None, min_length=1, max_length=20)
    notes: str | None = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def _shape(self):
        if (self.stock_item_id is None) == (self.product_id is None):
            raise ValueError("give exactly one of stock_item_id and product_id")
        if self.movement_type == MovementType.ADJUST:
            if self.quantity == 0:
                raise ValueError("an ADJUST quantity must not be zero")
        elif self.quantity <= 0:
            raise ValueError(f"an {self.movement_type} quantity must be positive")
        return self

    @property
    def delta(self) -> Decimal:
        return -self.quantity if self.movement_type == MovementType.OUT else self.quantity


class MovementQuery(Strict):
    stock_item_id: uuid.UUID | None = None
    reference_id: uuid.UUID | None = None
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


async def list_items(ctx: RequestContext) -> dict:
    q: ItemQuery = ctx.query
    query = item_query().where(stock_items.c.store_id == ctx.store_id)
    if q.product_id is not None:
        query = query.where(stock_items.c.product_id == q.product_id)
    if q.low is not None:
        low = and_(stock_items.c.min_quantity.is_not(None),
                   stock_items.c.quantity <= stock_items.c.min_quantity)
        query = query.where(low if q.low else ~low)
    key = (products.c.name, stock_items.c.stock_item_id)
    if q.cursor:
        query = query.where(after(key, decode_cursor(q.cursor, (str, uuid.UUID))))
    async with ctx.transaction() as conn:
        rows = (await conn.execute(query.order_by(*key).limit(q.limit + 1))).all()
    found, next_cursor = page(rows, q.limit, lambda r: (r.product_name, r.stock_item_id))
    return {"items": [item_view(r) for r in found], "next_cursor": next_cursor}


async def _item(conn, ctx: RequestContext, *, item_id: uuid.UUID | None = None,
                product_id: uuid.UUID | None = None):
    query = item_query().where(stock_items.c.store_id == ctx.store_id)
    if item_id is not None:
        query = query.where(stock_items.c.stock_item_id == item_id)
    else:
        query = query.where(stock_items.c.product_id == product_id)
    row = (await conn.execute(query)).first()
    if row is None:
        raise NotFound("no stock item for " + (f"item {item_id}" if item_id else
                                               f"product {product_id}"), code="stock_item_not_found")
    return row


async def get_item(ctx: RequestContext) -> dict:
    async with ctx.transaction() as conn:
        row = await _item(conn, ctx, item_id=ctx.path["stock_item_id"])
        moves = (await conn.execute(
            select(stock_movements).where(stock_movements.c.stock_item_id == row.stock_item_id)
            .order_by(stock_movements.c.created_at.desc()).limit(50))).all()
    return {**item_view(row), "movements": [movement_view(m) for m in moves]}


async def create_item(ctx: RequestContext) -> Reply:
    body: ItemCreate = ctx.body
    async with ctx.transaction() as conn:
        product = (await conn.execute(select(products.c.product_id, products.c.store_id)
                                      .where(products.c.product_id == body.product_id))).first()
        if product is None or product.store_id != ctx.store_id:
            raise ValidationFailed(f"unknown product {body.product_id}", code="unknown_product",
                                   details=[{"loc": ["body", "product_id"], "msg": "not found"}])
        exists = await conn.scalar(select(stock_items.c.stock_item_id).where(
            stock_items.c.store_id == ctx.store_id, stock_items.c.product_id == body.product_id))
        if exists is not None:
            raise Conflict("this product already has a stock item", code="stock_item_exists",
                           details={"stock_item_id": exists})
        item_id, now = uuid.uuid4(), utcnow()
        await conn.execute(insert(stock_items).values(
            stock_item_id=item_id, client_id=ctx.client_id, store_id=ctx.store_id,
            product_id=body.product_id, quantity=ZERO_QUANTITY, min_quantity=body.min_quantity,
            max_quantity=body.max_quantity, created_at=now, updated_at=now))
        row = await _item(conn, ctx, item_id=item_id)
        if body.quantity > ZERO:
            opening = Movement(MovementType.IN, body.quantity, reason="opening_balance")
            await move(conn, row, opening, client_id=ctx.client_id)
            row = await _item(conn, ctx, item_id=item_id)
    return Reply(item_view(row), 201)


async def update_item(ctx: RequestContext) -> dict:
    body: ItemUpdate = ctx.body
    values = {name: getattr(body, name) for name in body.model_fields_set}
    async with ctx.transaction() as conn:
        row = await _item(conn, ctx, item_id=ctx.path["stock_item_id"])
        low = values.get("min_quantity", row.min_quantity)
        high = values.get("max_quantity", row.max_quantity)
        if low is not None and high is not None and high < low:
            raise ValidationFailed("max_quantity must not be below min_quantity",
                                   code="invalid_bounds")
        if values:
            await conn.execute(update(stock_items)
                               .where(stock_items.c.stock_item_id == row.stock_item_id)
                               .values(**values, updated_at=utcnow()))
            row = await _item(conn, ctx, item_id=row.stock_item_id)
    return item_view(row)


async def create_movement(ctx: RequestContext) -> Reply:
    body: MovementCreate = ctx.body
    async with ctx.transaction() as conn:
        row = await _item(conn, ctx, item_id=body.stock_item_id, product_id=body.product_id)
        recorded = await move(conn, row, Movement(
            body.movement_type, body.delta, reason=body.reason, reference_id=body.reference_id,
            reference_type=body.reference_type, notes=body.notes),
            client_id=ctx.client_id, never_below_zero=body.movement_type == MovementType.OUT)
        row = await _item(conn, ctx, item_id=row.stock_item_id)
        await audit.record(conn, ctx, "stock.movement", resource_type="stock_item",
                           resource_id=row.stock_item_id,
                           details={"movement_type": body.movement_type, "delta": body.delta,
                                    "reason": body.reason})
    return Reply({**recorded, "item": item_view(row)}, 201)


async def list_movements(ctx: RequestContext) -> dict:
    q: MovementQuery = ctx.query
    query = (select(stock_movements)
             .select_from(stock_movements.join(
                 stock_items, stock_items.c.stock_item_id == stock_movements.c.stock_item_id))
             .where(stock_items.c.store_id == ctx.store_id))
    if q.stock_item_id is not None:
        query = query.where(stock_movements.c.stock_item_id == q.stock_item_id)
    if q.reference_id is not None:
        query = query.where(stock_movements.c.reference_id == q.reference_id)
    async with ctx.transaction() as conn:
        rows = (await conn.execute(query.order_by(stock_movements.c.created_at.desc())
                                   .limit(q.limit))).all()
    return {"items": [movement_view(r) for r in rows]}
