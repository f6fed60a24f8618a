"""Request bodies and queries of the kitchen display."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Literal

from pydantic import Field, field_validator, model_validator

from posmodern.core.bodies import Patch, Strict

#: A ticket's life: HELD (a later course, until fired) → NEW → STARTED → BUMPED (recall: back);
#: CANCELLED when its order is.
TICKET_STATUSES = ("HELD", "NEW", "STARTED", "BUMPED", "CANCELLED")
OPEN = ("NEW", "STARTED")
STATION_KINDS = ("prep", "expo")
CODE = r"^[a-z0-9][a-z0-9_-]{0,49}$"


def _aware(value: datetime | None) -> datetime | None:
    # A time without a zone is taken as UTC, the zone every stored time is in.
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


class StationCreate(Strict):
    code: str = Field(pattern=CODE, description="Short name used in URLs (cozinha, bar)")
    name: str = Field(min_length=1, max_length=100)
    kind: Literal["prep", "expo"] = "prep"
    is_default: bool = Field(False, description="Takes every item no rule routes elsewhere")
    category_ids: list[uuid.UUID] = Field(default_factory=list, max_length=200)
    product_ids: list[uuid.UUID] = Field(default_factory=list, max_length=500)
    warn_minutes: int = Field(8, ge=1, le=600, description="A ticket is yellow from this age")
    late_minutes: int = Field(15, ge=1, le=600, description="A ticket is red from this age")
    position: int = Field(0, ge=0, le=1000)

    @model_validator(mode="after")
    def _consistent(self):
        _check_station(self.kind, self.is_default, self.category_ids, self.product_ids,
                       self.warn_minutes, self.late_minutes)
        return self


class StationUpdate(Patch):
    required = frozenset({"name", "is_default", "category_ids", "product_ids", "warn_minutes",
                          "late_minutes", "position", "active"})
    name: str | None = Field(None, min_length=1, max_length=100)
    is_default: bool | None = None
    category_ids: list[uuid.UUID] | None = Field(None, max_length=200)
    product_ids: list[uuid.UUID] | None = Field(None, max_length=500)
    warn_minutes: int | None = Field(None, ge=1, le=600)
    late_minutes: int | None = Field(None, ge=1, le=600)
    position: int | None = Field(None, ge=0, le=1000)
    active: bool | None = None


def _check_station(kind, is_default, category_ids, product_ids, warn, late) -> None:
    if kind == "expo" and (is_default or category_ids or product_ids):
        raise ValueError("the expo station takes no items: no default, no routing rules")
    if warn is not None and late is not None and warn >= late:
        raise ValueError("warn_minutes must be below late_minutes")


class TicketQuery(Strict):
    station: str | None = Field(None, max_length=50, description="A station's code")
    status: str | None = Field(None, max_length=100,
                               description="Statuses, comma-separated (default: on screen)")
    limit: int = Field(100, ge=1, le=500)

    @field_validator("status")
    @classmethod
    def _known(cls, value: str | None) -> str | None:
        if value is None:
            return None
        unknown = [s for s in value.split(",") if s not in TICKET_STATUSES]
        if unknown:
            raise ValueError(f"unknown status {', '.join(unknown)}; "
                             f"one of {', '.join(TICKET_STATUSES)}")
        return value

    @property
    def statuses(self) -> list[str]:
        return self.status.split(",") if self.status else []


class StationQuery(Strict):
    station: str | None = Field(None, max_length=50, description="A station's code")


class StreamQuery(StationQuery):
    after: int | None = Field(None, ge=0, description="Resume after this change (as "
                                                      "Last-Event-ID does)")


class ItemDone(Strict):
    done: bool = True


class StatsQuery(Strict):
    station: str | None = Field(None, max_length=50)
    created_from: datetime | None = Field(None, description="Bumped at or after (ISO); "
                                                            "default: 7 days ago")
    created_to: datetime | None = Field(None, description="Bumped before (ISO); default: now")
    tz: str = Field("America/Sao_Paulo", max_length=60,
                    description="Time zone of the hours of the day")

    _aware = field_validator("created_from", "created_to")(classmethod(
        lambda cls, value: _aware(value)))
