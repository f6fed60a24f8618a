"""Fixtures of the fiscal tests: an app with the counter, payments, peripherals, settings and
fiscal plugins; a fake SEFAZ on 127.0.0.1; a self-signed A1 certificate; a store set up to issue
NFC-e with a menu whose products have their fiscal data."""

from __future__ import annotations

import pytest
from posmodern.hosts.app import create_app
from starlette.testclient import TestClient
from support.api import Api, make_tenant
from support.fake_sefaz import FakeSefaz
from support.fiscal import FAST, PLUGINS, configure, give_fiscal_data, store_settings
from support.fiscal_cert import PASSWORD, make_certificate
from support.menu import create_menu
from support.settings import make_settings



@pytest.fixture
def fiscal_settings(database_url, tmp_path, exchange):
    return make_settings(database_url, tmp_path, exchange=exchange, **FAST)


@pytest.fixture
def certificate(tmp_path):
    return make_certificate(tmp_path)


@pytest.fixture
def sefaz():
    fake = FakeSefaz().start()
    yield fake
    fake.stop()


@pytest.fixture
def client(fiscal_settings):
    with TestClient(create_app(fiscal_settings, plugins=PLUGINS)) as test_client:
        yield test_client


@pytest.fixture
def api(client, fiscal_settings):
    return Api(client, make_tenant(fiscal_settings))


@pytest.fixture
def menu(api, sefaz, certificate):
    """A store that issues NFC-e against the fake SEFAZ; every product but the pudding has its
    fiscal data."""
    configure(api, store_settings(sefaz.url, certificate[0], PASSWORD))
    products = create_menu(api)
    give_fiscal_data(api, products, "X-Burger", "Misto quente", "Guaraná lata",
                     "Suco de laranja")
    return products
