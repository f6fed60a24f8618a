"""Docker Compose for ``pos services``: which files, which binary, which project, which arguments.

The files are the deployment's: ``compose.yaml`` plus ``compose.<env>.yaml`` (``dev`` or
``prod``) from ``deploy/``, with the environment's file ``env/<env>.env`` (else ``.env.<env>``,
else ``.env``) when present. The project name is resolved once and always passed, so ``up``,
``status`` and the dashboard agree on which containers are the deployment's.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from posmodern.plugins.dashboard.config import (COMPOSE_PROJECT_NAME, DEFAULT_PROJECT,
                                              POS_COMPOSE_COMMAND, POS_COMPOSE_DIR)

ENVIRONMENTS = ("dev", "prod")
SOURCE_DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


class ComposeError(Exception):
    """Compose cannot be run as asked (missing files or binary)."""


def compose_dir(given: str | None) -> Path:
    """``--compose-dir``, else ``POS_COMPOSE_DIR``, else ``./deploy``, else the source tree's."""
    for candidate in (given, POS_COMPOSE_DIR.read(os.environ), "deploy", str(SOURCE_DEPLOY)):
        if candidate and (Path(candidate) / "compose.yaml").is_file():
            return Path(candidate)
    where = given or POS_COMPOSE_DIR.read(os.environ) or "./deploy"
    raise ComposeError(f"no compose.yaml in {where} (use --compose-dir or POS_COMPOSE_DIR)")


def compose_files(directory: Path, env: str) -> list[Path]:
    files = [directory / "compose.yaml"]
    overlay = directory / f"compose.{env}.yaml"
    if overlay.is_file():
        files.append(overlay)
    return files


def env_file(directory: Path, env: str) -> Path | None:
    for name in (f"env/{env}.env", f".env.{env}", ".env"):
        if (directory / name).is_file():
            return directory / name
    return None


def project_name(explicit: str | None, env: str, directory: str | None) -> str:
    """``-p``/``POS_COMPOSE_PROJECT``, else ``COMPOSE_PROJECT_NAME``, else the one the
    environment's env file names, else ``posmodern``."""
    if explicit:
        return explicit
    named = COMPOSE_PROJECT_NAME.read(os.environ)
    if named:
        return named
    try:
        found = env_file(compose_dir(directory), env)
    except ComposeError:
        found = None
    if found is not None:
        for line in found.read_text().splitlines():
            name, _, value = line.strip().partition("=")
            if name.strip() == "COMPOSE_PROJECT_NAME" and value.strip():
                return value.strip().strip("'\"")
    return DEFAULT_PROJECT


def compose_binary() -> list[str]:
    """``POS_COMPOSE_COMMAND``, else ``docker compose``, else ``docker-compose``."""
    configured = POS_COMPOSE_COMMAND.read(os.environ)
    if configured:
        return shlex.split(configured)
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"],
                                 capture_output=True).returncode == 0:
        return [docker, "compose"]
    beside_python = Path(sys.executable).with_name("docker-compose")
    standalone = shutil.which("docker-compose") or (
        str(beside_python) if beside_python.is_file() else None)
    if standalone:
        return [standalone]
    raise ComposeError("Docker Compose is not installed: neither `docker compose` nor "
                       "`docker-compose` was found (or set POS_COMPOSE_COMMAND)")


def compose_command(project: str, directory: Path, env: str, action: Sequence[str]) -> list[str]:
    """The full command line for ``action`` (``["up", "-d"]``, ``["down"]`` …)."""
    if env not in ENVIRONMENTS:
        raise ComposeError(f"--env must be one of {', '.join(ENVIRONMENTS)}")
    command = [*compose_binary(), "--project-name", project]
    for path in compose_files(directory, env):
        command += ["--file", str(path)]
    found = env_file(directory, env)
    if found is not None:
        command += ["--env-file", str(found)]
    return command + list(action)


def run_compose(command: list[str], echo: Callable[[str], None]) -> int:
    """Run Compose, passing each line it prints to ``echo``; returns its exit status."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, errors="replace")
    assert process.stdout is not None
    for line in process.stdout:
        echo(line.rstrip("\n"))
    return process.wait()
