"""The dashboard's own settings, read from the environment the process started with."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

from posmodern.core.config import Settings
from posmodern.core.errors import ConfigError

BACKENDS = ("embedded", "docker")
DEFAULT_PROJECT = "posmodern"


@dataclass(frozen=True)
class DashboardConfig:
    """``backend``: where services come from; ``ops_clients``: the tenants whose admins may
    operate the dashboard (``None``: not configured; ``"*"`` in the set: every tenant)."""

    backend: str
    project: str | None
    ops_clients: frozenset[str] | None
    sample_seconds: float
    stop_timeout: int
    management_url: str | None

    @classmethod
    def from_settings(cls, settings: Settings) -> "DashboardConfig":
        backend = settings.setting("POS_DASHBOARD_BACKEND") or (
            "docker" if settings.setting("DOCKER_HOST") else "embedded")
        if backend not in BACKENDS:
            raise ConfigError(f"POS_DASHBOARD_BACKEND must be one of {', '.join(BACKENDS)}, "
                              f"got {backend!r}")
        raw_clients = settings.setting("POS_OPS_CLIENTS")
        ops_clients = None
        if raw_clients and raw_clients.strip():
            ops_clients = frozenset(c.strip() for c in raw_clients.split(",") if c.strip())
        return cls(
            backend=backend,
            project=settings.setting("POS_COMPOSE_PROJECT") or settings.setting(
                "COMPOSE_PROJECT_NAME"),
            ops_clients=ops_clients,
            sample_seconds=_number(settings, "POS_DASHBOARD_SAMPLE_SECONDS", 2.0),
            stop_timeout=int(_number(settings, "POS_DASHBOARD_STOP_TIMEOUT", 10)),
            management_url=settings.rabbitmq_management_url
            or management_url_for(settings.broker_url),
        )

    def operator_refusal(self, client_id: str, production: bool) -> str | None:
        """Why an admin of ``client_id`` may not operate the dashboard, or None if they may."""
        if self.ops_clients is None:
            if production:
                return ("the dashboard is closed: set POS_OPS_CLIENTS to the tenants whose "
                        "admins operate the platform")
            return None
        if "*" in self.ops_clients or client_id in self.ops_clients:
            return None
        return f"admins of tenant {client_id!r} do not operate this platform (POS_OPS_CLIENTS)"


def _number(settings: Settings, name: str, default: float) -> float:
    raw = settings.setting(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be positive, got {raw!r}")
    return value


def management_url_for(broker_url: str) -> str | None:
    """RabbitMQ's management API next to an ``amqp://`` broker (port 15672, same credentials)."""
    parts = urlsplit(broker_url)
    if parts.scheme not in ("amqp", "amqps", "pyamqp"):
        return None
    scheme = "https" if parts.scheme == "amqps" else "http"
    port = 15671 if parts.scheme == "amqps" else 15672
    auth = ""
    if parts.username is not None:
        auth = quote(unquote(parts.username), safe="")
        if parts.password is not None:
            auth += ":" + quote(unquote(parts.password), safe="")
        auth += "@"
    host = parts.hostname or "localhost"
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{auth}{host}:{port}/"


def broker_vhost(broker_url: str) -> str:
    """The virtual host an ``amqp://`` URL names (``/`` when it names none)."""
    path = urlsplit(broker_url).path
    return unquote(path[1:]) if len(path) > 1 else "/"
