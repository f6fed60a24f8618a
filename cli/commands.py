"""The built-in ``pos`` commands."""

from __future__ import annotations

import json

import click

from posmodern.cli.main import CliState, cli, run
from posmodern.core import audit, revocation, security, tenancy
from posmodern.core.api import ROLES
from posmodern.core.cache import create_cache
from posmodern.core.db import Database
from posmodern.core.errors import PluginError, PosError
from posmodern.core.migrations import MigrationBranch, migration_branches
from posmodern.core.plugin_settings import effective_settings, settings_markdown
from posmodern.schema import migrate
from posmodern.schema.migrate import MAIN_BRANCH, BranchRevision

pass_state = click.make_pass_decorator(CliState)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(min=1),
              help="Processes serving the port (one per core): each runs every plugin and its "
                   "consumers; one of them sweeps the outbox for all.")
@click.option("--demo/--no-demo", default=False,
              help="Create the demo tenant, users and menu first, and print the logins.")
@click.option("--allow-dev-keys-on-network", is_flag=True,
              help="Listen on a non-loopback address even with development keys "
                   "(as POS_ALLOW_DEV_KEYS_ON_NETWORK=true).")
@pass_state
def serve(state: CliState, host: str, port: int, workers: int, demo: bool,
          allow_dev_keys_on_network: bool) -> None:
    """Serve the API with the chosen plugins."""
    import os

    import uvicorn

    from posmodern.hosts.app import create_app
    from posmodern.hosts.logs import configure_logging

    settings = state.settings
    if workers > 1 and settings.broker_url.startswith("memory:"):
        raise click.UsageError("--workers needs a broker the processes share (BROKER_URL="
                               "amqp://…): the memory:// bus lives inside one process")
    if settings.development_keys and not _loopback(host) and not (
            allow_dev_keys_on_network or settings.allow_dev_keys_on_network):
        raise click.UsageError(
            f"refusing to listen on {host} with development keys: set POS_SECRET_KEY and "
            "POS_DATA_KEY (or their _FILE), or allow it for a LAN demo with "
            "--allow-dev-keys-on-network (POS_ALLOW_DEV_KEYS_ON_NETWORK=true)")
    if demo:
        from posmodern.cli.demo import create_demo
        run(create_demo(settings, state.pm))
    configure_logging(settings.log_level, settings.log_format)
    click.echo(f"POS Modern on http://{host}:{port}  (plugins: {', '.join(sorted(state.pm.infos))};"
               f" database: {settings.database_url.split(':', 1)[0]}; bus: "
               f"{settings.broker_url.split(':', 1)[0]}; workers: {workers})", err=True)
    options = dict(host=host, port=port, log_config=None, access_log=False,
                   timeout_graceful_shutdown=10)
    if workers == 1:
        uvicorn.run(create_app(settings, pm=state.pm), **options)
        return
    # Each worker process builds its own app from the environment (uvicorn imports the factory
    # there); the plugins chosen on the command line go with it.
    if state.plugin_names is not None:
        os.environ["POS_PLUGINS"] = ",".join(state.plugin_names)
    uvicorn.run("posmodern.hosts.app:app_from_env", factory=True, workers=workers, **options)


def _loopback(host: str) -> bool:
    """Whether ``host`` is reachable from this machine only."""
    import ipaddress

    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name: it may resolve to any address


@cli.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_state
def plugins_command(state: CliState, as_json: bool) -> None:
    """List the loaded plugins, where they come from and the hooks they implement."""
    pm = state.pm
    rows = []
    for name, info in sorted(pm.infos.items()):
        rows.append({"name": name, "module": info.module, "distribution": info.distribution,
                     "version": info.version, "hooks": pm.hooks_of(name)})
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        origin = f"{row['distribution']} {row['version']}" if row["distribution"] else "unregistered"
        click.echo(f"{row['name']:<14} {row['module']}  ({origin})")
        click.echo(f"{'':<14} hooks: {', '.join(row['hooks']) or '-'}")


@cli.command("config")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--markdown", is_flag=True,
              help="Print the reference of every declared setting (docs/configuration.md).")
@pass_state
def config_command(state: CliState, as_json: bool, markdown: bool) -> None:
    """The effective settings of the core and the loaded plugins, secrets masked."""
    if markdown:
        click.echo(settings_markdown(state.pm), nl=False)
        return
    rows = effective_settings(state.pm, state.settings)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    plugin = None
    for row in rows:
        if row["plugin"] != plugin:
            plugin = row["plugin"]
            click.echo(f"{plugin}:")
        value = row["value"]
        shown = "-" if value is None else ",".join(value) if isinstance(value, list) else value
        scope = ", every store's unless overridden" if row["scope"] == "store" else ""
        click.echo(f"  {row['name']:<36} {shown}  ({row['source']}{scope})")


@cli.group()
def db() -> None:
    """Schema migrations."""


def _branches(state: CliState) -> list[MigrationBranch]:
    """The migration branches of the loaded plugins."""
    try:
        return migration_branches(state.pm)
    except PluginError as exc:
        raise click.ClickException(str(exc)) from None


