"""``pos demo``: a tenant to try POS Modern with, its users and (through plugins) a menu."""

from __future__ import annotations

import click
from sqlalchemy import select

from posmodern.core import security, tenancy
from posmodern.core.asyncio_hooks import call_hook
from posmodern.core.config import Settings
from posmodern.core.db import Database
from posmodern.core.migrations import migration_branches
from posmodern.core.plugins import PosPluginManager
from posmodern.schema.tables import users

DEMO_CLIENT = "demo"
DEMO_STORE = "store-1"
DEMO_USERS = [
    ("admin", "admin-demo-123", ["admin"]),
    ("manager", "manager-demo-123", ["manager"]),
    ("cashier", "cashier-demo-123", ["cashier"]),
    ("waiter", "waiter-demo-123", ["waiter"]),
    ("kitchen", "kitchen-demo-123", ["kitchen"]),
    ("kiosk", "kiosk-demo-123", ["kiosk"]),
]


async def create_demo(settings: Settings, pm: PosPluginManager) -> None:
    """Create what is missing of the demo tenant and print how to log in."""
    if settings.is_production:
        raise click.ClickException("refusing to create demo users in production")
    db = Database(settings.database_url)
    try:
        branches = migration_branches(pm)
        await tenancy.upgrade_all(db, branches)
        if not await db.tenant_exists(DEMO_CLIENT):
            await tenancy.create_tenant(db, DEMO_CLIENT, "Demo Restaurant", branches=branches)
        async with db.transaction(DEMO_CLIENT) as conn:
            existing = set(await conn.scalars(select(users.c.username)))
        for username, password, roles in DEMO_USERS:
            if username in existing:
                # Known passwords, so the printed logins always work.
                await security.set_password(db, DEMO_CLIENT, username, password)
            else:
                await security.create_user(db, client_id=DEMO_CLIENT, store_id=DEMO_STORE,
                                           username=username, password=password, roles=roles)
        async with db.transaction(DEMO_CLIENT) as conn:
            await call_hook(pm.hook.pos_demo_data, conn=conn, client_id=DEMO_CLIENT,
                            store_id=DEMO_STORE)
    finally:
        await db.dispose()
    click.echo(f"Demo tenant (client_id) '{DEMO_CLIENT}', store '{DEMO_STORE}'. Logins:")
    for username, password, roles in DEMO_USERS:
        click.echo(f"  {username:<8} password {password:<18} roles {', '.join(roles)}")
    click.echo('Get a token: POST /api/v1/auth/token '
               f'{{"client_id": "{DEMO_CLIENT}", "username": "admin", "password": "admin-demo-123"}}')
