"""Plugins' migration branches: collected from the loaded plugins, refused when they cannot fit."""

from pathlib import Path

import pytest

from posmodern.core import hookimpl
from posmodern.core.errors import PluginError
from posmodern.core.migrations import MigrationBranch, migration_branches
from posmodern.core.plugins import get_plugin_manager

LOYALTY = Path(__file__).resolve().parents[1] / "fixtures" / "loyalty"


class Brings:
    """A plugin bringing the migration branches it is given."""

    def __init__(self, *branches: MigrationBranch) -> None:
        self.branches = branches

    @hookimpl
    def pos_migrations(self):
        return list(self.branches)


def _revision(folder: Path, revision: str, labels: tuple[str, ...] | None,
              depends_on: str | None = None) -> None:
    folder.mkdir(exist_ok=True)
    (folder / f"{revision}.py").write_text(
        f"revision = {revision!r}\ndown_revision = None\nbranch_labels = {labels!r}\n"
        f"depends_on = {depends_on!r}\n\ndef upgrade():\n    pass\n\n"
        "def downgrade():\n    pass\n")


def test_only_loaded_plugins_bring_their_branch(monkeypatch):
    monkeypatch.syspath_prepend(str(LOYALTY))
    assert [b.name for b in migration_branches(get_plugin_manager(["loyalty", "auth"]))] == [
        "loyalty"]
    assert migration_branches(get_plugin_manager(["auth"])) == []


@pytest.mark.parametrize("name", ["tips", "main"])
def test_a_branch_name_is_taken_once(tmp_path, name):
    _revision(tmp_path / "a", "tips_1", ("tips",))
    _revision(tmp_path / "b", "other_1", (name,))
    pm = get_plugin_manager([], extra=[
        ("a", Brings(MigrationBranch("tips", tmp_path / "a"))),
        ("b", Brings(MigrationBranch(name, tmp_path / "b")))])
    with pytest.raises(PluginError, match=f"branch name '{name}'"):
        migration_branches(pm)


def test_revisions_must_carry_their_branch_label_and_depend_on_what_exists(tmp_path):
    _revision(tmp_path / "unlabelled", "tips_1", None, depends_on="0001")
    pm = get_plugin_manager([], extra=[
        ("tips", Brings(MigrationBranch("tips", tmp_path / "unlabelled")))])
    with pytest.raises(PluginError, match=r"branch_labels = \('tips',\)"):
        migration_branches(pm)
    _revision(tmp_path / "dangling", "tips_2", ("tips",), depends_on="nope")
    pm = get_plugin_manager([], extra=[
        ("tips", Brings(MigrationBranch("tips", tmp_path / "dangling")))])
    with pytest.raises(PluginError, match="nope"):
        migration_branches(pm)