@db.command("upgrade")
@click.option("--jobs", default=4, show_default=True, type=click.IntRange(1, 16),
              help="Tenants migrated at the same time.")
@pass_state
def db_upgrade(state: CliState, jobs: int) -> None:
    """Migrate the control tables and every tenant to the newest schema.

    Every tenant gets the built-in tables and those of the loaded plugins that have their own.
    Tenants are migrated in parallel, each in its own transaction, one line each as it is done;
    those at the newest schema already are skipped, so an interrupted run is resumed by running
    it again. A tenant that fails does not stop the others; they are named at the end and the
    command exits with status 1.
    """
    branches = _branches(state)

    def report(outcome: tenancy.TenantUpgrade, done: int, total: int) -> None:
        width = len(str(total))
        what = {"current": "at head", "migrated": f"migrated from {outcome.before or 'nothing'}",
                "failed": f"FAILED: {outcome.error}"}[outcome.outcome]
        click.echo(f"[{done:>{width}}/{total}] {outcome.client_id:<20} {what} "
                   f"({outcome.seconds:.2f} s)")

    outcomes = _with_db(state, lambda d: tenancy.upgrade_tenants(d, branches, concurrency=jobs,
                                                                 progress=report))
    count = {kind: [o.client_id for o in outcomes if o.outcome == kind]
             for kind in ("migrated", "current", "failed")}
    click.echo(f"migrated {len(count['migrated'])} tenant(s), {len(count['current'])} at head "
               f"already, {len(count['failed'])} failed")
    if branches:
        click.echo(f"with the tables of: {', '.join(b.name for b in branches)}")
    if count["failed"]:
        raise click.ClickException(f"not migrated: {', '.join(count['failed'])}")


def _describe(revisions: tuple[BranchRevision, ...]) -> str:
    """One tenant's revisions: the built-in one, then ``branch: revision`` per plugin."""
    main, *others = revisions
    parts = [main.revision or "none"]
    for other in others:
        if other.branch is None:
            parts.append(f"{other.revision} (of a plugin not loaded: not migrated)")
        else:
            parts.append(f"{other.branch}: {other.revision or 'none'}")
    return "; ".join(parts)


@db.command("current")
@pass_state
def db_current(state: CliState) -> None:
    """Show the schema revision of every tenant, and of each plugin's own tables."""
    branches = _branches(state)
    heads = migrate.branch_heads(branches)
    click.echo("head: " + "; ".join([heads[MAIN_BRANCH], *(f"{b.name}: {heads[b.name]}"
                                                            for b in branches)]))
    for tenant in _with_db(state, lambda d: tenancy.list_tenants(d, with_revision=True,
                                                                  branches=branches)):
        click.echo(f"{tenant.client_id:<20} {_describe(tenant.branches)}")


@cli.group()
def tenant() -> None:
    """Tenants (clients): each has its own schema (PostgreSQL) or file (SQLite)."""


def _with_db(state: CliState, fn):
    async def go():
        database = Database(state.settings.database_url)
        try:
            return await fn(database)
        finally:
            await database.dispose()
    return run(go())


@tenant.command("create")
@click.argument("client_id")
@click.option("--name", help="Display name (default: the client id).")
@pass_state
def tenant_create(state: CliState, client_id: str, name: str | None) -> None:
    """Create and migrate a tenant."""
    branches = _branches(state)
    try:
        created = _with_db(state, lambda d: tenancy.create_tenant(d, client_id, name,
                                                                  branches=branches))
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="CLIENT_ID") from None
    click.echo(f"created tenant {created.client_id} (schema {created.schema_name})")


@tenant.command("list")
@pass_state
def tenant_list(state: CliState) -> None:
    """List tenants."""
    for t in _with_db(state, lambda d: tenancy.list_tenants(d, with_revision=True)):
        click.echo(f"{t.client_id:<20} {t.name:<30} {t.status:<8} revision {t.revision or 'none'}")


@tenant.command("drop")
@click.argument("client_id")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_state
def tenant_drop(state: CliState, client_id: str, yes: bool) -> None:
    """Delete a tenant and ALL its data."""
    if not yes:
        click.confirm(f"Delete tenant {client_id} and all its data?", abort=True)
    async def drop(db: Database) -> None:
        await tenancy.drop_tenant(db, client_id)
        cache = create_cache(state.settings.redis_url)
        try:
            await revocation.tenant_changed(db, cache, client_id)
        finally:
            await cache.close()
    _with_db(state, drop)
    click.echo(f"dropped tenant {client_id}")


@cli.group()
def users() -> None:
    """Users of a tenant."""


@users.command("create")
@click.option("--client", "client_id", required=True, help="Tenant (client id).")
@click.option("--store", "store_id", required=True, help="Store the user works in.")
@click.option("--username", required=True)
@click.option("--password", required=True, prompt=True, hide_input=True,
              confirmation_prompt=True)
@click.option("--role", "roles", required=True, multiple=True, type=click.Choice(ROLES),
              help="Repeat for several roles.")
