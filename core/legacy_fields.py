"""Reading one field of a legacy export's record (``pos import-json``): the helpers the
plugins' :class:`~posmodern.core.legacy_import.LegacyImporter` ``prepare`` functions use. Each
checks a value the way the API would (types, lengths against the column, amounts, dates,
CPF/CNPJ) and raises :class:`RowProblem` naming the field and the reason."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from hashlib import sha1
from typing import TYPE_CHECKING, Any

from asyncpg.pgproto.pgproto import UUID as FastUUID

if TYPE_CHECKING:
    from sqlalchemy import Column

    from posmodern.core.legacy_import import ImportContext

#: The namespace of UUIDs derived from legacy ids that are not UUIDs themselves.
LEGACY_NAMESPACE = uuid.UUID("5c1b0b7e-3f7a-4c55-9a43-6f2c1a9d0e11")


class RowProblem(Exception):
    """A record that cannot be imported: which field, and why."""

    def __init__(self, field_name: str, reason: str) -> None:
        super().__init__(f"{field_name}: {reason}")
        self.field = field_name
        self.reason = reason


def legacy_uuid(kind: str, value: Any) -> uuid.UUID:
    """The row id of a legacy id: the UUID it is, or one derived from ``kind`` and it."""
    if type(value) is not str and (isinstance(value, bool) or not isinstance(value, int)) \
            or value == "":
        raise RowProblem("id", "must be a string or an integer")
    return _legacy_uuid(kind, value)


def _legacy_uuid(kind: str, value: str | int) -> uuid.UUID:
    text_value = str(value)
    if len(text_value) in (32, 36, 38):
        try:
            return uuid.UUID(text_value)
        except ValueError:
            pass
    return derived_uuid(f"{kind}:{text_value}")


#: The namespace hashed once: each derived UUID hashes only its own name on from there.
_NAMESPACE_HASH = sha1(LEGACY_NAMESPACE.bytes)


def derived_uuid(name: str) -> uuid.UUID:
    """``uuid.uuid5(LEGACY_NAMESPACE, name)``, several times faster: an import derives one
    per row. asyncpg's UUID (a :class:`uuid.UUID`) is made from bytes without
    ``uuid.UUID.__init__``'s checks, and COPY writes it as it is."""
    digest = _NAMESPACE_HASH.copy()
    digest.update(name.encode())
    value = bytearray(digest.digest()[:16])
    value[6] = value[6] & 0x0F | 0x50  # version 5
    value[8] = value[8] & 0x3F | 0x80  # RFC 4122 variant
    return FastUUID(bytes(value))


#: References repeat (an order's products, a store's customers); row ids do not.
_referenced_uuid = lru_cache(maxsize=1 << 14)(_legacy_uuid)


def reference(record: dict, name: str, kind: str, *, required: bool = False) -> uuid.UUID | None:
    value = record.get(name)
    if value is None:
        if required:
            raise RowProblem(name, "is required")
        return None
    if type(value) is str and value:
        return _referenced_uuid(kind, value)
    try:
        legacy_uuid(kind, value)  # the type checked
    except RowProblem as problem:
        raise RowProblem(name, problem.reason) from None
    return _referenced_uuid(kind, value)


def text(record: dict, name: str, column: Column, *, required: bool = False,
         default: str | None = None) -> str | None:
    """A string field, at most as long as ``column`` holds."""
    value = record.get(name, default)
    if value is None or (required and isinstance(value, str) and not value.strip()):
        if required:
            raise RowProblem(name, "is required")
        return None
    if not isinstance(value, str):
        raise RowProblem(name, f"must be a string, not {type(value).__name__}")
    limit = getattr(column.type, "length", None)
    if limit is not None and len(value) > limit:
        raise RowProblem(name, f"is {len(value)} characters long; at most {limit} fit")
    return value


#: Per number of decimal places: the quantum, and the first value DECIMAL(10, places) cannot hold.
_SCALES = {places: (Decimal(1).scaleb(-places), Decimal(10) ** (10 - places)) for places in (2, 3)}
_ZERO = Decimal(0)


def number(record: dict, name: str, *, places: int, required: bool = False,
           default: Any = None, minimum: Decimal | None = _ZERO) -> Decimal | None:
    """A decimal field (a number or a numeric string) with at most ``places`` decimals, fitting
    DECIMAL(10, places)."""
    value = record.get(name, default)
    if value is None:
        if required:
            raise RowProblem(name, "is required")
        return None
    if type(value) not in _NUMBER_KINDS:
        raise RowProblem(name, f"must be a number, not {type(value).__name__}")
    try:
        return _amount(value, places, minimum)
    except RowProblem as problem:
        raise RowProblem(name, problem.reason) from None


_NUMBER_KINDS = frozenset((str, int, float, Decimal))


@lru_cache(maxsize=1 << 14, typed=True)  # amounts repeat: a menu's prices, quantities of 1
def _amount(value: str | int | float | Decimal, places: int, minimum: Decimal | None
            ) -> Decimal:
    try:
        amount = Decimal(repr(value) if type(value) is float else value)
    except InvalidOperation:
        raise RowProblem("-", f"{value!r} is not a number") from None
    if not amount.is_finite():
        raise RowProblem("-", "must be a finite number")
    if minimum is not None and amount < minimum:
        raise RowProblem("-", f"must not be below {minimum}")
    quantum, limit = _SCALES[places]
    if abs(amount) >= limit:
        raise RowProblem("-", "is too large")
    quantized = amount.quantize(quantum)
    if quantized != amount:
        raise RowProblem("-", f"has more than {places} decimal places")
    return quantized


def money(record: dict, name: str, *, required: bool = False, default: Any = None,
          minimum: Decimal | None = _ZERO) -> Decimal | None:
    return number(record, name, places=2, required=required, default=default, minimum=minimum)


def timestamp(record: dict, name: str, *, default: datetime | None = None) -> datetime | None:
    """An ISO 8601 date-time; one without an offset is taken as UTC."""
    value = record.get(name)
    if value is None:
        return default
    if not isinstance(value, str):
        raise RowProblem(name, f"must be an ISO 8601 date-time string, not {type(value).__name__}")
    try:
        moment = datetime.fromisoformat(value)  # "Z" too (Python 3.11)
    except ValueError:
        raise RowProblem(name, f"{value!r} is not an ISO 8601 date-time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def boolean(record: dict, name: str, default: bool) -> bool:
    value = record.get(name, default)
    if not isinstance(value, bool):
        raise RowProblem(name, f"must be true or false, not {value!r}")
    return value


def document(record: dict, name: str) -> Any:
    """A JSON object field (metadata, address, customizations); missing is None."""
    value = record.get(name)
    if value is not None and not isinstance(value, (dict, list)):
        raise RowProblem(name, "must be a JSON object")
    return _plain(value)


def _plain(value: Any) -> Any:
    """JSON from ijson made plain (its numbers are Decimals)."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def one_of(record: dict, name: str, allowed: tuple[str, ...], default: str) -> str:
    value = record.get(name, default)
    if value not in allowed:
        raise RowProblem(name, f"{value!r} is not one of {', '.join(allowed)}")
    return value


def store_of(record: dict, ctx: ImportContext, column: Column) -> str:
    """The record's store (the import's default when it names none); its client_id, if any,
    must be the tenant being imported into."""
    client = record.get("client_id")
    if client is not None and client != ctx.client_id:
        raise RowProblem("client_id", f"{client!r} is not the tenant imported into "
                                      f"({ctx.client_id!r})")
    return text(record, "store_id", column, default=ctx.store_id, required=True)
