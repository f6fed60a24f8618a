"""The kiosk's menu of 1,000 products from the cache (issue 16: at most 20 ms p95).

In one run: a tenant with a kiosk user and a menu of `--products` products in `--categories`
categories (each with a description and a picture), `pos serve` (auth, catalog, orders, payments,
kiosk) on SQLite with its cache on Redis; one warm-up request fills the cache, then `--requests`
sequential `GET /api/v1/kiosk/menu` from one kiosk (a keep-alive httpx client) are timed, p50 and
p95 printed (each asks Redis for the copy's stamp and sends the process's own text of that copy). For comparison, as many requests to a route answering a few bytes with the same
token (what any authenticated request costs on this machine), and `--cold` requests with the cached copy deleted before each (the menu
read from the database and encoded again) are timed too.

    .venv/bin/python bench/kiosk_menu.py [--products 1000] [--requests 500] [--cold 30]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

import httpx
import redis

from posmodern.core import security, tenancy
from posmodern.core.db import Database
from posmodern.schema.tables import categories, products
from posmodern.schema.types import utcnow

POS = str(Path(sys.executable).with_name("pos"))
REDIS = os.environ.get("POS_BENCH_REDIS", "redis://127.0.0.1:6379/15")
STORE, PASSWORD = "store-1", "bench-kiosk-1"


async def make_tenant(database_url: str, client_id: str, count: int, groups: int) -> None:
    db = Database(database_url)
    try:
        await tenancy.create_tenant(db, client_id)
        await security.create_user(db, client_id=client_id, store_id=STORE, username="kiosk",
                                   password=PASSWORD, roles=["kiosk"])
        now = utcnow()
        tenant = dict(client_id=client_id, store_id=STORE, created_at=now, updated_at=now)
        group_ids = [uuid.uuid4() for _ in range(groups)]
        async with db.transaction(client_id) as conn:
            await conn.execute(categories.insert(), [
                dict(category_id=group_id, name=f"Categoria {n + 1}",
                     description=f"Pratos da categoria {n + 1}", **tenant)
                for n, group_id in enumerate(group_ids)])
            await conn.execute(products.insert(), [
                dict(product_id=uuid.uuid4(), name=f"Produto {n + 1:04d}",
                     description="Arroz, feijão, farofa e salada da casa",
                     price=Decimal(10 + n % 50) + Decimal("0.90"),
                     category_id=group_ids[n % groups],
                     metadata={"image_url": f"/media/produto-{n + 1}.jpg"}, **tenant)
                for n in range(count)])
    finally:
        await db.dispose()


def wait_healthy(url: str, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("pos serve exited")
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit("pos serve did not start")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def timed(client: httpx.Client, headers: dict, before=None,
          path: str = "/api/v1/kiosk/menu") -> tuple[float, int]:
    if before:
        before()
    started = time.perf_counter()
    answer = client.get(path, headers=headers)
    elapsed = time.perf_counter() - started
    assert answer.status_code == 200, answer.text
    return elapsed * 1000, len(answer.content)


def report(label: str, samples: list[float]) -> None:
    print(f"{label:<28} n={len(samples):<4} p50 {statistics.median(samples):6.2f} ms   "
          f"p95 {percentile(samples, 0.95):6.2f} ms   max {max(samples):6.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--products", type=int, default=1000)
    parser.add_argument("--categories", type=int, default=20)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--cold", type=int, default=30)
    parser.add_argument("--port", type=int, default=8791)
    args = parser.parse_args()
    client_id = f"bench{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory() as tmp:
        database_url = f"sqlite+aiosqlite:///{tmp}/var/pos.db"
        env = {**os.environ, "DATABASE_URL": database_url, "POS_DATA_DIR": f"{tmp}/var",
               "POS_PLUGINS": "auth,catalog,orders,payments,kiosk", "REDIS_URL": REDIS,
               "POS_LOG_LEVEL": "WARNING"}
        asyncio.run(make_tenant(database_url, client_id, args.products, args.categories))
        url = f"http://127.0.0.1:{args.port}"
        server = subprocess.Popen([POS, "serve", "--port", str(args.port)], env=env, cwd=tmp,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_healthy(url, server)
            with httpx.Client(base_url=url, timeout=30) as client:
                token = client.post("/api/v1/auth/token", json={
                    "client_id": client_id, "username": "kiosk",
                    "password": PASSWORD}).json()["access_token"]
                headers = {"Authorization": f"Bearer {token}"}
                cache = redis.Redis.from_url(REDIS)
                keys = [f"pos:kiosk.{name}:{client_id}:{STORE}" for name in ("menu", "menu_stamp")]
                cold = [timed(client, headers, lambda: cache.delete(*keys))[0]
                        for _ in range(args.cold)]
                _, size = timed(client, headers)  # fills the cache
                warm = [timed(client, headers)[0] for _ in range(args.requests)]
                tiny = [timed(client, headers, path="/api/v1/payments/providers")[0]
                        for _ in range(args.requests)]
                cache.delete(*keys)
        finally:
            server.terminate()
            server.wait(15)
    print(f"kiosk menu: {args.products} products in {args.categories} categories, "
          f"{size / 1024:.0f} KiB of JSON; Python {platform.python_version()}, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    report("from the cache (Redis)", warm)
    report("cache cleared (database)", cold)
    report("a tiny route, same token", tiny)


if __name__ == "__main__":
    main()
