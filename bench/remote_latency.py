"""Delivery-app orders to the kitchen (issue 17): the time from a marketplace creating an order to
its ticket on the KDS, and to the marketplace receiving our confirmation.

Starts `pos serve` (auth, catalog, orders, payments, settings, remote_orders, ifood, kds; SQLite
and the in-process bus by default, `--database-url postgresql://…` for PostgreSQL) against a fake
iFood on 127.0.0.1 (tests/support/fake_marketplace.py), with the plugin's default polling every
30 s and automatic confirmation. Places `--orders` orders at random moments over `--minutes`;
with `--webhooks`, iFood's signed webhook is also posted for each order as it is created (the
poll still runs). The ticket's time is the KDS ticket's `created_at`; the confirmation's, when the
fake received `POST /orders/{id}/confirm`. Same machine, same clock.

    .venv/bin/python bench/remote_latency.py [--orders 40] [--minutes 4] [--webhooks]
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import random
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from support.api import Api, make_tenant  # noqa: E402
from support.fake_marketplace import FakeIFood  # noqa: E402
from support.remote_orders import add_menu, sell_through_ifood  # noqa: E402
from support.server import serving  # noqa: E402
from support.settings import make_settings  # noqa: E402

PLUGINS = "auth,catalog,orders,payments,settings,remote_orders,ifood,kds"
WEBHOOK_SECRET = "bench-webhook-secret"


class TimedIFood(FakeIFood):
    """The fake iFood, noting when each action on an order arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.acted_at: dict[tuple[str, str], float] = {}

    async def act(self, request):
        key = (request.path_params["id"], request.path_params["action"])
        self.acted_at.setdefault(key, time.time())
        return await super().act(request)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[int(share * (len(ordered) - 1))]


def figures(name: str, seconds: list[float]) -> dict[str, float | None]:
    if not seconds:
        return {f"{name}_p50_s": None, f"{name}_p95_s": None, f"{name}_max_s": None}
    return {f"{name}_p50_s": round(statistics.median(seconds), 2),
            f"{name}_p95_s": round(percentile(seconds, 0.95), 2),
            f"{name}_max_s": round(max(seconds), 2)}


def epoch(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=40)
    parser.add_argument("--minutes", type=float, default=4.0)
    parser.add_argument("--webhooks", action="store_true")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--wait", type=float, default=120.0,
                        help="seconds to wait, after the last order, for its ticket")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    tmp = Path(tempfile.mkdtemp(prefix="remote-latency-"))
    database_url = args.database_url or f"sqlite+aiosqlite:///{tmp / 'var' / 'pos.db'}"
    with TimedIFood() as ifood:
        env = {"DATABASE_URL": database_url, "POS_DATA_DIR": str(tmp / "var"),
               "BROKER_URL": "memory://", "POS_LOG_LEVEL": "WARNING",
               "POS_AUTO_MIGRATE": "true", "POS_PLUGINS": PLUGINS,
               "IFOOD_API_URL": ifood.url, "IFOOD_WEBHOOK_SECRET": WEBHOOK_SECRET}
        tenant = make_tenant(make_settings(database_url, tmp))
        with serving(env, cwd=tmp) as server, \
                httpx.Client(base_url=server.url, timeout=30) as client:
            staff = Api(client, tenant)
            add_menu(staff)
            sell_through_ifood(staff, ifood.merchant)
            staff.token("kitchen")
            # The store's merchant is known to the webhook route from its first poll.
            deadline = time.monotonic() + 60
            while (not any(route == "polling" for route, _ in ifood.requests)
                   and time.monotonic() < deadline):
                time.sleep(0.2)
            moments = sorted(rng.uniform(0, args.minutes * 60) for _ in range(args.orders))
            placed: dict[str, float] = {}
            start = time.monotonic()
            for moment in moments:
                time.sleep(max(0.0, start + moment - time.monotonic()))
                order = ifood.place([("XB", "1", "26.90"), ("GUA", "2", "6.50")])
                placed[order["id"]] = time.time()
                if args.webhooks:
                    body = json.dumps(ifood.events[-1]).encode()
                    signature = hmac.new(WEBHOOK_SECRET.encode(), body,
                                         hashlib.sha256).hexdigest()
                    threading.Thread(target=client.post, daemon=True, args=(
                        "/api/v1/remote-orders/ifood",), kwargs={
                            "content": body, "headers": {"X-IFood-Signature": signature}}).start()
            deadline = time.monotonic() + args.wait
            tickets: dict[str, float] = {}
            orders: dict[str, tuple[str, float]] = {}
            while time.monotonic() < deadline:
                page = staff.get("/api/v1/orders", params={"limit": 100}).json()["items"]
                orders = {o["order_id"]: (o["external_id"], epoch(o["created_at"]))
                          for o in page if o.get("external_id")}
                found = staff.get("/api/v1/kds/tickets", "kitchen",
                                  params={"status": "NEW", "limit": 500}).json()["items"]
                tickets = {}
                for ticket in found:
                    at = epoch(ticket["created_at"])
                    tickets[ticket["order_id"]] = min(at, tickets.get(ticket["order_id"], at))
                confirmed = {oid for (oid, action) in ifood.acted_at if action == "confirm"}
                if len(tickets) >= len(placed) and set(placed) <= confirmed:
                    break
                time.sleep(1.0)
    by_external = {external: (order_id, arrived) for order_id, (external, arrived)
                   in orders.items()}
    to_ticket, to_confirm, after_arrival = [], [], []
    for external, at in placed.items():
        order_id, arrived = by_external.get(external, (None, None))
        if order_id in tickets:
            to_ticket.append(tickets[order_id] - at)
        confirmed_at = ifood.acted_at.get((external, "confirm"))
        if confirmed_at is not None:
            to_confirm.append(confirmed_at - at)
            if arrived is not None:
                after_arrival.append(confirmed_at - arrived)
    print(json.dumps({
        "database": database_url.split(":")[0], "webhooks": args.webhooks,
        "orders": len(placed), "taken": len(by_external), "tickets": len(to_ticket),
        "confirmed": len(to_confirm),
        **figures("to_ticket", to_ticket), **figures("to_confirmation", to_confirm),
        **figures("arrival_to_confirmation", after_arrival)}))


if __name__ == "__main__":
    main()
