"""``pos fiscal reconcile``: with the server stopped while SEFAZ was silent, one command sends the
contingency note and consults the unanswered one; a second voids its number."""

import time

from click.testing import CliRunner
from posmodern.cli import commands  # noqa: F401 - registers the built-in commands
from posmodern.cli.main import cli
from posmodern.hosts.app import create_app
from posmodern.schema.tables import fiscal_documents
from sqlalchemy import select
from starlette.testclient import TestClient
from support.api import Api, make_tenant
from support.fiscal import (
    FAST, PLUGINS, configure, give_fiscal_data, paid_order, store_settings, wait_document)
from support.fiscal_cert import PASSWORD
from support.menu import create_menu
from support.tenant_db import fetch


def test_reconcile_sends_consults_and_voids_from_the_command_line(
        fiscal_settings, database_url, tmp_path, monkeypatch, sefaz, certificate):
    sefaz.silence = 6.0
    with TestClient(create_app(fiscal_settings, plugins=PLUGINS)) as client:
        api = Api(client, make_tenant(fiscal_settings))
        configure(api, store_settings(sefaz.url, certificate[0], PASSWORD))
        menu = create_menu(api)
        give_fiscal_data(api, menu, "X-Burger")
        order = paid_order(api, menu, ("X-Burger", "1"))
        wait_document(api, order["order_id"], "CONTINGENCY")
    sefaz.silence = 0
    for name, value in {**FAST, "DATABASE_URL": database_url,
                        "POS_DATA_DIR": str(tmp_path / "var")}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("POS_PLUGINS", raising=False)
    time.sleep(0.4)  # past POS_FISCAL_RETRY_SECONDS
    for _ in range(2):
        result = CliRunner().invoke(cli, ["fiscal", "reconcile"], catch_exceptions=False)
        assert result.exit_code == 0 and "reconciled" in result.output, result.output
    rows = fetch(fiscal_settings, api.tenant.client_id,
                 select(fiscal_documents.c.number, fiscal_documents.c.status)
                 .order_by(fiscal_documents.c.number))
    assert [tuple(row) for row in rows] == [(1, "VOIDED"), (2, "AUTHORISED")]
    assert sefaz.voided == [(1, 1, 1)]
