"""The cashier's page in headless Chromium against a real ``pos serve``: a cashier opens the
drawer, sells two items and takes cash with change, sees the order in today's list; a discount
over the cashier's limit shows the server's refusal; a customer found by CPF is created on the
spot and pays by PIX (a fake Asaas) followed live; a cancellation needs a manager who signs in
on the dialog; the shift closes with a count; a receipt is printed again from today's list."""

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from support.api import Api, make_tenant
from support.browser import browser_page
from support.fake_asaas import FakeAsaas, valid_cpf
from support.fake_printer import NetworkPrinter, ToledoScale
from support.peripherals import add_printer
from support.tenant_db import wait_for
from support.menu import create_menu, order_body
from support.server import serving
from support.settings import make_settings
from support.tenders import WEBHOOK_TOKEN

from support.till import PLUGINS, brl, pay_cash, sign_in, tap

pytestmark = pytest.mark.browser
SCREENSHOT = Path(__file__).resolve().parents[3] / "docs" / "screenshots" / "pos.png"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("pos-page")
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'var' / 'pos.db'}"
    tenant = make_tenant(make_settings(database_url, tmp_path))
    with FakeAsaas() as asaas, serving({
            "DATABASE_URL": database_url, "POS_DATA_DIR": str(tmp_path / "var"),
            "POS_PLUGINS": PLUGINS + ",peripherals", "ASAAS_BASE_URL": asaas.url,
            "ASAAS_API_KEY": asaas.api_key, "ASAAS_WEBHOOK_TOKEN": WEBHOOK_TOKEN},
            cwd=tmp_path) as server, httpx.Client(base_url=server.url) as client:
        staff = Api(client, tenant)
        yield server, staff, create_menu(staff), asaas


def test_a_cashier_sells_two_items_takes_cash_and_sees_the_order(served):
    server, staff, menu, _ = served
    errors = []
    with browser_page() as page:
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        sign_in(page, server.url, staff)
        expect(page.locator("#shift")).to_have_text("Caixa fechado")
        page.click("#shift")
        page.fill("#dialog input[name=opening]", "100,00")
        page.click("#open-shift")
        expect(page.locator("#shift")).to_contain_text("Caixa aberto desde")

        page.locator("#categories button", has_text="Lanches").click()
        tap(page, "X-Burger")
        page.locator("#categories button", has_text="Bebidas").click()
        tap(page, "Guaraná lata")
        tap(page, "Guaraná lata")
        line = page.locator("#lines li", has_text="Guaraná lata")
        expect(line.locator("output")).to_have_text("2")
        line.get_by_role("button", name="Menos Guaraná lata").click()
        expect(line.locator("output")).to_have_text("1")
        expect(page.locator("#total")).to_have_text(brl("33,40"))
        page.locator("#mode button", has_text="Viagem").click()
        page.locator("#today-toggle").click()

        page.click("#checkout")
        expect(page.locator("#outstanding")).to_contain_text(brl("33,40"))
        page.fill("#dialog input[name=received]", "50")
        expect(page.locator("#dialog .change")).to_have_text(brl("16,60", "Troco: "))
        page.click("#pay-cash")
        expect(page.locator("#banner")).to_contain_text("registrado")
        expect(page.locator("#banner")).to_contain_text(brl("16,60"))
        expect(page.locator("#lines li")).to_have_count(0)

        sold = staff.get("/api/v1/orders", "manager").json()["items"][0]
        assert sold["payment_status"] == "PAID" and sold["total"] == "33.40"
        assert sold["notes"] == "Para viagem" and sold["source"] == "pos"
        row = page.locator(f"#orders tr[data-order='{sold['order_id']}']")
        expect(row).to_contain_text(f"#{sold['order_number']}")
        expect(row.locator(".payment")).to_have_text("✓ Pago")
        expect(row).to_contain_text(brl("33,40"))
        tap(page, "Suco de laranja")  # the next customer, for the picture
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=True)
        page.click("#clear")

        page.click("#shift")
        expect(page.locator("#drawer")).to_contain_text(brl("133,40"))
        page.fill("#dialog input[name=movement]", "30")
        page.click("#sangria")
        expect(page.locator("#drawer")).to_contain_text(brl("103,40"))
        page.fill("#dialog input[name=counted]", "103,40")
        page.click("#close-shift")
        expect(page.locator("#difference")).to_have_text(brl("0,00", "Diferença: "))
    assert errors == []


def test_a_discount_over_the_cashiers_limit_shows_the_servers_refusal(served):
    server, staff, menu, _ = served
    before = len(staff.get("/api/v1/orders", "manager").json()["items"])
    with browser_page() as page:
        sign_in(page, server.url, staff)
        tap(page, "X-Burger")
        page.fill("#discount", "10,00")
        page.locator("#discount").press("Tab")
        expect(page.locator("#total")).to_have_text(brl("16,90"))
        page.click("#checkout")
        expect(page.locator("#cart-error")).to_contain_text("Desconto acima do seu limite")
        expect(page.locator("#cart-error")).to_contain_text(brl("2,69"))
    assert len(staff.get("/api/v1/orders", "manager").json()["items"]) == before


