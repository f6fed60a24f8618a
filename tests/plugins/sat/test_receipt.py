"""The customer's receipt of a CF-e sale: held until the store's SAT answers, then printed once
with the extrato (number, SAT serial, date, access key, the QR code the device signed); a plain
receipt when the device refuses the sale or is silent, and the extrato again once a silent
device's sale turns out authorised."""

from __future__ import annotations

import asyncio
import base64
import xml.etree.ElementTree as ET

import pytest
from posmodern.hosts.app import create_app
from starlette.testclient import TestClient
from support.api import Api, make_tenant
from support.fake_printer import NetworkPrinter
from support.fiscal import paid_order
from support.menu import create_menu
from support.peripherals import add_printer, wait_job
from support.settings import make_settings
from support.tenant_db import wait_for

from .conftest import FAST, PLUGINS, _store_settings, _with_sat_tables
from .test_sat import _wait

pytestmark = pytest.mark.parametrize("backend", ["postgresql"])


@pytest.fixture
def counter(database_url, tmp_path, exchange, fake_library, device):
    """A store of Ceará issuing CF-e through the fake SAT, with a receipt printer."""
    printer = NetworkPrinter().start()
    settings = make_settings(database_url, tmp_path, exchange=exchange, **FAST,
                             POS_PRINT_POLL_SECONDS="0.1")
    with TestClient(create_app(settings, plugins=[*PLUGINS, "peripherals"])) as client:
        tenant = make_tenant(settings)
        asyncio.run(_with_sat_tables(settings, tenant.client_id))
        api = Api(client, tenant)
        answer = api.patch("/api/v1/settings", json=_store_settings(fake_library))
        assert answer.status_code == 200, answer.text
        add_printer(api, "Caixa", role="receipt", connection=printer.connection)
        yield api, printer
    printer.stop()


def _receipts(api, order_id: str) -> list[dict]:
    jobs = api.get("/api/v1/peripherals/print-jobs", params={"kind": "receipt"}).json()
    return [job for job in jobs["print_jobs"] if job["reference_id"] == order_id]


def _printed(api, order_id: str, count: int) -> list[dict]:
    jobs = wait_for(lambda: (found := _receipts(api, order_id)) and len(found) >= count
                    and found)
    for job in jobs:
        wait_job(api, job["job_id"])
    return jobs


def test_the_receipt_waits_for_the_sat_and_prints_the_extrato_once(counter, device):
    api, printer = counter
    order = paid_order(api, create_menu(api), ("X-Burger", "2"))
    doc = _wait(api, order["order_id"], "AUTHORISED")
    [job] = _printed(api, order["order_id"], 1)
    text = printer.text()
    key = doc["access_key"][3:]
    assert "CUPOM NÃO FISCAL" not in text
    assert f"Extrato Nº {doc['number']:06d}" in text
    assert "CUPOM FISCAL ELETRÔNICO - SAT" in text and "= T E S T E =" in text
    assert f"SAT Nº {doc['sat_serial']}" in text
    assert " ".join(key[i:i + 4] for i in range(0, 24, 4)) in text
    assert " ".join(key[i:i + 4] for i in range(24, 44, 4)) in text
    cfe = ET.fromstring(base64.b64decode(doc["cfe_base64"])).find("infCFe")
    day, time = cfe.findtext("ide/dEmi"), cfe.findtext("ide/hEmi")
    assert f"{day[6:8]}/{day[4:6]}/{day[:4]} - {time[:2]}:{time[2:4]}:{time[4:6]}" in text
    qr = f"{key}|{day}{time}|{order['total']}||{doc['qr_signature']}"
    assert qr.encode() in printer.data()
    # The payment's tenders are on it, and no plain receipt came before it.
    assert "Dinheiro" in text and text.count("Extrato Nº") == 1
    assert len(_receipts(api, order["order_id"])) == 1


def test_a_refused_or_silent_sale_is_not_kept_waiting_and_a_late_extrato_follows(
        counter, device):
    api, printer = counter
    menu = create_menu(api)
    (device / "mode").write_text(
        "reject|06010|Erro de validacao do conteudo.|1999|Rejeicao: IE do emitente invalida")
    refused = paid_order(api, menu, ("Misto quente", "1"))
    _wait(api, refused["order_id"], "REJECTED")
    _printed(api, refused["order_id"], 1)
    assert "CUPOM NÃO FISCAL" in printer.text() and "Extrato" not in printer.text()

    (device / "mode").write_text("hang|2")  # the sale is made; its answer comes 2 s late
    late = paid_order(api, menu, ("X-Burger", "1"))
    _wait(api, late["order_id"], "UNANSWERED")
    # The plain receipt first (the customer is not kept waiting on a silent device)…
    _printed(api, late["order_id"], 1)
    assert printer.text().count("CUPOM NÃO FISCAL") == 2
    # …then, once the consultation finds the sale authorised, the extrato: once.
    doc = _wait(api, late["order_id"], "AUTHORISED", timeout=15)
    _printed(api, late["order_id"], 2)
    text = printer.text()
    assert f"Extrato Nº {doc['number']:06d}" in text and text.count("Extrato Nº") == 1
    assert len(_receipts(api, late["order_id"])) == 2
