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

from posmodern.core import keys
from posmodern.core.errors import ConfigError
from posmodern.core.keys import installation_keys
from posmodern.core.plugin_settings import SettingSpec

DEV_SECRET_KEY = "dev-only-secret-key-change-me-0000000000000000"
DEV_DATA_KEY = "dev-only-data-key-change-me-00000000000000000000"
ENVIRONMENTS = ("development", "production")


S = SettingSpec
DATABASE_URL = S("DATABASE_URL", secret=True, default_text="SQLite file `$POS_DATA_DIR/pos.db`",
                 description="SQLAlchemy URL (`postgresql://…` or `sqlite:///…`)")
DB_HOST = S("DB_HOST", description="PostgreSQL host, the seed's name: used when DATABASE_URL "
                                   "is unset")
DB_PORT = S("DB_PORT", int, 5432, "PostgreSQL port (with DB_HOST)", min=1, max=65535)
DB_USER = S("DB_USER", str, "pos_user", "PostgreSQL user (with DB_HOST)")
DB_PASSWORD = S("DB_PASSWORD", secret=True, description="PostgreSQL password (with DB_HOST)")
DB_NAME = S("DB_NAME", str, "pos_modern", "PostgreSQL database (with DB_HOST)")
BROKER_URL = S("BROKER_URL", secret=True, default_text="`memory://` (in-process)",
               description="kombu URL of the bus (`amqp://…`)")
RABBITMQ_HOST = S("RABBITMQ_HOST", description="RabbitMQ host, the seed's name: used when "
                                               "BROKER_URL is unset")
RABBITMQ_PORT = S("RABBITMQ_PORT", int, 5672, "RabbitMQ port (with RABBITMQ_HOST)", min=1,
                  max=65535)
RABBITMQ_USER = S("RABBITMQ_USER", str, "guest", "RabbitMQ user (with RABBITMQ_HOST)")
RABBITMQ_PASSWORD = S("RABBITMQ_PASSWORD", str, "guest", "RabbitMQ password (with RABBITMQ_HOST)",
                      secret=True, default_text="`guest`")
RABBITMQ_VHOST = S("RABBITMQ_VHOST", str, "/", "RabbitMQ virtual host (with RABBITMQ_HOST)")
RABBITMQ_MANAGEMENT_URL = S("RABBITMQ_MANAGEMENT_URL", secret=True,
                            default_text="port 15672 of the broker",
                            description="RabbitMQ management API for the event-bus panel")
REDIS_URL = S("REDIS_URL", secret=True, default_text="in-process memory",
              description="the cache")
REDIS_HOST = S("REDIS_HOST", description="Redis host: used when REDIS_URL is unset")
REDIS_PORT = S("REDIS_PORT", int, 6379, "Redis port (with REDIS_HOST)", min=1, max=65535)
REDIS_PASSWORD = S("REDIS_PASSWORD", secret=True, description="Redis password (with REDIS_HOST)")
REDIS_DB = S("REDIS_DB", int, 0, "Redis database number (with REDIS_HOST)", min=0)
POS_ENV = S("POS_ENV", str, "development", "`production` refuses default secrets",
            choices=ENVIRONMENTS)
POS_SECRET_KEY = S("POS_SECRET_KEY", str, secret=True,
                   default_text="a random key per installation, kept in "
                                "`$POS_DATA_DIR/installation-keys.json` (refused in production)",
                   description="JWT signing key; production refuses one shorter than 32 "
                               "characters, predictable, equal to POS_DATA_KEY or committed in "
                               "`deploy/secrets/dev`")
POS_DATA_KEY = S("POS_DATA_KEY", str, secret=True,
                 default_text="a random key per installation, kept in "
                              "`$POS_DATA_DIR/installation-keys.json` (refused in production)",
                 description="key for data encrypted at rest (customers' CPF/CNPJ), held to the "
                             "same rules as POS_SECRET_KEY in production; changing it makes "
                             "sealed data unreadable")
POS_ALLOW_DEV_KEYS_ON_NETWORK = S(
    "POS_ALLOW_DEV_KEYS_ON_NETWORK", bool, False, "let `pos serve --host` listen on an address "
    "other than loopback while the keys are development ones (not set, or committed in "
    "`deploy/secrets/dev`): a demo on a LAN, or containers behind the development gateway")
