"""The kiosk's menu: available products under their categories, with descriptions, pictures and
the options a customer may choose, served from the cache (process memory or Redis) and read again
when the catalog changes."""

import pytest
from starlette.testclient import TestClient

from posmodern.hosts.app import create_app
from posmodern.plugins.kiosk.menu import cache_key, stamp_key
from support.api import Api, make_tenant
from support.menu import create_menu
from support.modifiers import add_burger_options
from support.settings import make_settings
from support.tenant_db import wait_for

from .conftest import KIOSK_PLUGINS, asaas_env


@pytest.fixture
def cached(database_url, tmp_path, exchange, asaas, cache):
    settings = make_settings(database_url, tmp_path, exchange=exchange, **asaas_env(asaas),
                             **cache)
    with TestClient(create_app(settings, plugins=KIOSK_PLUGINS)) as client:
        staff = Api(client, make_tenant(settings))
        runtime = client.app.state.runtime
        # Read the cache as the app does, on the app's event loop.
        yield staff, create_menu(staff), lambda key: client.portal.call(runtime.cache.get, key)


def _menu(staff):
    answer = staff.get("/api/v1/kiosk/menu", "kiosk")
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_the_menu_comes_from_the_cache_and_follows_the_catalog(cached):
    staff, menu, cached_value = cached
    burger = f"/api/v1/products/{menu['X-Burger']['product_id']}"
    assert staff.patch(burger, json={"description": "Pão, carne e queijo", "metadata": {
        "image_url": "/media/x-burger.jpg"}}).status_code == 200
    assert staff.delete(f"/api/v1/products/{menu['Suco de laranja']['product_id']}"
                        ).status_code == 200
    desserts = menu["Pudim de leite"]["category_id"]
    assert staff.delete(f"/api/v1/categories/{desserts}").status_code == 200

    shown = wait_for(lambda: (lambda m: m if len(m["products"]) == 3 else None)(_menu(staff)))
    assert [c["name"] for c in shown["categories"]] == ["Bebidas", "Lanches"]
    assert [(p["name"], p["price"]) for p in shown["products"]] == [
        ("Guaraná lata", "6.50"), ("Misto quente", "14.00"), ("X-Burger", "26.90")]
    burger_shown = shown["products"][2]
    assert burger_shown["description"] == "Pão, carne e queijo"
    assert burger_shown["image_url"] == "/media/x-burger.jpg"
    snacks = next(c for c in shown["categories"] if c["name"] == "Lanches")
    assert snacks["image_url"] == "/media/x-burger.jpg" and "cost" not in burger_shown
    assert shown["settings"] == {"idle_seconds": 60, "payment_minutes": 10,
                                 "pay_at_counter": True}
    tenant = (staff.tenant.client_id, staff.tenant.store_id)
    stamp = cached_value(stamp_key(*tenant))
    assert cached_value(cache_key(*tenant))["stamp"] == stamp  # what the next kiosk gets
    assert _menu(staff) == shown and cached_value(stamp_key(*tenant)) == stamp

    assert staff.patch(burger, json={"price": "28.00"}).status_code == 200
    wait_for(lambda: cached_value(stamp_key(*tenant)) is None)
    assert _menu(staff)["products"][2]["price"] == "28.00"
    assert cached_value(stamp_key(*tenant)) not in (None, stamp)


def _burger(staff):
    return next((p for p in _menu(staff)["products"] if p["name"] == "X-Burger"), None)


def test_each_product_carries_its_active_groups_and_options(staff, menu):
    made = add_burger_options(staff, menu)
    burger = _burger(staff)  # a catalog change clears the cached menu
    assert [(g["name"], g["min_choices"], g["max_choices"])
            for g in burger["modifier_groups"]] == [("Ponto da carne", 1, 1), ("Adicionais", 0, 3)]
    # Picles is off the menu: the customer is not offered it; only what the screen needs.
    assert burger["modifier_groups"][1]["options"] == [
        {"option_id": made["options"][name], "name": name, "price": price}
        for name, price in (("Bacon", "4.00"), ("Cheddar", "3.00"), ("Ovo", "2.50"))]
    guarana = next(p for p in _menu(staff)["products"] if p["name"] == "Guaraná lata")
    assert guarana["modifier_groups"] == []

    # A group taken off the menu goes from the kiosk's at once (its change clears the cache).
    extras = made["groups"]["Adicionais"]["modifier_group_id"]
    assert staff.delete(f"/api/v1/modifier-groups/{extras}").status_code == 200
    shown = wait_for(lambda: (lambda b: b if len(b["modifier_groups"]) == 1 else None)(
        _burger(staff)))
    assert [g["name"] for g in shown["modifier_groups"]] == ["Ponto da carne"]

    # A required group with nothing left on sale: the burger cannot be sold, so is not shown.
    doneness = made["groups"]["Ponto da carne"]
    assert staff.patch(f"/api/v1/modifier-groups/{doneness['modifier_group_id']}", json={
        "options": [{**option, "active": False} for option in doneness["options"]]}
    ).status_code == 200
    wait_for(lambda: _burger(staff) is None)
    assert "Misto quente" in {p["name"] for p in _menu(staff)["products"]}
