"""Storage: tenants, isolation, migrations — each test on SQLite and on PostgreSQL."""

import subprocess
import sys
import uuid
from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import insert, select, update

from posmodern.core import tenancy
from posmodern.core.db import Database, schema_name
from posmodern.core.errors import Conflict, NotFound, ServiceUnavailable
from posmodern.schema import migrate, tables
from posmodern.schema.migrations import include_name
from posmodern.schema.tables import categories, products
from posmodern.schema.types import utcnow
from support import services


@pytest.fixture
async def db(database_url):
    database = Database(database_url, pool_size=1, max_overflow=0)
    yield database
    await database.dispose()


def _client() -> str:
    return f"t{uuid.uuid4().hex[:10]}"


async def _add_product(db, client_id, name="X-Burger", price="29.90"):
    async with db.transaction(client_id) as conn:
        await conn.execute(insert(products).values(
            product_id=uuid.uuid4(), client_id=client_id, store_id="s1", name=name,
            price=Decimal(price)))


async def _product_names(db, client_id):
    async with db.transaction(client_id) as conn:
        return sorted(await conn.scalars(select(products.c.name)))


async def test_tenant_data_is_invisible_to_another_tenant(db):
    a, b = _client(), _client()
    await tenancy.create_tenant(db, a)
    await tenancy.create_tenant(db, b)
    await _add_product(db, a, "Only in A")
    # One pooled connection serves both tenants in turn: the schema choice must not stick to it.
    assert await _product_names(db, a) == ["Only in A"]
    assert await _product_names(db, b) == []
    await _add_product(db, b, "Only in B")
    assert await _product_names(db, a) == ["Only in A"]
    assert await _product_names(db, b) == ["Only in B"]


async def test_an_unmigrated_database_says_so(backend, tmp_path):
    url = (f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}" if backend == "sqlite"
           else services.create_database())
    fresh = Database(url)
    try:
        with pytest.raises(ServiceUnavailable, match="pos db upgrade"):
            async with fresh.transaction("nobody"):
                pass
    finally:
        await fresh.dispose()
        if backend == "postgresql":
            services.drop_database(url)


async def test_unknown_tenant_and_duplicate_tenant(db):
    await tenancy.upgrade_control(db)
    with pytest.raises(NotFound):
        async with db.transaction("nobody"):
            pass
    client = _client()
    await tenancy.create_tenant(db, client)
    with pytest.raises(Conflict):
        await tenancy.create_tenant(db, client)
    with pytest.raises(ValueError, match="invalid client id"):
        await tenancy.create_tenant(db, "Bad Name; DROP")


async def test_rollback_writes_nothing(db):
    client = _client()
    await tenancy.create_tenant(db, client)
    with pytest.raises(RuntimeError):
        async with db.transaction(client) as conn:
            await conn.execute(insert(products).values(
                product_id=uuid.uuid4(), client_id=client, store_id="s1", name="Ghost",
                price=Decimal("1")))
            raise RuntimeError("boom")
    assert await _product_names(db, client) == []


async def test_money_and_time_round_trip(db):
    client = _client()
    await tenancy.create_tenant(db, client)
    await _add_product(db, client, price="12345678.91")
    async with db.transaction(client) as conn:
        row = (await conn.execute(select(products))).one()
    assert row.price == Decimal("12345678.91")
    assert row.created_at.tzinfo is not None and row.created_at.utcoffset().total_seconds() == 0


async def test_foreign_keys_are_enforced(db):
    from sqlalchemy.exc import IntegrityError

    client = _client()
    await tenancy.create_tenant(db, client)
    with pytest.raises(IntegrityError):
        async with db.transaction(client) as conn:
            await conn.execute(insert(products).values(
                product_id=uuid.uuid4(), client_id=client, store_id="s1", name="Orphan",
                price=Decimal("1"), category_id=uuid.uuid4()))


async def test_upgrade_all_migrates_every_tenant_and_migrations_match_the_tables(db):
    clients = [_client(), _client()]
    for client in clients:
        await tenancy.create_tenant(db, client)
    migrated = await tenancy.upgrade_all(db)
    assert set(clients) <= set(migrated)
    listed = {t.client_id: t for t in await tenancy.list_tenants(db, with_revision=True)}
    assert all(listed[c].revision == migrate.head() for c in clients)

    def diff(sync_conn):
        opts = {"version_table_schema": schema_name(clients[0]), "compare_type": False,
                "include_name": include_name}
        if sync_conn.dialect.name == "postgresql":
            sync_conn.exec_driver_sql(f"SET search_path TO {schema_name(clients[0])}")
        context = MigrationContext.configure(sync_conn, opts=opts)
        changes = compare_metadata(context, tables.metadata)
        if sync_conn.dialect.name == "postgresql":
            sync_conn.exec_driver_sql("SET search_path TO public")
        return changes

    async with db.tenant_engine(clients[0]).connect() as conn:
        assert await conn.run_sync(diff) == []