POS_PLUGINS = S("POS_PLUGINS", tuple, default_text="every installed plugin",
                description="plugins to load, comma-separated (`--plugins` on the CLI)")
POS_START_APPS = S("POS_START_APPS", tuple, (),
                   "plugins whose apps the start page `/` lists although this process does not "
                   "load them, comma-separated: a split deployment's front service names the "
                   "plugins whose pages other services serve")
POS_DATA_DIR = S("POS_DATA_DIR", str, "var", "where SQLite files live")
POS_AUTO_MIGRATE = S("POS_AUTO_MIGRATE", bool, default_text="true on SQLite, false on PostgreSQL",
                     description="migrate every tenant at start")
POS_TOKEN_TTL = S("POS_TOKEN_TTL", int, 8 * 3600, "access-token lifetime, seconds (a shift)",
                  min=1)
POS_MAX_BODY_BYTES = S("POS_MAX_BODY_BYTES", int, 1024 * 1024, "largest request body, bytes",
                       min=1)
POS_DB_POOL_SIZE = S("POS_DB_POOL_SIZE", int, 20, "PostgreSQL connections a process keeps open",
                     min=1)
POS_DB_MAX_OVERFLOW = S("POS_DB_MAX_OVERFLOW", int, 10, "PostgreSQL connections a process may "
                        "open beyond the pool under load (closed again after use)", min=0)
POS_IDEMPOTENCY_TTL_HOURS = S("POS_IDEMPOTENCY_TTL_HOURS", int, 24, "how long an "
                              "`Idempotency-Key` is remembered (per tenant; a repeat after that "
                              "is a new request)", min=0)
POS_BUS_EXCHANGE = S("POS_BUS_EXCHANGE", str, "posmodern.events",
                     "RabbitMQ topic exchange of the events")
POS_OUTBOX_LINGER_MS = S("POS_OUTBOX_LINGER_MS", int, 10, "how long the relay waits after a "
                         "commit for others to send them together, ms", min=0)
POS_OUTBOX_POLL_SECONDS = S("POS_OUTBOX_POLL_SECONDS", float, 0.5, "SQLite: how often the relay "
                            "sweeps every tenant's outbox, seconds", min=0.01)
POS_OUTBOX_SWEEP_SECONDS = S(
    "POS_OUTBOX_SWEEP_SECONDS", float, 5.0, "PostgreSQL: how often the sweeping relay looks, in "
    "one query over the statistics, for tenants whose outbox had rows inserted that no wake-up "
    "announced (the safety net of the `LISTEN`/`NOTIFY` wake-ups; its cost does not grow with "
    "the tenants), seconds", min=0.1)
POS_OUTBOX_FULL_SWEEP_MINUTES = S(
    "POS_OUTBOX_FULL_SWEEP_MINUTES", float, 60.0, "PostgreSQL: how often the sweeping relay "
    "visits every tenant's outbox (also when it takes the role), minutes", min=0.01)
POS_OUTBOX_RETENTION_DAYS = S("POS_OUTBOX_RETENTION_DAYS", int, 7, "how long an event stays in "
                              "the outbox after it was sent (events not yet sent are never "
                              "deleted)", min=1)
POS_PROCESSED_EVENTS_RETENTION_DAYS = S(
    "POS_PROCESSED_EVENTS_RETENTION_DAYS", int, 30, "how long a handled event's id is remembered "
    "to ignore its redelivery (keep it past the 14 days Asaas holds an undelivered webhook)",
    min=1)
POS_PURGE_INTERVAL_MINUTES = S("POS_PURGE_INTERVAL_MINUTES", int, 60, "how often the relay "
                               "deletes, per tenant, what is past these retentions and expired "
                               "`Idempotency-Key`s (also at start-up)", min=1)
POS_LOGIN_ACCOUNT_FAILURES = S(
    "POS_LOGIN_ACCOUNT_FAILURES", int, 5, "failed sign-ins an account (tenant + username) may have "
    "before it is locked: 1 s, then twice as long after each further failure; the right password "
    "is refused too while locked (429 `account_locked` with `Retry-After`); a success forgets the "
    "failures", min=1)
