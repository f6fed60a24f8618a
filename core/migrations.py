"""Plugins' own tables: each plugin that has some ships an Alembic branch of its own.

The built-in tenant migrations (``schema/migrations/tenant``) are the main branch. A plugin adds
a :class:`MigrationBranch` through ``pos_migrations``: a folder of Alembic revisions whose first
one carries the plugin's ``branch_labels`` (and ``depends_on`` the core revision its tables refer
to). Every branch shares each tenant's ``alembic_version`` table, and ``pos db upgrade`` brings
each tenant to the heads of the main branch and of the loaded plugins' branches.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from alembic.util import CommandError

from posmodern.core.asyncio_hooks import collect_sync
from posmodern.core.errors import PluginError
from posmodern.schema.migrate import MAIN_BRANCH, tenant_scripts

if TYPE_CHECKING:
    from sqlalchemy import MetaData

    from posmodern.core.plugins import PosPluginManager


@dataclass(frozen=True)
class MigrationBranch:
    """A plugin's Alembic branch: its label, its folder of revisions, and its tables.

    ``name`` is the branch label every revision in ``versions`` carries (Alembic gives the first
    revision's ``branch_labels`` to those after it), so ``loyalty@head`` names the branch.
    ``metadata`` holds the plugin's tenant tables, for comparing them with what the migrations
    build (``alembic.autogenerate``); it is optional.
    """

    name: str
    versions: Path
    metadata: MetaData | None = None


def migration_branches(pm: PosPluginManager) -> list[MigrationBranch]:
    """The migration branches of the loaded plugins, by name.

    Raises :class:`PluginError` for two branches with one name, a missing folder, or revisions
    that do not fit (not labelled with their branch, a ``depends_on`` that does not exist).
    """
    found: dict[str, MigrationBranch] = {}
    for branch in collect_sync(pm.hook.pos_migrations):
        if branch.name == MAIN_BRANCH or branch.name in found:
            taken = "names the built-in migrations" if branch.name == MAIN_BRANCH else "is taken"
            raise PluginError(f"migration branch name {branch.name!r} {taken}")
        if not Path(branch.versions).is_dir():
            raise PluginError(f"migration branch {branch.name!r}: no folder {branch.versions}")
        found[branch.name] = branch
    branches = [found[name] for name in sorted(found)]
    try:
        tenant_scripts(branches)
    except KeyError as exc:  # Alembic's word for a depends_on no revision answers
        raise PluginError(f"migration branches {', '.join(found)}: a revision depends on "
                          f"{exc}, which no branch has") from exc
    except (CommandError, ValueError) as exc:
        raise PluginError(f"migration branches {', '.join(found)}: {exc}") from exc
    return branches


__all__ = ["MAIN_BRANCH", "MigrationBranch", "migration_branches"]
