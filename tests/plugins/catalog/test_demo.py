"""The demo menu: a small Brazilian menu, added once however often `pos demo` runs."""

import asyncio

from posmodern.cli.demo import DEMO_CLIENT, create_demo
from posmodern.core.plugins import get_plugin_manager
from posmodern.schema.tables import categories, products, tables
from support.tenant_db import counts


def test_demo_data_is_a_menu_and_tables_made_once(settings):
    pm = get_plugin_manager(["auth", "catalog", "waiter"])
    asyncio.run(create_demo(settings, pm))
    first = counts(settings, DEMO_CLIENT, categories, products, tables)
    assert first["categories"] >= 4 and first["products"] >= 10 and first["tables"] == 6
    asyncio.run(create_demo(settings, pm))
    assert counts(settings, DEMO_CLIENT, categories, products, tables) == first


def test_the_demo_burger_offers_optional_extras(settings):
    from posmodern.schema.tables import modifier_groups, product_modifier_groups

    pm = get_plugin_manager(["auth", "catalog", "waiter"])
    asyncio.run(create_demo(settings, pm))
    asyncio.run(create_demo(settings, pm))
    found = counts(settings, DEMO_CLIENT, modifier_groups, product_modifier_groups)
    assert found == {"modifier_groups": 1, "product_modifier_groups": 2}
