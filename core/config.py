"""Settings read from the environment.

The seed's variable names (``DB_HOST``, ``RABBITMQ_USER``, ``REDIS_PASSWORD`` …) and one URL per
service (``DATABASE_URL``, ``BROKER_URL``, ``REDIS_URL``) are both understood. Any secret may also
come from a file named by ``<NAME>_FILE`` (Docker/Compose secrets). With nothing set, POS Modern
runs embedded: a SQLite file under ``./var/``, the in-process bus and an in-memory cache.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from sqlalchemy.engine import URL, make_url

from posmodern.core.errors import ConfigError

DEV_SECRET_KEY = "dev-only-secret-key-change-me-0000000000000000"
DEV_DATA_KEY = "dev-only-data-key-change-me-00000000000000000000"
ENVIRONMENTS = ("development", "production")


def _read(env: Mapping[str, str], name: str, default: str | None = None) -> str | None:
    """One setting: ``NAME``, else the contents of the file named by ``NAME_FILE``."""
    if env.get(name):
        return env[name]
    path = env.get(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise ConfigError(f"{name}_FILE={path} cannot be read: {exc}") from exc
    return default


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None


def _positive(env: Mapping[str, str], name: str, default: int) -> int:
    value = _int(env, name, default)
    if value < 1:
        raise ConfigError(f"{name} must be 1 or more, got {value}")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool | None) -> bool | None:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def _database_url(env: Mapping[str, str], data_dir: Path) -> str:
    url = _read(env, "DATABASE_URL")
    if url:
        parsed = make_url(url)
        driver = {"postgres": "postgresql+asyncpg", "postgresql": "postgresql+asyncpg",
                  "sqlite": "sqlite+aiosqlite"}.get(parsed.drivername, parsed.drivername)
        return parsed.set(drivername=driver).render_as_string(hide_password=False)
    if env.get("DB_HOST"):
        return URL.create(
            "postgresql+asyncpg",
            username=_read(env, "DB_USER", "pos_user"),
            password=_read(env, "DB_PASSWORD"),
            host=env["DB_HOST"],
            port=_int(env, "DB_PORT", 5432),
            database=_read(env, "DB_NAME", "pos_modern"),
        ).render_as_string(hide_password=False)
    return f"sqlite+aiosqlite:///{data_dir / 'pos.db'}"


def _broker_url(env: Mapping[str, str]) -> str:
    url = _read(env, "BROKER_URL")
    if url:
        return url
    if env.get("RABBITMQ_HOST"):
        user = quote(_read(env, "RABBITMQ_USER", "guest") or "", safe="")
        password = quote(_read(env, "RABBITMQ_PASSWORD", "guest") or "", safe="")
        vhost = quote(env.get("RABBITMQ_VHOST") or "/", safe="")
        port = _int(env, "RABBITMQ_PORT", 5672)
        return f"amqp://{user}:{password}@{env['RABBITMQ_HOST']}:{port}/{vhost}"
    return "memory://"


def _redis_url(env: Mapping[str, str]) -> str | None:
    url = _read(env, "REDIS_URL")
    if url:
        return url
    if env.get("REDIS_HOST"):
        password = _read(env, "REDIS_PASSWORD")
        auth = f":{quote(password, safe='')}@" if password else ""
        port = _int(env, "REDIS_PORT", 6379)
        return f"redis://{auth}{env['REDIS_HOST']}:{port}/{env.get('REDIS_DB') or '0'}"
    return None


def _plugin_names(raw: str | None) -> tuple[str, ...] | None:
    if raw is None or not raw.strip():
        return None
    return tuple(name.strip() for name in raw.split(",") if name.strip())


@dataclass(frozen=True)
class Settings:
    """Everything a POS Modern process is configured with."""

    env: str = "development"
    # URLs may hold passwords: kept out of repr() so a logged Settings leaks nothing.
    database_url: str = field(default="", repr=False)
    broker_url: str = field(default="memory://", repr=False)
    redis_url: str | None = field(default=None, repr=False)
    secret_key: str = field(default=DEV_SECRET_KEY, repr=False)
    data_key: str = field(default=DEV_DATA_KEY, repr=False)
    token_ttl_seconds: int = 8 * 3600
    plugins: tuple[str, ...] | None = None
    data_dir: Path = Path("var")
    max_body_bytes: int = 1024 * 1024
    db_pool_size: int = 20
    db_max_overflow: int = 10
    idempotency_ttl_hours: int = 24
    outbox_retention_days: int = 7
    processed_events_retention_days: int = 30
    purge_interval_minutes: int = 60
    bus_exchange: str = "posmodern.events"
    outbox_poll_seconds: float = 0.5
    outbox_linger_ms: int = 10
    outbox_sweep_seconds: float = 5.0
    outbox_full_sweep_minutes: float = 60.0
    log_level: str = "INFO"
    log_format: str = "json"
    rabbitmq_management_url: str | None = None
    auto_migrate: bool = False
    extra: Mapping[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides) -> "Settings":
        """Read settings from ``env`` (default ``os.environ``); keyword overrides win."""
        env = os.environ if env is None else env
        data_dir = Path(env.get("POS_DATA_DIR") or "var")
        pos_env = env.get("POS_ENV") or "development"
        if pos_env not in ENVIRONMENTS:
            raise ConfigError(f"POS_ENV must be one of {', '.join(ENVIRONMENTS)}, got {pos_env!r}")
        values = dict(
            env=pos_env,
            database_url=_database_url(env, data_dir),
            broker_url=_broker_url(env),
            redis_url=_redis_url(env),
            secret_key=_read(env, "POS_SECRET_KEY", DEV_SECRET_KEY),
            data_key=_read(env, "POS_DATA_KEY", DEV_DATA_KEY),
            token_ttl_seconds=_int(env, "POS_TOKEN_TTL", 8 * 3600),
            plugins=_plugin_names(env.get("POS_PLUGINS")),
            data_dir=data_dir,
            max_body_bytes=_int(env, "POS_MAX_BODY_BYTES", 1024 * 1024),
            db_pool_size=_int(env, "POS_DB_POOL_SIZE", 20),
            db_max_overflow=_int(env, "POS_DB_MAX_OVERFLOW", 10),
            idempotency_ttl_hours=_int(env, "POS_IDEMPOTENCY_TTL_HOURS", 24),
            outbox_retention_days=_positive(env, "POS_OUTBOX_RETENTION_DAYS", 7),
            processed_events_retention_days=_positive(env, "POS_PROCESSED_EVENTS_RETENTION_DAYS",
                                                      30),
            purge_interval_minutes=_positive(env, "POS_PURGE_INTERVAL_MINUTES", 60),
            bus_exchange=env.get("POS_BUS_EXCHANGE") or "posmodern.events",
            outbox_poll_seconds=float(env.get("POS_OUTBOX_POLL_SECONDS") or "0.5"),
            outbox_linger_ms=_int(env, "POS_OUTBOX_LINGER_MS", 10),
            outbox_sweep_seconds=float(env.get("POS_OUTBOX_SWEEP_SECONDS") or "5"),
            outbox_full_sweep_minutes=float(env.get("POS_OUTBOX_FULL_SWEEP_MINUTES") or "60"),
            log_level=(env.get("POS_LOG_LEVEL") or "INFO").upper(),
            log_format=env.get("POS_LOG_FORMAT") or "json",
            rabbitmq_management_url=_read(env, "RABBITMQ_MANAGEMENT_URL"),
            auto_migrate=_bool(env, "POS_AUTO_MIGRATE", default=None),
            extra=dict(env),
        )
        values.update(overrides)
        if values["auto_migrate"] is None:
            # Embedded SQLite migrates itself at start; PostgreSQL has its migration job.
            values["auto_migrate"] = values["database_url"].startswith("sqlite")
        settings = cls(**values)
        settings.check()
        return settings

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    def check(self) -> None:
        """Refuse settings that must never reach production."""
        if not self.is_production:
            return
        if self.secret_key == DEV_SECRET_KEY or len(self.secret_key) < 32:
            raise ConfigError("POS_SECRET_KEY must be set to a secret of 32+ characters in production")
        if self.data_key == DEV_DATA_KEY or len(self.data_key) < 32:
            raise ConfigError("POS_DATA_KEY must be set to a secret of 32+ characters in production")

    def setting(self, name: str, default: str | None = None) -> str | None:
        """A plugin's own setting (``ASAAS_API_KEY`` …), as the environment had it at start-up.

        Like every secret, it may instead come from the file named by ``<NAME>_FILE``.
        """
        return _read(self.extra, name, default)
