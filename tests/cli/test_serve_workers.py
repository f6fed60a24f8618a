"""`pos serve --workers N`: several processes on one port, one sweeping relay among them, on
PostgreSQL and RabbitMQ (the memory:// bus cannot be shared by processes)."""

import json
import subprocess
import time
from pathlib import Path

import httpx
from click.testing import CliRunner
from kombu import Connection, Exchange, Queue, binding

from posmodern.cli import commands  # noqa: F401 - registers the commands
from posmodern.cli.main import cli
from support import services
from support.api import Api, create_tenant_with_users
from support.menu import create_menu, order_body
from support.server import Server
from support.settings import make_settings


def _workers_of(pid: int) -> list[int]:
    found = subprocess.run(["ps", "-ww", "-o", "pid=,args=", "--ppid", str(pid)],
                           capture_output=True, text=True).stdout.splitlines()
    # uvicorn's workers (multiprocessing's spawn), not its resource tracker
    return [int(line.split()[0]) for line in found if "spawn_main" in line]


async def test_two_workers_serve_orders_whose_events_reach_a_consumer_once(pg_url, exchange,
                                                                         tmp_path):
    settings = make_settings(pg_url, tmp_path, services.AMQP_URL, exchange)
    tenant = await create_tenant_with_users(settings)
    events = Exchange(exchange, type="topic", durable=True)
    queue = Queue(f"{exchange}.test.orders", exchange=events,
                  bindings=[binding(events, routing_key="order.created")], durable=False)
    with Connection(services.AMQP_URL) as conn:
        queue(conn.channel()).declare()
    env = {"DATABASE_URL": pg_url, "BROKER_URL": services.AMQP_URL,
           "POS_BUS_EXCHANGE": exchange, "POS_DATA_DIR": str(tmp_path / "var"),
           "POS_PLUGINS": "auth,catalog,orders", "POS_LOG_FORMAT": "text"}
    server = Server(env, cwd=tmp_path, serve_args=("--workers", "2"))
    try:
        server.wait_healthy(60)
        assert len(_workers_of(server.process.pid)) == 2, server.log()
        with httpx.Client(base_url=server.url, timeout=30) as client:
            api = Api(client, tenant)
            products = create_menu(api)
            posted = []
            for _ in range(20):  # new connections: the kernel spreads them over the workers
                made = api.post("/api/v1/orders", "cashier",
                                json=order_body(products, ("X-Burger", "1")),
                                headers={"Connection": "close"})
                assert made.status_code == 201, made.text
                posted.append(made.json()["order_id"])
        received: list[str] = []
        with Connection(services.AMQP_URL) as conn:
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and len(received) < len(posted) + 1:
                message = queue(conn.channel()).get(no_ack=True)
                if message is None:
                    if len(received) == len(posted):
                        deadline = min(deadline, time.monotonic() + 1)  # and no more after
                    time.sleep(0.05)
                    continue
                received.append(json.loads(message.body)["data"]["order_id"])
        assert sorted(received) == sorted(posted)
    finally:
        server.stop()
        services.delete_bus(exchange, [queue.name])


def test_workers_need_a_shared_broker(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{Path(tmp_path) / 'pos.db'}")
    monkeypatch.setenv("BROKER_URL", "memory://")
    result = CliRunner().invoke(cli, ["serve", "--workers", "2"])
    assert result.exit_code == 2 and "a broker the processes share" in result.output