def test_a_new_customer_by_cpf_pays_by_pix_followed_live(served):
    server, staff, menu, asaas = served
    cpf = valid_cpf(7)
    with browser_page() as page:
        sign_in(page, server.url, staff)
        tap(page, "Pudim de leite")
        page.fill("#customer-key", cpf)
        page.click("#customer-find")
        page.fill("#customer-name", "Joana Lima")
        page.click("#customer-create")
        expect(page.locator("#customer-chosen")).to_contain_text("Joana Lima")
        page.click("#checkout")
        page.click("#pay-pix")
        expect(page.locator("#dialog-title")).to_have_text(brl("12,00", "PIX de "))
        expect(page.locator("#dialog img.qr")).to_be_visible()
        expect(page.locator("#pix-status")).to_contain_text("Aguardando")
        order = staff.get("/api/v1/orders", "manager").json()["items"][0]
        payment = staff.get(f"/api/v1/orders/{order['order_id']}/payments",
                            "manager").json()["items"][0]
        asaas.pay(asaas.charge_for(payment["payment_id"])["id"])
        expect(page.locator("#banner")).to_contain_text("PIX recebido", timeout=10000)
    found = staff.get("/api/v1/customers", "manager", params={"document": cpf}).json()["items"]
    assert [c["name"] for c in found] == ["Joana Lima"]
    paid = staff.get(f"/api/v1/orders/{order['order_id']}", "manager").json()
    assert paid["payment_status"] == "PAID" and paid["customer_id"] == found[0]["customer_id"]


def test_a_cancellation_needs_a_manager_signing_in_on_the_dialog(served):
    server, staff, menu, _ = served
    order = staff.post("/api/v1/orders", "cashier",
                       json=order_body(menu, ("Misto quente", "1"))).json()
    with browser_page() as page:
        sign_in(page, server.url, staff)
        page.click("#today-toggle")
        page.get_by_role("button", name=f"Cancelar o pedido {order['order_number']}").click()
        page.fill("#dialog input[name=manager]", "cashier")
        page.fill("#dialog input[name=manager_password]", staff.tenant.passwords["cashier"])
        page.click("#cancel-confirm")
        expect(page.locator("#dialog .error")).to_contain_text("não é gerente")
        assert staff.get(f"/api/v1/orders/{order['order_id']}", "manager").json()["status"] \
            == "PENDING"
        page.fill("#dialog input[name=manager]", "manager")
        page.fill("#dialog input[name=manager_password]", staff.tenant.passwords["manager"])
        page.click("#cancel-confirm")
        row = page.locator(f"#orders tr[data-order='{order['order_id']}']")
        expect(row.locator(".status")).to_have_text("✖ Cancelado")
    cancelled = staff.get(f"/api/v1/orders/{order['order_id']}", "manager").json()
    assert cancelled["status"] == "CANCELLED"
    audit = staff.get("/api/v1/audit", "admin", params={"action": "order.cancelled"})
    if audit.status_code == 200:
        assert any(e["username"] == "manager" for e in audit.json()["items"])


def test_a_receipt_is_printed_again_from_todays_list(served):
    server, staff, menu, _ = served
    printer = NetworkPrinter().start()
    try:
        add_printer(staff, connection=printer.connection)
        order = staff.post("/api/v1/orders", "cashier",
                           json=order_body(menu, ("Guaraná lata", "1"))).json()
        staff.post(f"/api/v1/orders/{order['order_id']}/payments", "cashier",
                   json={"method": "cash", "amount": "10.00"})

        def receipts():
            listed = staff.get("/api/v1/peripherals/print-jobs", "manager", params={
                "reference_id": order["order_id"], "kind": "receipt"})
            assert listed.status_code == 200, listed.text
            return listed.json()["print_jobs"]
        wait_for(receipts, timeout=15)
        with browser_page() as page:
            sign_in(page, server.url, staff)
            page.click("#today-toggle")
            page.get_by_role("button",
                             name=f"Reimprimir o cupom do pedido {order['order_number']}").click()
            expect(page.locator("#banner")).to_have_text(
                f"Cupom do pedido #{order['order_number']} enviado à impressora")
        jobs = receipts()
        assert len(jobs) == 2 and sum(1 for j in jobs if j["reprint_of"]) == 1
    finally:
        printer.stop()


def test_a_weighed_item_takes_its_weight_from_the_scale(served):
    server, staff, menu, _ = served
    made = staff.post("/api/v1/products", "manager", json={
        "name": "Pão de queijo (kg)", "price": "40.00", "metadata": {"unit": "kg"},
        "category_id": menu["X-Burger"]["category_id"]})
    assert made.status_code == 201, made.text
    scale = ToledoScale()
    registered = staff.post("/api/v1/peripherals/scales", "manager", json={
        "name": "Balança", "connection": {"device": scale.device, "timeout": 0.5}})
    assert registered.status_code == 201, registered.text
    errors = []
    try:
        with browser_page() as page:
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            sign_in(page, server.url, staff)
            page.locator("#categories button", has_text="Lanches").click()
            scale.answer = b"00350"
            tap(page, "Pão de queijo (kg)")
            expect(page.locator("#dialog input[name=weight]")).to_have_value("0.350")
            page.click("#weight-ok")
            line = page.locator("#lines li", has_text="Pão de queijo (kg)")
            expect(line.locator("output")).to_have_text(re.compile(r"^0,350? kg$"))
            expect(page.locator("#total")).to_have_text(brl("14,00"))
            scale.answer = b"IIIII"  # the tray still swinging: the cashier types the weight
            tap(page, "Pão de queijo (kg)")
            expect(page.locator("#dialog [role=status]")).to_contain_text("Balança:")
            page.fill("#dialog input[name=weight]", "0,5")
            page.click("#weight-ok")
            expect(line).to_have_count(2)
            expect(page.locator("#total")).to_have_text(brl("34,00"))
    finally:
        scale.close()
        staff.delete(f"/api/v1/peripherals/scales/{registered.json()['scale_id']}", "manager")
    # The browser logs the unstable weight's answer; nothing else went wrong.
    assert [e for e in errors if "409 (Conflict)" not in e] == []
