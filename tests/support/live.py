"""A real ``pos serve`` with the counter's plugins, on the test's database, and a client for it."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import httpx

from posmodern.core.config import Settings
from support.server import Server

COUNTER_PLUGINS = "auth,catalog,customers,orders,waiter"


@contextlib.contextmanager
def live_server(settings: Settings, tmp_path, broker: str = "memory://",
                **env: str) -> Iterator[Server]:
    """``pos serve`` on a free port against ``settings``' database and ``broker``."""
    server = Server({"DATABASE_URL": settings.database_url, "POS_DATA_DIR": str(settings.data_dir),
                     "BROKER_URL": broker, "POS_BUS_EXCHANGE": settings.bus_exchange,
                     "POS_AUTO_MIGRATE": "true", "POS_PLUGINS": COUNTER_PLUGINS,
                     "POS_LOG_LEVEL": "WARNING", "POS_OUTBOX_POLL_SECONDS": "0.2", **env},
                    cwd=tmp_path)
    try:
        server.wait_healthy(60)
        yield server
    finally:
        server.stop()


def http_client(server: Server) -> httpx.Client:
    return httpx.Client(base_url=server.url, timeout=60)