POS_LOGIN_LOCKOUT_MAX_SECONDS = S("POS_LOGIN_LOCKOUT_MAX_SECONDS", int, 15 * 60,
                                  "the longest such lock, seconds", min=1)
POS_LOGIN_ADDRESS_FAILURES = S(
    "POS_LOGIN_ADDRESS_FAILURES", int, 20, "failed sign-ins a client address may have in a minute, "
    "across accounts (429 `address_locked`); counted in Redis when configured, so across "
    "replicas", min=1)
POS_LOGIN_HASH_SLOTS = S("POS_LOGIN_HASH_SLOTS", int, 4, "password hashes computed at once "
                         "(argon2: 64 MiB each)", min=1)
POS_LOGIN_HASH_WAIT_SECONDS = S("POS_LOGIN_HASH_WAIT_SECONDS", float, 5.0, "how long a sign-in "
                                "waits for a hashing slot before a 503 with `Retry-After`",
                                min=0.0)
POS_LOG_LEVEL = S("POS_LOG_LEVEL", str, "INFO", "log level")
POS_LOG_FORMAT = S("POS_LOG_FORMAT", str, "json", "`json` or `text`")
del S

#: The core's own settings, for ``pos config`` and the docs; :meth:`Settings.from_env` reads
#: every one of them.
CORE_SETTINGS: tuple[SettingSpec, ...] = tuple(
    value for value in dict(globals()).values() if isinstance(value, SettingSpec))


def _database_url(env: Mapping[str, str], data_dir: Path) -> str:
    url = DATABASE_URL.read(env)
    if url:
        parsed = make_url(url)
        driver = {"postgres": "postgresql+asyncpg", "postgresql": "postgresql+asyncpg",
                  "sqlite": "sqlite+aiosqlite"}.get(parsed.drivername, parsed.drivername)
        return parsed.set(drivername=driver).render_as_string(hide_password=False)
    host = DB_HOST.read(env)
    if host:
        return URL.create(
            "postgresql+asyncpg", username=DB_USER.read(env), password=DB_PASSWORD.read(env),
            host=host, port=DB_PORT.read(env), database=DB_NAME.read(env),
        ).render_as_string(hide_password=False)
    return f"sqlite+aiosqlite:///{data_dir / 'pos.db'}"


def _broker_url(env: Mapping[str, str]) -> str:
    url = BROKER_URL.read(env)
    if url:
        return url
    host = RABBITMQ_HOST.read(env)
    if host:
        user = quote(RABBITMQ_USER.read(env), safe="")
        password = quote(RABBITMQ_PASSWORD.read(env), safe="")
        vhost = quote(RABBITMQ_VHOST.read(env), safe="")
        return f"amqp://{user}:{password}@{host}:{RABBITMQ_PORT.read(env)}/{vhost}"
    return "memory://"


