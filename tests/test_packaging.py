"""The distribution is assembled as SPEC §1 says: one `posmodern` package from the folders."""

from __future__ import annotations

import configparser
import os
import subprocess
import sys
import zipfile
from importlib.metadata import distribution, entry_points
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = {"core": "posmodern.core", "hosts": "posmodern.hosts", "schema": "posmodern.schema",
           "cli": "posmodern.cli", "plugins": "posmodern.plugins"}


def _setup_cfg() -> configparser.ConfigParser:
    parser = configparser.ConfigParser()
    parser.read(ROOT / "setup.cfg")
    return parser


def test_every_python_folder_is_a_listed_package():
    listed = set(_setup_cfg()["options"]["packages"].split())
    found = set()
    for folder, package in FOLDERS.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            relative = init.parent.relative_to(ROOT / folder).parts
            found.add(".".join((package, *relative)))
    assert found == listed


def test_top_level_layout_is_as_specified():
    for name in ["core", "plugins", "hosts", "schema", "deploy", "cli", "tests", "setup.cfg",
                 "pyproject.toml"]:
        assert (ROOT / name).exists(), name


def test_a_normal_install_holds_only_posmodern(tmp_path):
    """Build the wheel, install it into a folder, and import the plugins from there."""
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(wheels), str(ROOT)], check=True, cwd=tmp_path)
    wheel = next(wheels.glob("pos_modern-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        tops = {name.split("/")[0] for name in archive.namelist()}
        names = archive.namelist()
    assert tops == {"posmodern", wheel.name.split("-")[0] + "-" + wheel.name.split("-")[1]
                    + ".dist-info"}
    assert "posmodern/schema/migrations/tenant/env.py" in names
    assert any(n.startswith("posmodern/schema/migrations/tenant/versions/") for n in names)
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target",
                    str(target), str(wheel)], check=True, cwd=tmp_path)
    probe = ("import posmodern.core.hookspecs, posmodern.plugins.auth.plugin, posmodern.schema.migrate;"
             "print(posmodern.core.hookspecs.__file__)")
    out = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True,
                         text=True, env={**os.environ, "PYTHONPATH": str(target)}, check=True)
    assert out.stdout.strip().startswith(str(target))


def test_console_script_and_builtin_plugins_are_entry_points():
    dist = distribution("pos-modern")
    scripts = {ep.name: ep.value for ep in dist.entry_points if ep.group == "console_scripts"}
    assert scripts["pos"] == "posmodern.cli.main:main"
    plugins = {ep.name for ep in entry_points(group="posmodern") if ep.dist.name == "pos-modern"}
    configured = {line.split("=")[0].strip()
                  for line in _setup_cfg()["options.entry_points"]["posmodern"].strip().splitlines()}
    assert plugins == configured and "auth" in plugins
    assert dist.metadata["Requires-Python"] == ">=3.11"
