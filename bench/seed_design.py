"""The seed's order data access (design document §5.1–5.3), as the baseline of bench/orders_http.py.

Reimplemented as the seed wrote it: an asyncpg pool (5 to 20 connections), `OrderService` checking
each product with its own SELECT and trusting the client's prices, `OrderRepository` inserting the
order and then each item with its own INSERT and reading both back, and the listing fetching the
items of each order with one more query (N+1). It is served by the same stack as POS Modern
(Starlette on uvicorn, one process) so the two can be compared end to end over HTTP. It does less
than POS Modern per order: no token check, no Idempotency-Key, no order number, no outbox event.

    .venv/bin/python bench/seed_design.py PORT DSN      # serve it (orders_http.py does this)
"""

from __future__ import annotations

import json
import sys
import uuid
from datetime import datetime, timezone

import asyncpg
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

# The seed's init-db.sh, for the tables this benchmark touches.
SEED_DDL = """
CREATE SCHEMA IF NOT EXISTS pos_modern;
CREATE TABLE pos_modern.products (
    product_id UUID PRIMARY KEY, client_id VARCHAR(50) NOT NULL, store_id VARCHAR(50) NOT NULL,
    name VARCHAR(100) NOT NULL, description TEXT, price DECIMAL(10, 2) NOT NULL,
    cost DECIMAL(10, 2), category_id UUID, active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(), metadata JSONB);
CREATE INDEX idx_products_client_store ON pos_modern.products(client_id, store_id);
CREATE TABLE pos_modern.orders (
    order_id UUID PRIMARY KEY, client_id VARCHAR(50) NOT NULL, store_id VARCHAR(50) NOT NULL,
    order_number VARCHAR(20) NOT NULL, status VARCHAR(20) NOT NULL, customer_id UUID,
    waiter_id UUID, table_id UUID,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    subtotal DECIMAL(10, 2) NOT NULL, tax DECIMAL(10, 2) NOT NULL, discount DECIMAL(10, 2) NOT NULL,
    total DECIMAL(10, 2) NOT NULL, payment_status VARCHAR(20) NOT NULL, notes TEXT, metadata JSONB);
CREATE INDEX idx_orders_client_store ON pos_modern.orders(client_id, store_id);
CREATE INDEX idx_orders_status ON pos_modern.orders(status);
CREATE INDEX idx_orders_created_at ON pos_modern.orders(created_at);
CREATE TABLE pos_modern.order_items (
    item_id UUID PRIMARY KEY,
    order_id UUID NOT NULL REFERENCES pos_modern.orders(order_id) ON DELETE CASCADE,
    product_id UUID NOT NULL, quantity DECIMAL(10, 3) NOT NULL, unit_price DECIMAL(10, 2) NOT NULL,
    subtotal DECIMAL(10, 2) NOT NULL, status VARCHAR(20) NOT NULL, notes TEXT, customizations JSONB,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW());
CREATE INDEX idx_order_items_order_id ON pos_modern.order_items(order_id);
"""


class PostgresConnection:
    """§5.1: one pool for the process."""

    _pool = None
    dsn = ""

    @classmethod
    async def get_pool(cls):
        if cls._pool is None:
            cls._pool = await asyncpg.create_pool(cls.dsn, min_size=5, max_size=20)
        return cls._pool


class ProductRepository:
    @staticmethod
    async def get_product_by_id(product_id: str):
        pool = await PostgresConnection.get_pool()
        async with pool.acquire() as conn:
            return await conn.fetchrow("SELECT * FROM pos_modern.products WHERE product_id = $1",
                                       uuid.UUID(product_id))


