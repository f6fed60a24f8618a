"""The kiosk screen in headless Chromium against a real ``pos serve`` and the fake Asaas: the
device signs in, a customer picks products by category, gives a name, takes it away, pays the
PIX QR code (Asaas calls the webhook), reads "seu pedido nº X"; the order is in the kitchen; the
screen goes back to its start when left alone. A burger asks its options in the kit's dialog,
and the order sent carries them at the product's price plus theirs."""

import re

import httpx
import pytest
from playwright.sync_api import expect

from support.api import Api, make_tenant
from support.browser import browser_page
from support.kiosk import pay_pix
from support.kitchen import of_order
from support.menu import create_menu
from support.modifiers import add_burger_options
from support.server import serving
from support.settings import make_settings
from support.till import brl

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


def test_a_customer_chooses_a_burgers_options_and_the_order_has_them(served, tmp_path):
    server, staff, client = served
    menu = {p["name"]: p for p in staff.get("/api/v1/products", "manager").json()["items"]}
    add_burger_options(staff, menu)  # Ponto da carne: choose 1; Adicionais: up to 3
    errors = []
    with browser_page() as page:
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        sign_in(page, server.url, staff)
        page.get_by_role("button", name="Toque para fazer seu pedido").click()
        page.get_by_role("button", name="Lanches").click()
        burger = page.get_by_role("button", name=re.compile("^Adicionar X-Burger"))
        expect(burger).to_contain_text("escolha as opções")
        burger.click()

        dialog = page.get_by_role("dialog", name="X-Burger")
        doneness = dialog.get_by_role("group", name="Ponto da carne")
        extras = dialog.get_by_role("group", name="Adicionais")
        expect(doneness).to_contain_text("escolha 1")
        expect(extras).not_to_contain_text("Picles")  # off the menu
        add = dialog.get_by_role("button", name="Adicionar ao pedido")
        expect(add).to_be_disabled()
        expect(dialog).to_contain_text("Falta escolher: Ponto da carne")
        # By keyboard too: the first option has the focus, Tab moves on, Space chooses.
        expect(doneness.get_by_role("button", name="Mal passada")).to_be_focused()
        page.keyboard.press("Tab")
        page.keyboard.press("Space")
        expect(doneness.get_by_role("button", name="Ao ponto")).to_have_attribute(
            "aria-pressed", "true")
        extras.get_by_role("button", name="Bacon").click()
        expect(dialog.locator(".due")).to_have_text(brl("30,90", "Preço do item: "))
        expect(dialog).not_to_contain_text("Falta escolher")
        page.screenshot(path=str(tmp_path / "kiosk-options.png"))
        add.click()
        expect(dialog).to_be_hidden()

        burger.click()  # another one, then changed her mind: Esc adds nothing
        expect(dialog).to_be_visible()
        page.keyboard.press("Escape")
        expect(dialog).to_be_hidden()
        expect(page.locator("#cart-lines li")).to_have_count(1)
        burger.click()  # one well done, nothing extra: another line
        doneness.get_by_role("button", name="Bem passada").click()
        add.click()
        lines = page.locator("#cart-lines li")
        expect(lines).to_have_count(2)
        first = lines.nth(0)
        expect(first.locator(".options-chosen")).to_have_text("Ao ponto · + Bacon")
        expect(first).to_contain_text(brl("30,90"))
        first.get_by_role("button", name="Mais um X-Burger (Ao ponto · + Bacon)").click()
        expect(first).to_contain_text("2× X-Burger")
        expect(first).to_contain_text(brl("61,80"))
        expect(lines.nth(1).locator(".options-chosen")).to_have_text("Bem passada")
        expect(page.locator("#cart-total")).to_have_text(brl("88,70"))
        page.screenshot(path=str(tmp_path / "kiosk-cart-options.png"))

        page.get_by_role("button", name="Finalizar pedido").click()
        page.get_by_label("Seu nome").fill("Caio")
        expect(page.locator("#details-total")).to_have_text(brl("88,70"))
        page.get_by_role("button", name="Pagar no balcão").click()
        expect(page.locator("#done-message")).to_contain_text("Vá ao balcão")
        number = page.locator("#done-number").inner_text()

    order = next(o for o in staff.get("/api/v1/orders", "manager").json()["items"]
                 if o["order_number"] == number)
    assert order["total"] == "88.70" and order["source"] == "kiosk"
    sold = [(i["quantity"], i["unit_price"], [m["name"] for m in i["modifiers"]])
            for i in order["items"]]
    assert sorted(sold) == [("1.000", "26.90", ["Bem passada"]),
                            ("2.000", "30.90", ["Ao ponto", "Bacon"])]
    assert errors == []
