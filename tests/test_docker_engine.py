"""The container tests' ground: a Docker engine and a Debian base image built without a registry."""

import pytest

pytestmark = pytest.mark.containers


def test_the_base_image_runs_debian(docker_engine, debian_base_image):
    output = docker_engine.client.containers.run(
        debian_base_image, ["cat", "/etc/debian_version"], remove=True)
    assert output.decode().startswith("12.")
