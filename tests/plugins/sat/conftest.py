"""Fixtures of the SAT tests: the fake SAT library (fake_sat.c, built here with gcc into a tmp
folder, loaded by satcfe through ctypes as a real one is), its control folder, and an app whose
store issues CF-e through it."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from pathlib import Path

import pytest
from posmodern.core import tenancy
from posmodern.core.db import Database
from posmodern.hosts.app import create_app
from posmodern.plugins.sat import plugin as sat_plugin
from starlette.testclient import TestClient
from support.api import Api, make_tenant
from support.menu import create_menu
from support.settings import make_settings

SOURCE = Path(__file__).with_name("fake_sat.c")
PLUGINS = ["auth", "catalog", "orders", "payments", "settings", "fiscal", "sat"]
#: A sender that looks every 0.1 s, gives the device 1 s, and tries again after 0.3 s.
FAST = {"POS_SAT_POLL_SECONDS": "0.1", "POS_SAT_TIMEOUT_SECONDS": "1",
        "POS_SAT_RETRY_SECONDS": "0.3"}
SIGN_AC = "SGR-SAT SISTEMA DE GESTAO E RETAGUARDA DO SAT"  # the ER's test signature


@pytest.fixture(scope="session")
def fake_library(tmp_path_factory) -> Path:
    """libfakesat.so, built from fake_sat.c (gcc: ``make test`` installs it)."""
    gcc = shutil.which("gcc")
    assert gcc, "gcc is missing: bash .ci/system-packages gcc libc6-dev (make test does)"
    target = tmp_path_factory.mktemp("fakesat") / "libfakesat.so"
    subprocess.run([gcc, "-shared", "-fPIC", "-O1", "-o", str(target), str(SOURCE), "-lm"],
                   check=True)
    return target


@pytest.fixture
def device(tmp_path, monkeypatch) -> Path:
    """The fake device's control folder (see fake_sat.c): write ``mode``/``age``, read its
    logs."""
    folder = tmp_path / "device"
    folder.mkdir()
    monkeypatch.setenv("FAKE_SAT_DIR", str(folder))
    return folder


@pytest.fixture
def sat_settings(database_url, tmp_path, exchange):
    return make_settings(database_url, tmp_path, exchange=exchange, **FAST)


@pytest.fixture
def client(sat_settings):
    with TestClient(create_app(sat_settings, plugins=PLUGINS)) as test_client:
        yield test_client


async def _with_sat_tables(settings, client_id: str) -> None:
    """A tenant made after the app started gets the plugin's tables as ``pos tenant create``
    gives them (the plugins' branches)."""
    db = Database(settings.database_url)
    try:
        await tenancy.upgrade_tenant(db, client_id, sat_plugin.pos_migrations())
    finally:
        await db.dispose()


@pytest.fixture
def api(client, sat_settings):
    tenant = make_tenant(sat_settings)
    asyncio.run(_with_sat_tables(sat_settings, tenant.client_id))
    return Api(client, tenant)


def _store_settings(library: Path, **extra) -> dict:
    return {"POS_SAT_ENABLED": True, "POS_SAT_UF": "CE", "POS_SAT_LIBRARY": str(library),
            "POS_SAT_ACTIVATION_CODE": "12345678", "POS_SAT_CNPJ": "11222333000181",
            "POS_SAT_IE": "111222333444", "POS_SAT_SOFTWARE_HOUSE_CNPJ": "16716114000172",
            "POS_SAT_SIGN_AC": SIGN_AC, "POS_SAT_REGISTER": 1, **extra}


@pytest.fixture
def sat_store(fake_library):
    """The settings of a store of Ceará whose SAT is the fake device."""
    return _store_settings(fake_library)


@pytest.fixture
def menu(api, fake_library, device):
    """A store of Ceará that issues CF-e through the fake device."""
    answer = api.patch("/api/v1/settings", json=_store_settings(fake_library))
    assert answer.status_code == 200, answer.text
    return create_menu(api)
