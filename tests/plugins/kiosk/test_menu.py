"""The kiosk's menu: available products under their categories, with descriptions and pictures,
served from the cache (process memory or Redis) and read again when the catalog changes."""

import pytest
from starlette.testclient import TestClient

from posmodern.hosts.app import create_app
from posmodern.plugins.kiosk.menu import cache_key, stamp_key
from support.api import Api, make_tenant
from support.menu import create_menu
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
