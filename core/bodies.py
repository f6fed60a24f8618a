"""Base models for request bodies and queries: strict, partial updates, and pages."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from posmodern.core.pagination import DEFAULT_LIMIT, MAX_LIMIT


class Strict(BaseModel):
    """Unknown fields are refused (a typo is a 422, not silently ignored); text is stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Patch(Strict):
    """A partial update: only the fields sent change; ``required`` ones cannot be set to null."""

    required: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _no_null_for_required(self):
        nulled = sorted(name for name in self.model_fields_set & self.required
                        if getattr(self, name) is None)
        if nulled:
            raise ValueError(f"cannot be null: {', '.join(nulled)}")
        if not self.model_fields_set:
            raise ValueError("send at least one field to change")
        return self

    def changes(self) -> dict[str, Any]:
        """The fields sent, with their new values."""
        return {name: getattr(self, name) for name in self.model_fields_set}


class PageQuery(Strict):
    """``limit`` and ``cursor`` of a listing (cursor: the ``next_cursor`` of the previous page)."""

    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(default=None, max_length=500)


class ModifierChoice(Strict):
    """An option chosen for an order item (a waiter's round, the API's order): the catalog
    checks it against the product's modifier groups and prices it."""

    option_id: uuid.UUID
