"""The start page and the back office in headless Chromium against a real ``pos serve``: every
app linked from ``/`` opens signed in, with no console error and no request leaving the server;
a manager adds a product and the catalog API has it; an admin manages a user and a store
setting; the reports page shows the SQL sums and exports them; the audit log lists the acts."""

from __future__ import annotations

import csv
import io
import re
import struct
import zlib
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from posmodern.schema.tables import order_items, orders
from support.admin_page import Watch, admin_server, screenshot, sign_in
from support.browser import browser_page
from support.menu import order_body
from support.tenant_db import fetch
from support.tenders import pay

pytestmark = pytest.mark.browser
PLUGINS = "auth,catalog,customers,orders,payments,waiter,settings,kds,dashboard,backoffice,counter"
#: What each app shows once signed in (an app not listed: its page loaded with no sign-in form).
SIGNED_IN = {"admin": "#tabs [role=tab]", "kds": "#stations button", "kds.board": ".preparing h2",
             "dashboard": "#services tbody tr"}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    with admin_server(tmp_path_factory.mktemp("backoffice-pages"), PLUGINS,
                      POS_DASHBOARD_BACKEND="embedded") as served:
        yield served


def test_every_app_of_the_start_page_opens_signed_in_and_clean(served):
    server, staff, _, _ = served
    with browser_page() as page:
        watch = Watch(page, server.url)
        sign_in(page, server.url, staff, "admin")
        expect(page.locator("#who")).to_contain_text("admin (Administrador)")
        links = page.locator("#apps a")
        expect(links.first).to_be_visible()
        apps = [(link.get_attribute("data-app"), link.get_attribute("href"))
                for link in links.all()]
        assert {"admin", "kds", "kds.board", "dashboard"} <= {name for name, _ in apps}
        screenshot(page, "start.png")
        for name, path in apps:
            page.goto(server.url + "/")
            page.locator(f"#apps a[data-app='{name}']").click()
            page.wait_for_url(re.compile(re.escape(path) + r"(#.*)?$"))
            if name in SIGNED_IN:
                expect(page.locator(SIGNED_IN[name]).first).to_be_visible()
            page.wait_for_load_state("load")
            page.wait_for_timeout(300)  # a late console error would show by now
            expect(page.locator("#login-form")).to_have_count(0)
            if name in ("dashboard", "kds"):
                screenshot(page, f"{name}.png")
        assert watch.errors == [] and watch.outside == []


def test_a_cashier_sees_only_the_apps_of_the_cashier(served):
    server, staff, _, _ = served
    with browser_page() as page:
        sign_in(page, server.url, staff, "cashier")
        expect(page.locator("#apps a[data-app='kds.board']")).to_be_visible()
        names = {link.get_attribute("data-app") for link in page.locator("#apps a").all()}
        assert not names & {"admin", "dashboard", "kds"}
        page.goto(server.url + "/admin/")  # typed by hand: the page says no, politely
        expect(page.locator("#login-error")).to_contain_text("gerentes e administradores")


def png(width=32, height=24) -> bytes:
    """A small red PNG, made here."""
    raw = b"".join(b"\x00" + b"\xcc\x22\x22" * width for _ in range(height))
    chunk = lambda kind, data: (struct.pack(">I", len(data)) + kind + data  # noqa: E731
                                + struct.pack(">I", zlib.crc32(kind + data)))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2,
                                                               0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def test_a_manager_adds_a_product_and_the_catalog_has_it(served, tmp_path):
    server, staff, menu, _ = served
    image = tmp_path / "acai.png"
    image.write_bytes(png())
    with browser_page() as page:
        sign_in(page, server.url, staff, "manager", "/admin/")
        expect(page.locator("[role=tab][aria-selected=true]")).to_have_text("Cardápio")
        new = page.locator("form[name=product-new]")
        new.get_by_label("Nome").fill("Açaí 500 ml")
        new.get_by_label("Categoria").select_option(label="Sobremesas")
        new.get_by_label("Preço (R$)").fill("18,50")
        new.get_by_label("Imagem do produto").set_input_files(str(image))
        expect(new.locator("img.thumb")).to_be_visible()
        new.get_by_role("button", name="Adicionar produto").click()
        expect(page.locator("#banner")).to_have_text("Produto “Açaí 500 ml” salvo")
        row = page.locator("#products tr[data-product='Açaí 500 ml']")
        expect(row).to_contain_text("R$ 18,50")
        expect(row).to_contain_text("✓ disponível")
        screenshot(page, "admin-catalog.png")

        found = staff.get("/api/v1/products", "cashier", params={"q": "Açaí"}).json()["items"]
        assert len(found) == 1
        product = found[0]
        assert product["price"] == "18.50" and product["active"] is True
        assert product["category_id"] == menu["Pudim de leite"]["category_id"]
        assert product["metadata"]["image_url"].startswith("data:image/jpeg;base64,")

        row.get_by_role("button", name="Indisponível").click()
        expect(page.locator("#products tr[data-product='Açaí 500 ml']")).to_contain_text(
            "✖ indisponível")
        assert staff.get(f"/api/v1/products/{product['product_id']}",
                         "cashier").json()["active"] is False
        page.locator("#products tr[data-product='Açaí 500 ml']").get_by_role(
            "button", name="Editar").click()
        edit = page.locator("form[name=product-edit]")
        edit.get_by_label("Preço (R$)").fill("19.90")
        edit.get_by_role("button", name="Salvar produto").click()
        expect(page.locator("#products tr[data-product='Açaí 500 ml']")).to_contain_text(
            "R$ 19,90")
        assert staff.get(f"/api/v1/products/{product['product_id']}",
                         "cashier").json()["price"] == "19.90"

        new = page.locator("form[name=product-new]")
        new.get_by_label("Nome").fill("Preço ruim")
        new.get_by_label("Preço (R$)").fill("-3")
        new.get_by_role("button", name="Adicionar produto").click()  # the browser refuses it
        expect(page.locator("#products tr[data-product='Preço ruim']")).to_have_count(0)


