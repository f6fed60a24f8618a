"""The page in a real browser against a real embedded `pos serve`."""

import uuid

import httpx
import pytest
from playwright.sync_api import expect

from support.browser import browser_page, service_row, sign_in, wait_for_log_line
from support.api import make_tenant
from support.server import serving
from support.settings import make_settings

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("dashboard-embedded")
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'var' / 'pos.db'}"
    tenant = make_tenant(make_settings(database_url, tmp_path), roles=("admin", "cashier"))
    with serving({"DATABASE_URL": database_url, "POS_DATA_DIR": str(tmp_path / "var"),
                  "POS_DASHBOARD_BACKEND": "embedded", "POS_LOG_FORMAT": "json",
                  "POS_PLUGINS": "auth,dashboard"}, cwd=tmp_path) as server:
        yield server, tenant


def test_the_page_follows_the_process_live(served):
    server, tenant = served
    with browser_page() as page:
        sign_in(page, server.url, tenant.client_id, "admin", tenant.passwords["admin"])
        for service in ("pos", "database", "event-bus", "cache"):
            expect(service_row(page, service).locator(".status")).to_have_text("● saudável")
        expect(page.locator("#live")).to_have_text("● ao vivo")
        service_row(page, "pos").locator("button.link").click()
        expect(page.locator("#detail-extra")).to_contain_text("pos_static_assets")
        expect(page.locator("#log-state")).to_have_text("acompanhando")
        marker = f"page-{uuid.uuid4().hex[:10]}"
        # The server logs every request with its id: a line printed after the page opened.
        httpx.get(server.url + "/ready", headers={"X-Request-ID": marker})
        wait_for_log_line(page, marker)
        expect(page.locator("#bus-exchanges")).to_contain_text("posmodern.events")
        expect(service_row(page, "pos").locator("[data-action]")).to_have_count(0)


def test_a_non_admin_is_turned_away(served):
    server, tenant = served
    token = httpx.post(server.url + "/api/v1/auth/token", json={
        "client_id": tenant.client_id, "username": "cashier",
        "password": tenant.passwords["cashier"]}).json()["access_token"]
    refused = httpx.get(server.url + "/api/v1/dashboard/services",
                        headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    with browser_page() as page:
        sign_in(page, server.url, tenant.client_id, "cashier", tenant.passwords["cashier"])
        expect(page.locator("#banner")).to_contain_text("Sem permissão")
        expect(page.locator("#services tbody tr")).to_have_count(0)
