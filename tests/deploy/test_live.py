"""The deployment proven in real containers: a Docker engine, images built from a debootstrap
Debian root, the Compose stack brought up with `up --wait`, and a restaurant's first order sent
through the gateway on 127.0.0.1 — in the split topology (one container per plugin, events
crossing containers over RabbitMQ; with the production file, POS_ENV=production and freshly made
secret files) and in the monolith (development settings).
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
import uuid

import httpx
import pytest

from support.deployment import gateway_service_for
from support.stack import Stack, gateway_certificate, production_secrets, wait_for

pytestmark = [pytest.mark.containers, pytest.mark.timeout(1800)]

PASSWORD = "manager-pass-123"


@pytest.fixture(scope="module")
def base_image(docker_engine, debian_base_image) -> str:
    """The images of the current sources, built once for both variants."""
    Stack("split", debian_base_image, docker_engine.client).build()
    return debian_base_image


@pytest.fixture(scope="module", params=["split", "monolith"])
def stack(request, docker_engine, base_image, tmp_path_factory):
    # The restaurant chain the test signs up; its admins operate the dashboard.
    client_id = f"acme{uuid.uuid4().hex[:6]}"
    if request.param == "split":
        # The production file, with POS_ENV=production and freshly made secret files.
        # With TLS on the gateway, its certificate self-signed.
        secrets = production_secrets(tmp_path_factory.mktemp("secrets"))
        stack = Stack("split", base_image, docker_engine.client,
                      overrides=("compose.prod.yaml", "compose.tls.yaml"),
                      variables={"POS_ENV": "production", "POS_SECRETS_DIR": str(secrets),
                                 "POS_OPS_CLIENTS": client_id},
                      tls_certificate=gateway_certificate(secrets))
    else:
        stack = Stack("monolith", base_image, docker_engine.client,
                      variables={"POS_OPS_CLIENTS": client_id})
    stack.client_id = client_id
    try:
        started = time.monotonic()
        stack.up(timeout=300)
        stack.start_seconds = time.monotonic() - started
        yield stack
    finally:
        stack.down()
    label = f"com.docker.compose.project={stack.project}"
    client = docker_engine.client
    assert not client.containers.list(all=True, filters={"label": label})
    assert not client.volumes.list(filters={"label": label})
    assert not client.networks.list(filters={"label": label})


class Traffic:
    """GETs through the gateway on a thread until stopped; every answer's status is kept."""

    def __init__(self, stack: Stack, token: str, path: str) -> None:
        self.statuses: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(stack, token, path), daemon=True)

    def _run(self, stack: Stack, token: str, path: str) -> None:
        with stack.client(token) as http:
            while not self._stop.is_set():
                try:
                    self.statuses.append(http.get(path).status_code)
                except Exception:  # noqa: BLE001 - a dropped connection counts as a failure
                    self.statuses.append(0)
                time.sleep(0.05)

    def __enter__(self) -> "Traffic":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(30)

    @property
    def failures(self) -> list[int]:
        return [status for status in self.statuses if status != 200]


def app_service(stack: Stack, path: str) -> str:
    """The service that answers ``path``: its owner in the split topology, else the monolith."""
    return gateway_service_for(path) if stack.profile == "split" else "pos"


def sign_in(stack: Stack) -> tuple[str, str]:
    """A new tenant with an admin, made with `pos` inside a running container; a token."""
    client_id = stack.client_id
    service = app_service(stack, "/api/v1/auth/token")
    stack.run_ok(service, "pos", "tenant", "create", client_id, "--name", "Acme Bistrô")
    stack.run_ok(service, "pos", "users", "create", "--client", client_id, "--store", "store-1",
               "--username", "maria", "--password", PASSWORD, "--role", "admin")
    with stack.client() as http:
        reply = http.post("/api/v1/auth/token", json={"client_id": client_id,
                                                      "username": "maria",
                                                      "password": PASSWORD})
    assert reply.status_code == 200, reply.text
    return client_id, reply.json()["access_token"]


