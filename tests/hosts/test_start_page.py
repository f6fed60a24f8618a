"""The start page ``/`` and ``GET /api/v1/apps``: the apps of the loaded plugins, by role."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from posmodern.core import hookimpl
from posmodern.core.api import App
from posmodern.core.errors import PluginError
from posmodern.core.plugins import get_plugin_manager
from posmodern.hosts.app import create_app
from support.api import Api, assert_error, make_tenant
from support.settings import make_settings

ROOT = Path(__file__).resolve().parents[2]
PAGES = ["auth", "kds", "dashboard", "backoffice", "catalog", "orders", "payments", "settings"]


@pytest.fixture
def staff(settings):
    with TestClient(create_app(settings, plugins=PAGES)) as client:
        yield Api(client, make_tenant(settings))


def names(staff, role):
    answer = staff.get("/api/v1/apps", role)
    assert answer.status_code == 200, answer.text
    return [app["name"] for app in answer.json()["items"]]


def test_the_start_page_is_served_without_a_token(staff):
    page = staff.client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<html lang="pt-BR">' in page.text and "/ui/start/start.js" in page.text
    assert "://" not in page.text  # nothing from a CDN
    assert staff.client.get("/ui/start/start.js").status_code == 200


def test_each_role_sees_the_apps_it_opens(staff):
    assert names(staff, "admin") == ["kds", "kds.board", "admin", "dashboard"]
    assert names(staff, "manager") == ["kds", "kds.board", "admin"]
    assert names(staff, "cashier") == ["kds.board"]
    assert names(staff, "kitchen") == ["kds", "kds.board"]
    assert names(staff, "integration") == []
    app = staff.get("/api/v1/apps", "admin").json()["items"][2]
    assert app == {"name": "admin", "path": "/admin/", "title": "Retaguarda", "icon": "⚙",
                   "description": app["description"]}
    assert_error(staff.get("/api/v1/apps", None), 401)


def test_every_app_path_is_served(staff):
    for app in staff.get("/api/v1/apps", "admin").json()["items"]:
        page = staff.client.get(app["path"])
        assert page.status_code == 200 and "/ui/kit/" in page.text, app


class Twice:
    @hookimpl
    def pos_apps(self, settings):
        return [App("admin", "/other/", "Outra", frozenset({"admin"}))]


def test_two_apps_with_one_name_stop_the_start(settings):
    pm = get_plugin_manager(["auth", "backoffice"], extra=[("twice", Twice())])
    with pytest.raises(PluginError, match="app name admin is declared twice"):
        create_app(settings, pm=pm)


def test_no_page_has_inline_style_or_script():
    """The pages' Content-Security-Policy (default-src 'self') blocks inline CSS and scripts:
    a page that relies on them breaks in the browser with a console error."""
    pages = [*ROOT.glob("plugins/*/static/**/*.html"), *ROOT.glob("hosts/ui/**/*.html")]
    assert len(pages) >= 5
    for page in pages:
        html = page.read_text()
        assert "<style" not in html and " style=" not in html, page
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), page


def test_a_front_service_lists_the_apps_other_services_serve(database_url, tmp_path):
    settings = make_settings(database_url, tmp_path, POS_START_APPS="kds,dashboard,backoffice")
    with TestClient(create_app(settings, plugins=["auth", "backoffice"])) as client:
        staff = Api(client, make_tenant(settings))
        assert names(staff, "admin") == ["kds", "kds.board", "admin", "dashboard"]
        assert client.get("/kds/").status_code == 404  # listed here, served elsewhere
