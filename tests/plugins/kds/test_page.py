"""The kitchen screen in headless Chromium against a real embedded ``pos serve``: a cook signs in,
an order confirmed through the API appears, is bumped by a touch and by the bump bar's keys,
recalled, and a cancellation shows struck through and flashing until acknowledged; the customer
board shows the numbers."""

import re

import httpx
import pytest
from playwright.sync_api import expect

from support.api import Api, make_tenant
from support.browser import browser_page
from support.menu import create_menu, order_body
from support.server import serving
from support.settings import make_settings

pytestmark = pytest.mark.browser
SHOT = "kds-page.png"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("kds-page")
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'var' / 'pos.db'}"
    tenant = make_tenant(make_settings(database_url, tmp_path))
    with serving({"DATABASE_URL": database_url, "POS_DATA_DIR": str(tmp_path / "var"),
                  "POS_PLUGINS": "auth,catalog,customers,orders,waiter,kds"},
                 cwd=tmp_path) as server, httpx.Client(base_url=server.url) as client:
        staff = Api(client, tenant)
        yield server, staff, create_menu(staff), tmp_path


def confirm(staff, menu, *lines, **extra) -> dict:
    order = staff.post("/api/v1/orders", "cashier", json=order_body(menu, *lines, **extra)).json()
    moved = staff.post(f"/api/v1/orders/{order['order_id']}/status", "manager",
                       json={"status": "CONFIRMED"})
    assert moved.status_code == 200, moved.text
    return order


def sign_in(page, url, staff, path="/kds/"):
    page.goto(url + path)
    page.fill("input[name=client_id]", staff.tenant.client_id)
    page.fill("input[name=username]", "kitchen")
    page.fill("input[name=password]", staff.tenant.passwords["kitchen"])
    page.click("#login-form button[type=submit]")


def test_a_cook_bumps_recalls_and_sees_a_cancellation(served):
    server, staff, menu, tmp_path = served
    with browser_page() as page:
        sign_in(page, server.url, staff)
        expect(page.locator("#live")).to_have_text("● ao vivo")
        expect(page.locator("#stations button[aria-pressed=true]")).to_have_text("Cozinha")
        first = confirm(staff, menu, ("X-Burger", "2"), notes="sem cebola")
        card = page.locator("article.ticket", has_text=f"#{first['order_number']}")
        expect(card).to_be_visible(timeout=1500)
        expect(card).to_contain_text("X-Burger")
        expect(card).to_contain_text("sem cebola")
        expect(card.locator(".timer small")).to_have_text("✓ no prazo")
        card.get_by_role("button", name="Iniciar").click()
        expect(card).to_contain_text("EM PREPARO")
        card.get_by_role("button", name="✓ Pronto").click()
        expect(card).to_have_count(0)
        assert staff.get(f"/api/v1/orders/{first['order_id']}",
                         "manager").json()["status"] == "READY"

        second = confirm(staff, menu, ("Misto quente", "1"))
        third = confirm(staff, menu, ("Pudim de leite", "1"))
        second_card = page.locator("article.ticket", has_text=f"#{second['order_number']}")
        third_card = page.locator("article.ticket", has_text=f"#{third['order_number']}")
        expect(third_card).to_be_visible()
        expect(second_card.locator(".pos")).to_have_text("1")
        page.keyboard.press("1")  # the bump bar: the ticket in position 1
        expect(second_card).to_have_count(0)
        expect(third_card.locator(".pos")).to_have_text("1")
        page.keyboard.press("0")  # recall the last one bumped
        expect(second_card).to_be_visible()

        staff.post(f"/api/v1/orders/{third['order_id']}/status", "manager",
                   json={"status": "CANCELLED"})
        expect(third_card).to_have_class(re.compile(r"\bcancelled\b.*\balerting\b"),
                                         timeout=1500)
        expect(third_card).to_contain_text("✖ PEDIDO CANCELADO")
        page.screenshot(path=str(tmp_path / SHOT), full_page=True)
        third_card.get_by_role("button", name="Ciente").click()
        expect(third_card).to_have_count(0)
        expect(second_card).to_be_visible()


def test_the_board_shows_preparing_and_ready_numbers(served):
    server, staff, menu, _ = served
    order = confirm(staff, menu, ("Guaraná lata", "1"))
    with browser_page() as page:
        sign_in(page, server.url, staff, "/kds/board")
        expect(page.locator("#preparing")).to_contain_text(order["order_number"])
        ticket = next(t for t in staff.get("/api/v1/kds/tickets", "kitchen").json()["items"]
                      if t["order_id"] == order["order_id"])
        staff.post(f"/api/v1/kds/tickets/{ticket['ticket_id']}/bump", "kitchen")
        expect(page.locator("#ready li", has_text=order["order_number"])).to_be_visible()
        expect(page.locator("#preparing li", has_text=order["order_number"])).to_have_count(0)


def test_a_screen_left_signed_in_refreshes_its_token_before_it_expires(tmp_path):
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'var' / 'pos.db'}"
    tenant = make_tenant(make_settings(database_url, tmp_path))
    with serving({"DATABASE_URL": database_url, "POS_DATA_DIR": str(tmp_path / "var"),
                  "POS_PLUGINS": "auth,catalog,customers,orders,waiter,kds",
                  "POS_TOKEN_TTL": "6"}, cwd=tmp_path) as server, \
            httpx.Client(base_url=server.url) as client, browser_page() as page:
        staff = Api(client, tenant)
        sign_in(page, server.url, staff)
        expect(page.locator("#live")).to_have_text("● ao vivo")
        read_token = """() => Object.keys({...localStorage, ...sessionStorage})
            .filter((key) => key.endsWith('.token'))
            .map((key) => localStorage.getItem(key) || sessionStorage.getItem(key))[0]"""
        first = page.evaluate(read_token)
        page.wait_for_timeout(9000)  # past the first token's 6 s: refreshed at ~4.8 s
        later = page.evaluate(read_token)
        assert later and later != first
        expect(page.locator("#login-form")).to_be_hidden()
        me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {later}"})
        assert me.status_code == 200 and me.json()["username"] == "kitchen"
