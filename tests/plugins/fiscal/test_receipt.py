"""The customer's receipt shows the NFC-e: the peripherals plugin asks ``pos_receipt_extras`` and
prints the note's number, its access key and the QR code of the consultation URL."""

import pytest
from posmodern.hosts.app import create_app
from starlette.testclient import TestClient
from support.api import Api, make_tenant
from support.fake_printer import NetworkPrinter
from support.fiscal import (
    FAST, configure, give_fiscal_data, paid_order, store_settings, wait_document)
from support.fiscal import PLUGINS as FISCAL_PLUGINS
from support.fiscal_cert import PASSWORD
from support.menu import create_menu
from support.peripherals import add_printer, wait_job
from support.settings import make_settings
from support.tenant_db import wait_for

PLUGINS = [*FISCAL_PLUGINS, "peripherals"]


@pytest.fixture
def counter(database_url, tmp_path, exchange):
    printer = NetworkPrinter().start()
    settings = make_settings(database_url, tmp_path, exchange=exchange, **FAST,
                             POS_PRINT_POLL_SECONDS="0.1")
    with TestClient(create_app(settings, plugins=PLUGINS)) as client:
        yield Api(client, make_tenant(settings)), printer
    printer.stop()


def test_the_receipt_prints_the_nfce_key_and_its_qr_code(counter, sefaz, certificate):
    api, printer = counter
    configure(api, store_settings(sefaz.url, certificate[0], PASSWORD))
    menu = create_menu(api)
    give_fiscal_data(api, menu, "X-Burger")
    add_printer(api, "Caixa", role="receipt", connection=printer.connection)
    order = paid_order(api, menu, ("X-Burger", "1"))
    [doc] = wait_document(api, order["order_id"], "AUTHORISED")
    receipts = wait_for(lambda: api.get("/api/v1/peripherals/print-jobs", params={
        "kind": "receipt"}).json()["print_jobs"])
    wait_job(api, receipts[0]["job_id"])
    text = printer.text()
    key = doc["access_key"]
    assert "CUPOM NÃO FISCAL" not in text
    assert f"NFC-e nº {doc['number']:09d} Série 001" in text
    assert " ".join(key[i:i + 4] for i in range(0, 24, 4)) in text
    assert " ".join(key[i:i + 4] for i in range(24, 44, 4)) in text
    assert "HOMOLOGAÇÃO - SEM VALOR FISCAL" in text
    assert doc["qr_url"].encode() in printer.data()
    # One note for the order, whichever of the receipt and the fiscal handler came first.
    assert len(sefaz.by_number) == 1


def test_a_note_that_goes_offline_after_the_sale_is_printed_again_with_its_contingency_key(
        counter, sefaz, certificate):
    api, printer = counter
    configure(api, store_settings(sefaz.url, certificate[0], PASSWORD))
    menu = create_menu(api)
    give_fiscal_data(api, menu, "X-Burger")
    add_printer(api, "Caixa", role="receipt", connection=printer.connection)
    sefaz.silence = 6.0  # longer than POS_FISCAL_TIMEOUT_SECONDS (2 s)
    order = paid_order(api, menu, ("X-Burger", "1"))
    docs = wait_document(api, order["order_id"], "CONTINGENCY")
    [offline] = [doc for doc in docs if doc["status"] == "CONTINGENCY"]
    key = offline["access_key"]

    def receipts():
        jobs = api.get("/api/v1/peripherals/print-jobs", params={"kind": "receipt"}).json()
        return jobs["print_jobs"] if jobs["print_jobs"] else None
    # The receipt of the payment, then (when it showed the note that got no answer) the
    # contingency note's: the customer is handed a key that will be authorised.
    for job in wait_for(receipts):
        wait_job(api, job["job_id"])
    last = " ".join(key[i:i + 4] for i in range(24, 44, 4))
    wait_for(lambda: last in printer.text(), timeout=10)
    text = printer.text()
    assert f"NFC-e nº {offline['number']:09d} Série 001" in text
    assert "EMITIDA EM CONTINGÊNCIA" in text
    assert " ".join(key[i:i + 4] for i in range(0, 24, 4)) in text
    assert offline["qr_url"].encode() in printer.data()
    # Printed once with the contingency key, however the payment's receipt and the sender met.
    assert text.count(last) == 1
    sefaz.silence = 0
