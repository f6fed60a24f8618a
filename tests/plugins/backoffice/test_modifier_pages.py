"""The back office's options editor ("Opções / Adicionais") in headless Chromium against a real
``pos serve``: a manager makes "Ponto da carne" (exactly 1 of three) and "Adicionais" (0 to 2,
priced, put in order) and has the burger ask both, in order, and an order through the API is
priced with the options chosen and refused without the required one; min above max and a
negative price are marked next to their fields and save nothing; a group is renamed, an option
deactivated (its id kept), and the group deactivated; an option another manager removed while
the editor was open is said next to its row."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from support.admin_page import Watch, admin_server, screenshot, sign_in
from support.api import assert_error
from support.browser import browser_page

pytestmark = pytest.mark.browser
PLUGINS = "auth,catalog,orders,payments,settings,backoffice"
GROUPS = "/api/v1/modifier-groups"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    with admin_server(tmp_path_factory.mktemp("backoffice-options"), PLUGINS) as (
            server, staff, menu, _):
        yield server, staff, menu


def groups(staff) -> dict[str, dict]:
    return {g["name"]: g for g in staff.get(GROUPS, "manager").json()["items"]}


def new_group(page, name: str, low: str, high: str):
    """The form of a new group, with its name and rule filled in."""
    new = page.locator("form[name=group-new]")
    new.get_by_label("Nome do grupo").fill(name)
    new.get_by_label("Mínimo de escolhas").fill(low)
    new.get_by_label("Máximo de escolhas").fill(high)
    return new


def fill_options(form, *options: tuple[str, str]) -> None:
    """Fill the option rows (adding rows as needed) with (name, price) pairs."""
    for index, (name, price) in enumerate(options, start=1):
        if form.locator(".option-row").count() < index:
            form.get_by_role("button", name="+ Adicionar opção").click()
        form.get_by_label(f"Nome da opção {index}", exact=True).fill(name)
        form.get_by_label(f"Preço da opção {index} (R$)", exact=True).fill(price)


def test_a_manager_makes_the_burgers_options_and_an_order_is_priced_with_them(served):
    server, staff, menu = served
    with browser_page() as page:
        watch = Watch(page, server.url)
        sign_in(page, server.url, staff, "manager", "/admin/")
        new = new_group(page, "Ponto da carne", "1", "1")
        expect(new.locator(".rule-said")).to_have_text("Na venda: escolha 1 (obrigatório)")
        fill_options(new, ("Mal passada", ""), ("Ao ponto", ""), ("Bem passada", ""))
        new.get_by_role("button", name="Adicionar grupo").click()
        expect(page.locator("#banner")).to_have_text("Grupo “Ponto da carne” salvo")
        row = page.locator("#groups tr[data-group='Ponto da carne']")
        expect(row).to_contain_text("escolha 1 (obrigatório)")
        expect(row).to_contain_text("Mal passada sem custo · Ao ponto sem custo · Bem passada")

        new_group(page, "Adicionais", "0", "2")
        expect(new.locator(".rule-said")).to_have_text("Na venda: até 2 (opcional)")
        fill_options(new, ("Cheddar", "3,00"), ("Bacon", "4,00"), ("Ovo", "2,50"))
        new.get_by_role("button", name="Subir opção 2").click()  # Bacon first
        expect(new.get_by_label("Nome da opção 1", exact=True)).to_have_value("Bacon")
        expect(new.get_by_role("button", name="Subir opção 1")).to_be_disabled()
        new.get_by_role("button", name="Remover opção 3").click()  # no egg after all
        expect(new.locator(".option-row")).to_have_count(2)
        new.get_by_role("button", name="Adicionar grupo").click()
        expect(page.locator("#banner")).to_have_text("Grupo “Adicionais” salvo")
        expect(page.locator("#groups tr[data-group='Adicionais']")).to_contain_text(
            "Bacon R$\u00a04,00 · Cheddar R$\u00a03,00")

        burger = page.locator("#products tr[data-product='X-Burger']")
        burger.get_by_role("button", name="Editar").click()
        edit = page.locator("form[name=product-edit]")
        edit.get_by_role("checkbox", name="Adicionais").check()
        edit.get_by_role("checkbox", name="Ponto da carne").check()
        edit.get_by_role("button", name="Subir o grupo Ponto da carne").click()
        edit.get_by_role("button", name="Salvar produto").click()
        expect(page.locator("#banner")).to_have_text("Produto “X-Burger” salvo")
        expect(burger).to_contain_text("Ponto da carne, Adicionais")
        expect(page.locator("#groups tr[data-group='Adicionais']")).to_contain_text("X-Burger")

        page.locator("#groups tr[data-group='Adicionais']").get_by_role(
            "button", name="Editar").click()
        expect(page.locator("form[name=group-edit]")).to_be_visible()
        page.locator("form[name=group-edit]").scroll_into_view_if_needed()
        screenshot(page, "admin-options.png")
        assert watch.bugs == [] and watch.outside == []

    made = groups(staff)
    doneness, extras = made["Ponto da carne"], made["Adicionais"]
    assert (doneness["min_choices"], doneness["max_choices"]) == (1, 1)
    assert [o["name"] for o in doneness["options"]] == ["Mal passada", "Ao ponto", "Bem passada"]
    assert (extras["min_choices"], extras["max_choices"]) == (0, 2)
    assert [(o["name"], o["price"], o["active"]) for o in extras["options"]] == [
        ("Bacon", "4.00", True), ("Cheddar", "3.00", True)]
    product_id = menu["X-Burger"]["product_id"]
    product = staff.get(f"/api/v1/products/{product_id}", "cashier").json()
    assert [g["name"] for g in product["modifier_groups"]] == ["Ponto da carne", "Adicionais"]

    option = {o["name"]: o["option_id"] for g in (doneness, extras) for o in g["options"]}
    order = staff.post("/api/v1/orders", "cashier", json={"items": [{
        "product_id": product_id, "quantity": "1",
        "modifiers": [{"option_id": option["Ao ponto"]}, {"option_id": option["Bacon"]}]}]})
    assert order.status_code == 201, order.text
    item, = order.json()["items"]
    assert Decimal(item["unit_price"]) == Decimal(product["price"]) + Decimal("4.00")
    assert Decimal(order.json()["total"]) == Decimal("30.90")
    assert [m["name"] for m in item["modifiers"]] == ["Ao ponto", "Bacon"]
    refused = staff.post("/api/v1/orders", "cashier", json={"items": [{
        "product_id": product_id, "quantity": "1",
        "modifiers": [{"option_id": option["Bacon"]}]}]})
    assert_error(refused, 422, "too_few_modifiers")


def test_min_above_max_and_a_negative_price_are_marked_and_nothing_is_saved(served):
    server, staff, _ = served
    before = groups(staff)
    with browser_page() as page:
        watch = Watch(page, server.url)
        sign_in(page, server.url, staff, "manager", "/admin/")
        new = new_group(page, "Molhos", "3", "1")
        expect(new.locator(".rule-said")).to_have_text(
            "Na venda: o mínimo (3) passa do máximo (1)")
        fill_options(new, ("Maionese verde", "0"), ("Barbecue", "1,50"))
        new.get_by_role("button", name="Adicionar grupo").click()
        expect(page.locator("#banner")).to_contain_text("O mínimo de escolhas passa do máximo")
        expect(new.locator(".field-error")).to_have_text(
            "✖ maior que o máximo — 0 a 50; 0 deixa o grupo opcional, 1 ou mais o torna "
            "obrigatório")
        expect(new.get_by_label("Mínimo de escolhas")).to_have_attribute("aria-invalid", "true")
        assert groups(staff) == before

        new.get_by_label("Mínimo de escolhas").fill("0")
        new.get_by_label("Preço da opção 2 (R$)", exact=True).fill("-1")
        new.get_by_role("button", name="Adicionar grupo").click()
        expect(page.locator("#banner")).to_contain_text("Dados inválidos")
        expect(new.locator(".field-error")).to_have_text(
            "✖ abaixo do mínimo — de 0,00 a 9999,99 (0,00: sem custo)")
        expect(new.get_by_label("Preço da opção 2 (R$)", exact=True)).to_have_attribute(
            "aria-invalid", "true")
        expect(new.get_by_label("Mínimo de escolhas")).not_to_have_attribute(
            "aria-invalid", "true")
        assert groups(staff) == before
        assert watch.bugs == [] and watch.outside == []


def test_a_group_is_renamed_an_option_deactivated_and_the_group_deactivated(served):
    server, staff, _ = served
    made = staff.post(GROUPS, "manager", json={"name": "Bebida do combo", "options": [
        {"name": "Guaraná"}, {"name": "Suco", "price": "2.00"}]})
    assert made.status_code == 201, made.text
    ids = [o["option_id"] for o in made.json()["options"]]
    with browser_page() as page:
        watch = Watch(page, server.url)
        sign_in(page, server.url, staff, "manager", "/admin/")
        row = page.locator("#groups tr[data-group='Bebida do combo']")
        expect(row).to_contain_text("até 1 (opcional)")
        row.get_by_role("button", name="Editar").click()
        edit = page.locator("form[name=group-edit]")
        expect(edit.get_by_label("Preço da opção 2 (R$)", exact=True)).to_have_value("2,00")
        edit.get_by_label("Nome do grupo").fill("Bebida do combo (lata)")
        edit.get_by_label("Opção 2 ativa", exact=True).uncheck()
        edit.get_by_role("button", name="Salvar grupo").click()
        expect(page.locator("#banner")).to_have_text("Grupo “Bebida do combo (lata)” salvo")
        row = page.locator("#groups tr[data-group='Bebida do combo (lata)']")
        expect(row).to_contain_text("Suco R$\u00a02,00 (inativa)")
        row.get_by_role("button", name="Desativar").click()  # the dialog is accepted
        expect(page.locator("#banner")).to_have_text("Grupo Bebida do combo (lata) desativado")
        expect(row).to_contain_text("✖ inativo")
        assert watch.bugs == [] and watch.outside == []

    group = staff.get(f"{GROUPS}/{made.json()['modifier_group_id']}", "manager").json()
    assert (group["name"], group["active"]) == ("Bebida do combo (lata)", False)
    assert [(o["option_id"], o["active"]) for o in group["options"]] == [
        (ids[0], True), (ids[1], False)]


def test_an_option_removed_meanwhile_is_said_next_to_its_row(served):
    server, staff, _ = served
    made = staff.post(GROUPS, "manager", json={"name": "Pão", "min_choices": 1, "options": [
        {"name": "Francês"}, {"name": "Australiano", "price": "2.00"}]}).json()
    path = f"{GROUPS}/{made['modifier_group_id']}"
    with browser_page() as page:
        sign_in(page, server.url, staff, "manager", "/admin/")
        page.locator("#groups tr[data-group='Pão']").get_by_role("button", name="Editar").click()
        edit = page.locator("form[name=group-edit]")
        expect(edit.get_by_label("Nome da opção 2", exact=True)).to_have_value("Australiano")
        # Another manager takes the second option out while this editor is open.
        kept = made["options"][0]
        assert staff.patch(path, "manager", json={"options": [kept]}).status_code == 200
        edit.get_by_label("Preço da opção 2 (R$)", exact=True).fill("2,50")
        edit.get_by_role("button", name="Salvar grupo").click()
        expect(page.locator("#banner")).to_contain_text("Uma das opções não é mais deste grupo")
        expect(edit.locator(".option-row").nth(1).locator(".field-error")).to_have_text(
            "✖ opção que não é deste grupo")
    assert [o["name"] for o in staff.get(path, "manager").json()["options"]] == ["Francês"]
