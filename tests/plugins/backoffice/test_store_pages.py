"""The back office's store editors in headless Chromium against a real ``pos serve`` with the
kds, peripherals and fiscal plugins: a manager adds a kitchen station routing a category and an
order's drink reaches it; adds a network printer (a bad port is refused next to its field) and
a test page reaches the printer; sets a product's NCM (a bad one is refused next to its field,
and nothing is saved); fills in the fiscal data of a product just added; moves a printer to a
serial port and removes it; deactivates and deletes a station."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from support.admin_page import Watch, admin_server, screenshot, sign_in
from support.browser import browser_page
from support.fake_printer import NetworkPrinter
from support.kitchen import move, of_order, place
from support.tenant_db import wait_for

pytestmark = pytest.mark.browser
PLUGINS = "auth,catalog,orders,payments,settings,kds,peripherals,fiscal,backoffice"
PRINTERS = "/api/v1/peripherals/printers"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    with admin_server(tmp_path_factory.mktemp("backoffice-store"), PLUGINS,
                      POS_PRINT_POLL_SECONDS="0.1") as (server, staff, menu, _):
        yield server, staff, menu


@pytest.fixture
def listener():
    printer = NetworkPrinter(answer_status=False).start()
    yield printer
    printer.stop()


def test_a_manager_adds_a_bar_station_and_a_drink_goes_to_it(served):
    server, staff, menu = served
    with browser_page() as page:
        watch = Watch(page, server.url)
        sign_in(page, server.url, staff, "manager", "/admin/#settings")
        expect(page.locator("#stations tr[data-station=cozinha]")).to_contain_text("★ padrão")
        new = page.locator("form[name=station-new]")
        new.get_by_label("Nome").fill("Bar")
        expect(new.get_by_label("Código")).to_have_value("bar")  # made from the name
        new.get_by_label("Bebidas").check()
        new.get_by_role("button", name="Adicionar estação").click()
        expect(page.locator("#banner")).to_have_text("Estação “Bar” salva")
        row = page.locator("#stations tr[data-station=bar]")
        expect(row).to_contain_text("Bebidas")
        expect(row).to_contain_text("✓ ativa")

        new.get_by_label("Nome").fill("Bar")  # the same code again: refused, said in pt-BR
        new.get_by_role("button", name="Adicionar estação").click()
        expect(page.locator("#banner")).to_have_text(
            "Já existe uma estação com esse código nesta loja")
        kitchen = page.locator("#stations tr[data-station=cozinha]")
        expect(kitchen.get_by_role("button", name="Excluir")).to_have_count(0)
        kitchen.get_by_role("button", name="Editar").click()
        edit = page.locator("form[name=station-edit]")
        edit.get_by_label("Nome").fill("Cozinha quente")
        edit.get_by_label("Estação padrão").uncheck()  # the store needs one: the API says no
        edit.get_by_role("button", name="Salvar estação").click()
        expect(page.locator("#banner")).to_contain_text("A loja precisa de uma estação padrão")
        edit.get_by_label("Estação padrão").check()
        edit.get_by_role("button", name="Salvar estação").click()
        expect(kitchen).to_contain_text("Cozinha quente")
        expect(page.locator("#banner")).to_have_text("Estação “Cozinha quente” salva")
        screenshot(page, "admin-stations.png")
        assert watch.bugs == [] and watch.outside == []

    stations = {s["code"]: s for s in staff.get("/api/v1/kds/stations", "manager").json()["items"]}
    assert stations["bar"]["category_ids"] == [menu["Guaraná lata"]["category_id"]]
    order = place(staff, menu, ("Guaraná lata", "2"), ("X-Burger", "1"))
    move(staff, order["order_id"], "CONFIRMED")
    bar, kitchen = of_order(staff, order["order_id"], 2)
    assert (bar["station"], [i["product_name"] for i in bar["items"]]) == ("bar", ["Guaraná lata"])
    assert (kitchen["station"], [i["product_name"] for i in kitchen["items"]]) == (
        "cozinha", ["X-Burger"])


def test_a_manager_adds_a_network_printer_and_prints_a_test_page(served, listener):
    server, staff, _ = served
    with browser_page() as page:
        watch = Watch(page, server.url)
        sign_in(page, server.url, staff, "manager", "/admin/#settings")
        new = page.locator("form[name=printer-new]")
        new.get_by_label("Nome", exact=True).fill("Balcão do bar")
        new.get_by_label("Função").select_option(label="Bar")
        new.get_by_label("Conexão", exact=True).select_option(label="Rede (TCP/IP)")
        new.get_by_label("Endereço (IP ou nome)").fill("127.0.0.1")
        new.get_by_label("Porta").fill("70000")
        new.get_by_label("Papel").select_option(label="58 mm")
        new.get_by_role("button", name="Adicionar impressora").click()
        expect(page.locator("#banner")).to_contain_text("Conexão inválida")
        expect(new.locator(".field-error")).to_have_text(
            "✖ acima do máximo — de 1 a 65535 (em geral 9100)")
        expect(new.get_by_label("Porta")).to_have_attribute("aria-invalid", "true")
        assert staff.get(PRINTERS, "manager").json()["printers"] == []

        new.get_by_label("Porta").fill(str(listener.port))
        new.get_by_role("button", name="Adicionar impressora").click()
        expect(page.locator("#banner")).to_have_text("Impressora “Balcão do bar” salva")
        row = page.locator("#printers tr[data-printer='Balcão do bar']")
        expect(row).to_contain_text("Bar")
        expect(row).to_contain_text(f"127.0.0.1:{listener.port}")
        expect(row).to_contain_text("58 mm")
        expect(row).to_contain_text("ainda não imprimiu")

        row.get_by_role("button", name="Imprimir teste").click()
        expect(page.locator("#banner")).to_have_text("Página de teste enviada para Balcão do bar")
        # The test page, cut: its title (wrapped at 58 mm) and the printer's name in cp860.
        wait_for(lambda: listener.tickets() and "Balcão do bar" in listener.text(), timeout=15)
        assert listener.text().startswith("\x1b@") and "TESTE DE\nIMPRESSÃO" in listener.text()
        page.get_by_role("tab", name="Configurações").click()
        expect(row).to_contain_text("✓ respondendo", timeout=10_000)
        page.locator("#printers").scroll_into_view_if_needed()
        screenshot(page, "admin-printers.png")
        assert watch.bugs == [] and watch.outside == []

    printer, = staff.get(PRINTERS, "manager").json()["printers"]
    assert (printer["role"], printer["driver"], printer["paper_mm"]) == (
        "bar", "escpos-network", 58)
    assert printer["connection"]["port"] == listener.port


def test_a_manager_sets_a_products_ncm_in_the_catalog(served):
    server, staff, menu = served
    guarana = menu["Guaraná lata"]["product_id"]
    with browser_page() as page:
        watch = Watch(page, server.url)
        sign_in(page, server.url, staff, "manager", "/admin/")
        row = page.locator("#products tr[data-product='Guaraná lata']")
        expect(row).to_contain_text("sem dados fiscais")
        row.get_by_role("button", name="Editar").click()
        edit = page.locator("form[name=product-edit]")
        edit.get_by_label("Preço (R$)").fill("7,00")
        edit.get_by_label("NCM").fill("220")
        edit.get_by_role("button", name="Salvar produto").click()
        expect(edit.locator(".field-error")).to_have_text(
            "✖ formato inválido — 8 dígitos, como 21069090")
        expect(page.locator("#banner")).to_contain_text("Dados inválidos")
        edit.get_by_label("NCM").scroll_into_view_if_needed()
        screenshot(page, "admin-fiscal.png")
        assert staff.get(f"/api/v1/fiscal/products/{guarana}").status_code == 404
        assert staff.get(f"/api/v1/products/{guarana}").json()["price"] == "6.50"

        edit.get_by_label("NCM").fill("22021000")
        edit.get_by_role("button", name="Salvar produto").click()
        expect(page.locator("#banner")).to_have_text("Produto “Guaraná lata” salvo")
        expect(row).to_contain_text("22021000")
        expect(row).to_contain_text("R$ 7,00")
        assert watch.bugs == [] and watch.outside == []

    fiscal = staff.get(f"/api/v1/fiscal/products/{guarana}")
    assert fiscal.status_code == 200, fiscal.text
    assert (fiscal.json()["ncm"], fiscal.json()["cfop"], fiscal.json()["origin"]) == (
        "22021000", "5102", 0)
    assert staff.get(f"/api/v1/products/{guarana}").json()["price"] == "7.00"


def test_a_product_just_added_opens_for_its_fiscal_data(served):
    server, staff, _ = served
    with browser_page() as page:
        sign_in(page, server.url, staff, "manager", "/admin/")
        new = page.locator("form[name=product-new]")
        expect(new.get_by_label("NCM")).to_have_count(0)  # no product to attach them to yet
        new.get_by_label("Nome").fill("Água com gás")
        new.get_by_label("Categoria").select_option(label="Bebidas")
        new.get_by_label("Preço (R$)").fill("5")
        new.get_by_role("button", name="Adicionar produto").click()
        expect(page.locator("#banner")).to_have_text(
            "Produto “Água com gás” salvo; preencha os dados fiscais")
        edit = page.locator("form[name=product-edit]")
        edit.get_by_label("NCM").fill("22011000")
        edit.get_by_label("Origem").select_option("1")
        edit.get_by_label("Alíquota CBS (%)").fill("0,85")
        # FCP only where ICMS is computed (CST 00, 20, 90), the ST retained only on CST 60 and
        # CSOSN 500: the Simples store's CSOSN 102 has neither.
        edit.get_by_label("Alíquota FCP (%)").fill("2")
        edit.get_by_label("Alíquota ST (%)").fill("18")
        edit.get_by_role("button", name="Salvar produto").click()
        fcp_error = edit.locator("label:has([name$='fcp_rate']) .field-error")
        expect(fcp_error).to_contain_text("Fundo de Combate à Pobreza: só CST 00, 20 e 90")
        st_error = edit.locator("label:has([name$='st_rate']) .field-error")
        expect(st_error).to_contain_text("só CST 60 e CSOSN 500")
        edit.get_by_label("Alíquota FCP (%)").fill("")
        edit.get_by_label("Alíquota ST (%)").fill("")
        edit.get_by_role("button", name="Salvar produto").click()
        expect(page.locator("#products tr[data-product='Água com gás']")).to_contain_text(
            "22011000")
    product, = staff.get("/api/v1/products", params={"q": "com gás"}).json()["items"]
    fiscal = staff.get(f"/api/v1/fiscal/products/{product['product_id']}").json()
    assert (fiscal["ncm"], fiscal["origin"], Decimal(fiscal["cbs_rate"])) == (
        "22011000", 1, Decimal("0.85"))
    assert fiscal["fcp_rate"] is None


def test_a_manager_moves_a_printer_to_a_serial_port_and_removes_it_and_a_station(served):
    server, staff, _ = served
    made = staff.post(PRINTERS, "manager", json={
        "name": "Cozinha 2", "driver": "escpos-network", "role": "receipt",
        "connection": {"host": "10.0.0.9"}})
    assert made.status_code == 201, made.text
    with browser_page() as page:
        sign_in(page, server.url, staff, "manager", "/admin/#settings")
        row = page.locator("#printers tr[data-printer='Cozinha 2']")
        expect(row).to_contain_text("Recibo (caixa)")
        row.get_by_role("button", name="Editar").click()
        edit = page.locator("form[name=printer-edit]")
        edit.get_by_label("Conexão", exact=True).select_option(label="Serial (USB/RS-232)")
        edit.get_by_label("Dispositivo").fill("/etc/passwd")
        edit.get_by_label("Velocidade (baud)").select_option("19200")
        edit.get_by_role("button", name="Salvar impressora").click()
        expect(edit.locator(".field-error")).to_contain_text("um caminho em /dev")
        edit.get_by_label("Dispositivo").fill("/dev/ttyUSB0")
        edit.get_by_role("button", name="Salvar impressora").click()
        expect(row).to_contain_text("/dev/ttyUSB0 · 19200 baud")
        one = staff.get(f"{PRINTERS}/{made.json()['printer_id']}", "manager").json()
        assert (one["driver"], one["connection"]["baudrate"]) == ("escpos-serial", 19200)

        row.get_by_role("button", name="Remover").click()  # the dialog is accepted
        expect(page.locator("#banner")).to_have_text("Impressora Cozinha 2 removida")
        expect(row).to_have_count(0)
        page.locator("#stations tr[data-station=bar]").get_by_role(
            "button", name="Desativar").click()
        expect(page.locator("#stations tr[data-station=bar]")).to_contain_text("✖ inativa")
        page.locator("#stations tr[data-station=bar]").get_by_role(
            "button", name="Excluir").click()
        expect(page.locator("#banner")).to_have_text("Estação Bar excluída")
    codes = {s["code"] for s in staff.get("/api/v1/kds/stations", "manager").json()["items"]}
    assert "bar" not in codes and "cozinha" in codes
