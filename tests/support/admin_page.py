"""Driving the back office `/admin/` (and the start page) in headless Chromium: a real server
with a tenant and a menu, signing in as a role of the tenant, the small screenshots of the docs,
console errors and requests that leave the server."""

from __future__ import annotations

import contextlib
from pathlib import Path
from urllib.parse import urlparse

import httpx

from support.api import Api, make_tenant
from support.menu import create_menu
from support.server import serving
from support.settings import make_settings

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@contextlib.contextmanager
def admin_server(tmp_path: Path, plugins: str, **env: str):
    """A real ``pos serve`` of ``plugins`` on a SQLite file under ``tmp_path``, with a test tenant
    and a menu made through the API: (server, staff, menu, settings)."""
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'var' / 'pos.db'}"
    settings = make_settings(database_url, tmp_path)
    tenant = make_tenant(settings)
    with serving({"DATABASE_URL": database_url, "POS_DATA_DIR": str(tmp_path / "var"),
                  "POS_PLUGINS": plugins, **env},
                 cwd=tmp_path) as server, httpx.Client(base_url=server.url) as client:
        staff = Api(client, tenant)
        yield server, staff, create_menu(staff), settings


def screenshot(page, name: str) -> None:
    """docs/screenshots/<name>, small: what a 1024×700 screen shows."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1024, "height": 700})
    page.screenshot(path=str(SCREENSHOTS / name))
    page.set_viewport_size({"width": 1300, "height": 1000})


def sign_in(page, url, staff, role, path="/"):
    page.goto(url + path)
    page.fill("input[name=client_id]", staff.tenant.client_id)
    page.fill("input[name=username]", role)
    page.fill("input[name=password]", staff.tenant.passwords[role])
    page.click("#login-form button[type=submit]")


class Watch:
    """Console errors, uncaught exceptions and requests to anywhere but the server."""

    def __init__(self, page, url):
        self.errors, self.outside = [], []
        host = urlparse(url).netloc
        page.on("console", lambda m: m.type == "error" and self.errors.append(
            f"{page.url}: {m.text}"))
        page.on("pageerror", lambda error: self.errors.append(f"{page.url}: {error}"))
        page.on("request", lambda r: urlparse(r.url).scheme in ("http", "https", "ws", "wss")
                and urlparse(r.url).netloc != host and self.outside.append(r.url))

    @property
    def bugs(self) -> list[str]:
        """The errors, less the browser's note of each refused request (a test that sends a bad
        value expects its 4xx)."""
        return [error for error in self.errors if "Failed to load resource" not in error]
