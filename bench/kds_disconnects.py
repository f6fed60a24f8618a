"""Kitchen display (issue 13): tickets a screen misses or sees twice across random disconnects.

Starts `pos serve` (SQLite and the in-process bus by default; `--database-url` and `--broker`
for PostgreSQL and RabbitMQ), then confirms `--orders` orders (a ticket each at `cozinha`) from a
thread while a screen reading `GET /api/v1/kds/stream` drops its connection `--disconnects`
times at random moments and comes back with `Last-Event-ID`. Prints how many tickets the
kitchen made, how many the screen saw, and how many it missed or saw twice.

    .venv/bin/python bench/kds_disconnects.py [--orders 100] [--disconnects 50] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import tempfile
from collections import Counter
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from support.api import Api, make_tenant  # noqa: E402
from support.kitchen import run_orders_through_disconnects  # noqa: E402
from support.menu import create_menu  # noqa: E402
from support.server import serving  # noqa: E402
from support.settings import make_settings  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100)
    parser.add_argument("--disconnects", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--broker", default="memory://")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="kds-disconnects-"))
    database_url = args.database_url or f"sqlite+aiosqlite:///{tmp / 'var' / 'pos.db'}"
    tenant = make_tenant(make_settings(database_url, tmp))
    env = {"DATABASE_URL": database_url, "POS_DATA_DIR": str(tmp / "var"),
           "BROKER_URL": args.broker, "POS_LOG_LEVEL": "WARNING",
           "POS_PLUGINS": "auth,catalog,customers,orders,waiter,kds", "POS_AUTO_MIGRATE": "true"}
    with serving(env, cwd=tmp) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        staff = Api(client, tenant)
        menu = create_menu(staff)
        seen, made = run_orders_through_disconnects(
            server.url, staff, menu, orders=args.orders, disconnects=args.disconnects,
            rng=random.Random(args.seed))
    times = Counter(seen)
    print(json.dumps({
        "machine": f"{platform.node()}, {os.cpu_count()} cores",
        "database": database_url.split(":")[0], "broker": args.broker.split(":")[0],
        "orders": args.orders, "disconnects": args.disconnects, "tickets_made": len(made),
        "tickets_seen": len(times), "missing": len(set(made) - set(times)),
        "seen_twice": sum(1 for n in times.values() if n > 1),
        "unknown": len(set(times) - set(made))}))


if __name__ == "__main__":
    main()
