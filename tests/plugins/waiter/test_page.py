"""The waiter's page in headless Chromium against a real embedded ``pos serve``: a waiter signs
in, sees the floor live, opens a table, sends a round with a note and a held dessert, sees the
kitchen mark the dishes ready, fires the dessert and asks for the bill; another waiter's page
sees the table's state change. A dish with options asks them in the kit's dialog, and the round
sent carries them at the dish's price plus theirs."""

import httpx
import pytest
from playwright.sync_api import expect

from support.api import Api, make_tenant
from support.browser import browser_page
from support.kitchen import of_order
from support.menu import create_menu
from support.modifiers import add_burger_options
from support.server import serving
from support.settings import make_settings
from support.till import brl

pytestmark = pytest.mark.browser
SHOT = "waiter-page.png"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("waiter-page")
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'var' / 'pos.db'}"
    tenant = make_tenant(make_settings(database_url, tmp_path))
    with serving({"DATABASE_URL": database_url, "POS_DATA_DIR": str(tmp_path / "var"),
                  "POS_PLUGINS": "auth,catalog,customers,orders,waiter,kds"},
                 cwd=tmp_path) as server, httpx.Client(base_url=server.url) as client:
        staff = Api(client, tenant)
        layout = staff.post("/api/v1/waiter/layouts", "manager", json={
            "name": "Salão", "elements": [{"kind": "bar", "x": 0, "y": 0, "width": 40,
                                           "height": 6, "label": "Balcão"}]}).json()
        for number, x in (("1", 10), ("2", 40), ("3", 70)):
            made = staff.post("/api/v1/waiter/tables", "manager", json={
                "table_number": number, "capacity": 4, "layout_id": layout["layout_id"],
                "x": x, "y": 30, "width": 18, "height": 18, "shape": "round"})
            assert made.status_code == 201, made.text
        yield server, staff, create_menu(staff), tmp_path


def sign_in(page, url, staff):
    page.goto(url + "/waiter/")
    page.fill("input[name=client_id]", staff.tenant.client_id)
    page.fill("input[name=username]", "waiter")
    page.fill("input[name=password]", staff.tenant.passwords["waiter"])
    page.click("#login-form button[type=submit]")


def test_a_waiter_serves_a_table_from_the_floor_map(served):
    server, staff, menu, tmp_path = served
    with browser_page() as page:
        other = page.context.browser.new_page(viewport={"width": 420, "height": 900})
        sign_in(page, server.url, staff)
        sign_in(other, server.url, staff)
        expect(page.locator("#live")).to_have_text("● ao vivo")
        table = page.get_by_role("button", name="Mesa 1: Livre")
        table.click()
        expect(page.locator("#tab-items")).to_contain_text("Mesa sem pedidos")
        page.locator("#menu button", has_text="X-Burger").click()
        page.get_by_label("Observação: X-Burger").fill("sem cebola")
        page.locator("#menu button", has_text="Pudim de leite").click()
        page.locator("#draft li", has_text="Pudim").get_by_label("2º tempo").check()
        page.get_by_role("button", name="Enviar para a cozinha").click()
        expect(page.locator("#banner")).to_have_text("Pedido enviado para a cozinha")
        burger = page.locator("#tab-items li", has_text="X-Burger")
        expect(burger).to_contain_text("sem cebola")
        expect(page.locator("#tab-items li", has_text="Pudim")).to_contain_text("em espera")
        # Another waiter's floor shows the table taken, live.
        expect(other.get_by_role("button", name="Mesa 1: Ocupada")).to_be_visible()

        order_id = staff.get("/api/v1/orders", "manager").json()["items"][0]["order_id"]
        (ticket,) = of_order(staff, order_id, 1, role="manager")
        staff.post(f"/api/v1/kds/tickets/{ticket['ticket_id']}/bump", "kitchen")
        # The kitchen's bump reaches the open tab live.
        expect(burger).to_contain_text("pronto")
        page.get_by_role("button", name="Disparar próximo tempo").click()
        expect(page.locator("#banner")).to_have_text("Próximo tempo disparado")
        dessert = page.locator("#tab-items li", has_text="Pudim")
        expect(dessert).to_contain_text("na fila")
        (fired,) = of_order(staff, order_id, 1, role="manager")
        staff.post(f"/api/v1/kds/tickets/{fired['ticket_id']}/bump", "kitchen")
        # Everything is ready: the tab says so, and the other waiter's floor too.
        expect(dessert).to_contain_text("pronto")
        expect(other.get_by_role("button", name="Mesa 1: Ocupada, ✓ pronto")).to_be_visible()
        page.get_by_role("button", name="Pedir a conta").click()
        expect(page.locator("#banner")).to_contain_text("Conta pedida")
        expect(other.get_by_role("button", name="Mesa 1: Conta pedida")).to_be_visible()
        expect(page.locator("#tab-total")).to_contain_text("R$")
        page.screenshot(path=str(tmp_path / SHOT), full_page=True)


