"""``/openapi.json``: an OpenAPI 3.1 document built from the routes the loaded plugins serve."""

from __future__ import annotations

import re
from http import HTTPStatus
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from pydantic import BaseModel

from posmodern.core.api import ApiRoute

_PARAM = re.compile(r"{([a-zA-Z_][a-zA-Z0-9_]*)(?::([a-z]+))?}")
_CONVERTOR_SCHEMA = {
    None: {"type": "string"}, "str": {"type": "string"}, "path": {"type": "string"},
    "int": {"type": "integer"}, "float": {"type": "number"},
    "uuid": {"type": "string", "format": "uuid"},
}
ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                           "details": {}},
        }
    },
}
_ERROR_STATUSES = {"400": "Bad request", "401": "Missing or invalid token",
                   "403": "Role not allowed", "404": "Not found", "409": "Conflict",
                   "413": "Body too large", "415": "Not JSON", "422": "Validation failed",
                   # Any route reaching the database: a tenant whose tables are not migrated.
                   "503": "Unavailable: the database is not migrated, or a service the route "
                          "needs is not configured or cannot be reached"}
# What a route declares in ApiRoute.errors.
_OUTSIDE_ERRORS = {
    "502": "An outside service (a payment provider) failed, refused our credentials or could "
           "not be reached",
    "503": _ERROR_STATUSES["503"],
    "504": "An outside service did not answer in time; what it did is unknown until asked "
           "again (retry with the same Idempotency-Key)",
}


def _package_version() -> str:
    try:
        return version("pos-modern")
    except PackageNotFoundError:
        return "0.0.0"


def _schema_of(model: type[BaseModel], components: dict[str, Any]) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(schema.pop("$defs", {}))
    components[model.__name__] = schema
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _query_parameters(model: type[BaseModel], components: dict[str, Any]) -> list[dict[str, Any]]:
    # Enums and nested models are referenced from the components, as the bodies' are.
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(schema.pop("$defs", {}))
    required = set(schema.get("required", []))
    return [
        {"name": name, "in": "query", "required": name in required,
         "schema": {k: v for k, v in prop.items() if k != "title"}}
        for name, prop in schema.get("properties", {}).items()
    ]


def _operation(route: ApiRoute, components: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    path = _PARAM.sub(lambda m: "{" + m.group(1) + "}", route.path)
    parameters = [
        {"name": m.group(1), "in": "path", "required": True,
         "schema": _CONVERTOR_SCHEMA.get(m.group(2), {"type": "string"})}
        for m in _PARAM.finditer(route.path)
    ]
    if route.query is not None:
        parameters += _query_parameters(route.query, components)
    if route.idempotent:
        parameters.append({"name": "Idempotency-Key", "in": "header", "required": False,
                           "schema": {"type": "string", "maxLength": 255},
                           "description": "Retry-safe key: a repeat returns the first answer."})
    responses: dict[str, Any] = {str(route.status_code): {"description": route.response_description}}
    errors = dict(_ERROR_STATUSES)
    if route.roles is None:
        del errors["401"], errors["403"]
    for status in map(str, sorted(route.errors)):
        errors[status] = _OUTSIDE_ERRORS.get(status) or HTTPStatus(int(status)).phrase
    for status, text in sorted(errors.items()):
        responses.setdefault(status, {
            "description": text,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        })
    operation: dict[str, Any] = {
        "operationId": route.name,
        "summary": route.summary or route.name,
        "tags": list(route.tags),
        "parameters": parameters,
        "responses": responses,
    }
    if route.roles is not None:
        operation["security"] = [{"bearerAuth": []}]
        operation["x-roles"] = sorted(route.roles)
    if route.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _schema_of(route.body, components)}},
        }
    return path, operation


def build_openapi(routes: list[ApiRoute], extra_paths: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI document for ``routes`` plus the host's own paths."""
    components: dict[str, Any] = {"Error": ERROR_SCHEMA}
    paths: dict[str, Any] = {}
    for route in routes:
        path, operation = _operation(route, components)
        paths.setdefault(path, {})[route.method.lower()] = operation
    paths.update(extra_paths)
    return {
        "openapi": "3.1.0",
        "info": {"title": "POS Modern API", "version": _package_version()},
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": components,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                               "bearerFormat": "JWT"}},
        },
    }
