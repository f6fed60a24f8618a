"""Sales survive outages: with the browser's network switched off, or with the server killed and
started again on the same port (its SQLite file or PostgreSQL database kept), the POS queues the
sales in IndexedDB, says how many wait, and sends each exactly once when the server answers —
again after a second outage (0 lost, 0 duplicated)."""

import pytest
from playwright.sync_api import expect

from support.api import Api, make_tenant
from support.browser import browser_page
from support.menu import create_menu
from support.server import Server
from support.settings import make_settings
from support.till import PLUGINS, pos_orders, sell_offline, sign_in

import httpx

pytestmark = pytest.mark.browser
# The kit retries every 3 s; a server's start and the sending take some seconds more.
BACK_MS = 30000


@pytest.fixture
def till(database_url, tmp_path):
    """A served till: (env, server, staff, menu); the test may kill and restart the server."""
    tenant = make_tenant(make_settings(database_url, tmp_path))
    env = {"DATABASE_URL": database_url, "POS_DATA_DIR": str(tmp_path / "var"),
           "POS_PLUGINS": PLUGINS}
    servers = [Server(env, cwd=tmp_path)]
    servers[0].wait_healthy()
    client = httpx.Client(base_url=servers[0].url)
    try:
        staff = Api(client, tenant)
        yield env, servers, staff, create_menu(staff)
    finally:
        client.close()
        servers[-1].stop()


def expect_all_sent(page, staff, count: int) -> list[dict]:
    expect(page.locator("#pending")).to_be_hidden(timeout=BACK_MS)
    expect(page.locator("#queued li")).to_have_count(0)
    # Flushing again sends nothing new: what went out was taken off the queue.
    page.evaluate("window.posQueue.flush()")
    orders = pos_orders(staff)
    assert len(orders) == count, [o["order_number"] for o in orders]
    assert len({o["order_number"] for o in orders}) == count
    assert {o["payment_status"] for o in orders} == {"PAID"}
    return orders


def sell_three(page) -> None:
    sell_offline(page, "X-Burger")
    sell_offline(page, "Guaraná lata", "Guaraná lata")
    sell_offline(page, "Pudim de leite")
    expect(page.locator("#pending")).to_have_text("◷ 3 venda(s) pendente(s) de envio")
    expect(page.locator("#queued li")).to_have_count(3)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_network_off_three_sales_each_sent_once(till):
    _, servers, staff, _ = till
    with browser_page() as page:
        sign_in(page, servers[0].url, staff)
        for outage in (1, 2):
            page.context.set_offline(True)
            sell_three(page)
            assert len(pos_orders(staff)) == 3 * (outage - 1)
            page.context.set_offline(False)
            orders = expect_all_sent(page, staff, 3 * outage)
    totals = sorted(o["total"] for o in orders)
    assert totals == ["12.00", "12.00", "13.00", "13.00", "26.90", "26.90"]


def test_server_killed_and_restarted_three_sales_each_sent_once(till):
    env, servers, staff, _ = till
    with browser_page() as page:
        sign_in(page, servers[0].url, staff)
        for outage in (1, 2):
            servers[-1].kill()
            sell_three(page)
            restarted = Server(env, cwd=servers[-1].log_path.parent, port=servers[-1].port)
            servers.append(restarted)
            restarted.wait_healthy()
            expect_all_sent(page, staff, 3 * outage)