def upstreams(stack: Stack, service: str, since: str) -> set[str]:
    """Addresses the gateway sent requests for ``service`` (a name in its routing table) to, read
    from its JSON access log."""
    logs = stack.compose("logs", "--no-color", "--no-log-prefix", "--since", since,
                         "gateway").stdout
    seen = set()
    for line in logs.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("service") == service and entry.get("status") == 200:
            seen.update(a.strip() for a in entry["upstream"].split(","))
    return seen


def test_the_gateway_over_tls_when_given_a_certificate(stack):
    """The split stack runs with compose.tls.yaml, the monolith without."""
    with stack.client(plain=True) as plain:
        health = plain.get("/health")  # the container's health check, TLS or not
        assert health.status_code == 200 and "strict-transport-security" not in health.headers
        answer = plain.post("/api/v1/auth/token", json={})
        if stack.tls_certificate is None:
            assert answer.status_code in (400, 401, 422)  # served, over plain HTTP
            assert "strict-transport-security" not in answer.headers
            return
        # Over plain HTTP everything else is sent to HTTPS, method and body kept (308).
        assert answer.status_code == 308
        assert answer.headers["location"] == "https://127.0.0.1/api/v1/auth/token"
    with stack.client() as https:  # verified against the self-signed certificate
        answer = https.post("/api/v1/auth/token", json={})
        assert answer.status_code in (400, 401, 422) and answer.json()["error"]["code"]
        assert answer.headers.get_list("strict-transport-security") == ["max-age=31536000"]
        assert answer.headers.get_list("x-content-type-options") == ["nosniff"]
        assert https.get("/api/v1/nowhere").json()["error"]["code"] == "no_route"
    # A client that does not trust the certificate is refused.
    with httpx.Client(base_url=f"https://127.0.0.1:{stack.https_port}", timeout=15) as untrusted:
        with pytest.raises(httpx.ConnectError):
            untrusted.get("/health")


