"""The catalog plugin's hooks: the menu's routes and the demo menu."""

from __future__ import annotations

from pydantic import BaseModel

from posmodern.core import hookimpl
from posmodern.core.api import ANY_ROLE, ApiRoute
from posmodern.core.ownership import TableAccess
from posmodern.plugins.catalog import demo, models
from posmodern.plugins.catalog.categories import CATEGORIES
from posmodern.plugins.catalog.modifiers import MODIFIER_GROUPS
from posmodern.plugins.catalog.products import PRODUCTS
from posmodern.plugins.catalog.resource import MenuResource

MENU_EDITORS = frozenset({"admin", "manager"})


def _routes(resource: MenuResource, name: str, path: str, create: type[BaseModel],
            update: type[BaseModel], query: type[BaseModel]) -> list[ApiRoute]:
    """The five routes of one menu table: list, create, read, partial update, deactivate."""
    singular, plural = resource.what.replace("_", " "), name.replace("_", " ")
    one = f"{path}/{{{resource.id_name}:uuid}}"
    tags = ("catalog",)
    return [
        ApiRoute(f"catalog.{name}.list", "GET", path, resource.list, ANY_ROLE,
                 summary=f"List {plural} (filters, text search, cursor pages)", query=query,
                 tags=tags),
        ApiRoute(f"catalog.{name}.create", "POST", path, resource.create, MENU_EDITORS,
                 summary=f"Add a {singular}", body=create, status_code=201, tags=tags),
        ApiRoute(f"catalog.{name}.get", "GET", one, resource.get, ANY_ROLE,
                 summary=f"One {singular}", tags=tags),
        ApiRoute(f"catalog.{name}.update", "PATCH", one, resource.update, MENU_EDITORS,
                 summary=f"Change some fields of a {singular}", body=update, tags=tags),
        ApiRoute(f"catalog.{name}.delete", "DELETE", one, resource.deactivate, MENU_EDITORS,
                 summary=f"Deactivate a {singular} (soft delete)", tags=tags),
    ]


@hookimpl
def pos_table_access():
    return [TableAccess("catalog", owns=("categories", "products", "modifier_groups",
                                               "product_modifier_groups"))]


@hookimpl
def pos_routes(settings):
    return [
        *_routes(CATEGORIES, "categories", "/api/v1/categories", models.CategoryCreate,
                 models.CategoryUpdate, models.CategoryQuery),
        *_routes(PRODUCTS, "products", "/api/v1/products", models.ProductCreate,
                 models.ProductUpdate, models.ProductQuery),
        *_routes(MODIFIER_GROUPS, "modifier_groups", "/api/v1/modifier-groups",
                 models.ModifierGroupCreate, models.ModifierGroupUpdate,
                 models.ModifierGroupQuery),
    ]


@hookimpl
async def pos_demo_data(conn, client_id, store_id):
    await demo.add_menu(conn, client_id, store_id)


@hookimpl
def pos_legacy_importers(settings):
    from posmodern.plugins.catalog.legacy import IMPORTERS
    return IMPORTERS
