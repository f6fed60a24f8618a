"""Delivery-app orders under process kills (issue 17, SPEC §5): a fake iFood on 127.0.0.1 keeps
receiving orders (repeated and out of order) while `pos remote-orders poll` processes are killed
(SIGKILL) at random moments; after the last kill one clean poll runs. Prints how many orders the
marketplace had, how many we took, lost and duplicated, and how many kills landed before,
during and after a commit (seen from the fake: between fetch and ack, or elsewhere).

    .venv/bin/python bench/remote_orders_kills.py [--kills 200] [--database-url postgresql://…]
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from starlette.testclient import TestClient

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from posmodern.hosts.app import create_app  # noqa: E402
from support.api import Api, make_tenant  # noqa: E402
from support.fake_marketplace import FakeIFood  # noqa: E402
from support.remote_orders import add_menu, poll, sell_through_ifood  # noqa: E402
from support.settings import make_settings  # noqa: E402

PLUGINS = "auth,catalog,orders,payments,settings,remote_orders,ifood"
POS = str(Path(sys.executable).with_name("pos"))


def taken(api: Api) -> list[str]:
    """The external ids of every order of the tenant, page by page."""
    found, cursor = [], None
    while True:
        page = api.get("/api/v1/orders", params={"limit": 100, **(
            {"cursor": cursor} if cursor else {})}).json()
        found += [order["external_id"] for order in page["items"]]
        cursor = page.get("next_cursor")
        if not cursor:
            return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=200)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    tmp = Path(tempfile.mkdtemp(prefix="remote-bench-"))
    database_url = args.database_url or f"sqlite+aiosqlite:///{tmp / 'var' / 'pos.db'}"
    with FakeIFood() as ifood:
        settings = make_settings(database_url, tmp, IFOOD_API_URL=ifood.url,
                                 REMOTE_ORDERS_POLLING="false", POS_LOG_LEVEL="ERROR")
        with TestClient(create_app(settings, plugins=PLUGINS.split(","))) as client:
            api = Api(client, make_tenant(settings))
            add_menu(api)
            sell_through_ifood(api, ifood.merchant)
            env = {**os.environ, **settings.extra, "POS_PLUGINS": PLUGINS,
                   "POS_AUTO_MIGRATE": "false"}
            placed, moments = [], Counter()
            ifood.shuffle = True
            for _ in range(args.kills):
                for _ in range(rng.randint(0, 2)):
                    placed.append(ifood.place([("XB", "1", "26.90")])["id"])
                if ifood.events and rng.random() < 0.3:
                    ifood.repeat(rng.choice(ifood.events))
                process = subprocess.Popen(
                    [POS, "remote-orders", "poll", "--client", api.tenant.client_id], env=env,
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                seen = len(ifood.requests)
                # Killed at a random moment once it talks to iFood (its start-up takes seconds).
                deadline = time.monotonic() + 30
                while len(ifood.requests) == seen and time.monotonic() < deadline:
                    time.sleep(0.01)
                time.sleep(rng.uniform(0.0, 0.4))
                process.send_signal(signal.SIGKILL)
                process.wait(10)
                calls = [route for route, _ in ifood.requests[seen:]]
                moments[calls[-1] if calls else "starting"] += 1
            for _ in range(5):
                poll(api)
            ours = taken(api)
    counted = Counter(ours)
    lost = sorted(set(placed) - set(counted))
    duplicated = sorted(order for order, times in counted.items() if times > 1)
    print(f"kills: {args.kills}; last call to iFood before each kill: {dict(moments)}")
    print(f"orders placed at iFood: {len(placed)}; taken: {len(set(counted))}; "
          f"lost: {len(lost)}; duplicated: {len(duplicated)}; events left unacknowledged: "
          f"{len(ifood.events)}")


if __name__ == "__main__":
    main()
