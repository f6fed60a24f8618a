"""A real Docker engine for the container tests, and a Debian base image built without a registry.

Registries are unreachable here, so images start from a Debian ``minbase`` root file system made
with ``debootstrap`` and ``docker import``-ed. The tarball is cached under
``/var/cache/posmodern`` (kept between runs on this machine); the imported image is reused while
the engine keeps it.

``dockerd`` is started in the background when no engine answers, and stopped again by whoever
started it. Tests reach containers only through ports published on 127.0.0.1.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import docker
from docker.errors import DockerException, ImageNotFound

SOCKET = "unix:///var/run/docker.sock"
CACHE = Path(os.environ.get("POS_TEST_CACHE", "/var/cache/posmodern"))
BASE_IMAGE = "posmodern/debian-base:bookworm"
MIRROR = os.environ.get("POS_DEBIAN_MIRROR", "http://deb.debian.org/debian")


def _client() -> docker.DockerClient | None:
    try:
        client = docker.DockerClient(base_url=SOCKET, timeout=300)
        client.ping()
        return client
    except DockerException:
        return None


class Engine:
    """A Docker engine: the one already running, or a ``dockerd`` started here."""

    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None
        self.client = _client()
        if self.client is None:
            self._start()

    def _start(self) -> None:
        if shutil.which("dockerd") is None:
            raise RuntimeError("dockerd is not installed: `make test` installs Debian's docker.io")
        log = open(CACHE / "dockerd.log", "ab") if CACHE.is_dir() else subprocess.DEVNULL
        self.process = subprocess.Popen(["dockerd"], stdout=log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        for _ in range(120):
            self.client = _client()
            if self.client is not None:
                return
            if self.process.poll() is not None:
                raise RuntimeError(f"dockerd exited with {self.process.returncode}")
            time.sleep(0.5)
        raise RuntimeError("dockerd did not answer within 60 s")

    @property
    def started_here(self) -> bool:
        return self.process is not None

    def stop(self) -> None:
        """Stop dockerd if this object started it."""
        if self.client is not None:
            self.client.close()
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.process = None


def base_tarball() -> Path:
    """The cached Debian bookworm minbase root file system, made with debootstrap if missing."""
    CACHE.mkdir(parents=True, exist_ok=True)
    tarball = CACHE / "bookworm-minbase.tar"
    if tarball.exists():
        return tarball
    rootfs = CACHE / "rootfs-bookworm"
    shutil.rmtree(rootfs, ignore_errors=True)
    subprocess.run(["debootstrap", "--variant=minbase", "bookworm", str(rootfs), MIRROR],
                   check=True, stdout=subprocess.DEVNULL)
    partial = tarball.with_suffix(".partial")
    subprocess.run(["tar", "-C", str(rootfs), "-cf", str(partial), "."], check=True)
    partial.rename(tarball)
    shutil.rmtree(rootfs, ignore_errors=True)
    return tarball


def base_image(client: docker.DockerClient) -> str:
    """``posmodern/debian-base:bookworm`` in the engine, imported from the cached tarball."""
    try:
        client.images.get(BASE_IMAGE)
        return BASE_IMAGE
    except ImageNotFound:
        pass
    tarball = base_tarball()
    repository, tag = BASE_IMAGE.split(":")
    client.api.import_image_from_file(str(tarball), repository=repository, tag=tag)
    client.images.get(BASE_IMAGE)
    return BASE_IMAGE
