"""``pos fiscal reconcile``: one pass of the sender over every tenant, from a terminal or a
scheduler (the server's sender does the same every POS_FISCAL_POLL_SECONDS): contingency notes
sent, unanswered ones consulted, refused numbers voided."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import click


@click.group("fiscal")
def fiscal() -> None:
    """NFC-e: reconcile the notes with SEFAZ."""


@fiscal.command("reconcile")
@click.pass_obj
def reconcile(state) -> None:
    """Send, consult and void what is due, once, for every tenant."""
    from posmodern.core.db import Database
    from posmodern.plugins.fiscal.sender import Sender

    async def go() -> None:
        db = Database(state.settings.database_url)
        try:
            await Sender(SimpleNamespace(settings=state.settings, db=db, state={})).run_once()
        finally:
            await db.dispose()
    state.pm  # noqa: B018 - checks the settings before anything is sent
    asyncio.run(go())
    click.echo("fiscal: reconciled")