def test_a_waiter_adds_a_dish_with_its_options_to_a_tables_round(served):
    server, staff, menu, tmp_path = served
    grill = staff.post("/api/v1/products", "admin", json={
        "name": "Picanha na chapa", "price": "59.90",
        "category_id": menu["X-Burger"]["category_id"]})
    assert grill.status_code == 201, grill.text
    add_burger_options(staff, {"Picanha na chapa": grill.json()}, product="Picanha na chapa")
    with browser_page() as page:
        sign_in(page, server.url, staff)
        page.get_by_role("button", name="Mesa 2: Livre").click()
        expect(page.locator("#tab-items")).to_contain_text("Mesa sem pedidos")
        page.get_by_role("button", name="Picanha na chapa, R$ 59,90, com opções").click()

        dialog = page.get_by_role("dialog", name="Picanha na chapa")
        add = dialog.get_by_role("button", name="Adicionar à rodada")
        expect(add).to_be_disabled()  # the doneness is required
        dialog.get_by_role("group", name="Ponto da carne").get_by_role(
            "button", name="Mal passada").click()
        extras = dialog.get_by_role("group", name="Adicionais")
        extras.get_by_role("button", name="Cheddar").click()
        extras.get_by_role("button", name="Ovo").click()
        expect(dialog.locator(".due")).to_have_text(brl("65,40", "Preço do item: "))
        add.click()
        expect(dialog).to_be_hidden()
        page.locator("#menu button", has_text="Guaraná lata").click()  # no options: straight in
        expect(dialog).to_be_hidden()
        draft = page.locator("#draft li", has_text="Picanha")
        expect(draft.locator(".options-chosen")).to_have_text("Mal passada · + Cheddar · + Ovo")
        expect(draft).to_contain_text(brl("65,40"))
        page.get_by_label("Observação: Picanha na chapa (Mal passada · + Cheddar · + Ovo)").fill(
            "sem sal grosso")
        page.get_by_role("button", name="Enviar para a cozinha").click()
        expect(page.locator("#banner")).to_have_text("Pedido enviado para a cozinha")
        sent = page.locator("#tab-items li", has_text="Picanha")
        expect(sent.locator(".options-chosen")).to_have_text("Mal passada · + Cheddar · + Ovo")
        expect(sent).to_contain_text(brl("65,40"))
        expect(page.locator("#tab-total")).to_contain_text(brl("71,90"))
        page.screenshot(path=str(tmp_path / "waiter-options.png"), full_page=True)

    table = next(t for t in staff.get("/api/v1/waiter/tables", "manager").json()["items"]
                 if t["table_number"] == "2")
    tab = staff.get(f"/api/v1/waiter/tables/{table['table_id']}/tab", "waiter").json()
    order = staff.get(f"/api/v1/orders/{tab['order']['order_id']}", "manager").json()
    assert order["total"] == "71.90" and order["table_id"] == table["table_id"]
    picanha = next(i for i in order["items"] if i["product_name"] == "Picanha na chapa")
    assert picanha["unit_price"] == "65.40" and picanha["notes"] == "sem sal grosso"
    assert [(m["group"], m["name"], m["price"]) for m in picanha["modifiers"]] == [
        ("Ponto da carne", "Mal passada", "0.00"), ("Adicionais", "Cheddar", "3.00"),
        ("Adicionais", "Ovo", "2.50")]
