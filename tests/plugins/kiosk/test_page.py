"""The kiosk screen in headless Chromium against a real ``pos serve`` and the fake Asaas: the
device signs in, a customer picks products by category, gives a name, takes it away, pays the
PIX QR code (Asaas calls the webhook), reads "seu pedido nº X"; the order is in the kitchen; the
screen goes back to its start when left alone."""

import re

import httpx
import pytest
from playwright.sync_api import expect

from support.api import Api, make_tenant
from support.browser import browser_page
from support.kiosk import pay_pix
from support.kitchen import of_order
from support.menu import create_menu
from support.server import serving
from support.settings import make_settings

from .conftest import asaas_env

pytestmark = pytest.mark.browser
SHOT = "kiosk-page.png"
IDLE_SECONDS = 10


@pytest.fixture
def served(tmp_path, asaas):
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'var' / 'pos.db'}"
    tenant = make_tenant(make_settings(database_url, tmp_path))
    env = {"DATABASE_URL": database_url, "POS_DATA_DIR": str(tmp_path / "var"),
           "POS_PLUGINS": "auth,catalog,customers,orders,waiter,payments,kds,kiosk",
           "KIOSK_IDLE_SECONDS": str(IDLE_SECONDS), **asaas_env(asaas)}
    # A loaded machine takes a while to start a server.
    with serving(env, cwd=tmp_path, timeout=120) as server, \
            httpx.Client(base_url=server.url) as client:
        staff = Api(client, tenant)
        create_menu(staff)
        yield server, staff, client


def sign_in(page, url, staff):
    page.goto(url + "/kiosk/")
    page.fill("input[name=client_id]", staff.tenant.client_id)
    page.fill("input[name=username]", "kiosk")
    page.fill("input[name=password]", staff.tenant.passwords["kiosk"])
    page.click("#login-form button[type=submit]")


def test_a_customer_orders_pays_by_pix_and_the_kitchen_gets_it(served, asaas, tmp_path):
    server, staff, client = served
    with browser_page() as page:
        sign_in(page, server.url, staff)
        page.get_by_role("button", name="Toque para fazer seu pedido").click()
        page.get_by_role("button", name="Lanches").click()
        burger = page.get_by_role("button", name=re.compile("^Adicionar X-Burger"))
        burger.click()
        burger.click()
        page.get_by_role("button", name="Bebidas").click()
        page.get_by_role("button", name=re.compile("^Adicionar Guaraná lata")).click()
        expect(page.locator("#cart-lines li")).to_have_count(2)
        expect(page.locator("#cart-total")).to_have_text(re.compile(r"R\$\s60,30"))
        page.screenshot(path=str(tmp_path / "kiosk-shop.png"))
        page.get_by_role("button", name="Finalizar pedido").click()

        page.get_by_role("button", name="Pagar com PIX").click()  # no name yet
        expect(page.locator("#name-error")).to_contain_text("Digite seu nome")
        assert asaas.charges == {}
        page.get_by_label("Seu nome").fill("Ana")
        page.get_by_role("radio", name="Para levar").click()
        expect(page.get_by_role("radio", name="Para levar")).to_have_attribute(
            "aria-checked", "true")
        page.get_by_role("button", name="Pagar com PIX").click()

        expect(page.get_by_role("heading", name="Pague com PIX")).to_be_visible()
        expect(page.locator("#pix-code")).to_have_value(re.compile("^000201"))
        expect(page.locator("#pix-total")).to_have_text(re.compile(r"R\$\s60,30"))
        number = page.locator("#pix-number").inner_text()
        page.screenshot(path=str(tmp_path / "kiosk-pix.png"))
        (charge,) = asaas.charges.values()
        pay_pix(client, asaas, {"payment_id": charge["externalReference"]})

        expect(page.locator("#done-title")).to_have_text(f"Seu pedido nº {number}",
                                                          timeout=10_000)
        expect(page.locator("#done-message")).to_contain_text("Vamos chamar: Ana")
        page.screenshot(path=str(tmp_path / SHOT), full_page=True)
        order = next(o for o in staff.get("/api/v1/orders", "manager").json()["items"]
                     if o["order_number"] == number)
        assert order["status"] == "CONFIRMED" and order["notes"] == "Ana · Para levar"
        of_order(staff, order["order_id"], 1)

        # Left alone, the screen goes back to its start for the next customer.
        expect(page.get_by_role("button", name="Toque para fazer seu pedido")).to_be_visible(
            timeout=(IDLE_SECONDS + 10) * 1000)
        expect(page.locator("#cart-lines li")).to_have_count(0)
