"""A small Compose project of real containers for the dashboard's Docker tests.

Two services from the Debian base image, labelled as Compose labels them: ``ticker`` (two
replicas printing ``tick <n>`` twice a second) and ``kitchen`` (one replica, quiet, with a health
check and a port published on 127.0.0.1). Each test gets its own project name, removed afterwards.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

import pytest

TICKER = ("trap 'exit 0' TERM; i=0; while :; do echo \"tick $i\"; i=$((i+1)); "
          "sleep 0.5 & wait $!; done")
QUIET = "trap 'exit 0' TERM; echo kitchen ready; while :; do sleep 1 & wait $!; done"


@dataclass
class ComposeProject:
    name: str
    client: object
    containers: dict[str, object] = field(default_factory=dict)

    def container(self, service: str, number: int = 1):
        return self.client.containers.get(f"{self.name}-{service}-{number}")

    def say(self, service: str, text: str, number: int = 1) -> None:
        """Make a replica print a line on its own standard output."""
        result = self.container(service, number).exec_run(
            ["sh", "-c", f"echo '{text}' > /proc/1/fd/1"])
        assert result.exit_code == 0, result.output

    def running(self) -> set[str]:
        """Names of this project's running containers, as `docker ps` shows them."""
        return {c.name for c in self.client.containers.list(
            filters={"label": f"com.docker.compose.project={self.name}"})}

    def wait_healthy(self, service: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.container(service).attrs["State"]
            if (state.get("Health") or {}).get("Status") == "healthy":
                return
            time.sleep(0.2)
        raise AssertionError(f"{service} did not become healthy")


def _labels(project: str, service: str, number: int) -> dict[str, str]:
    return {"com.docker.compose.project": project, "com.docker.compose.service": service,
            "com.docker.compose.container-number": str(number),
            "com.docker.compose.oneoff": "False"}


@pytest.fixture
def compose_project(docker_engine, debian_base_image):
    client = docker_engine.client
    project = ComposeProject(f"posdash{uuid.uuid4().hex[:8]}", client)
    try:
        for number in (1, 2):
            project.containers[f"ticker-{number}"] = client.containers.run(
                debian_base_image, ["sh", "-c", TICKER], detach=True,
                name=f"{project.name}-ticker-{number}",
                labels=_labels(project.name, "ticker", number))
        project.containers["kitchen-1"] = client.containers.run(
            debian_base_image, ["sh", "-c", QUIET], detach=True,
            name=f"{project.name}-kitchen-1", labels=_labels(project.name, "kitchen", 1),
            ports={"8080/tcp": ("127.0.0.1", None)},
            healthcheck={"test": ["CMD", "true"], "interval": 500_000_000,
                         "start_period": 0, "retries": 3})
        yield project
    finally:
        for container in client.containers.list(
                all=True, filters={"label": f"com.docker.compose.project={project.name}"}):
            container.remove(force=True)
