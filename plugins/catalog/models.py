"""Request bodies and queries of the catalog plugin, with the seed's column lengths."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from pydantic import Field

from posmodern.core.bodies import PageQuery, Patch, Strict
from posmodern.core.money import MoneyField



def _description():
    return Field(default=None, max_length=2000)


def _search():
    return Field(default=None, min_length=1, max_length=100,
                 description="Case-insensitive text contained in the name")


class CategoryCreate(Strict):
    name: str = Field(min_length=1, max_length=50)
    description: str | None = _description()
    parent_id: uuid.UUID | None = None
    active: bool = True


class CategoryUpdate(Patch):
    required: ClassVar[frozenset[str]] = frozenset({"name", "active"})
    name: str | None = Field(default=None, min_length=1, max_length=50)
    description: str | None = _description()
    parent_id: uuid.UUID | None = None
    active: bool | None = None


class CategoryQuery(PageQuery):
    parent_id: uuid.UUID | None = None
    active: bool | None = None
    q: str | None = _search()


class ProductCreate(Strict):
    name: str = Field(min_length=1, max_length=100)
    description: str | None = _description()
    price: MoneyField
    cost: MoneyField | None = None
    category_id: uuid.UUID | None = None
    active: bool = True
    metadata: dict[str, Any] | None = None


class ProductUpdate(Patch):
    required: ClassVar[frozenset[str]] = frozenset({"name", "price", "active"})
    name: str | None = Field(default=None, min_length=1, max_length=100)
    description: str | None = _description()
    price: MoneyField | None = None
    cost: MoneyField | None = None
    category_id: uuid.UUID | None = None
    active: bool | None = None
    metadata: dict[str, Any] | None = None


class ProductQuery(PageQuery):
    category_id: uuid.UUID | None = None
    active: bool | None = None
    q: str | None = _search()