def _redis_url(env: Mapping[str, str]) -> str | None:
    url = REDIS_URL.read(env)
    if url:
        return url
    host = REDIS_HOST.read(env)
    if host:
        password = REDIS_PASSWORD.read(env)
        auth = f":{quote(password, safe='')}@" if password else ""
        return f"redis://{auth}{host}:{REDIS_PORT.read(env)}/{REDIS_DB.read(env)}"
    return None


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
    #: The keys were not given: made for this installation (core/keys.py).
    installation_keys: bool = False
    allow_dev_keys_on_network: bool = False
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
    # Sign-in throttling (core/throttle.py): failures an account may have before it is locked,
    # its longest lock, failures per client address per minute, argon2 hashes at once, and
    # how long a sign-in waits for one of those before a 503.
    login_account_failures: int = 5
    login_lockout_max_seconds: int = 15 * 60
    login_address_failures: int = 20
    login_hash_slots: int = 4
    login_hash_wait_seconds: float = 5.0
    extra: Mapping[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides) -> "Settings":
        """Read settings from ``env`` (default ``os.environ``); keyword overrides win."""
        env = os.environ if env is None else env
        data_dir = Path(POS_DATA_DIR.read(env))
        secret_key, data_key = POS_SECRET_KEY.read(env), POS_DATA_KEY.read(env)
        made_keys = (secret_key is None or data_key is None) and (
            POS_ENV.read(env) != "production" and "secret_key" not in overrides)
        if made_keys:
            try:
                made = installation_keys(data_dir, DEV_DATA_KEY)
            except OSError as exc:
                raise ConfigError(f"POS_SECRET_KEY / POS_DATA_KEY are not set and the keys of "
                                  f"this installation cannot be kept in {data_dir}: {exc}") from None
            secret_key = secret_key or made[0]
            data_key = data_key or made[1]
        values = dict(
            env=POS_ENV.read(env),
            database_url=_database_url(env, data_dir),
            broker_url=_broker_url(env),
            redis_url=_redis_url(env),
            secret_key=secret_key or "",
            data_key=data_key or "",
            installation_keys=made_keys,
            allow_dev_keys_on_network=POS_ALLOW_DEV_KEYS_ON_NETWORK.read(env),
            token_ttl_seconds=POS_TOKEN_TTL.read(env),
            plugins=POS_PLUGINS.read(env) or None,
            data_dir=data_dir,
            max_body_bytes=POS_MAX_BODY_BYTES.read(env),
            db_pool_size=POS_DB_POOL_SIZE.read(env),
            db_max_overflow=POS_DB_MAX_OVERFLOW.read(env),
            idempotency_ttl_hours=POS_IDEMPOTENCY_TTL_HOURS.read(env),
            outbox_retention_days=POS_OUTBOX_RETENTION_DAYS.read(env),
            processed_events_retention_days=POS_PROCESSED_EVENTS_RETENTION_DAYS.read(env),
            purge_interval_minutes=POS_PURGE_INTERVAL_MINUTES.read(env),
            bus_exchange=POS_BUS_EXCHANGE.read(env),
            outbox_poll_seconds=POS_OUTBOX_POLL_SECONDS.read(env),
            outbox_linger_ms=POS_OUTBOX_LINGER_MS.read(env),
            log_level=POS_LOG_LEVEL.read(env).upper(),
            log_format=POS_LOG_FORMAT.read(env),
            rabbitmq_management_url=RABBITMQ_MANAGEMENT_URL.read(env),
            auto_migrate=POS_AUTO_MIGRATE.read(env),
            login_account_failures=POS_LOGIN_ACCOUNT_FAILURES.read(env),
            login_lockout_max_seconds=POS_LOGIN_LOCKOUT_MAX_SECONDS.read(env),
            login_address_failures=POS_LOGIN_ADDRESS_FAILURES.read(env),
            login_hash_slots=POS_LOGIN_HASH_SLOTS.read(env),
            login_hash_wait_seconds=POS_LOGIN_HASH_WAIT_SECONDS.read(env),
            outbox_sweep_seconds=POS_OUTBOX_SWEEP_SECONDS.read(env),
            outbox_full_sweep_minutes=POS_OUTBOX_FULL_SWEEP_MINUTES.read(env),
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

    @property
    def development_keys(self) -> bool:
        """Whether the keys are not secrets of this deployment's own: not set (made for the
        installation), written in the source, or committed in ``deploy/secrets/dev``."""
        return self.installation_keys or any(
            key in (DEV_SECRET_KEY, DEV_DATA_KEY) or keys.is_committed(key)
            for key in (self.secret_key, self.data_key))

    def check(self) -> None:
        """Refuse settings that must never reach production."""
        if self.token_ttl_seconds <= 0:
            raise ConfigError("POS_TOKEN_TTL must be a positive number of seconds")
        if not self.is_production:
            return
        for name, key in (("POS_SECRET_KEY", self.secret_key), ("POS_DATA_KEY", self.data_key)):
            if not key or key in (DEV_SECRET_KEY, DEV_DATA_KEY):
                raise ConfigError(f"{name} must be set to a secret of {keys.MIN_LENGTH}+ "
                                  f"characters in production")
            if keys.is_committed(key):
                raise ConfigError(f"{name} is a development value committed in "
                                  f"deploy/secrets/dev: anyone can read it; set a secret")
            weakness = keys.weakness(key)
            if weakness:
                raise ConfigError(f"{name} is too weak for production: {weakness}")
        if self.secret_key == self.data_key:
            raise ConfigError("POS_SECRET_KEY and POS_DATA_KEY must differ in production: one "
                              "leaked would give away the other")
