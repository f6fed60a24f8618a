"""``pos import-json``: the legacy system's JSON export read into a tenant.

The export is a folder of JSON arrays (``categories.json``, ``products.json``,
``customers.json``, ``orders.json`` with each order's items inline). Each file is read by the
plugin that owns its tables, through a :class:`LegacyImporter` it returns from
``pos_legacy_importers``; this module streams the files (``ijson``: a file larger than memory is
read a record at a time), hands the records over in batches and gathers the report.

- **Per-row errors.** A record that cannot be read (wrong type, bad date, negative price, a name
  longer than its column, an item of an unknown product …) is reported with its file, its position
  in the array, its legacy id, the field and the reason, and left out whole; the good rows go in.
  A file cut short is reported at the record where it breaks.
- **Idempotent.** Rows are keyed by their legacy id (the UUID itself, or a UUID derived from it),
  and written with :func:`posmodern.core.bulk.upsert_rows` (or, those not stored yet,
  :func:`~posmodern.core.bulk.insert_rows`): a second run changes nothing, a later copy of a
  record updates it.
- **Overlapped.** The next batch is read and checked in a worker thread while the current one
  is written.
- **Dry run.** Every batch is written and rolled back: the report is the one a real run gives.
"""

from __future__ import annotations

import asyncio
import gc
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from hashlib import sha1
from pathlib import Path
from typing import TYPE_CHECKING, Any

from asyncpg.pgproto.pgproto import UUID as FastUUID
from sqlalchemy.exc import DBAPIError

from posmodern.core.errors import PosError

if TYPE_CHECKING:
    from sqlalchemy import Column
    from sqlalchemy.ext.asyncio import AsyncConnection

    from posmodern.core.config import Settings
    from posmodern.core.db import Database

#: The namespace of UUIDs derived from legacy ids that are not UUIDs themselves.
LEGACY_NAMESPACE = uuid.UUID("5c1b0b7e-3f7a-4c55-9a43-6f2c1a9d0e11")
BATCH = 2000


class RowProblem(Exception):
    """A record that cannot be imported: which field, and why."""

    def __init__(self, field_name: str, reason: str) -> None:
        super().__init__(f"{field_name}: {reason}")
        self.field = field_name
        self.reason = reason


class ImportRefused(PosError):
    status, code = 422, "import_refused"


@dataclass(frozen=True)
class ImportContext:
    """What an importer gets besides its records."""

    db: Database
    settings: Settings
    client_id: str
    #: The store of records that name none.
    store_id: str


@dataclass
class Prepared:
    """One record read by an importer: where it was, and the rows it becomes."""

    position: int
    legacy_id: Any
    rows: Any


@dataclass(frozen=True)
class LegacyImporter:
    """One file of the legacy export, read by the plugin owning its tables.

    ``prepare(record, ctx)`` turns one JSON object into rows (raise :class:`RowProblem`); it
    runs in a worker thread, a batch ahead of the writes, and must not touch the database;
    ``write(conn, batch, ctx)`` writes a batch of prepared records in one transaction and returns
    ``(rows changed, problems)`` where each problem is ``(prepared, RowProblem)`` for a record it
    left out (a reference to nothing, a duplicate); ``finish(ctx)``, if given, runs once after
    the file (to move the order-number counter past the imported numbers).
    ``position`` orders the files: those referred to come first.
    """

    name: str
    file: str
    position: int
    prepare: Callable[[dict, ImportContext], Any]
    write: Callable[[AsyncConnection, list[Prepared], ImportContext],
                    Awaitable[tuple[int, list[tuple[Prepared, RowProblem]]]]]
    finish: Callable[[ImportContext], Awaitable[None]] | None = None


@dataclass
class FileReport:
    file: str
    read: int = 0
    imported: int = 0
    changed: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)


# --- reading one field ----------------------------------------------------------------------

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


# --- the run --------------------------------------------------------------------------------

def _records(path: Path, report: FileReport) -> Iterator[tuple[int, Any]]:
    import ijson

    position = -1
    try:
        with path.open("rb") as stream:
            for position, record in enumerate(ijson.items(stream, "item")):
                yield position, record
    except ijson.JSONError as exc:
        report.errors.append({"file": report.file, "record": position + 1, "id": None,
                              "field": None, "reason": f"the file is not valid JSON from here "
                                                       f"on (cut short?): {exc}"})


def _problem(report: FileReport, position: int, legacy_id: Any, problem: RowProblem) -> None:
    report.errors.append({"file": report.file, "record": position, "id": legacy_id,
                          "field": problem.field, "reason": problem.reason})


class _DryRun(Exception):
    """Rolls a dry run's batch back."""


