"""A real ``pos serve`` process for black-box tests."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from support.services import free_port

POS = str(Path(sys.executable).with_name("pos"))


class Server:
    """``pos serve`` on a free port, with the given environment."""

    def __init__(self, env: dict[str, str], *args: str, cwd: Path | None = None,
                 serve_args: tuple[str, ...] = (), port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        full_env = {**os.environ, **env}
        self.log_path = Path(cwd or ".") / f"server-{self.port}.log"
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [POS, *args, "serve", "--port", str(self.port), *serve_args], env=full_env, cwd=cwd,
            stdout=self._log, stderr=subprocess.STDOUT)

    def wait_healthy(self, timeout: float = 30) -> float:
        """Seconds until ``/health`` answered 200."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log()}")
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    return time.monotonic() - started
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise TimeoutError(f"server not healthy after {timeout}s: {self.log()}")

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")[-4000:]

    def kill(self) -> None:
        """End the process at once (SIGKILL), as a crash or a pulled plug would."""
        self.process.kill()
        self.process.wait(5)
        self._log.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self._log.close()


@contextlib.contextmanager
def serving(env: dict[str, str], *args: str, cwd: Path | None = None, timeout: float = 30):
    """A healthy :class:`Server` for the ``with`` block (``timeout`` seconds to start), stopped
    afterwards."""
    server = Server(env, *args, cwd=cwd)
    try:
        server.wait_healthy(timeout)
        yield server
    finally:
        server.stop()
