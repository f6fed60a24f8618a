"""A product's fiscal data (NCM, CFOP, CST/CSOSN and the ICMS rates, origin, IBS/CBS class and
rates). The CST/CSOSN must fit the store's tax regime (``POS_FISCAL_CRT``)."""

from __future__ import annotations

from typing import Any

from posmodern.core.api import RequestContext
from posmodern.core.errors import NotFound, ValidationFailed
from posmodern.core.ids import new_uuid
from posmodern.plugins.fiscal import settings as spec
from posmodern.plugins.fiscal.issuer import store_fiscal
from posmodern.plugins.fiscal.models import ProductFiscal
from posmodern.plugins.fiscal.nfce import icms_codes
from posmodern.schema.tables import fiscal_products, products
from posmodern.schema.types import utcnow
from sqlalchemy import delete, select

FIELDS = tuple(ProductFiscal.model_fields)


def view(row: Any) -> dict[str, Any]:
    return {"product_id": row.product_id, **{name: getattr(row, name) for name in FIELDS},
            "updated_at": row.updated_at}


async def _fiscal(conn, ctx: RequestContext):
    return (await conn.execute(select(fiscal_products).where(
        fiscal_products.c.product_id == ctx.path["product_id"],
        fiscal_products.c.store_id == ctx.store_id))).first()


async def list_products(ctx: RequestContext):
    async with ctx.transaction() as conn:
        rows = (await conn.execute(select(fiscal_products).where(
            fiscal_products.c.store_id == ctx.store_id)
            .order_by(fiscal_products.c.product_id))).all()
    return {"products": [view(row) for row in rows]}


async def get_product(ctx: RequestContext):
    async with ctx.transaction() as conn:
        row = await _fiscal(conn, ctx)
    if row is None:
        raise NotFound("the product has no fiscal data", code="fiscal_data_not_found")
    return view(row)


async def put_product(ctx: RequestContext):
    body: ProductFiscal = ctx.body
    product_id = ctx.path["product_id"]
    async with ctx.transaction() as conn:
        found = (await conn.execute(select(products.c.product_id).where(
            products.c.product_id == product_id, products.c.store_id == ctx.store_id))).first()
        if found is None:
            raise NotFound(f"product {product_id} not found", code="product_not_found")
        crt = (await store_fiscal(conn, ctx.runtime.settings, ctx.store_id))[spec.CRT]
        allowed = icms_codes(crt)
        if body.cst not in allowed:
            message = (f"CST/CSOSN {body.cst} does not fit the store's CRT {crt}; use one of "
                       f"{', '.join(allowed)}")
            raise ValidationFailed(message, details=[
                {"loc": ["cst"], "msg": message, "type": "cst_not_for_crt"}])
        now, values = utcnow(), body.model_dump()
        row = await _fiscal(conn, ctx)
        if row is None:
            await conn.execute(fiscal_products.insert().values(
                fiscal_product_id=new_uuid(), client_id=ctx.client_id, store_id=ctx.store_id,
                product_id=product_id, created_at=now, updated_at=now, **values))
        else:
            await conn.execute(fiscal_products.update().where(
                fiscal_products.c.fiscal_product_id == row.fiscal_product_id)
                .values(updated_at=now, **values))
        return view(await _fiscal(conn, ctx))


async def delete_product(ctx: RequestContext):
    async with ctx.transaction() as conn:
        row = await _fiscal(conn, ctx)
        if row is None:
            raise NotFound("the product has no fiscal data", code="fiscal_data_not_found")
        await conn.execute(delete(fiscal_products).where(
            fiscal_products.c.fiscal_product_id == row.fiscal_product_id))
    return {"product_id": row.product_id, "deleted": True}