async def _write_once(importer: LegacyImporter, ctx: ImportContext, batch: list[Prepared],
                      dry_run: bool) -> tuple[int, list[tuple[Prepared, RowProblem]]]:
    outcome: tuple[int, list] = (0, [])
    try:
        async with ctx.db.transaction(ctx.client_id) as conn:
            outcome = await importer.write(conn, batch, ctx)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return outcome


async def _write_batch(importer: LegacyImporter, ctx: ImportContext, batch: list[Prepared],
                       report: FileReport, dry_run: bool) -> None:
    """Write a batch in one transaction; when the database refuses it (a constraint the
    importer did not foresee), write its records one by one so that only the bad ones stay
    out, each reported with the database's reason."""
    try:
        changed, problems = await _write_once(importer, ctx, batch, dry_run)
    except DBAPIError:
        changed, problems = 0, []
        for prepared in batch:
            try:
                one_changed, one_problems = await _write_once(importer, ctx, [prepared], dry_run)
            except DBAPIError as exc:
                reason = str(exc.orig).strip().splitlines()[0][:300]
                one_changed, one_problems = 0, [(prepared, RowProblem("-", reason))]
            changed += one_changed
            problems += one_problems
    for prepared, problem in problems:
        _problem(report, prepared.position, prepared.legacy_id, problem)
    report.changed += changed
    report.imported += len(batch) - len(problems)


def _prepared_batches(importer: LegacyImporter, path: Path, ctx: ImportContext,
                      report: FileReport, batch_size: int
                      ) -> Iterator[tuple[list[Prepared], list[tuple[int, Any, RowProblem]]]]:
    """The file's records read and prepared, a batch at a time, with the problems met
    reading them."""
    batch: list[Prepared] = []
    problems: list[tuple[int, Any, RowProblem]] = []
    prepare = importer.prepare
    for position, record in _records(path, report):
        report.read += 1
        legacy_id = record.get("id") if isinstance(record, dict) else None
        try:
            if not isinstance(record, dict):
                raise RowProblem("-", "each record must be a JSON object")
            batch.append(Prepared(position, legacy_id, prepare(record, ctx)))
        except RowProblem as problem:
            problems.append((position, legacy_id, problem))
        if len(batch) >= batch_size:
            yield batch, problems
            batch, problems = [], []
    if batch or problems:
        yield batch, problems


async def import_file(importer: LegacyImporter, path: Path, ctx: ImportContext, *,
                      dry_run: bool = False, batch_size: int = BATCH,
                      progress: Callable[[FileReport], None] | None = None) -> FileReport:
    """Stream one legacy file into the tenant; returns what happened to its records.

    The next batch is read and prepared in a worker thread while the database writes this
    one: the database's work and the checking overlap."""
    report = FileReport(importer.file)
    batches = _prepared_batches(importer, path, ctx, report, batch_size)
    upcoming = asyncio.ensure_future(asyncio.to_thread(next, batches, None))
    collector = gc.isenabled()
    # A batch is thousands of small dicts and tuples with no cycles among them: the cyclic
    # collector's passes over them find nothing and took a fifth of the import's time.
    gc.disable()
    try:
        while (prepared := await upcoming) is not None:
            upcoming = asyncio.ensure_future(asyncio.to_thread(next, batches, None))
            batch, problems = prepared
            for position, legacy_id, problem in problems:
                _problem(report, position, legacy_id, problem)
            if batch:
                await _write_batch(importer, ctx, batch, report, dry_run)
            if progress is not None:
                progress(report)
    finally:
        if not upcoming.done():  # a write failed: let the reader finish its batch, then close
            await asyncio.wait([upcoming])
        batches.close()
        if collector:
            gc.enable()
    if importer.finish is not None and not dry_run:
        await importer.finish(ctx)
    if progress is not None:
        progress(report)
    return report


async def import_folder(importers: list[LegacyImporter], folder: Path, ctx: ImportContext, *,
                        dry_run: bool = False, batch_size: int = BATCH,
                        progress: Callable[[FileReport], None] | None = None
                        ) -> list[FileReport]:
    """Import every file of ``folder`` an importer reads, those referred to first."""
    if not folder.is_dir():
        raise ImportRefused(f"{folder} is not a folder")
    names = [importer.name for importer in importers]
    if len(set(names)) != len(names):
        raise ImportRefused(f"two plugins read the same legacy file: {sorted(names)}")
    reports = []
    for importer in sorted(importers, key=lambda i: (i.position, i.name)):
        path = folder / importer.file
        if path.is_file():
            reports.append(await import_file(importer, path, ctx, dry_run=dry_run,
                                             batch_size=batch_size, progress=progress))
    if not reports:
        raise ImportRefused(f"{folder} holds none of "
                            f"{', '.join(sorted(i.file for i in importers)) or 'the legacy files'}")
    return reports