def test_a_first_order_through_the_gateway_with_scaling_and_a_crash(stack, docker_engine):
    with stack.client() as http:
        health = http.get("/health")
        assert health.status_code == 200 and health.json()["service"] == "gateway"
        assert http.get("/api/v1/nowhere").json()["error"]["code"] == "no_route"

    client_id, token = sign_in(stack)
    with stack.client(token) as http:
        me = http.get("/api/v1/auth/me").json()
        assert (me["client_id"], me["username"]) == (client_id, "maria")

        # The menu, a table and an order, each through the gateway to the service that owns it.
        category = http.post("/api/v1/categories", json={"name": "Pratos"})
        assert category.status_code == 201, category.text
        dish = http.post("/api/v1/products", json={
            "name": "Feijoada", "price": "42.90",
            "category_id": category.json()["category_id"]})
        assert dish.status_code == 201, dish.text
        drink = http.post("/api/v1/products", json={"name": "Guaraná", "price": "6.50"})
        assert drink.status_code == 201, drink.text
        table = http.post("/api/v1/waiter/tables", json={"table_number": "7", "capacity": 4})
        assert table.status_code == 201, table.text
        table_id = table.json()["table_id"]
        assert table.json()["status"] == "FREE"

        order = http.post("/api/v1/orders", headers={"Idempotency-Key": str(uuid.uuid4())},
                          json={"table_id": table_id, "items": [
                              {"product_id": dish.json()["product_id"], "quantity": "2"},
                              {"product_id": drink.json()["product_id"], "quantity": "1"}]})
        assert order.status_code == 201, order.text
        assert order.json()["total"] == "92.30"  # priced from the catalog, not by the client
        order_id = order.json()["order_id"]

        # order.created left the orders service's outbox for RabbitMQ; the waiter service (in
        # the split topology another container, which does not load the orders plugin) takes
        # it from its queue and marks the table occupied.
        occupied = wait_for(
            lambda: (t := http.get(f"/api/v1/waiter/tables/{table_id}").json())["status"]
            == "OCCUPIED" and t, timeout=30, what="the waiter service to occupy the table")
        assert occupied["current_order_id"] == order_id

    if stack.profile == "split":
        code, output = stack.exec(app_service(stack, "/api/v1/auth/token"), "pos", "demo")
        assert code == 1 and "refusing to create demo users in production" in output
        services = stack.compose("config", "--format", "json").stdout
        loads = {name: s["environment"].get("POS_PLUGINS", "")
                 for name, s in json.loads(services)["services"].items()
                 if "POS_PLUGINS" in (s.get("environment") or {})}
        assert "waiter" not in loads["orders"] and "orders" not in loads["waiter"]

    # Scale the order path to two replicas while orders are being read; nothing fails, and the
    # gateway spreads the requests over both.
    scaled = app_service(stack, "/api/v1/orders")
    since = str(int(time.time()) - 1)
    with Traffic(stack, token, "/api/v1/orders") as traffic:
        stack.up("--no-deps", "--scale", f"{scaled}=2", scaled, timeout=180)
        replicas = stack.containers(scaled)
        assert len(replicas) == 2 and all(r["Health"] == "healthy" for r in replicas)
        wait_for(lambda: len(upstreams(stack, gateway_service_for("/api/v1/orders"), since)) >= 2,
                 timeout=30, interval=1, what="both replicas to serve through the gateway")
    assert traffic.statuses and not traffic.failures, traffic.failures

    # The dashboard, through the gateway, sees this very project through the socket proxy.
    with stack.client(token) as http:
        board = http.get("/api/v1/dashboard/services")
    assert board.status_code == 200, board.text
    assert (board.json()["backend"], board.json()["project"]) == ("docker", stack.project)
    seen = {service["id"]: service for service in board.json()["services"]}
    assert {"postgres", "rabbitmq", "redis", "gateway", "socket-proxy", scaled} <= set(seen)
    assert (seen[scaled]["replicas_running"], seen[scaled]["replicas_total"]) == (2, 2)

    # One replica crashes (its process is killed from outside, as the OOM killer would; `docker
    # kill` would count as an operator's stop, which restart policies respect): the restart
    # policy brings it back, and the other replica keeps serving meanwhile.
    victim = docker_engine.client.containers.get(replicas[0]["ID"])
    restarts = victim.attrs["RestartCount"]
    with Traffic(stack, token, "/api/v1/orders") as traffic:
        os.kill(victim.attrs["State"]["Pid"], signal.SIGKILL)
        wait_for(lambda: victim.reload() or (victim.attrs["RestartCount"] > restarts
                                            and victim.attrs["State"].get("Health", {})
                                            .get("Status") == "healthy"),
                 timeout=90, interval=1, what="the killed replica to be restarted and healthy")
    assert traffic.statuses and not traffic.failures, traffic.failures

    with stack.client(token) as http:
        again = http.post("/api/v1/orders", headers={"Idempotency-Key": str(uuid.uuid4())},
                          json={"items": [{"product_id": drink.json()["product_id"],
                                           "quantity": "3"}]})
        assert again.status_code == 201, again.text
        listed = http.get("/api/v1/orders").json()["items"]
        assert {o["order_id"] for o in listed} >= {order_id, again.json()["order_id"]}


def test_the_dashboard_reaches_docker_only_through_the_filtering_proxy(stack):
    """From inside the stack: listing, inspecting, logs and stats pass; creating or exec'ing a
    container is refused."""
    probe = """
import docker
from docker.errors import APIError
engine = docker.DockerClient(base_url="tcp://socket-proxy:2375")
mine = [c for c in engine.containers.list() if c.labels.get("com.docker.compose.project") == PROJECT]
gateway = next(c for c in mine if c.labels["com.docker.compose.service"] == "gateway")
assert gateway.attrs["State"]["Running"]
assert gateway.logs(tail=5) is not None
assert "cpu_stats" in gateway.stats(stream=False)
for refused in (lambda: engine.containers.run("busybox", "true"),
                lambda: gateway.exec_run("id"), lambda: engine.images.list(),
                lambda: engine.volumes.list(), lambda: gateway.remove(force=True)):
    try:
        refused()
    except APIError as error:
        assert error.status_code == 403, error
    else:
        raise AssertionError("the proxy let a forbidden call through")
print("ok", len(mine))
""".replace("PROJECT", repr(stack.project))
    assert stack.run_ok(app_service(stack, "/api/v1/auth/token"), "python3", "-c",
                        probe).startswith("ok")
