"""The catalog plugin's hooks: the menu's routes and the demo menu."""

from __future__ import annotations

from posmodern.core import hookimpl
from posmodern.core.api import ANY_ROLE, ApiRoute
from posmodern.plugins.catalog import categories, demo, models, products

MENU_EDITORS = frozenset({"admin", "manager"})


def _resource(name: str, path: str, module, model_create, model_update, model_query,
              singular: str) -> list[ApiRoute]:
    """The five routes of one menu resource: list, create, read, partial update, deactivate."""
    one = f"{path}/{{{singular}_id:uuid}}"
    tags = ("catalog",)
    return [
        ApiRoute(f"catalog.{name}.list", "GET", path, getattr(module, f"list_{name}"), ANY_ROLE,
                 summary=f"List {name} (filters, text search, cursor pages)", query=model_query,
                 tags=tags),
        ApiRoute(f"catalog.{name}.create", "POST", path, getattr(module, f"create_{singular}"),
                 MENU_EDITORS, summary=f"Add a {singular}", body=model_create, status_code=201,
                 tags=tags),
        ApiRoute(f"catalog.{name}.get", "GET", one, getattr(module, f"get_{singular}"), ANY_ROLE,
                 summary=f"One {singular}", tags=tags),
        ApiRoute(f"catalog.{name}.update", "PATCH", one, getattr(module, f"update_{singular}"),
                 MENU_EDITORS, summary=f"Change some fields of a {singular}", body=model_update,
                 tags=tags),
        ApiRoute(f"catalog.{name}.delete", "DELETE", one,
                 getattr(module, f"deactivate_{singular}"), MENU_EDITORS,
                 summary=f"Deactivate a {singular} (soft delete)", tags=tags),
    ]


@hookimpl
def pos_routes(settings):
    return [
        *_resource("categories", "/api/v1/categories", categories, models.CategoryCreate,
                   models.CategoryUpdate, models.CategoryQuery, "category"),
        *_resource("products", "/api/v1/products", products, models.ProductCreate,
                   models.ProductUpdate, models.ProductQuery, "product"),
    ]


@hookimpl
async def pos_demo_data(conn, client_id, store_id):
    await demo.add_menu(conn, client_id, store_id)