class OrderRepository:
    """§5.2, statement for statement."""

    @staticmethod
    async def create_order(order_data: dict) -> dict:
        order_id = uuid.uuid4()
        created_at = datetime.now(timezone.utc)
        pool = await PostgresConnection.get_pool()
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute("""
                INSERT INTO pos_modern.orders (
                    order_id, client_id, store_id, order_number, status, customer_id, waiter_id,
                    table_id, created_at, updated_at, subtotal, tax, discount, total,
                    payment_status, notes, metadata
                ) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
                          $17)""",
                order_id, order_data["client_id"], order_data["store_id"],
                order_data["order_number"], order_data["status"], None, None, None, created_at,
                created_at, order_data["subtotal"], order_data["tax"], order_data["discount"],
                order_data["total"], order_data["payment_status"], order_data.get("notes"), None)
            for item in order_data.get("items", []):
                await conn.execute("""
                    INSERT INTO pos_modern.order_items (
                        item_id, order_id, product_id, quantity, unit_price, subtotal, status,
                        notes, customizations, created_at, updated_at
                    ) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)""",
                    uuid.uuid4(), order_id, uuid.UUID(item["product_id"]), item["quantity"],
                    item["unit_price"], item["subtotal"], "PENDING", item.get("notes"), None,
                    created_at, created_at)
            order = await conn.fetchrow("SELECT * FROM pos_modern.orders WHERE order_id = $1",
                                        order_id)
            items = await conn.fetch("SELECT * FROM pos_modern.order_items WHERE order_id = $1",
                                     order_id)
            order_dict = dict(order)
            order_dict["items"] = [dict(item) for item in items]
            return order_dict

    @staticmethod
    async def get_orders_by_client_store(client_id: str, store_id: str, limit: int = 100,
                                         offset: int = 0) -> list[dict]:
        pool = await PostgresConnection.get_pool()
        async with pool.acquire() as conn:
            orders = await conn.fetch("""
                SELECT * FROM pos_modern.orders WHERE client_id = $1 AND store_id = $2
                ORDER BY created_at DESC LIMIT $3 OFFSET $4""", client_id, store_id, limit, offset)
            result = []
            for order in orders:
                order_dict = dict(order)
                items = await conn.fetch(
                    "SELECT * FROM pos_modern.order_items WHERE order_id = $1",
                    order_dict["order_id"])
                order_dict["items"] = [dict(item) for item in items]
                result.append(order_dict)
            return result


class OrderService:
    """§5.3: products checked one by one; prices and totals as the client sent them."""

    async def create_order(self, order_data: dict) -> dict:
        for item in order_data.get("items", []):
            product = await ProductRepository.get_product_by_id(item["product_id"])
            if not product:
                raise ValueError(f"Produto não encontrado: {item['product_id']}")
            item["subtotal"] = item["quantity"] * item["unit_price"]
        subtotal = sum(item["subtotal"] for item in order_data.get("items", []))
        tax = order_data.get("tax", 0)
        discount = order_data.get("discount", 0)
        order_data.update(subtotal=subtotal, tax=tax, discount=discount,
                          total=subtotal + tax - discount, status="PENDING",
                          payment_status="PENDING")
        return await OrderRepository.create_order(order_data)


def _json(data, status: int = 200) -> Response:
    return Response(json.dumps(data, default=str), status_code=status,
                    media_type="application/json")


async def create(request: Request) -> Response:
    order_data = await request.json()
    for item in order_data["items"]:  # asyncpg wants Decimal-compatible numbers, not floats
        item["quantity"] = int(item["quantity"])
        item["unit_price"] = round(float(item["unit_price"]), 2)
    return _json(await OrderService().create_order(order_data), 201)


async def listing(request: Request) -> Response:
    params = request.query_params
    return _json(await OrderRepository.get_orders_by_client_store(
        params["client_id"], params["store_id"], int(params.get("limit", 100))))


app = Starlette(routes=[Route("/orders", create, methods=["POST"]),
                        Route("/orders", listing, methods=["GET"])])


if __name__ == "__main__":
    PostgresConnection.dsn = sys.argv[2]
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning",
                access_log=False)
