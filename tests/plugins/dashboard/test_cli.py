"""`pos services`: the terminal view of a deployment, against the real engine."""

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from posmodern.cli import commands  # noqa: F401 - registers the built-in commands
from posmodern.cli.main import cli
from posmodern.plugins.dashboard import compose

pytestmark = pytest.mark.containers
FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "compose"
POS = str(Path(sys.executable).with_name("pos"))


@pytest.fixture
def pos(monkeypatch):
    for name in ("POS_PLUGINS", "POS_COMPOSE_PROJECT", "COMPOSE_PROJECT_NAME", "DOCKER_HOST"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()

    def invoke(*args, ok=True):
        result = runner.invoke(cli, ["services", *args], catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, result.output
        return result
    return invoke


def test_status_of_every_service_and_of_one(pos, compose_project):
    compose_project.wait_healthy("kitchen")
    table = pos("-p", compose_project.name, "status").output.splitlines()
    assert table[0].split() == ["SERVICE", "STATUS", "REPLICAS", "IMAGE", "PORTS", "UPTIME",
                                "RESTARTS", "CPU", "MEMORY"]
    rows = {line.split()[0]: line.split() for line in table[1:]}
    assert rows["ticker"][1:3] == ["healthy", "2/2"]
    assert rows["kitchen"][1:3] == ["healthy", "1/1"]
    assert rows["kitchen"][4].endswith("->8080/tcp")
    assert rows["ticker"][7].endswith("%") and rows["ticker"][8].endswith("B")
    [ticker] = json.loads(pos("-p", compose_project.name, "status", "ticker", "--json").output)
    assert ticker["replicas_total"] == 2 and ticker["details"]["project"] == compose_project.name
    assert "no containers" in pos("-p", "no-such-project", "status").output
    missing = pos("-p", compose_project.name, "status", "ghost", ok=False)
    assert missing.exit_code == 1 and "no service 'ghost'" in missing.output


def test_stop_start_restart_as_docker_ps_sees_it(pos, compose_project):
    kitchen = f"{compose_project.name}-kitchen-1"
    out = pos("-p", compose_project.name, "stop", "kitchen").output
    assert out.strip() == "stopped kitchen: 0/1 running (exited)"
    assert kitchen not in compose_project.running()
    assert "started kitchen: 1/1 running" in pos("-p", compose_project.name, "start",
                                                 "kitchen").output
    assert kitchen in compose_project.running()
    before = compose_project.container("kitchen").attrs["State"]["StartedAt"]
    out = pos("-p", compose_project.name, "restart").output.splitlines()
    assert [line.split(":")[0] for line in out] == ["restarted kitchen", "restarted ticker"]
    assert compose_project.container("kitchen").attrs["State"]["StartedAt"] != before
    assert len(compose_project.running()) == 3


def test_logs_tail_with_times(pos, compose_project):
    time.sleep(1.5)
    lines = pos("-p", compose_project.name, "logs", "ticker", "--tail", "4").output.splitlines()
    assert len(lines) == 4  # the service's last four, both replicas merged in time order
    assert {line.partition(" | ")[0] for line in lines} == {"ticker-1", "ticker-2"}
    stamps = [line.partition(" | ")[2].split()[0] for line in lines]
    assert stamps == sorted(stamps) and all(s.endswith("Z") for s in stamps)
    assert all(line.partition(" | ")[2].split()[1] == "tick" for line in lines)
    every = pos("-p", compose_project.name, "logs", "--tail", "1").output.splitlines()
    assert sorted(line.partition(" | ")[0][:-2] for line in every) == ["kitchen", "ticker"]


def test_logs_follow_prints_new_lines(compose_project):
    env = {k: v for k, v in os.environ.items() if k not in ("POS_PLUGINS", "DOCKER_HOST")}
    process = subprocess.Popen([POS, "services", "-p", compose_project.name, "logs", "kitchen",
                                "--follow", "--tail", "5"], stdout=subprocess.PIPE, text=True,
                               env=env)
    try:
        assert "kitchen ready" in process.stdout.readline()
        marker = f"bump {uuid.uuid4().hex[:6]}"
        compose_project.say("kitchen", marker)
        assert process.stdout.readline().rstrip().endswith(marker)
    finally:
        process.terminate()
        process.wait(10)


def test_up_with_the_dev_overlay_and_a_scale_then_down(pos, docker_engine, debian_base_image):
    project = f"posdashup{uuid.uuid4().hex[:6]}"
    labels = {"label": f"com.docker.compose.project={project}"}
    try:
        up = pos("-p", project, "up", "--env", "dev", "--compose-dir", str(FIXTURE),
                 "--scale", "ticker=2", "--wait")
        assert up.exit_code == 0
        table = pos("-p", project, "status").output
        rows = {line.split()[0]: line.split() for line in table.splitlines()[1:]}
        assert rows["ticker"][1:3] == ["healthy", "2/2"]
        assert rows["kitchen"][1:3] == ["healthy", "1/1"]
        kitchen = docker_engine.client.containers.get(f"{project}-kitchen-1")
        assert "KITCHEN_MODE=dev-from-env-file" in kitchen.attrs["Config"]["Env"]
        assert pos("-p", project, "up", "--scale", "ticker=x", ok=False).exit_code == 2
        pos("-p", project, "down", "--compose-dir", str(FIXTURE))
        assert docker_engine.client.containers.list(all=True, filters=labels) == []
    finally:
        for container in docker_engine.client.containers.list(all=True, filters=labels):
            container.remove(force=True)
        for network in docker_engine.client.networks.list(filters=labels):
            network.remove()


def test_the_project_comes_from_the_option_the_environment_or_the_env_file(tmp_path,
                                                                          monkeypatch):
    monkeypatch.delenv("COMPOSE_PROJECT_NAME", raising=False)
    monkeypatch.delenv("POS_COMPOSE_DIR", raising=False)
    (tmp_path / "env").mkdir()
    (tmp_path / "compose.yaml").write_text("services: {}\n")
    (tmp_path / "env" / "dev.env").write_text("# dev\nCOMPOSE_PROJECT_NAME=shop-dev\n")
    assert compose.project_name("given", "dev", str(tmp_path)) == "given"
    assert compose.project_name(None, "dev", str(tmp_path)) == "shop-dev"
    assert compose.project_name(None, "prod", str(tmp_path)) == "posmodern"
    monkeypatch.setenv("COMPOSE_PROJECT_NAME", "from-env")
    assert compose.project_name(None, "dev", str(tmp_path)) == "from-env"
    command = compose.compose_command("shop", tmp_path, "dev", ["down"])
    assert "--project-name" in command and command[command.index("--project-name") + 1] == "shop"
    assert command[-1] == "down" and str(tmp_path / "env" / "dev.env") in command
