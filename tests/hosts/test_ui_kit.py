"""The pages' shared kit is served by every host, whatever its plugins, with no build step."""

import re

import pytest
from starlette.testclient import TestClient

from posmodern.hosts.app import UI_KIT, create_app

MODULES = sorted(path.name for path in (UI_KIT / "kit").glob("*.js"))


@pytest.fixture
def client(settings):
    with TestClient(create_app(settings, plugins=["auth"])) as test_client:
        yield test_client


def test_every_kit_module_is_served_and_imports_only_its_siblings(client):
    assert {"api.js", "index.js", "offline.js", "session.js", "signin.js", "sse.js"} <= set(
        MODULES)
    for name in MODULES:
        served = client.get(f"/ui/kit/{name}")
        assert served.status_code == 200, name
        assert "javascript" in served.headers["content-type"]
        # No CDN, no bundler: relative imports of files that exist.
        for target in re.findall(r'from "([^"]+)"', served.text):
            assert target.startswith("./") and target[2:] in MODULES, (name, target)
    assert client.get("/ui/kit/kit.css").status_code == 200
