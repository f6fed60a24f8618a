"""Data operations of ``pos``: backups and restores, the legacy JSON import, and what LGPD asks
(a customer's data exported or erased, a whole tenant exported)."""

from __future__ import annotations

import json
import uuid
import sys
from pathlib import Path

import click

from posmodern.cli.commands import _branches, _with_db, db, pass_state, tenant
from posmodern.cli.main import CliState, cli
from posmodern.core.errors import PosError
from posmodern.core.legacy_import import BATCH
from posmodern.schema.types import utcnow


def _guarded(state: CliState, fn):
    try:
        return _with_db(state, fn)
    except PosError as exc:
        raise click.ClickException(exc.message) from None


@db.command("backup")
@click.option("--tenant", "client_id", help="One tenant (default: every tenant and the control "
                                             "tables).")
@click.option("--to", "target", type=click.Path(dir_okay=False, path_type=Path),
              help="The backup file (default: ./pos-<tenant|all>-<UTC time>.posbackup).")
@pass_state
def db_backup(state: CliState, client_id: str | None, target: Path | None) -> None:
    """Back up one tenant, or everything, while the system keeps working."""
    from posmodern.core import backup as backups

    if target is None:
        stamp = utcnow().strftime("%Y%m%dT%H%M%SZ")
        target = Path(f"pos-{client_id or 'all'}-{stamp}.posbackup")
    manifest = _guarded(state, lambda d: backups.backup(d, target, client_id))
    rows = sum(sum(entry.rows.values()) for entry in manifest.tenants)
    click.echo(f"backed up {len(manifest.tenants)} tenant(s), {rows} row(s) to {target}")


@db.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--tenant", "client_id", help="Restore only this tenant of the backup.")
@click.option("--as", "new_id", help="Restore the tenant under this new client id.")
@click.option("--force", is_flag=True, help="Replace a tenant that exists.")
@pass_state
def db_restore(state: CliState, source: Path, client_id: str | None, new_id: str | None,
               force: bool) -> None:
    """Restore a backup; each tenant is then migrated to this version's schema."""
    from posmodern.core import backup as backups

    branches = _branches(state)

    async def go(d):
        from posmodern.core import revocation
        from posmodern.core.cache import create_cache

        restored = await backups.restore(d, source, client_id=client_id, new_id=new_id,
                                         force=force, branches=branches)
        # Running processes re-read the restored tenants (as after `pos tenant drop`).
        cache = create_cache(state.settings.redis_url)
        try:
            for outcome in restored:
                await revocation.tenant_changed(d, cache, outcome.client_id)
        finally:
            await cache.close()
        return restored
    try:
        restored = _guarded(state, go)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--as") from None
    for outcome in restored:
        migrated = (f", migrated from {', '.join(outcome.migrated_from)}"
                    if outcome.migrated_from else "")
        named = f" (backed up as {outcome.source})" if outcome.source != outcome.client_id else ""
        click.echo(f"restored {outcome.client_id}{named}: {sum(outcome.rows.values())} "
                   f"row(s){migrated}")


@db.command("inspect")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def db_inspect(source: Path) -> None:
    """Print a backup's manifest (nothing is checked against the database)."""
    from posmodern.core import backup as backups

    try:
        click.echo(json.dumps(backups.describe(backups.read_manifest(source)), indent=2))
    except PosError as exc:
        raise click.ClickException(exc.message) from None


__all__ = ["cli", "tenant"]


@cli.command("import-json")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--client", "client_id", required=True, help="Tenant to import into.")
@click.option("--store", "store_id", default="store-1", show_default=True,
              help="Store of the records that name none.")