async def test_updated_at_moves_on_update(db):
    client = _client()
    await tenancy.create_tenant(db, client)
    category_id = uuid.uuid4()
    async with db.transaction(client) as conn:
        await conn.execute(insert(categories).values(category_id=category_id, client_id=client,
                                                     store_id="s1", name="Burgers"))
    async with db.transaction(client) as conn:
        before = await conn.scalar(select(categories.c.updated_at))
    async with db.transaction(client) as conn:
        # A raw UPDATE without updated_at: on PostgreSQL the seed's trigger sets it.
        await conn.execute(update(categories).values(name="Lanches"))
    async with db.transaction(client) as conn:
        after = await conn.scalar(select(categories.c.updated_at))
    assert after > before


async def test_drop_tenant_removes_its_data(db):
    client = _client()
    await tenancy.create_tenant(db, client)
    await _add_product(db, client)
    await tenancy.drop_tenant(db, client)
    assert client not in {t.client_id for t in await tenancy.list_tenants(db)}
    with pytest.raises(NotFound):
        async with db.transaction(client):
            pass
    # The name can be used again, empty.
    await tenancy.create_tenant(db, client)
    assert await _product_names(db, client) == []


async def test_write_is_execute_in_the_callers_transaction(db):
    """core.db.write (the drivers' fast path on PostgreSQL) writes what execute would, to the
    caller's tenant, with column defaults, and only if the transaction commits."""
    from posmodern.core.writes import insert_ignore, write
    from posmodern.schema.tables import counters, outbox

    a, b = _client(), _client()
    await tenancy.create_tenant(db, a)
    await tenancy.create_tenant(db, b)
    # Marked sent: this row is no event for the relays of other tests sharing the database.
    event = {"event_id": uuid.uuid4(), "event_type": "test.written",
             "payload": {"total": Decimal("29.90"), "id": uuid.uuid4()},
             "published_at": utcnow()}
    async with db.transaction(a) as conn:
        await conn.execute(select(1))  # begun: from here writes go straight to the driver
        await write(conn, insert(outbox), event)
        await write(conn, insert(counters), [{"store_id": "s1", "name": n, "value": 1}
                                             for n in ("order", "fiscal")])
        changed = await write(conn, update(counters).where(counters.c.name == "order")
                              .values(value=counters.c.value + 41), {})
        assert changed == 1
        assert await insert_ignore(conn, counters, store_id="s1", name="order", value=7) is False
    with pytest.raises(RuntimeError):
        async with db.transaction(a) as conn:
            await conn.execute(select(1))
            await write(conn, insert(counters), {"store_id": "s1", "name": "lost", "value": 1})
            raise RuntimeError("the order failed")
    async with db.transaction(a) as conn:
        (row,) = (await conn.execute(select(outbox))).all()
        values = dict((await conn.execute(select(counters.c.name, counters.c.value))).all())
    assert row.attempts == 0 and row.created_at is not None
    assert row.payload == {"total": "29.90", "id": str(event["payload"]["id"])}
    assert values == {"order": 42, "fiscal": 1}
    async with db.transaction(b) as conn:
        assert (await conn.execute(select(outbox))).all() == []


async def test_write_in_a_transaction_begun_by_sqlalchemy_commits_and_rolls_back_with_it(db):
    """A transaction begun with SQLAlchemy's ``begin()`` (control and migration work) opens
    lazily: a write as its first statement is still part of it, on both databases."""
    from posmodern.core.writes import write
    from posmodern.schema.tables import counters

    client = _client()
    await tenancy.create_tenant(db, client)

    async def through_sqlalchemy_begin(names, fail=False):
        async with db.tenant_engine(client).connect() as conn:
            await conn.execution_options(**db.tenant_options(client))
            async with conn.begin():
                for name in names:
                    await write(conn, insert(counters), {"store_id": "s1", "name": name,
                                                         "value": 1})
                if fail:
                    raise RuntimeError("the import failed")

    with pytest.raises(RuntimeError):
        await through_sqlalchemy_begin(["lost", "lost too"], fail=True)
    await through_sqlalchemy_begin(["kept", "kept too"])
    async with db.transaction(client) as conn:
        names = sorted(await conn.scalars(select(counters.c.name)))
    assert names == ["kept", "kept too"]


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_second_database_in_the_process_keeps_the_first_ones_sqlite_locks(db):
    """Two Database objects of one process on one tenant file (the app and a CLI command run in
    it, or a test looking inside): the second one opening and closing the file must not drop
    the first one's locks. Without them another process closing its last connection takes the
    file as unused, checkpoints and deletes the WAL under the first one's readers, and the file
    reads as 'database disk image is malformed'."""
    client = _client()
    await tenancy.create_tenant(db, client)
    await _add_product(db, client, "Kept")  # the first one's pooled connection stays open
    second = Database(str(db.url))
    await _add_product(second, client, "Also kept")
    await second.dispose()
    wal = db.tenant_file(client).with_name(db.tenant_file(client).name + "-wal")
    other = subprocess.run(
        [sys.executable, "-c", "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
         "c.execute('PRAGMA journal_mode=WAL'); c.execute('SELECT count(*) FROM products'); "
         "c.close()", str(db.tenant_file(client))], capture_output=True, text=True, timeout=60)
    assert other.returncode == 0, other.stderr
    # The other process knew it was not the last one: the WAL this process reads is still there.
    assert wal.exists()
    assert await _product_names(db, client) == ["Also kept", "Kept"]
