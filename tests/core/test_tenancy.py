"""Upgrading many tenants: in parallel, resumable, each reported, a failure stopping no other —
on SQLite and PostgreSQL."""

import asyncio
import uuid

from sqlalchemy import insert

from posmodern.core import tenancy
from posmodern.core.db import Database, schema_name
from posmodern.schema import migrate, tables


async def _back_to_0001(db: Database, client: str, *, twins: bool = False) -> None:
    """The tenant as it was before migration 0002; ``twins``: with two customers of a store
    sharing a document, which 0002 refuses."""
    async with db.tenant_engine(client).begin() as conn:
        await migrate.downgrade_tenant(conn, None if db.is_sqlite else schema_name(client), (),
                                       "0001")
    if twins:
        async with db.transaction(client) as conn:
            for _ in range(2):
                await conn.execute(insert(tables.customers).values(
                    customer_id=uuid.uuid4(), client_id=client, store_id="s1", name="Ana",
                    document_type="CPF", document_number="sealed", document_hash="a" * 64))


async def test_upgrading_every_tenant_reports_each_and_a_failure_stops_no_other(database_url):
    db = Database(database_url)
    failing, behind, current = clients = [f"u{uuid.uuid4().hex[:10]}" for _ in range(3)]
    try:
        for client in clients:
            await tenancy.create_tenant(db, client)
        await _back_to_0001(db, failing, twins=True)
        await _back_to_0001(db, behind)
        seen = []
        outcomes = {o.client_id: o for o in await tenancy.upgrade_tenants(
            db, concurrency=2, progress=lambda outcome, done, total: seen.append(
                (outcome.client_id, done, total)))}
        assert outcomes[failing].outcome == "failed"
        assert "share one CPF/CNPJ" in outcomes[failing].error
        assert (outcomes[behind].outcome, outcomes[behind].before) == ("migrated", "0001")
        assert outcomes[current].outcome == "current"
        total = len(outcomes)
        assert sorted(done for _, done, _ in seen) == list(range(1, total + 1))
        assert {client for client, _, _ in seen} >= set(clients)

        # Run again (as after an interruption): what is done is skipped, what failed fails.
        again = {o.client_id: o.outcome for o in await tenancy.upgrade_tenants(db, concurrency=2)}
        assert (again[failing], again[behind], again[current]) == ("failed", "current",
                                                                    "current")
        revisions = {t.client_id: t.revision
                     for t in await tenancy.list_tenants(db, with_revision=True)}
        assert revisions[behind] == revisions[current] == migrate.head()
        assert revisions[failing] == "0001"
    finally:
        for client in clients:
            await tenancy.drop_tenant(db, client)
        await db.dispose()


async def test_a_background_task_learns_which_tenants_have_rows_without_visiting_each(
        database_url):
    db = Database(database_url)
    with_printer, without = clients = [f"w{uuid.uuid4().hex[:10]}" for _ in range(2)]
    try:
        for client in clients:
            await tenancy.create_tenant(db, client)
        async with db.transaction(with_printer) as conn:
            await conn.execute(insert(tables.printers).values(
                printer_id=uuid.uuid4(), client_id=with_printer, store_id="s1", name="Caixa",
                driver="network", connection={"host": "127.0.0.1"}, role="receipt"))
        if db.is_sqlite:  # a few tenants: every active one
            assert set(clients) <= set(await tenancy.tenants_with_rows(db, "printers"))
            return
        found: list[str] = []
        for _ in range(150):  # the statistics of the writer's backend are flushed within ~10 s
            found = await tenancy.tenants_with_rows(db, "printers")
            if with_printer in found:
                break
            await asyncio.sleep(0.1)
        assert with_printer in found and without not in found
    finally:
        for client in clients:
            await tenancy.drop_tenant(db, client)
        await db.dispose()
