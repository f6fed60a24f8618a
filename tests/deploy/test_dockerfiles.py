"""Every Dockerfile under deploy/ passes hadolint with no finding at all, and the app image keeps
its contract: a BASE_IMAGE argument, several stages, a non-root user, a health check on /health."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from support.deployment import DEPLOY, REPO

DOCKERFILES = sorted(DEPLOY.rglob("Dockerfile"))


@pytest.mark.parametrize("path", DOCKERFILES, ids=lambda p: str(p.relative_to(DEPLOY)))
def test_hadolint_finds_nothing(path: Path):
    result = subprocess.run([str(Path(sys.executable).parent / "hadolint"), "--no-color",
                             str(path)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_app_image_contract():
    text = (DEPLOY / "Dockerfile").read_text()
    assert re.search(r"^ARG BASE_IMAGE=python:3\.\d+-slim", text, re.M)
    assert len(re.findall(r"^FROM ", text, re.M)) >= 3, "multi-stage: python, build, runtime"
    users = re.findall(r"^USER (\S+)", text, re.M)
    assert users and not users[-1].startswith(("0", "root")), "the server runs unprivileged"
    assert re.search(r"^HEALTHCHECK .*\n?.*/health", text, re.M)
    assert "POS_PLUGINS" in text


def test_the_build_context_holds_only_what_the_image_installs():
    lines = [line for line in (REPO / ".dockerignore").read_text().splitlines()
             if line and not line.startswith("#")]
    assert lines[0] == "*", "allow-list: everything else stays out of the context"
    allowed = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    copied = set(re.findall(r"^COPY (?!--from)(.+) \S+$", (DEPLOY / "Dockerfile").read_text(),
                            re.M))
    copied = {name for sources in copied for name in sources.split()}
    assert copied == allowed, "COPY and .dockerignore disagree"
