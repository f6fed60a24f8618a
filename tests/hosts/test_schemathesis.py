"""schemathesis against the embedded server (issue 12): every phase (examples, coverage,
fuzzing, stateful) over the whole API as the demo's admin, for a fixed time; no answer may be a
5xx. The two operations that change a user's password or roles are left out: the fuzzer would
revoke its own token and test nothing but 401s after that (tests/plugins/auth covers them)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from support.server import Server

SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))
SECONDS = 120


@pytest.mark.timeout(SECONDS + 300)
def test_no_generated_request_gets_a_server_error(tmp_path):
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'var' / 'pos.db'}",
           "POS_DATA_DIR": str(tmp_path / "var"), "BROKER_URL": "memory://",
           "POS_LOG_LEVEL": "WARNING", "POS_PLUGINS": ""}
    server = Server(env, cwd=tmp_path, serve_args=("--demo",))
    try:
        server.wait_healthy(90)
        login = httpx.post(server.url + "/api/v1/auth/token", json={
            "client_id": "demo", "username": "admin", "password": "admin-demo-123"})
        assert login.status_code == 200, login.text
        token = login.json()["access_token"]
        run = subprocess.run(
            [SCHEMATHESIS, "run", server.url + "/openapi.json",
             "--header", f"Authorization: Bearer {token}", "--checks", "not_a_server_error",
             "--max-examples", "20", "--seed", "1", "--max-time", str(SECONDS), "--workers", "1",
             "--exclude-operation-id-regex", r"^auth\.users\.(change|password)$"],
            capture_output=True, text=True, timeout=SECONDS + 240, cwd=tmp_path)
        report = run.stdout[-8000:] + run.stderr[-2000:]
        assert run.returncode == 0, report
        assert "Stateful" in run.stdout and " passed" in run.stdout, report
        # The fuzzer kept its token: it tested the API, not the sign-in.
        assert httpx.get(server.url + "/api/v1/auth/me", headers={
            "Authorization": f"Bearer {token}"}).status_code == 200
    finally:
        server.stop()
