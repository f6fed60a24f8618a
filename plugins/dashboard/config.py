"""The dashboard's own settings, read from the environment the process started with."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

from posmodern.core.config import Settings
from posmodern.core.plugin_settings import SettingSpec

BACKENDS = ("embedded", "docker")
DEFAULT_PROJECT = "posmodern"

POS_DASHBOARD_BACKEND = SettingSpec(
    "POS_DASHBOARD_BACKEND", choices=BACKENDS, default_text="`docker` when DOCKER_HOST is set, "
    "else `embedded`", description="where the dashboard's services come from: `docker` (a "
    "Compose project) or `embedded` (this process)")
POS_OPS_CLIENTS = SettingSpec(
    "POS_OPS_CLIENTS", tuple, default_text="all in development, **none in production**",
    description="tenants whose admins may operate the dashboard (`*`: all); "
                "see [dashboard.md](dashboard.md)")
POS_COMPOSE_PROJECT = SettingSpec(
    "POS_COMPOSE_PROJECT", default_text="COMPOSE_PROJECT_NAME, else this container's project, "
    "else `posmodern`", description="Compose project the dashboard and `pos services` operate")
COMPOSE_PROJECT_NAME = SettingSpec("COMPOSE_PROJECT_NAME",
                                   description="Compose's own name of the project, when "
                                               "POS_COMPOSE_PROJECT is unset")
DOCKER_HOST = SettingSpec("DOCKER_HOST", default_text="the local socket",
                          description="the Docker engine of the dashboard and `pos services`")
POS_DASHBOARD_SAMPLE_SECONDS = SettingSpec(
    "POS_DASHBOARD_SAMPLE_SECONDS", float, 2.0, "how often services' CPU and memory are "
    "sampled, seconds", min=0.1)
POS_DASHBOARD_STOP_TIMEOUT = SettingSpec(
    "POS_DASHBOARD_STOP_TIMEOUT", int, 10, "seconds a stopped service gets to finish before it "
    "is killed", min=1)
POS_COMPOSE_DIR = SettingSpec("POS_COMPOSE_DIR", default_text="`./deploy`, else the source "
                              "tree's", description="where `pos services` finds compose.yaml")
POS_COMPOSE_COMMAND = SettingSpec("POS_COMPOSE_COMMAND", default_text="`docker compose`, else "
                                  "`docker-compose`", description="how `pos services` runs "
                                  "Compose")
SETTINGS = [POS_DASHBOARD_BACKEND, POS_OPS_CLIENTS, POS_COMPOSE_PROJECT, COMPOSE_PROJECT_NAME,
            DOCKER_HOST, POS_DASHBOARD_SAMPLE_SECONDS, POS_DASHBOARD_STOP_TIMEOUT,
            POS_COMPOSE_DIR, POS_COMPOSE_COMMAND]


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
        backend = POS_DASHBOARD_BACKEND.value(settings) or (
            "docker" if DOCKER_HOST.value(settings) else "embedded")
        clients = POS_OPS_CLIENTS.value(settings)
        return cls(
            backend=backend,
            project=POS_COMPOSE_PROJECT.value(settings) or COMPOSE_PROJECT_NAME.value(settings),
            ops_clients=frozenset(clients) if clients else None,
            sample_seconds=POS_DASHBOARD_SAMPLE_SECONDS.value(settings),
            stop_timeout=POS_DASHBOARD_STOP_TIMEOUT.value(settings),
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
