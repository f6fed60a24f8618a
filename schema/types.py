"""Column types that behave the same on PostgreSQL and SQLite.

- :class:`Money` / :class:`Quantity`: ``DECIMAL(10, 2)`` / ``DECIMAL(10, 3)`` that always read back as
  a quantized :class:`~decimal.Decimal` (SQLite stores REAL; ten digits round-trip exactly).
- :class:`UTCDateTime`: ``TIMESTAMP WITH TIME ZONE``; SQLite drops the zone, so values are stored
  as UTC and read back aware.
- :class:`JSONDocument`: ``JSONB`` on PostgreSQL (JSONB itself, not a ``with_variant``, so its
  operators stay available), ``JSON`` elsewhere.
"""

from __future__ import annotations

import warnings
from datetime import datetime, timezone
from decimal import Decimal

from sqlalchemy import JSON, DateTime, Numeric, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator

# SQLite has no DECIMAL; the quantizing types below make that safe, so the warning is noise.
warnings.filterwarnings("ignore", category=sa_exc.SAWarning, message=r".*does \*not\* support Decimal.*")

# Server-side default understood by both PostgreSQL and SQLite (which has no now()).
NOW = text("CURRENT_TIMESTAMP")
CENT = Decimal("0.01")
MILLI = Decimal("0.001")


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(timezone.utc)


class _Fixed(TypeDecorator):
    impl = Numeric
    cache_ok = True
    default_scale = 2

    def __init__(self, precision: int = 10, scale: int | None = None) -> None:
        scale = self.default_scale if scale is None else scale
        super().__init__(precision=precision, scale=scale, asdecimal=True)
        self.places = Decimal(1).scaleb(-scale)

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return Decimal(value).quantize(self.places)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if not isinstance(value, Decimal):  # SQLite's REAL
            value = Decimal(str(value))
        return value.quantize(self.places)


class Money(_Fixed):
    """Money: ``DECIMAL(10, 2)``, read back as a ``Decimal`` with two places."""

    default_scale = 2
    cache_ok = True  # SQLAlchemy asks each subclass; without it no statement using it is cached


class Quantity(_Fixed):
    """A quantity: ``DECIMAL(10, 3)``, read back as a ``Decimal`` with three places."""

    default_scale = 3
    cache_ok = True


class UTCDateTime(TypeDecorator):
    """``TIMESTAMP WITH TIME ZONE``, always aware UTC in Python."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; use an aware datetime")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        if value.tzinfo is timezone.utc:  # asyncpg's, already
            return value
        return value.astimezone(timezone.utc)


class JSONDocument(TypeDecorator):
    """JSONB on PostgreSQL, JSON elsewhere. Python ``None`` is SQL ``NULL`` (not JSON ``null``),
    so an absent document costs nothing to read back."""

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            return dialect.type_descriptor(JSONB(none_as_null=True))
        return dialect.type_descriptor(JSON(none_as_null=True))
