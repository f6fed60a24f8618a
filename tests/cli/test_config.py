"""`pos config` and the start-up check of every declared setting, through the real command."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from support.server import POS

DOCS = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
CLEARED = ("POS_PLUGINS", "ASAAS_API_KEY", "ASAAS_API_KEY_FILE", "ASAAS_TIMEOUT",
           "POS_CASHIER_MAX_DISCOUNT_PERCENT", "POS_DASHBOARD_BACKEND")


@pytest.fixture
def pos(database_url, tmp_path):
    """Run `pos …` in a subprocess with the given variables; returns the finished process."""
    base = {k: v for k, v in os.environ.items() if k not in CLEARED}
    base.update(DATABASE_URL=database_url, POS_DATA_DIR=str(tmp_path / "var"))

    def run(*args: str, timeout: float = 60, **env: str) -> subprocess.CompletedProcess:
        return subprocess.run([POS, *args], env={**base, **env}, cwd=tmp_path, text=True,
                              capture_output=True, timeout=timeout)
    return run


def test_config_shows_a_secret_masked_and_where_it_came_from(pos, tmp_path):
    shown = pos("config", ASAAS_API_KEY="aact_live_abc123", ASAAS_TIMEOUT="4")
    assert shown.returncode == 0, shown.stderr
    assert "aact_live_abc123" not in shown.stdout
    lines = {line.split()[0]: line for line in shown.stdout.splitlines() if line.startswith("  ")}
    assert lines["ASAAS_API_KEY"].split()[1:] == ["********", "(env)"]
    assert lines["ASAAS_TIMEOUT"].split()[1:] == ["4.0", "(env)"]
    assert "(default, every store's unless overridden)" in lines[
        "POS_CASHIER_MAX_DISCOUNT_PERCENT"]

    (tmp_path / "asaas_key").write_text("aact_from_a_file\n")
    rows = json.loads(pos("config", "--json", ASAAS_API_KEY_FILE=str(tmp_path / "asaas_key"))
                      .stdout)
    by_name = {row["name"]: row for row in rows}
    assert "aact_from_a_file" not in json.dumps(rows)
    assert {k: by_name["ASAAS_API_KEY"][k] for k in ("value", "source", "plugin", "secret")} == {
        "value": "********", "source": "file", "plugin": "payments", "secret": True}
    assert by_name["DATABASE_URL"]["value"] == "********"  # it may hold a password


def test_config_respects_the_plugins_chosen(pos):
    rows = json.loads(pos("--plugins", "auth,customers", "config", "--json").stdout)
    plugins = {row["plugin"] for row in rows}
    assert plugins == {"core", "auth"}  # customers declares no setting; orders is not loaded


def test_config_markdown_is_the_committed_reference(pos):
    printed = pos("config", "--markdown")
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout == DOCS.read_text()


@pytest.mark.parametrize("env, name", [
    ({"ASAAS_TIMEOUT": "soon"}, "ASAAS_TIMEOUT"),
    ({"POS_CASHIER_MAX_DISCOUNT_PERCENT": "200"}, "POS_CASHIER_MAX_DISCOUNT_PERCENT"),
    ({"POS_DASHBOARD_BACKEND": "kubernetes"}, "POS_DASHBOARD_BACKEND"),
])
def test_a_bad_value_stops_serve_naming_the_variable(pos, env, name):
    stopped = pos("serve", "--port", "1", timeout=30, **env)
    assert stopped.returncode == 1
    assert stopped.stderr.startswith(f"Error: {name} must be"), stopped.stderr
    assert "Traceback" not in stopped.stderr
    # A process without the plugin that declares it does not read it.
    assert pos("--plugins", "auth", "config", **env).returncode == 0
