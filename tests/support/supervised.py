"""A `pos serve` kept running on a fixed port, as a supervisor (systemd) keeps a service: started
again whenever it dies, so a test or a bench can ``kill -9`` it (or one of its uvicorn workers)
and see it come back."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import httpx

from support.server import Server
from support.services import free_port


class Supervised:
    """A `pos serve` on a fixed port, started again whenever it dies (as systemd would).

    With ``workers`` > 1 it is `pos serve --workers N`: N processes serve the port, each running
    every plugin, its consumers and its relay, and uvicorn's parent starts a worker again when one
    dies; a kill then hits one worker, the way a crash takes one replica of a deployment."""

    def __init__(self, name: str, plugins: tuple[str, ...], env: dict[str, str], cwd: Path,
                 workers: int = 1):
        self.name, self.env, self.cwd, self.workers = name, env, cwd, workers
        self.args = ("--plugins", ",".join(plugins))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = self._spawn()
        self._stopping = threading.Event()
        self._watch = threading.Thread(target=self._keep_up, name=f"supervise-{name}", daemon=True)

    def _spawn(self) -> Server:
        return Server(self.env, *self.args, cwd=self.cwd, port=self.port,
                      serve_args=("--workers", str(self.workers)) if self.workers > 1 else ())

    def start(self, timeout: float = 120) -> None:
        self.server.wait_healthy(timeout)
        self._watch.start()

    def _keep_up(self) -> None:
        while not self._stopping.wait(0.2):
            if self.server.process.poll() is not None:
                self.server.stop()
                self.server = self._spawn()

    def kill(self) -> None:
        """``kill -9`` the process now serving (with workers, the one serving longest); the
        supervisor starts another."""
        if self.workers == 1:
            self.server.process.kill()
            return
        deadline = time.monotonic() + 120
        while len(workers := uvicorn_workers(self.server.process.pid)) < self.workers:
            if time.monotonic() > deadline:  # the one killed before never came back
                raise RuntimeError(f"{self.name}: {len(workers)} of {self.workers} workers")
            time.sleep(0.2)
        os.kill(min(workers, key=started_at), signal.SIGKILL)

    def wait_healthy(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx.get(self.url + "/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.name} not healthy: {self.server.log()}")
            time.sleep(0.2)

    def stop(self) -> None:
        self._stopping.set()
        if self._watch.is_alive():
            self._watch.join(5)
        self.server.stop()


def uvicorn_workers(parent: int) -> list[int]:
    """The uvicorn worker processes under ``parent`` (not multiprocessing's resource tracker)."""
    try:
        children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    except OSError:
        return []
    found = []
    for pid in map(int, children):
        try:
            if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(pid)
        except OSError:
            pass
    return found


def started_at(pid: int) -> int:
    """When ``pid`` started, in clock ticks since boot (/proc/PID/stat, field 22)."""
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return 0