@click.option("--full-name")
@pass_state
def users_create(state: CliState, client_id: str, store_id: str, username: str, password: str,
                 roles: tuple[str, ...], full_name: str | None) -> None:
    """Add a user to a tenant."""
    async def create(db: Database) -> dict:
        made = await security.create_user(db, client_id=client_id, store_id=store_id,
                                          username=username, password=password, roles=roles,
                                          full_name=full_name)
        await audit.record_cli(db, client_id, "user.created", resource_type="user",
                               resource_id=made["user_id"],
                               details={"username": made["username"], "roles": made["roles"]})
        return made
    try:
        user = _with_db(state, create)
    except PosError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"created user {user['username']} ({', '.join(user['roles'])}) in "
               f"{client_id}/{store_id}")


def _change_user(state: CliState, client_id: str, username: str, action: str, change):
    """Run ``change(db, user) -> user`` on a user, revoke their tokens and audit it."""
    async def go(db: Database):
        user = await security.find_user(db, client_id, username)
        after = await change(db, user)
        cache = create_cache(state.settings.redis_url)
        try:
            await revocation.user_changed(db, cache, client_id, user["user_id"])
        finally:
            await cache.close()
        changes = {key: {"from": user[key], "to": after[key]} for key in ("roles", "active")
                   if user[key] != after[key]}
        await audit.record_cli(db, client_id, action, resource_type="user",
                               resource_id=user["user_id"],
                               details={"username": user["username"], "changes": changes})
        return after
    try:
        return _with_db(state, go)
    except PosError as exc:
        raise click.ClickException(exc.message) from None


def _activation(name: str, active: bool, help_text: str) -> click.Command:
    @users.command(name, help=help_text)
    @click.option("--client", "client_id", required=True, help="Tenant (client id).")
    @click.option("--username", required=True)
    @pass_state
    def command(state: CliState, client_id: str, username: str) -> None:
        user = _change_user(state, client_id, username, "user.updated", lambda db, u: (
            security.update_user(db, client_id, u["user_id"], active=active)))
        click.echo(f"{name}d user {user['username']} in {client_id}")
    return command


users_deactivate = _activation("deactivate", False,
                               "Stop a user signing in; their tokens are refused at once.")
users_activate = _activation("activate", True, "Let a deactivated user sign in again.")


@users.command("roles")
@click.option("--client", "client_id", required=True, help="Tenant (client id).")
@click.option("--username", required=True)
@click.option("--role", "roles", required=True, multiple=True, type=click.Choice(ROLES),
              help="The user's roles from now on; repeat for several.")
@pass_state
def users_roles(state: CliState, client_id: str, username: str, roles: tuple[str, ...]) -> None:
    """Replace a user's roles; their tokens are refused at once."""
    user = _change_user(state, client_id, username, "user.updated", lambda db, u: (
        security.update_user(db, client_id, u["user_id"], roles=roles)))
    click.echo(f"user {user['username']} in {client_id} now has roles {', '.join(user['roles'])}")


@users.command("password")
@click.option("--client", "client_id", required=True, help="Tenant (client id).")
@click.option("--username", required=True)
@click.option("--password", required=True, prompt=True, hide_input=True,
              confirmation_prompt=True)
@pass_state
def users_password(state: CliState, client_id: str, username: str, password: str) -> None:
    """Reset a user's password (and reactivate them); their tokens are refused at once."""
    user = _change_user(state, client_id, username, "user.password_reset", lambda db, u: (
        security.set_password(db, client_id, u["username"], password)))
    click.echo(f"password of {user['username']} in {client_id} reset")


@cli.group("audit")
def audit_group() -> None:
    """The audit log."""


@audit_group.command("verify")
@click.option("--client", "client_id", help="One tenant (default: every tenant).")
@pass_state
def audit_verify(state: CliState, client_id: str | None) -> None:
    """Check each tenant's audit chain; report the first broken link (exit 1 if any)."""
    async def go(db: Database) -> list[tuple[str, int, dict | None]]:
        clients = [client_id] if client_id else [t.client_id for t in
                                                 await tenancy.list_tenants(db)]
        return [(client, *await audit.verify(db, client)) for client in clients]
    try:
        results = _with_db(state, go)
    except PosError as exc:
        raise click.ClickException(exc.message) from None
    broken = False
    for client, checked, problem in results:
        if problem is None:
            click.echo(f"{client}: {checked} row(s), chain intact")
        else:
            broken = True
            click.echo(f"{client}: BROKEN at row {problem['seq']} (audit id "
                       f"{problem['audit_id']}): {problem['problem']}; {checked} row(s) "
                       f"before it are intact")
    if broken:
        raise SystemExit(1)


@cli.command()
@pass_state
def demo(state: CliState) -> None:
    """Create (or refresh) the demo tenant, its users and menu, and print the logins."""
    from posmodern.cli.demo import create_demo
    run(create_demo(state.settings, state.pm))


# The data operations (backup, restore, import, LGPD) live in their own module.
from posmodern.cli import data  # noqa: E402,F401 - registers its commands
