import inspect
import re
from pathlib import Path

import pytest

from posmodern.core import hookimpl, hookspecs
from posmodern.core.errors import PluginError
from posmodern.core.plugins import available_plugins, get_plugin_manager

ROOT = Path(__file__).resolve().parents[2]
THIRDPARTY = ROOT / "tests" / "fixtures" / "thirdparty"
DOCS = ROOT / "docs" / "plugins.md"
#: Hooks declared ahead of the plugin that will call them, and why. Keep it short: a hook
#: nobody calls is a promise to plugin authors that nothing keeps.
NOT_CALLED_YET: dict[str, str] = {}


def test_all_builtin_plugins_load_by_default():
    pm = get_plugin_manager()
    assert "auth" in pm.infos
    assert pm.infos["auth"].distribution == "pos-modern"
    assert "pos_routes" in pm.hooks_of("auth")


def test_subset_unknown_and_repeated_names():
    assert sorted(get_plugin_manager(["auth"]).infos) == ["auth"]
    with pytest.raises(PluginError, match="unknown plugin.*nope.*installed: .*auth"):
        get_plugin_manager(["auth", "nope"])
    with pytest.raises(PluginError, match="more than once: auth"):
        get_plugin_manager(["auth", "auth"])


def test_third_party_plugin_is_found_through_its_entry_point(monkeypatch):
    monkeypatch.syspath_prepend(str(THIRDPARTY))
    assert "tip_jar" in available_plugins()
    pm = get_plugin_manager(["tip_jar"])
    assert pm.infos["tip_jar"].distribution == "pos-tip-jar"
    assert pm.hooks_of("tip_jar") == ["pos_routes"]


def test_two_packages_claiming_one_name_fail(monkeypatch, tmp_path):
    clash = tmp_path / "pos_clash-1.0.dist-info"
    clash.mkdir()
    (clash / "METADATA").write_text("Metadata-Version: 2.1\nName: pos-clash\nVersion: 1.0\n")
    (clash / "entry_points.txt").write_text("[posmodern]\nauth = pos_clash\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(PluginError, match="'auth' is claimed twice"):
        get_plugin_manager(["auth"])


def test_an_implementation_of_an_unknown_hook_is_refused():
    class Typo:
        @hookimpl
        def pos_rotues(self, settings):
            return []

    with pytest.raises(PluginError, match="pos_rotues"):
        get_plugin_manager([], extra=[("typo", Typo())])


def _specs():
    return {name: fn for name, fn in vars(hookspecs).items()
            if inspect.isfunction(fn) and hasattr(fn, "posmodern_spec")}


def test_every_hook_is_prefixed_typed_and_documented():
    specs = _specs()
    assert len(specs) >= 12
    documented = set(re.findall(r"^### `(pos_\w+)", DOCS.read_text(), flags=re.M))
    assert documented == set(specs), "docs/plugins.md and core/hookspecs.py disagree"
    for name, fn in specs.items():
        assert name.startswith("pos_")
        assert fn.__doc__ and len(fn.__doc__.strip()) > 20, name
        signature = inspect.signature(fn)
        assert all(p.annotation is not inspect.Parameter.empty
                   for p in signature.parameters.values()), name
        assert signature.return_annotation is not inspect.Signature.empty, name
        assert not fn.posmodern_spec.get("firstresult"), f"{name}: no firstresult hooks"


def test_every_hook_has_a_caller_or_says_why_not():
    code = "\n".join(path.read_text() for folder in ("core", "hosts", "plugins", "cli")
                     for path in (ROOT / folder).rglob("*.py"))
    called = set(re.findall(r"\bhooks?\.(pos_\w+)", code))
    specs = _specs()
    assert called <= set(specs), f"calls of undeclared hooks: {sorted(called - set(specs))}"
    # Both ways: a hook that gets its caller leaves the list.
    assert set(specs) - called == set(NOT_CALLED_YET), "hooks nobody calls"
    docs = DOCS.read_text()
    for name in NOT_CALLED_YET:
        assert "not called yet" in " ".join(specs[name].__doc__.split()), name
        section = docs.split(f"### `{name}(")[1].split("###")[0]
        assert "not called yet" in " ".join(section.split()), name
