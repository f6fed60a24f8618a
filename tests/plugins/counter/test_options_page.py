"""The cashier's page with product options, in headless Chromium against a real ``pos serve``:
tapping a burger with a required "Ponto da carne" opens the options dialog, which holds the sale
back until a doneness is chosen, keeps "Adicionais" to its maximum and shows the item's price;
the cart line shows the options, and the server's order comes to the product plus its options.
A product without groups still goes straight to the cart."""

from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from support.api import Api, make_tenant
from support.browser import browser_page
from support.menu import create_menu
from support.modifiers import add_burger_options
from support.server import serving
from support.settings import make_settings
from support.till import PLUGINS, brl, pay_cash, sign_in, tap

pytestmark = pytest.mark.browser
SCREENSHOT = (Path(__file__).resolve().parents[3] / "docs" / "screenshots"
              / "pos-options.png")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("pos-options")
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'var' / 'pos.db'}"
    tenant = make_tenant(make_settings(database_url, tmp_path))
    with serving({"DATABASE_URL": database_url, "POS_DATA_DIR": str(tmp_path / "var"),
                  "POS_PLUGINS": PLUGINS}, cwd=tmp_path) as server, \
            httpx.Client(base_url=server.url) as client:
        staff = Api(client, tenant)
        menu = create_menu(staff)
        add_burger_options(staff, menu)
        yield server, staff, menu


def test_a_cashier_chooses_a_burgers_options_and_the_order_adds_their_prices(served):
    server, staff, menu = served
    errors = []
    with browser_page() as page:
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        sign_in(page, server.url, staff)
        page.click("#shift")
        page.fill("#dialog input[name=opening]", "100,00")
        page.click("#open-shift")
        expect(page.locator("#shift")).to_contain_text("Caixa aberto desde")

        tap(page, "X-Burger")
        dialog = page.locator("#dialog")
        expect(page.locator("#dialog-title")).to_have_text("X-Burger")
        doneness = dialog.get_by_role("group", name="Ponto da carne")
        extras = dialog.get_by_role("group", name="Adicionais")
        expect(doneness).to_contain_text("escolha 1")
        expect(extras).to_contain_text("até 3")
        expect(extras).not_to_contain_text("Picles")  # off the menu
        add = page.locator("#options-ok")
        expect(add).to_be_disabled()  # a doneness is required
        doneness.get_by_role("button", name="Mal passada").click()
        doneness.get_by_role("button", name="Ao ponto").click()  # one only: replaces it
        expect(doneness.locator("button[aria-pressed=true]")).to_have_count(1)
        expect(doneness.get_by_role("button", name="Ao ponto")).to_have_attribute(
            "aria-pressed", "true")
        expect(add).to_be_enabled()
        for name in ("Bacon", "Cheddar", "Ovo"):
            extras.get_by_role("button", name=name).click()
        expect(extras.locator("button:disabled")).to_have_count(0)  # 3 of 3: nothing left
        extras.get_by_role("button", name="Ovo").click()  # changed her mind
        expect(dialog.locator(".due")).to_have_text(brl("33,90", "Preço do item: "))
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=True)
        add.click()
        expect(dialog).not_to_be_visible()

        line = page.locator("#lines li", has_text="X-Burger")
        expect(line.locator(".options-chosen")).to_have_text("Ao ponto · + Bacon · + Cheddar")
        expect(line).to_contain_text(brl("33,90"))
        tap(page, "Guaraná lata")  # no options: straight to the cart
        expect(dialog).not_to_be_visible()
        expect(page.locator("#lines li")).to_have_count(2)
        expect(page.locator("#total")).to_have_text(brl("40,40"))

        page.click("#checkout")
        expect(page.locator("#outstanding")).to_contain_text(brl("40,40"))
        pay_cash(page, "50")
        expect(page.locator("#banner")).to_contain_text("registrado")

        sold = staff.get("/api/v1/orders", "manager").json()["items"][0]
        assert sold["total"] == "40.40" and sold["payment_status"] == "PAID"
        burger = next(i for i in sold["items"] if i["product_name"] == "X-Burger")
        assert burger["unit_price"] == "33.90"  # 26.90 + 4.00 + 3.00
        assert [m["name"] for m in burger["modifiers"]] == ["Ao ponto", "Bacon", "Cheddar"]
    assert errors == []
