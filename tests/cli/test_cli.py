"""The `pos` command line, against SQLite and PostgreSQL."""

import json
import os
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from posmodern.cli.main import cli
from posmodern.cli import commands  # noqa: F401 - registers the commands
from support.server import Server

THIRDPARTY = Path(__file__).resolve().parents[1] / "fixtures" / "thirdparty"


@pytest.fixture
def pos(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("POS_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("POS_PLUGINS", raising=False)
    runner = CliRunner()

    def invoke(*args, ok=True):
        result = runner.invoke(cli, list(args), catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, result.output
        return result
    return invoke


def test_tenant_lifecycle_and_users(pos):
    client = f"cli{os.getpid()}{int(time.time() * 1000) % 100000}"
    assert "created tenant" in pos("tenant", "create", client, "--name", "Cantina").output
    assert "already exists" in pos("tenant", "create", client, ok=False).output
    assert "invalid client id" in pos("tenant", "create", "Bad Name", ok=False).output
    listed = pos("tenant", "list").output
    assert client in listed and "Cantina" in listed
    made = pos("users", "create", "--client", client, "--store", "s1", "--username", "ana",
               "--password", "ana-secret-1", "--role", "cashier", "--role", "waiter").output
    assert "created user ana (cashier, waiter)" in made
    assert "already exists" in pos("users", "create", "--client", client, "--store", "s1",
                                   "--username", "ana", "--password", "ana-secret-1",
                                   "--role", "cashier", ok=False).output
    assert pos("users", "create", "--client", client, "--store", "s1", "--username", "bob",
               "--password", "bob-secret-1", "--role", "chef", ok=False).exit_code == 2
    current = pos("db", "current").output
    assert f"{client}" in current and "0001" in current
    assert client in pos("db", "upgrade").output
    pos("tenant", "drop", client, "--yes")
    assert client not in pos("tenant", "list").output


def test_plugins_lists_origin_and_hooks(pos, monkeypatch):
    monkeypatch.syspath_prepend(str(THIRDPARTY))
    rows = {row["name"]: row for row in json.loads(pos("plugins", "--json").output)}
    assert rows["auth"]["distribution"] == "pos-modern"
    assert rows["tip_jar"]["distribution"] == "pos-tip-jar"
    assert rows["tip_jar"]["hooks"] == ["pos_routes"]
    only = json.loads(pos("--plugins", "tip_jar", "plugins", "--json").output)
    assert [row["name"] for row in only] == ["tip_jar"]
    failed = pos("--plugins", "nope", "plugins", ok=False)
    assert failed.exit_code != 0 and "unknown plugin(s): nope" in failed.output


def test_demo_prints_logins_that_work(pos, database_url, tmp_path):
    out = pos("demo").output
    assert "admin" in out and "admin-demo-123" in out
    assert "admin-demo-123" in pos("demo").output  # runs again without complaint
    server = Server({"DATABASE_URL": database_url, "POS_DATA_DIR": str(tmp_path / "var"),
                     "POS_PLUGINS": "auth"}, cwd=tmp_path)
    try:
        server.wait_healthy()
        token = httpx.post(server.url + "/api/v1/auth/token", json={
            "client_id": "demo", "username": "admin", "password": "admin-demo-123"})
        assert token.status_code == 200, token.text
    finally:
        server.stop()


def test_embedded_serve_starts_from_nothing(tmp_path):
    """No database URL at all: `pos serve` makes ./var/pos.db and answers /health fast."""
    env = {k: "" for k in ("DATABASE_URL", "DB_HOST", "BROKER_URL", "RABBITMQ_HOST", "REDIS_URL",
                           "REDIS_HOST", "POS_PLUGINS", "POS_DATA_DIR")}
    server = Server(env, cwd=tmp_path)
    try:
        seconds = server.wait_healthy()
        assert seconds < 15
        assert (tmp_path / "var" / "pos.db").exists()
        assert httpx.get(server.url + "/ready").json()["status"] == "ready"
    finally:
        server.stop()


def test_plugins_add_commands_through_a_hook(pos, monkeypatch, tmp_path):
    package = tmp_path / "pos_hello"
    package.mkdir()
    (package / "__init__.py").write_text(
        "import click\n"
        "from posmodern.core import hookimpl\n\n"
        "@click.command('hello')\n"
        "@click.argument('name')\n"
        "def hello(name):\n"
        "    click.echo(f'Olá, {name}!')\n\n"
        "@hookimpl\n"
        "def pos_commands():\n"
        "    return [hello]\n")
    info = tmp_path / "pos_hello-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: pos-hello\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[posmodern]\nhello = pos_hello\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert "hello" in pos("--help").output
    assert pos("hello", "Maria").output.strip() == "Olá, Maria!"
    # Without the plugin loaded, the command does not exist.
    assert pos("--plugins", "auth", "hello", "Maria", ok=False).exit_code == 2
