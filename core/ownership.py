"""Who owns which tenant table, and what each plugin reads of the others'.

A plugin writes only the tables it owns; it may read another plugin's table only when it declares
that read (``TableAccess.reads``). Changes another plugin needs go through a hook the owner
implements or an event the owner handles. Plugins declare their access through
``pos_table_access``; the core's own plumbing tables are listed here. ``tests/test_boundaries.py``
checks the source of every built-in plugin against the declarations.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from posmodern.core.errors import PluginError

#: Tables the core itself writes (through its own functions: publish, audit, counters, users,
#: per-store settings).
CORE_TABLES = ("outbox", "processed_events", "idempotency_keys", "audit_log", "counters", "users",
               "configurations")
CORE = "core"


@dataclass(frozen=True)
class TableAccess:
    """One plugin's tables: those it owns (and alone writes) and those of others it reads."""

    name: str
    owns: tuple[str, ...] = ()
    reads: tuple[str, ...] = ()


def table_owners(declarations: Iterable[TableAccess]) -> dict[str, str]:
    """Map each declared table to its owner; a table claimed twice is a :class:`PluginError`."""
    owners = {table: CORE for table in CORE_TABLES}
    for access in declarations:
        for table in access.owns:
            if table in owners:
                raise PluginError(f"table {table!r} is claimed by both {owners[table]!r} and "
                                  f"{access.name!r}: a table has one owner")
            owners[table] = access.name
    return owners