def test_an_admin_adds_a_user_resets_the_password_and_deactivates_them(served):
    server, staff, _, _ = served
    with browser_page() as page:
        sign_in(page, server.url, staff, "admin", "/admin/#users")
        new = page.locator("form[name=user-new]")
        new.get_by_label("Usuário").fill("caixa2")
        new.get_by_label("Nome completo").fill("Joana Caixa")
        new.get_by_label("Senha inicial").fill("primeira-senha-9")
        new.get_by_role("button", name="Adicionar usuário").click()
        row = page.locator("#users tr[data-user='caixa2']")
        expect(row).to_contain_text("Caixa")
        expect(row).to_contain_text("✓ ativo")
        token = {"client_id": staff.tenant.client_id, "username": "caixa2"}
        assert staff.client.post("/api/v1/auth/token", json={
            **token, "password": "primeira-senha-9"}).status_code == 200

        row.get_by_role("button", name="Redefinir senha").click()
        reset = page.locator("form[name=user-password]")
        reset.get_by_label("Nova senha").fill("segunda-senha-9")
        reset.get_by_role("button", name="Redefinir senha").click()
        expect(page.locator("#banner")).to_contain_text("Senha de caixa2 redefinida")
        assert staff.client.post("/api/v1/auth/token", json={
            **token, "password": "segunda-senha-9"}).status_code == 200
        screenshot(page, "admin-users.png")

        page.locator("#users tr[data-user='caixa2']").get_by_role("button",
                                                                  name="Desativar").click()
        expect(page.locator("#users tr[data-user='caixa2']")).to_contain_text("✖ inativo")
        assert staff.client.post("/api/v1/auth/token", json={
            **token, "password": "segunda-senha-9"}).status_code == 401


def test_an_admin_changes_a_store_setting(served):
    server, staff, _, _ = served
    with browser_page() as page:
        sign_in(page, server.url, staff, "admin", "/admin/#settings")
        row = page.locator("#settings tr[data-setting='POS_CASHIER_MAX_DISCOUNT_PERCENT']")
        expect(row).to_contain_text("padrão")
        row.locator("input").fill("abc")
        page.get_by_role("button", name="Salvar configurações").click()
        expect(page.locator("#banner")).to_contain_text("POS_CASHIER_MAX_DISCOUNT_PERCENT")
        row.locator("input").fill("15")
        page.get_by_role("button", name="Salvar configurações").click()
        expect(page.locator("#banner")).to_have_text("Configurações salvas")
        expect(row).to_contain_text("desta loja")
        items = {item["name"]: item for item in staff.get("/api/v1/settings").json()["items"]}
        assert items["POS_CASHIER_MAX_DISCOUNT_PERCENT"]["source"] == "store"
        row.get_by_role("button", name="Padrão").click()
        expect(row).to_contain_text("padrão")


def test_the_reports_page_shows_the_sql_sums_and_exports_csv(served):
    server, staff, menu, settings = served
    for lines, extra in (((("X-Burger", "2"), ("Guaraná lata", "3")), {}),
                         ((("Pudim de leite", "1"),), {"discount": "2.00"})):
        order = staff.post("/api/v1/orders", "manager",
                           json=order_body(menu, *lines, **extra)).json()
        assert pay(staff, order["order_id"], "cash", order["total"]).status_code in (200, 201)
    (total,), = fetch(settings, staff.tenant.client_id, select(func.sum(orders.c.total)).where(
        orders.c.status != "CANCELLED"))
    (burgers,), = fetch(settings, staff.tenant.client_id, select(
        func.sum(order_items.c.subtotal)).where(order_items.c.product_name == "X-Burger"))
    with browser_page() as page:
        sign_in(page, server.url, staff, "manager", "/admin/#reports")
        report = page.locator("#report-table")
        expect(report.locator("tfoot")).to_contain_text(brl(total))
        page.get_by_label("Relatório", exact=True).select_option(label="Vendas por produto")
        page.get_by_role("button", name="Gerar").click()
        expect(page.locator("#report h3")).to_contain_text("Vendas por produto")
        expect(report.locator("tr", has_text="X-Burger")).to_contain_text(brl(burgers))
        screenshot(page, "admin-reports.png")
        with page.expect_download() as download:
            page.get_by_role("button", name="Exportar CSV").click()
        text = Path(download.value.path()).read_text(encoding="utf-8-sig")
        rows = list(csv.reader(io.StringIO(text), delimiter=";"))
        assert rows[0][0] == "Produto" and rows[-1][0] == "Total"
        assert dict((r[0], r[3]) for r in rows[1:])["X-Burger"] == str(burgers).replace(".", ",")


def brl(value) -> str:
    """R$ as Intl writes it in pt-BR (a no-break space after R$)."""
    whole, cents = f"{Decimal(value):.2f}".split(".")
    return f"R$\u00a0{int(whole):,}".replace(",", ".") + f",{cents}"


def test_the_audit_log_lists_the_acts(served):
    server, staff, _, _ = served
    with browser_page() as page:
        sign_in(page, server.url, staff, "admin", "/admin/#audit")
        expect(page.locator("#audit tr[data-action='auth.login']").first).to_contain_text(
            "Entrada")
        page.get_by_label("Ação (ou prefixo com ponto: user.)").fill("auth.")
        page.get_by_role("button", name="Filtrar").click()
        expect(page.locator("#audit tbody tr").first).to_have_attribute("data-action",
                                                                        re.compile(r"^auth\."))
