"""Request bodies of the waiter plugin: the floor (layouts, elements, tables) and the service
(tabs, rounds, transfers, merges, splits)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import Field, model_validator

from posmodern.core.bodies import ModifierChoice, Patch, Strict

#: The grid a floor map is drawn on (cells; a page scales it to the screen).
GRID = 100
Shape = Literal["square", "round", "rect"]
MAX_ROUND_ITEMS = 100


class TableState(StrEnum):
    """A table's state as the floor sees it."""

    FREE = "FREE"
    OCCUPIED = "OCCUPIED"
    BILL_REQUESTED = "BILL_REQUESTED"
    RESERVED = "RESERVED"


class Section(Strict):
    name: str = Field(min_length=1, max_length=50)
    color: str | None = Field(default=None, pattern=r"^#[0-9a-fA-F]{6}$")


class Element(Strict):
    """Something drawn on the floor that is not a table: a wall, the bar, a door, a label."""

    kind: Literal["wall", "bar", "door", "window", "plant", "label"]
    x: int = Field(ge=0, lt=GRID)
    y: int = Field(ge=0, lt=GRID)
    width: int = Field(default=1, ge=1, le=GRID)
    height: int = Field(default=1, ge=1, le=GRID)
    shape: Shape = "rect"
    label: str | None = Field(default=None, max_length=50)
    section: str | None = Field(default=None, max_length=50)


class LayoutCreate(Strict):
    name: str = Field(min_length=1, max_length=100)
    description: str | None = Field(default=None, max_length=500)
    sections: list[Section] = Field(default_factory=list, max_length=50)
    elements: list[Element] = Field(default_factory=list, max_length=500)


class LayoutUpdate(Patch):
    required = frozenset({"name", "is_active", "sections", "elements"})

    name: str | None = Field(default=None, min_length=1, max_length=100)
    description: str | None = Field(default=None, max_length=500)
    is_active: bool | None = None
    sections: list[Section] | None = Field(default=None, max_length=50)
    elements: list[Element] | None = Field(default=None, max_length=500)


class Place(Strict):
    """Where a table is drawn (all optional: a new table goes top-left, one cell)."""

    x: int | None = Field(default=None, ge=0, lt=GRID)
    y: int | None = Field(default=None, ge=0, lt=GRID)
    width: int | None = Field(default=None, ge=1, le=GRID)
    height: int | None = Field(default=None, ge=1, le=GRID)
    shape: Shape | None = None


class TableCreate(Place):
    table_number: str = Field(min_length=1, max_length=20)
    capacity: int = Field(ge=1, le=100, description="Seats")
    section: str | None = Field(default=None, max_length=50)
    layout_id: uuid.UUID | None = None
    waiter_id: uuid.UUID | None = None


class TableUpdate(Place, Patch):
    required = frozenset({"table_number", "capacity", "layout_id", "x", "y", "width", "height",
                          "shape"})

    table_number: str | None = Field(default=None, min_length=1, max_length=20)
    capacity: int | None = Field(default=None, ge=1, le=100)
    section: str | None = Field(default=None, max_length=50)
    layout_id: uuid.UUID | None = None


class Assign(Strict):
    waiter_id: uuid.UUID | None = Field(description="The waiter serving the table (null: none)")


class StateChange(Strict):
    """What a person sets by hand: reserve a free table, free a reserved one. Occupied and bill
    requested follow the table's tab."""

    status: Literal["FREE", "RESERVED"]
    reserved_until: datetime | None = None


class RoundItem(Strict):
    product_id: uuid.UUID
    quantity: Decimal = Field(gt=0, le=Decimal(1000), decimal_places=3, examples=["1"])
    notes: str | None = Field(default=None, max_length=500)
    course: int | None = Field(default=None, ge=1, le=9,
                               description="Course number; a held course waits to be fired")
    hold: bool = Field(default=False, description="Wait in the kitchen until fired")
    modifiers: list[ModifierChoice] = Field(
        default_factory=list, max_length=50,
        description="Options chosen among the product's modifier groups (priced by the catalog)")


class Round(Strict):
    items: list[RoundItem] = Field(min_length=1, max_length=MAX_ROUND_ITEMS)
    guests: int | None = Field(default=None, ge=1, le=100)


class Transfer(Strict):
    to_table_id: uuid.UUID
    item_ids: list[uuid.UUID] | None = Field(
        default=None, min_length=1, max_length=MAX_ROUND_ITEMS,
        description="The items to move; none: the whole tab")


class Merge(Strict):
    table_id: uuid.UUID = Field(description="The table whose tab joins this one's")


class Split(Strict):
    by: Literal["items", "equal"]
    people: int | None = Field(default=None, ge=1, le=50)
    parts: list[list[uuid.UUID]] | None = Field(default=None, min_length=1, max_length=50)

    @model_validator(mode="after")
    def _one_way(self) -> Split:
        if self.by == "equal" and self.people is None:
            raise ValueError("an equal split names how many people (people)")
        if self.by == "items" and not self.parts:
            raise ValueError("a split by items names the items of each part (parts)")
        return self
