"""The real services the suite talks to: PostgreSQL, RabbitMQ and Redis on this machine.

They are required: a missing one stops the run with an error, never a skip.
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from concurrent.futures import ThreadPoolExecutor

PG_URL = os.environ.get("POS_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
AMQP_URL = os.environ.get("POS_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")
REDIS_URL = os.environ.get("POS_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=3):
            return True
    except OSError:
        return False


def missing_services() -> list[str]:
    """Names of the required services that do not answer."""
    from urllib.parse import urlparse

    missing = []
    for name, url, port in (("PostgreSQL", PG_URL, 5432), ("RabbitMQ", AMQP_URL, 5672),
                            ("Redis", REDIS_URL, 6379)):
        parsed = urlparse(url)
        if not _reachable(parsed.hostname or "127.0.0.1", parsed.port or port):
            missing.append(f"{name} ({parsed.hostname}:{parsed.port or port})")
    return missing


async def _admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_URL)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _run(coro):
    """Run a coroutine to completion, also from inside a running event loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def create_database() -> str:
    """A fresh PostgreSQL database for this test run; returns its SQLAlchemy URL."""
    name = f"posmodern_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    _run(_admin(f'CREATE DATABASE "{name}"'))
    base = PG_URL.rsplit("/", 1)[0]
    return f"{base}/{name}".replace("postgresql://", "postgresql+asyncpg://", 1)


def tenant_ids(url: str) -> set[str]:
    """The tenants registered in the database at ``url`` (none before its control tables)."""
    import asyncpg

    async def read() -> set[str]:
        conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
        try:
            if not await conn.fetchval("SELECT to_regclass('pos_modern.tenants') IS NOT NULL"):
                return set()
            return {row[0] for row in await conn.fetch("SELECT client_id FROM pos_modern.tenants")}
        finally:
            await conn.close()

    return _run(read())


def drop_tenants(url: str, keep: set[str]) -> list[str]:
    """Drop (``pos tenant drop``) every tenant of the database at ``url`` but ``keep``; the ones
    that could not be dropped within a few seconds (a lock still held) are left and named."""
    from posmodern.core import tenancy
    from posmodern.core.db import Database

    async def drop(client_ids: set[str]) -> list[str]:
        left = []
        db = Database(url)
        try:
            for client_id in sorted(client_ids):
                try:
                    await asyncio.wait_for(tenancy.drop_tenant(db, client_id), 10)
                except Exception:  # noqa: BLE001 - left for the end of the run
                    left.append(client_id)
        finally:
            await db.dispose()
        return left

    made = tenant_ids(url) - keep
    return _run(drop(made)) if made else []


def drop_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    _run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def delete_bus(exchange: str, queues: list[str]) -> None:
    """Remove a test's exchange and queues from RabbitMQ."""
    from kombu import Connection

    with Connection(AMQP_URL) as conn:
        channel = conn.channel()
        for queue in queues:
            try:
                channel.queue_delete(queue)
            except Exception:  # noqa: BLE001 - already gone
                channel = conn.channel()
        try:
            channel.exchange_delete(exchange)
        except Exception:  # noqa: BLE001
            pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
