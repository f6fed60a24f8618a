"""Settings for a test: a temporary data dir, the given database and broker, a unique exchange."""

from __future__ import annotations

import uuid

from posmodern.core.config import Settings


def make_settings(database_url: str, tmp_path, broker: str = "memory://",
                  exchange: str | None = None, **env: str) -> Settings:
    values = {
        "POS_DATA_DIR": str(tmp_path / "var"),
        "DATABASE_URL": database_url,
        "BROKER_URL": broker,
        "POS_BUS_EXCHANGE": exchange or f"posmodern.test.{uuid.uuid4().hex[:10]}",
        "POS_OUTBOX_POLL_SECONDS": "0.2",
        "POS_LOG_FORMAT": "text",
        "POS_AUTO_MIGRATE": "true",
        **env,
    }
    return Settings.from_env(values)
