"""Private PostgreSQL and RabbitMQ instances, ours to restart (the machine's shared ones never are).

- :class:`PrivatePostgres`: a PostgreSQL 15 cluster made with ``initdb`` in a temporary directory,
  on a free port; as root its files belong to, and its server runs as, the ``postgres`` user.
- :class:`PrivateRabbit`: a RabbitMQ node of its own (node name, ports, database, logs, Erlang
  cookie and no plugins) run in the foreground as our child, on free ports.

Both start with :meth:`start`, restart with :meth:`restart` (PostgreSQL: an immediate stop, as a
crash; RabbitMQ: SIGTERM) and are removed, files too, by :meth:`close`. A missing binary raises
:class:`FileNotFoundError` (a failure in CI, not a skip).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg

from support.services import free_port

PG_BIN = Path(os.environ.get("POS_PG_BIN", "/usr/lib/postgresql/15/bin"))
RABBIT_SERVER = Path(os.environ.get("POS_RABBIT_SERVER", "/usr/lib/rabbitmq/bin/rabbitmq-server"))


def _require(path: Path) -> Path:
    if not path.exists():
        raise FileNotFoundError(f"{path} is needed for the private services of the fault suite")
    return path


def wait_port(port: int, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            sock.settimeout(1)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"{what} did not listen on {port} within {timeout}s")


def private_root(prefix: str) -> Path:
    """A new temporary directory for private services, open to the ``postgres`` user (a
    :class:`PrivatePostgres` under it runs as that user when we are root)."""
    root = Path(tempfile.mkdtemp(prefix=prefix))
    os.chmod(root, 0o755)
    return root


class PrivatePostgres:
    """A throw-away PostgreSQL cluster under ``root`` (trust auth, user ``postgres``)."""

    def __init__(self, root: Path) -> None:
        self.root = root / "pg"
        self.data = self.root / "data"
        self.port = free_port()
        self._as_postgres = os.geteuid() == 0  # initdb and postgres refuse to run as root

    @property
    def admin_dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, database: str = "pos") -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str, timeout: float = 120) -> None:
        command = list(args)
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, timeout=timeout, capture_output=True)

    def start(self) -> None:
        if not self.data.exists():
            self.root.mkdir(parents=True)
            if self._as_postgres:
                shutil.chown(self.root, "postgres", "postgres")
            self._run(str(_require(PG_BIN / "initdb")), "-D", str(self.data), "-U", "postgres",
                      "-A", "trust", "--no-sync")
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
                   "-c max_connections=200")
        self._run(str(_require(PG_BIN / "pg_ctl")), "-D", str(self.data), "-o", options,
                  "-l", str(self.root / "server.log"), "-w", "-t", "120", "start")

    def stop(self, mode: str = "immediate") -> None:
        if (self.data / "postmaster.pid").exists():
            self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def restart(self) -> None:
        self.stop()
        self.start()

    def create_database(self, name: str = "pos") -> str:
        async def create() -> None:
            conn = await asyncpg.connect(self.admin_dsn)
            try:
                await conn.execute(f'CREATE DATABASE "{name}"')
            finally:
                await conn.close()
        asyncio.run(create())
        return self.url(name)

    def close(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


class PrivateRabbit:
    """A RabbitMQ node of our own under ``root``, run in the foreground as our child."""

    def __init__(self, root: Path) -> None:
        self.root = root / "rabbit"
        self.port, self.dist_port = free_port(), free_port()
        self.node = f"faults{uuid.uuid4().hex[:8]}@localhost"
        self.process: subprocess.Popen | None = None
        self.url = f"amqp://guest:guest@127.0.0.1:{self.port}//"

    def _env(self) -> dict[str, str]:
        return {**os.environ, "HOME": str(self.root / "home"), "RABBITMQ_NODENAME": self.node,
                "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1", "RABBITMQ_NODE_PORT": str(self.port),
                "RABBITMQ_DIST_PORT": str(self.dist_port),
                "RABBITMQ_MNESIA_BASE": str(self.root / "mnesia"),
                "RABBITMQ_LOG_BASE": str(self.root / "log"),
                "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.root / "enabled_plugins"),
                "RABBITMQ_CONFIG_FILE": str(self.root / "none"),
                # Schedulers that sleep when idle instead of spinning: the node shares two CPUs
                # with everything it is tested with (RabbitMQ's advice for shared hosts).
                "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "+sbwt none +sbwtdcpu none +sbwtdio none"}

    def start(self, timeout: float = 180) -> None:
        self.launch()
        self.wait_ready(timeout)

    def launch(self) -> None:
        """Start the node without waiting for it (see :meth:`wait_ready`)."""
        (self.root / "home").mkdir(parents=True, exist_ok=True)
        (self.root / "enabled_plugins").write_text("[].\n")  # no management port clash
        with open(self.root / "console.log", "ab") as log:
            self.process = subprocess.Popen(
                [str(_require(RABBIT_SERVER))], env=self._env(), cwd=self.root, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, timeout: float = 180) -> None:
        wait_port(self.port, timeout, f"RabbitMQ node {self.node}")

    def stop(self, timeout: float = 60) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        # Our child's own session: the script, the Erlang VM and its helpers (not epmd, which
        # daemonizes and may be shared).
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        self._wait_closed()

    def _wait_closed(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) != 0:
                    return
            time.sleep(0.2)

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


class PrivateServices:
    """Both, in one temporary directory; a context manager that always cleans up."""

    def __init__(self) -> None:
        self.root = private_root("pos-faults-")
        self.postgres = PrivatePostgres(self.root)
        self.rabbit = PrivateRabbit(self.root)

    def __enter__(self) -> PrivateServices:
        try:
            self.rabbit.launch()  # its first boot is the slow one: PostgreSQL starts meanwhile
            self.postgres.start()
            self.rabbit.wait_ready()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        try:
            self.rabbit.close()
        finally:
            try:
                self.postgres.close()
            finally:
                shutil.rmtree(self.root, ignore_errors=True)