@click.option("--dry-run", is_flag=True, help="Read and check everything, write nothing.")
@click.option("--errors", "errors_to", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the per-row error report here (JSON lines).")
@click.option("--batch", "batch_size", default=BATCH, show_default=True,
              type=click.IntRange(1, 100_000), help="Records per transaction.")
@pass_state
def import_json(state: CliState, folder: Path, client_id: str, store_id: str, dry_run: bool,
                errors_to: Path | None, batch_size: int) -> None:
    """Import the legacy system's JSON export (the seed's migrate.py, done right).

    Reads categories.json, products.json, customers.json and orders.json (items inline) a
    record at a time; bad records are reported (file, record, field, reason) and left out while
    the good ones go in. Running it again changes nothing.
    """
    from posmodern.core.asyncio_hooks import collect_sync
    from posmodern.core.legacy_import import ImportContext, import_folder

    importers = collect_sync(state.pm.hook.pos_legacy_importers, settings=state.settings)
    interactive = sys.stderr.isatty()

    def progress(report) -> None:
        line = (f"\r{report.file:<16} {report.read:>10} read {report.imported:>10} in "
                f"{len(report.errors):>6} errors")
        click.echo(line if interactive else line.strip(), err=True, nl=not interactive)

    reports = _guarded(state, lambda d: import_folder(
        importers, folder, ImportContext(d, state.settings, client_id, store_id),
        dry_run=dry_run, batch_size=batch_size, progress=progress))
    if interactive:
        click.echo("", err=True)
    errors = [error for report in reports for error in report.errors]
    for report in reports:
        click.echo(f"{report.file}: {report.read} read, {report.imported} imported, "
                   f"{report.changed} row(s) written, {len(report.errors)} refused")
    if errors_to is not None:
        errors_to.write_text("".join(json.dumps(e, default=str) + "\n" for e in errors))
    for error in errors[:20]:
        click.echo(f"  {error['file']} record {error['record']} (id {error['id']}): "
                   f"{error['field']}: {error['reason']}", err=True)
    if len(errors) > 20:
        click.echo(f"  … {len(errors) - 20} more" + (f" in {errors_to}" if errors_to else
                                                       " (see --errors FILE)"), err=True)
    if dry_run:
        click.echo("dry run: nothing was written")


@cli.group("customers")
def customers_group() -> None:
    """A customer's personal data (LGPD): export it, or erase it."""


def _personal(state: CliState, client_id: str, store_id: str, customer_id: str, what: str):
    from posmodern.core import audit, personal_data

    try:
        customer = uuid.UUID(customer_id)
    except ValueError:
        raise click.BadParameter("not a UUID", param_hint="--customer") from None
    act = personal_data.export if what == "export" else personal_data.erase

    async def go(d):
        async with d.transaction(client_id) as conn:
            result = await act(conn, state.pm.hook, state.settings, customer, store_id)
            details = ({"sections": sorted(k for k in result if k not in (
                "customer_id", "store_id", "exported_at"))} if what == "export"
                else {"changed": result})
            await personal_data.audited(
                conn, "customer.personal_data_exported" if what == "export" else
                "customer.erased", customer, client_id=client_id, store_id=store_id,
                details=details, username=audit.cli_operator())
        return result
    return _guarded(state, go)


_CUSTOMER_OPTIONS = [
    click.option("--client", "client_id", required=True, help="Tenant (client id)."),
    click.option("--store", "store_id", required=True, help="The customer's store."),
    click.option("--customer", "customer_id", required=True, help="Customer id (UUID)."),
]


def _customer_options(fn):
    for option in reversed(_CUSTOMER_OPTIONS):
        fn = option(fn)
    return fn


@customers_group.command("export")
@_customer_options
@click.option("--to", "target", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the JSON here (default: standard output).")
@pass_state
def customers_export(state: CliState, client_id: str, store_id: str, customer_id: str,
                     target: Path | None) -> None:
    """Everything the system holds about one customer, as JSON (audited)."""
    document = json.dumps(_personal(state, client_id, store_id, customer_id, "export"),
                          indent=2, ensure_ascii=False)
    if target is None:
        click.echo(document)
    else:
        target.write_text(document + "\n")
        target.chmod(0o600)
        click.echo(f"exported customer {customer_id} to {target}", err=True)


@customers_group.command("erase")
@_customer_options
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_state
def customers_erase(state: CliState, client_id: str, store_id: str, customer_id: str,
                    yes: bool) -> None:
    """Anonymise a customer everywhere; their orders stay without personal data (audited)."""
    if not yes:
        click.confirm(f"Erase the personal data of customer {customer_id}?", abort=True)
    changed = _personal(state, client_id, store_id, customer_id, "erase")
    click.echo(f"erased customer {customer_id}: " + ", ".join(
        f"{table} {count}" for table, count in sorted(changed.items())))


@tenant.command("export")
@click.argument("client_id")
@click.option("--to", "target", required=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write one JSON-lines file per table into.")
@pass_state
def tenant_export(state: CliState, client_id: str, target: Path) -> None:
    """Export every table of a tenant as JSON lines (a data-portability copy, not a backup:
    documents stay sealed)."""
    from posmodern.core.tenant_export import export_tenant

    counts = _guarded(state, lambda d: export_tenant(d, client_id, target))
    click.echo(f"exported {client_id}: {sum(counts.values())} row(s) in {len(counts)} table(s) "
               f"to {target}")


@db.command("backup-schedule")
@click.option("--dir", "folder", required=True,
              type=click.Path(file_okay=False, path_type=Path), help="Where backups go.")
@click.option("--every", default=3600, show_default=True, type=click.IntRange(min=60),
              help="Seconds between backups.")
@click.option("--keep", default=48, show_default=True, type=click.IntRange(min=1),
              help="How many backups to keep (older ones are deleted).")
@click.option("--once", is_flag=True, help="Take one backup, apply the retention and stop.")
@pass_state
def db_backup_schedule(state: CliState, folder: Path, every: int, keep: int, once: bool) -> None:
    """Back up every tenant on a schedule, keeping the newest --keep (the Compose backup
    service). ``<dir>/.last-success`` is touched after each backup that worked."""
    import time

    from posmodern.core.backup_schedule import back_up_and_prune

    folder.mkdir(parents=True, exist_ok=True)
    while True:
        started = time.monotonic()
        try:
            made, removed = _guarded(state, lambda d: back_up_and_prune(d, folder, keep))
            click.echo(f"backed up to {made}; {len(removed)} old backup(s) removed", err=True)
        except click.ClickException as exc:
            click.echo(f"backup failed: {exc.message}", err=True)
            if once:
                raise
        if once:
            return
        time.sleep(max(0.0, every - (time.monotonic() - started)))
