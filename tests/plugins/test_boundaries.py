"""Plugin boundaries: each plugin writes only the tenant tables it owns and reads only those it
declared (``pos_table_access``); the core touches only its own plumbing tables.

The check reads the source: a table passed to ``insert``/``update``/``delete``/``upsert`` (or a
helper named so) or locked by ``with_for_update`` is written; any other use is a read.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import posmodern.plugins
from posmodern.core.asyncio_hooks import collect_sync
from posmodern.core.ownership import CORE, CORE_TABLES, table_owners
from posmodern.core.plugins import available_plugins, get_plugin_manager
from posmodern.schema.tables import metadata

ROOT = Path(posmodern.plugins.__file__).resolve().parent.parent
TENANT_TABLES = set(metadata.tables)
#: Tables of plugins not written yet: they get their owner with their plugin.
RESERVED: dict[str, str] = {}
WRITING = ("insert", "update", "delete", "upsert")


def table_uses(source: str) -> tuple[set[str], set[str]]:
    """(written, read) tenant tables of one module's source."""
    tree = ast.parse(source)
    local: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "posmodern.schema.tables":
            for alias in node.names:
                if alias.name in TENANT_TABLES:
                    local[alias.asname or alias.name] = alias.name
    written: set[str] = set()
    writes_at: set[int] = set()

    def names_in(node: ast.AST) -> list[ast.Name]:
        return [n for n in ast.walk(node) if isinstance(n, ast.Name) and n.id in local]

    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name == "with_for_update" and isinstance(func, ast.Attribute):
            locked = names_in(func.value)
        elif any(word in name.lower() for word in WRITING):
            locked = [arg for arg in node.args if isinstance(arg, ast.Name) and arg.id in local]
        else:
            continue
        for found in locked:
            written.add(local[found.id])
            writes_at.add(id(found))
    read = {local[n.id] for n in names_in(tree) if id(n) not in writes_at}
    return written, read


def package_uses(folder: Path) -> dict[str, tuple[set[str], set[str]]]:
    return {str(path.relative_to(ROOT)): table_uses(path.read_text())
            for path in sorted(folder.rglob("*.py"))}


def builtin_plugins() -> list[str]:
    return sorted(name for name, ep in available_plugins().items()
                  if ep.value.startswith("posmodern.plugins."))


def declarations() -> dict[str, object]:
    pm = get_plugin_manager(builtin_plugins())
    return {access.name: access for access in collect_sync(pm.hook.pos_table_access)}


def test_the_check_sees_a_write_a_lock_and_a_read():
    written, read = table_uses(
        "from posmodern.schema.tables import orders, tables, products as p\n"
        "async def f(conn):\n"
        "    await conn.execute(update(orders).values(payment_status='PAID'))\n"
        "    await conn.execute(select(tables).with_for_update())\n"
        "    await insert_one(conn, p, {})\n"
        "    await conn.execute(select(orders.c.total))\n")
    assert written == {"orders", "tables", "products"} and read == {"orders"}


@pytest.mark.parametrize("plugin", builtin_plugins())
def test_a_plugin_writes_only_what_it_owns_and_reads_what_it_declared(plugin):
    access = declarations().get(plugin)
    owns = set(access.owns) if access else set()
    reads = set(access.reads) if access else set()
    folder = ROOT / "plugins" / plugin
    problems = []
    for module, (written, read) in package_uses(folder).items():
        for table in sorted(written - owns):
            problems.append(f"{module} writes {table!r}, which {plugin!r} does not own")
        for table in sorted(read - owns - reads):
            problems.append(f"{module} reads {table!r} without declaring it")
    assert not problems, "\n".join(problems)
    assert not (reads & owns), "a plugin declares reads of its own tables"


def branch_tables() -> set[str]:
    """The tables built-in plugins build with their own migration branch (the sat plugin's)."""
    pm = get_plugin_manager(builtin_plugins())
    return {name for branch in collect_sync(pm.hook.pos_migrations)
            if branch.metadata is not None for name in branch.metadata.tables}


def test_every_tenant_table_has_one_owner():
    owners = table_owners(declarations().values())
    unowned = TENANT_TABLES - set(owners) - set(RESERVED)
    assert not unowned, f"tables nobody owns: {sorted(unowned)}"
    assert not (set(owners) - TENANT_TABLES - branch_tables()), "a declared table does not exist"
    declared_reads = {t for a in declarations().values() for t in a.reads}
    assert declared_reads <= set(owners), "a plugin reads a table nobody owns"


def test_the_core_host_and_cli_touch_only_the_core_tables():
    problems = []
    for folder in ("core", "hosts", "cli"):
        for module, (written, read) in package_uses(ROOT / folder).items():
            for table in sorted((written | read) - set(CORE_TABLES)):
                problems.append(f"{module} uses {table!r}, a plugin's table")
    assert not problems, "\n".join(problems)
    assert CORE not in declarations()
