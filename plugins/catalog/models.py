"""Request bodies and queries of the catalog plugin, with the seed's column lengths."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from decimal import Decimal
from typing import Annotated

from pydantic import Field, field_validator

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


#: The most a product takes of modifier groups, a group of options, and an option costs.
MAX_GROUPS = 20
MAX_OPTIONS = 50
MAX_CHOICES = 50
MAX_OPTION_PRICE = Decimal("9999.99")
#: A delivery app's code of an option (iFood and Open Delivery: a free text of the store's).
MAX_EXTERNAL_CODE = 50
OptionPrice = Annotated[Decimal, Field(ge=0, le=MAX_OPTION_PRICE, max_digits=6,
                                       decimal_places=2, examples=["4.00"])]


def _group_ids():
    return Field(default=None, max_length=MAX_GROUPS,
                 description="The product's modifier groups, in the order they are asked")


def _distinct(values: list | None, what: str) -> list | None:
    if values is not None and len(set(values)) != len(values):
        raise ValueError(f"a {what} is named twice")
    return values


class OptionIn(Strict):
    option_id: uuid.UUID | None = Field(
        default=None, description="An option of the group to change; leave out to add one")
    name: str = Field(min_length=1, max_length=50)
    price: OptionPrice = Field(default=Decimal("0.00"),
                               description="Added to the product's price when chosen")
    active: bool = True
    external_code: str | None = Field(
        default=None, min_length=1, max_length=MAX_EXTERNAL_CODE,
        description="The option's code in a delivery app's menu (externalCode at iFood and "
                    "Open Delivery); left out of a change, the stored one is kept")


def _options():
    return Field(min_length=1, max_length=MAX_OPTIONS)


def _check_options(options: list[OptionIn] | None) -> list[OptionIn] | None:
    _distinct([o.option_id for o in options or [] if o.option_id is not None], "option_id")
    _distinct([o.external_code for o in options or [] if o.external_code is not None],
              "external_code")
    return options


class ModifierGroupCreate(Strict):
    name: str = Field(min_length=1, max_length=50)
    min_choices: int = Field(default=0, ge=0, le=MAX_CHOICES,
                             description="Fewest options to choose (1 or more: required)")
    max_choices: int = Field(default=1, ge=1, le=MAX_CHOICES,
                             description="Most options to choose")
    options: list[OptionIn] = _options()
    active: bool = True

    _options_distinct = field_validator("options")(_check_options)


class ModifierGroupUpdate(Patch):
    required: ClassVar[frozenset[str]] = frozenset(
        {"name", "min_choices", "max_choices", "options", "active"})
    name: str | None = Field(default=None, min_length=1, max_length=50)
    min_choices: int | None = Field(default=None, ge=0, le=MAX_CHOICES)
    max_choices: int | None = Field(default=None, ge=1, le=MAX_CHOICES)
    options: list[OptionIn] | None = Field(
        default=None, min_length=1, max_length=MAX_OPTIONS,
        description="The group's options, replacing them (name an option_id to keep an option)")
    active: bool | None = None

    _options_distinct = field_validator("options")(_check_options)


class ModifierGroupQuery(PageQuery):
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
    modifier_group_ids: list[uuid.UUID] | None = _group_ids()

    @field_validator("modifier_group_ids")
    @classmethod
    def _groups_distinct(cls, value):
        return _distinct(value, "modifier group")


class ProductUpdate(Patch):
    required: ClassVar[frozenset[str]] = frozenset(
        {"name", "price", "active", "modifier_group_ids"})
    name: str | None = Field(default=None, min_length=1, max_length=100)
    description: str | None = _description()
    price: MoneyField | None = None
    cost: MoneyField | None = None
    category_id: uuid.UUID | None = None
    active: bool | None = None
    metadata: dict[str, Any] | None = None
    modifier_group_ids: list[uuid.UUID] | None = _group_ids()

    @field_validator("modifier_group_ids")
    @classmethod
    def _groups_distinct(cls, value):
        return _distinct(value, "modifier group")


class ProductQuery(PageQuery):
    category_id: uuid.UUID | None = None
    active: bool | None = None
    q: str | None = _search()
