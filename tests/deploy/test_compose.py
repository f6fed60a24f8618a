"""The Compose files: valid against the Compose Specification, accepted by Compose v2, and held to
the deployment policy (health, restarts, limits, log rotation, no container_name, no privilege,
secrets as files, one network) in every variant, split and monolith."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from support.deployment import (COMPOSE_OWN_VARIABLES, DEPLOY, PROFILES, VARIANTS, compose_config,
                                extensions,
                                gateway_routes, gateway_service_for, installed_plugins,
                                long_running, plugin_list, plugin_paths, pos_services,
                                service_name)

COMPOSE_FILES = sorted(DEPLOY.glob("compose*.yaml"))
SECRET_WORDS = re.compile(r"PASSWORD|PASS$|SECRET(_KEY)?$|_KEY$|TOKEN", re.I)


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[tuple[str, str], dict]:
    """Every variant × profile, resolved once for the module."""
    secrets = tmp_path_factory.mktemp("secrets")
    return {(variant, profile): compose_config(variant, profile, POS_SECRETS_DIR=str(secrets))
            for variant in VARIANTS for profile in PROFILES}


def test_there_are_base_dev_prod_and_ci_files():
    assert {p.name for p in COMPOSE_FILES} == {
        "compose.yaml", "compose.dev.yaml", "compose.prod.yaml", "compose.ci.yaml",
        "compose.tls.yaml"}


@pytest.mark.parametrize("path", COMPOSE_FILES, ids=lambda p: p.name)
def test_every_compose_file_follows_the_compose_specification(path: Path):
    result = subprocess.run(
        [str(Path(sys.executable).parent / "check-jsonschema"), "--builtin-schema",
         "vendor.compose-spec", str(path)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("variant", VARIANTS)
def test_compose_v2_accepts_every_variant(variant: str, profile: str, tmp_path):
    # `config -q` is what `up` checks first; compose_config fails the test on any complaint.
    model = compose_config(variant, profile, POS_SECRETS_DIR=str(tmp_path))
    assert model["services"]


def test_every_variable_the_files_read_is_in_env_example():
    used = set()
    for path in COMPOSE_FILES:
        used |= set(re.findall(r"\$\{([A-Z0-9_]+)", path.read_text()))
    # Assignments, or commented-out ones for variables whose default differs per variant.
    documented = set(re.findall(r"^(?:# )?([A-Z0-9_]+)=", (DEPLOY / ".env.example").read_text(),
                                re.M))
    assert used - documented == set(), "document these in deploy/.env.example"
    assert documented - used - COMPOSE_OWN_VARIABLES == set(), "no longer used"


def test_env_templates_hold_no_secret():
    for path in [DEPLOY / ".env.example", *DEPLOY.glob("env/*")]:
        for line in path.read_text().splitlines():
            name = line.split("=", 1)[0]
            if "=" in line and not line.startswith("#"):
                assert not SECRET_WORDS.search(name), f"{path.name}: {name} belongs in a secret file"


# --- the policy ---------------------------------------------------------------------------------

def test_no_container_name_and_no_privileged_container(models):
    for (variant, profile), model in models.items():
        for name, service in model["services"].items():
            assert "container_name" not in service, f"{variant}/{profile}: {name} (breaks --scale)"
            assert not service.get("privileged"), f"{variant}/{profile}: {name} is privileged"
            if service.get("devices"):
                assert service.get("group_add"), f"{name} maps a device without its group"


def test_every_long_running_service_is_supervised(models):
    for (variant, profile), model in models.items():
        for name, service in long_running(model).items():
            where = f"{variant}/{profile}: {name}"
            assert service.get("restart") == "unless-stopped", where
            health = service.get("healthcheck") or {}
            assert health.get("test") and not health.get("disable"), f"{where} has no healthcheck"
            limits = ((service.get("deploy") or {}).get("resources") or {}).get("limits") or {}
            assert limits.get("cpus") and limits.get("memory"), f"{where} has no CPU/memory limit"
            logging = service.get("logging") or {}
            options = logging.get("options") or {}
            assert logging.get("driver") == "local" or (
                logging.get("driver") == "json-file" and options.get("max-size")
                and options.get("max-file")), f"{where} has no log rotation"


def test_one_shot_jobs_are_limited_and_waited_for(models):
    model = models[("base", "split")]
    jobs = {name for name, s in model["services"].items() if s.get("restart") == "no"}
    assert jobs == {"migrate"}
    assert model["services"]["migrate"]["command"] == ["pos", "db", "upgrade"]
    assert model["services"]["migrate"]["deploy"]["resources"]["limits"]


def test_dependencies_wait_for_health_or_completion(models):
    for (variant, profile), model in models.items():
        services = model["services"]
        for name, service in services.items():
            for dependency, how in (service.get("depends_on") or {}).items():
                expected = ("service_completed_successfully"
                            if services[dependency].get("restart") == "no" else "service_healthy")
                assert how["condition"] == expected, f"{variant}/{profile}: {name} → {dependency}"
        for name in pos_services(model):
            assert set(services[name]["depends_on"]) == {"postgres", "rabbitmq", "redis",
                                                          "migrate"}, name


def test_one_network_named_volumes_and_the_socket_only_in_the_proxy(models):
    for (variant, profile), model in models.items():
        assert set(model["networks"]) == {"pos"}
        for name, service in model["services"].items():
            assert set(service.get("networks") or {}) == {"pos"}, f"{name} is not on `pos`"
            assert service.get("network_mode") is None, name
            for volume in service.get("volumes") or []:
                if volume["type"] == "bind":
                    assert name == "socket-proxy" and volume["target"] == "/var/run/docker.sock", (
                        f"{variant}/{profile}: {name} bind-mounts {volume['source']}")
                    assert volume.get("read_only")
                else:
                    assert volume["type"] == "volume" and volume["source"] in model["volumes"]
        proxy = model["services"]["socket-proxy"]
        assert proxy.get("user") in (None, "") and "0" not in proxy.get("group_add", []), (
            "the socket proxy runs unprivileged, with the socket's group only")


def test_passwords_and_keys_reach_services_only_as_secret_files(models):
    for (variant, profile), model in models.items():
        for name, service in model["services"].items():
            for key, value in (service.get("environment") or {}).items():
                if SECRET_WORDS.search(key) and value:
                    assert key.endswith("_FILE") and value.startswith("/run/secrets/"), (
                        f"{variant}/{profile}: {name} has {key} in plain environment")
    prod = models[("prod", "split")]
    for secret in prod["secrets"].values():
        assert "secrets/dev" not in secret["file"], "production never reads development secrets"
    development = {path.name for path in (DEPLOY / "secrets" / "dev").iterdir()}
    for (variant, _profile), model in models.items():
        # TLS's certificate and key are the deployment's own: no development copy.
        tls = {"gateway_tls_cert", "gateway_tls_key"} if variant == "tls" else set()
        assert set(model["secrets"]) == development | tls, "a development file for every secret"


def test_only_the_gateway_is_published_outside_development(models):
    for (variant, profile), model in models.items():
        for name, service in model["services"].items():
            for port in service.get("ports") or []:
                if variant == "dev" and name in ("postgres", "rabbitmq", "redis"):
                    assert port["host_ip"] == "127.0.0.1", f"dev publishes {name} beyond loopback"
                else:
                    assert name == "gateway", f"{variant}/{profile}: {name} publishes a port"


# --- every plugin has a service and gateway routes ---------------------------------------------

def test_every_installed_plugin_has_its_own_service_in_the_split_topology(models):
    services = pos_services(models[("base", "split")])
    extending = extensions()
    for plugin in extending:
        assert any(plugin in plugin_list(service) for service in services.values()), (
            f"no service of deploy/compose.yaml loads {plugin}")
    for plugin in set(installed_plugins()) - set(extending):
        name = service_name(plugin)
        assert name in services, f"plugin {plugin} has no service `{name}` in deploy/compose.yaml"
        assert plugin in plugin_list(services[name]), f"`{name}` does not load {plugin}"
    for name, service in services.items():
        assert plugin_list(service), f"{name} would load every plugin in the split topology"
        assert set(plugin_list(service)) <= set(installed_plugins()), f"{name}: unknown plugin"


def test_the_monolith_runs_every_plugin_under_every_service_name(models):
    split = pos_services(models[("base", "split")])
    monolith = pos_services(models[("base", "monolith")])
    assert list(monolith) == ["pos"], "the monolith profile runs one POS Modern service"
    assert plugin_list(monolith["pos"]) == (), "the monolith loads every installed plugin"
    aliases = set(monolith["pos"]["networks"]["pos"].get("aliases") or [])
    assert aliases == set(split), "the gateway reaches the monolith by every split service name"


def test_the_gateway_routes_every_plugin_path_to_a_service_that_loads_it(models):
    services = pos_services(models[("base", "split")])
    routes = gateway_routes()
    for plugin in set(installed_plugins()) - set(extensions()):
        paths = plugin_paths(plugin)
        for path in paths:
            owner = gateway_service_for(path, routes)
            assert owner is not None, f"gateway/routes.conf has no line for {path} ({plugin})"
            assert plugin in plugin_list(services[owner]), (
                f"the gateway sends {path} to `{owner}`, which does not load {plugin}")
    assert {route.service for route in routes} <= set(services), "routes to unknown services"


def test_unknown_paths_reach_no_service():
    assert gateway_service_for("/api/v1/nowhere") is None
    assert gateway_service_for("/api/v1/authority") is None


def _gateway_conf() -> str:
    """What the gateway serves, with its http-level settings (the same over TLS)."""
    gateway = DEPLOY / "gateway"
    return (gateway / "http.conf").read_text() + (gateway / "site.conf").read_text()


def test_the_gateway_limits_sign_ins_per_address():
    conf = _gateway_conf()
    zone = re.search(r"limit_req_zone \$binary_remote_addr zone=(\w+):\d+m rate=(\d+)r/m;", conf)
    assert zone, "a limit_req_zone keyed by the client's address"
    assert int(zone.group(2)) <= 60, "at most one sign-in a second per address, sustained"
    assert re.search(r"limit_req_status 429;", conf)
    token = re.search(r"location = /api/v1/auth/token \{(.*?)\n\}", conf, re.S)
    assert token, "the token route has a location of its own"
    assert f"limit_req zone={zone.group(1)} " in token.group(1)
    assert "proxy.conf" in token.group(1), "proxied like every other route"
    throttled = re.search(r"location @throttled \{(.*?)\}\n", conf, re.S).group(1)
    assert "Retry-After" in throttled and '{"error": {"code": "too_many_requests"' in throttled
    # The services count failures per address: only the gateway's view of it may reach them.
    proxy = (DEPLOY / "gateway" / "proxy.conf").read_text()
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in proxy


def test_the_gateway_sends_the_apps_security_headers_once():
    from posmodern.hosts.middleware import SECURITY_HEADERS

    gateway = DEPLOY / "gateway"
    headers = (gateway / "headers.conf").read_text()
    proxy = (gateway / "proxy.conf").read_text()
    for name, value in SECURITY_HEADERS:
        name, value = name.decode(), value.decode()
        assert re.search(rf'(?i)add_header {name} "{re.escape(value)}" always;', headers), name
        assert re.search(rf"(?i)proxy_hide_header {name};", proxy), f"{name} would be doubled"
    # HSTS over TLS only: its value is empty (no header) on plain HTTP.
    assert "add_header Strict-Transport-Security $pos_hsts always;" in headers
    assert re.search(r'map \$scheme \$pos_hsts \{\s*https\s+"max-age=\d+";\s*default\s+"";',
                     (gateway / "http.conf").read_text())
    assert re.search(r"(?i)proxy_hide_header Strict-Transport-Security;", proxy)
    # nginx drops the server's add_header in a location that has its own: include them again.
    for location in re.findall(r"location [^{]*\{(.*?)\n\}", _gateway_conf(), re.S):
        if "add_header" in location:
            assert "headers.conf" in location
    assert "headers.conf" in (gateway / "Dockerfile").read_text()
    # Both top-level files serve site.conf; the TLS one also answers plain HTTP, with a redirect.
    for name in ("gateway.conf", "gateway-tls.conf"):
        assert "include /etc/nginx/pos/site.conf;" in (gateway / name).read_text()
        assert name in (gateway / "Dockerfile").read_text()
