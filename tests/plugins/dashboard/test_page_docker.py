"""The page in a real browser against `pos serve` on the Docker backend and real containers."""

import pytest
from playwright.sync_api import expect

from support.api import make_tenant
from support.browser import browser_page, service_row, sign_in, wait_for_log_line
from support.server import serving
from support.tcp_proxy import TcpProxy
from support.settings import make_settings

pytestmark = [pytest.mark.browser, pytest.mark.containers]


@pytest.fixture
def served(compose_project, tmp_path):
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'var' / 'pos.db'}"
    tenant = make_tenant(make_settings(database_url, tmp_path), roles=("admin",))
    with serving({"DATABASE_URL": database_url, "POS_DATA_DIR": str(tmp_path / "var"),
                  "POS_PLUGINS": "auth,dashboard", "POS_DASHBOARD_BACKEND": "docker",
                  "POS_COMPOSE_PROJECT": compose_project.name,
                  "POS_DASHBOARD_STOP_TIMEOUT": "5"}, cwd=tmp_path) as server:
        yield server, tenant


def test_the_page_lists_follows_and_controls_containers(served, compose_project):
    server, tenant = served
    compose_project.wait_healthy("kitchen")
    kitchen = f"{compose_project.name}-kitchen-1"
    with browser_page() as page:
        sign_in(page, server.url, tenant.client_id, "admin", tenant.passwords["admin"])
        expect(page.locator("#project")).to_contain_text(compose_project.name)
        expect(service_row(page, "ticker").locator(".status")).to_have_text("● saudável")
        expect(service_row(page, "ticker")).to_contain_text("2/2")
        expect(service_row(page, "kitchen").locator(".status")).to_have_text("● saudável")

        service_row(page, "kitchen").locator("button.link").click()
        expect(page.locator("#log .msg", has_text="kitchen ready")).to_be_visible()
        expect(page.locator("#log-state")).to_have_text("acompanhando")
        compose_project.say("kitchen", "order 42 ready at the pass")
        wait_for_log_line(page, "order 42 ready at the pass")

        service_row(page, "kitchen").locator("[data-action=stop]").click()
        expect(service_row(page, "kitchen").locator(".status")).to_have_text("■ parado")
        assert kitchen not in compose_project.running()
        service_row(page, "kitchen").locator("[data-action=start]").click()
        expect(service_row(page, "kitchen").locator(".status")).not_to_have_text("■ parado")
        assert kitchen in compose_project.running()

        started = page.locator("#replicas td.started").first
        expect(started).not_to_have_text("–")
        before = started.inner_text()
        service_row(page, "kitchen").locator("[data-action=restart]").click()
        expect(started).not_to_have_text(before)
        expect(page.locator("#banner")).to_contain_text("Reiniciar kitchen: 1/1 running")
        # The log followed the container through its stop, start and restart: once per start,
        # none lost and none repeated.
        expect(page.locator("#log .msg", has_text="kitchen ready")).to_have_count(3)


def test_the_log_resumes_after_the_connection_drops_without_loss_or_repeat(served,
                                                                          compose_project):
    server, tenant = served
    network = TcpProxy(server.port)
    try:
        with browser_page() as page:
            sign_in(page, network.url, tenant.client_id, "admin", tenant.passwords["admin"])
            service_row(page, "kitchen").locator("button.link").click()
            compose_project.say("kitchen", "before the drop")
            wait_for_log_line(page, "before the drop")
            network.drop()
            for n in range(3):
                compose_project.say("kitchen", f"while cut off {n}")
            # The page reconnects a second later, resuming after the last line it had.
            expect(page.locator("#log .msg", has_text="while cut off 2")).to_be_visible()
            compose_project.say("kitchen", "after the drop")
            wait_for_log_line(page, "after the drop")
            messages = page.locator("#log .msg").all_inner_texts()
    finally:
        network.close()
    # The first stream did end (the server logs a request when it is over).
    assert "/api/v1/dashboard/services/kitchen/logs" in server.log()
    assert messages == ["kitchen ready", "before the drop", "while cut off 0", "while cut off 1",
                        "while cut off 2", "after the drop"]
