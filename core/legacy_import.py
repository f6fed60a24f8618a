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
  is written; on PostgreSQL an importer that says so (``overlaps``) also looks up a batch's
  stored rows while the batch before it writes, and writes it once that one is committed.
- **Dry run.** Every batch is written and rolled back: the report is the one a real run gives.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import DBAPIError

from posmodern.core.errors import PosError
from posmodern.core.legacy_fields import RowProblem

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

    from posmodern.core.config import Settings
    from posmodern.core.db import Database

#: Records per transaction: on 1,000,000 order items (PostgreSQL, 2 cores) 2,000 took 80 s
#: before the lookups were planned per batch, 5,000 took 44.5 s, 10,000 50.4 s.
BATCH = 5000


class ImportRefused(PosError):
    status, code = 422, "import_refused"


async def _no_wait() -> list[Any]:
    return []


def _unheard(note: Any) -> None:
    return None


@dataclass(frozen=True)
class ImportContext:
    """What an importer gets besides its records."""

    db: Database
    settings: Settings
    client_id: str
    #: The store of records that name none.
    store_id: str
    #: Set for each batch by :func:`import_file` (see :class:`LegacyImporter`): awaited by a
    #: write between its lookups and its first write, it returns once the batch before is
    #: committed, with what that batch said it wrote.
    turn: Callable[[], Awaitable[list[Any]]] = _no_wait
    #: What a write says it wrote (anything its importer understands): handed to the next
    #: batch's ``turn`` once this batch is committed (never in a dry run).
    wrote: Callable[[Any], None] = _unheard


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

    ``overlaps``: on PostgreSQL, a batch's ``write`` starts while the batch before it is still
    being written; it may only read until ``await ctx.turn()`` returns (the batch before is
    committed by then), and must count what that returns, what the batch before said it
    wrote through ``ctx.wrote``, as stored: its lookups ran without it. An importer that does
    not say so gets its batches written one after the other.
    """

    name: str
    file: str
    position: int
    prepare: Callable[[dict, ImportContext], Any]
    write: Callable[[AsyncConnection, list[Prepared], ImportContext],
                    Awaitable[tuple[int, list[tuple[Prepared, RowProblem]]]]]
    finish: Callable[[ImportContext], Awaitable[None]] | None = None
    overlaps: bool = False


@dataclass
class FileReport:
    file: str
    read: int = 0
    imported: int = 0
    changed: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)


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


class _Turn:
    """A batch's place in its file's order of writes: ``done`` once the batch and every one
    before it are written (or have failed), with what its committed writes said they wrote."""

    def __init__(self, before: _Turn | None) -> None:
        self.before = before
        self.done = asyncio.get_running_loop().create_future()
        self.notes: list[Any] = []

    async def wait_before(self) -> list[Any]:
        """Once the batch before this one is done: what it wrote."""
        if self.before is None:
            return []
        await asyncio.wait([self.before.done])
        return self.before.notes

    def finish(self) -> None:
        if not self.done.done():
            self.done.set_result(None)


async def _write_once(importer: LegacyImporter, ctx: ImportContext, batch: list[Prepared],
                      dry_run: bool, turn: _Turn) -> tuple[int, list[tuple[Prepared, RowProblem]]]:
    outcome: tuple[int, list] = (0, [])
    notes: list[Any] = []
    ctx = dataclasses.replace(ctx, turn=turn.wait_before, wrote=notes.append)
    if not importer.overlaps:
        await turn.wait_before()
    try:
        async with ctx.db.transaction(ctx.client_id) as conn:
            outcome = await importer.write(conn, batch, ctx)
            if dry_run:
                raise _DryRun
        turn.notes += notes  # committed
    except _DryRun:
        pass
    return outcome


async def _write_batch(importer: LegacyImporter, ctx: ImportContext, batch: list[Prepared],
                       report: FileReport, dry_run: bool, turn: _Turn) -> None:
    """Write a batch in one transaction; when the database refuses it (a constraint the
    importer did not foresee), write its records one by one so that only the bad ones stay
    out, each reported with the database's reason."""
    try:
        try:
            changed, problems = await _write_once(importer, ctx, batch, dry_run, turn)
        except DBAPIError:
            changed, problems = 0, []
            for prepared in batch:
                try:
                    one_changed, one_problems = await _write_once(importer, ctx, [prepared],
                                                                  dry_run, turn)
                except DBAPIError as exc:
                    reason = str(exc.orig).strip().splitlines()[0][:300]
                    one_changed, one_problems = 0, [(prepared, RowProblem("-", reason))]
                changed += one_changed
                problems += one_problems
    finally:
        try:
            await turn.wait_before()  # done means every batch before is done too
        finally:
            turn.finish()
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
    one: the database's work and the checking overlap. On PostgreSQL, for an importer that
    ``overlaps``, two batches are in flight: one looks up its stored rows while the one before
    it writes (on another connection)."""
    report = FileReport(importer.file)
    batches = _prepared_batches(importer, path, ctx, report, batch_size)
    upcoming = asyncio.ensure_future(asyncio.to_thread(next, batches, None))
    in_flight: deque[asyncio.Future] = deque()
    depth = 2 if importer.overlaps and not ctx.db.is_sqlite else 1
    last: _Turn | None = None
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
                last = _Turn(last)
                in_flight.append(asyncio.ensure_future(
                    _write_batch(importer, ctx, batch, report, dry_run, last)))
                if len(in_flight) >= depth:
                    await in_flight.popleft()
            if progress is not None:
                progress(report)
        while in_flight:
            await in_flight.popleft()
    finally:
        for write in in_flight:  # one failed: the one after it does not go on
            write.cancel()
        if in_flight:
            await asyncio.wait(in_flight)
        if not upcoming.done():  # a write failed: let the reader finish its batch, then close
            await asyncio.wait([upcoming])
        batches.close()
        if collector:
            gc.enable()
    report.errors.sort(key=lambda error: error["record"])  # two batches may report out of turn
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
