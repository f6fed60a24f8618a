"""A paid order gets its CF-e from the store's SAT (the fake library, through satcfe's own
ctypes calls and parsing): authorised, kept and listed; cancelled within 30 minutes and refused
after; refused for São Paulo; a store missing data or library told why; a device's rejection kept with its code; a silent device consulted
by session, never sold to twice; no CF-e for a store that did not choose SAT; a product's own
fiscal data (NCM, CFOP, CSOSN, origin) in its item, a CSOSN the SAT cannot write refused.

The main flow runs on both databases; each device behaviour on one (the same code either way),
to keep the file under a minute."""

from __future__ import annotations

import base64
import hashlib
import time
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from support.fiscal import give_fiscal_data, paid_order
from support.menu import create_menu
from support.tenant_db import wait_for

DOCS = "/api/v1/sat/documents"


def _documents(api, order_id) -> list[dict]:
    answer = api.get(DOCS, "cashier", params={"order_id": order_id})
    assert answer.status_code == 200, answer.text
    return answer.json()["documents"]


def _wait(api, order_id, *statuses: str, timeout: float = 10.0) -> dict:
    def ready():
        found = _documents(api, order_id)
        return found[0] if found and found[0]["status"] in statuses else None
    return wait_for(ready, timeout=timeout)


def _calls(device, name: str) -> list[str]:
    log = device / "calls.log"
    lines = log.read_text().splitlines() if log.exists() else []
    return [line for line in lines if line.startswith(name + "|")]


def test_a_paid_order_gets_its_cfe_authorised_listed_and_cancelled(api, menu, device):
    order = paid_order(api, menu, ("X-Burger", "2"), ("Guaraná lata", "1"), extra_pay="10")
    doc = _wait(api, order["order_id"], "AUTHORISED")
    assert doc["code"] == "06000" and doc["total"] == order["total"]
    assert doc["access_key"].startswith("CFe") and len(doc["access_key"]) == 47
    assert doc["access_key"][3:5] == "23" and doc["access_key"][9:23] == "11222333000181"
    assert doc["number"] == 1 and doc["sat_serial"] == "900004019" and doc["issued_at"]
    assert doc["cfe_sha256"] == hashlib.sha256(doc["cfe_base64"].encode()).hexdigest()
    cfe = ET.fromstring(base64.b64decode(doc["cfe_base64"]))
    assert cfe.find("infCFe").get("Id") == doc["access_key"]
    assert cfe.findtext("infCFe/total/vCFe") == order["total"]
    # What the plugin sent: the items, the software house, and the cash handed over.
    sent = ET.fromstring((device / "last_sale.xml").read_text())
    assert [d.findtext("prod/xProd") for d in sent.iter("det")] == ["X-Burger", "Guarana lata"]
    assert sent.findtext("infCFe/ide/CNPJ") == "16716114000172"
    assert sent.findtext("infCFe/pgto/MP/cMP") == "01"
    assert sent.findtext("infCFe/pgto/MP/vMP") == str(Decimal(order["total"]) + 10)
    assert len(_calls(device, "EnviarDadosVenda")) == 1
    # Listed by status too, and only to the store's staff.
    listed = api.get(DOCS, params={"status": "AUTHORISED"}).json()["documents"]
    assert [d["document_id"] for d in listed] == [doc["document_id"]]
    assert api.get(DOCS, "waiter").status_code == 403
    assert api.get(DOCS, params={"status": "NOPE"}).status_code == 422
    # Cancelled within the window, through CancelarUltimaVenda, once.
    cancelled = api.post(f"{DOCS}/{doc['document_id']}/cancel", "manager")
    assert cancelled.status_code == 200, cancelled.text
    body = cancelled.json()
    assert body["status"] == "CANCELLED" and body["cancelled_at"]
    assert body["cancel_key"].startswith("CFe") and body["cancel_key"] != doc["access_key"]
    sent = ET.fromstring((device / "last_cancel.xml").read_text())
    assert sent.find("infCFe").get("chCanc") == doc["access_key"]
    assert api.post(f"{DOCS}/{doc['document_id']}/cancel", "cashier").status_code == 403
    again = api.post(f"{DOCS}/{doc['document_id']}/cancel", "manager")
    assert again.status_code == 409 and again.json()["error"]["code"] == "not_authorised"
    assert len(_calls(device, "CancelarUltimaVenda")) == 1


@pytest.mark.parametrize("backend", ["postgresql"])
def test_sao_paulo_is_refused_and_a_store_missing_data_is_told_what(api, sat_store, device):
    refused = api.patch("/api/v1/settings", json={"POS_SAT_ENABLED": True, "POS_SAT_UF": "SP"})
    assert refused.status_code == 422, refused.text
    [problem] = refused.json()["error"]["details"]
    assert problem["loc"] == ["body", "POS_SAT_UF"] and "2026-01-01" in problem["msg"]
    values = {item["name"]: item["value"]
              for item in api.get("/api/v1/settings").json()["items"]}
    assert values["POS_SAT_ENABLED"] is False and values["POS_SAT_UF"] is None
    # Ceará, but without the device's data: the CF-e says what is missing, nothing is called.
    menu = create_menu(api)
    answer = api.patch("/api/v1/settings", json={"POS_SAT_ENABLED": True, "POS_SAT_UF": "CE"})
    assert answer.status_code == 200, answer.text
    order = paid_order(api, menu, ("Misto quente", "1"))
    doc = _wait(api, order["order_id"], "INVALID")
    assert "POS_SAT_LIBRARY" in doc["message"] and "POS_SAT_SIGN_AC" in doc["message"]
    # A library that does not load: the CF-e waits, with the reason, and is never lost.
    answer = api.patch("/api/v1/settings", json={**sat_store,
                                                 "POS_SAT_LIBRARY": "/nowhere/libsat.so"})
    assert answer.status_code == 200, answer.text
    other = paid_order(api, menu, ("Misto quente", "1"))
    waiting = wait_for(lambda: next((d for d in _documents(api, other["order_id"])
                                     if d["message"]), None))
    assert waiting["status"] == "PENDING" and "biblioteca do SAT" in waiting["message"]
    assert not (device / "calls.log").exists()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_late_cancel_is_409_and_a_rejection_is_kept_with_its_code(api, menu, device):
    (device / "age").write_text("1900")  # the device's clock says the sale is 31+ minutes old
    order = paid_order(api, menu, ("Misto quente", "1"))
    doc = _wait(api, order["order_id"], "AUTHORISED")
    late = api.post(f"{DOCS}/{doc['document_id']}/cancel", "manager")
    assert late.status_code == 409, late.text
    assert late.json()["error"]["code"] == "cancel_window_closed"
    assert "30 minutes" in late.json()["error"]["message"]
    assert _calls(device, "CancelarUltimaVenda") == []
    assert _documents(api, order["order_id"])[0]["status"] == "AUTHORISED"

    (device / "mode").write_text(
        "reject|06010|Erro de validacao do conteudo.|1999|Rejeicao: IE do emitente invalida")
    order = paid_order(api, menu, ("Misto quente", "1"))
    doc = _wait(api, order["order_id"], "REJECTED")
    assert doc["code"] == "06010" and doc["sefaz_code"] == "1999"
    assert "IE do emitente invalida" in doc["message"] and doc["access_key"] is None
    time.sleep(0.6)  # two retry periods: a rejected CF-e is not sent again
    assert len(_calls(device, "EnviarDadosVenda")) == 2


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_silent_device_is_consulted_and_never_sold_to_or_cancelled_twice(api, menu, device):
    (device / "mode").write_text("hang|2")  # the sale is made; its answer comes 2 s late
    order = paid_order(api, menu, ("X-Burger", "1"))
    _wait(api, order["order_id"], "UNANSWERED", "SENDING")
    doc = _wait(api, order["order_id"], "AUTHORISED", timeout=15)
    assert doc["number"] == 1 and doc["attempts"] >= 2
    assert len((device / "sales.log").read_text().splitlines()) == 1
    assert len(_calls(device, "EnviarDadosVenda")) == 1
    consulted = _calls(device, "ConsultarNumeroSessao")
    assert consulted, "the unanswered sale was not consulted"
    # A cancellation without an answer: 504, then the next request asks about its session.
    (device / "mode").write_text("hang-cancel|2")
    silent = api.post(f"{DOCS}/{doc['document_id']}/cancel", "manager")
    assert silent.status_code == 504, silent.text
    assert _documents(api, order["order_id"])[0]["status"] == "CANCELLING"

    def cancelled():
        answer = api.post(f"{DOCS}/{doc['document_id']}/cancel", "manager")
        return answer if answer.status_code != 409 else None  # 409 while the SAT is busy
    answer = wait_for(cancelled)
    assert answer.status_code == 200 and answer.json()["status"] == "CANCELLED", answer.text
    assert len(_calls(device, "CancelarUltimaVenda")) == 1
    assert len(_calls(device, "ConsultarNumeroSessao")) == len(consulted) + 1


@pytest.mark.parametrize("backend", ["postgresql"])
def test_no_cfe_for_a_store_that_did_not_choose_sat(api, sat_store, device):
    menu = create_menu(api)
    order = paid_order(api, menu, ("Misto quente", "1"))
    # A store that issues NFC-e, with SAT's settings complete, gets no CF-e either.
    answer = api.patch("/api/v1/settings", json={**sat_store, "POS_FISCAL_ENABLED": True})
    assert answer.status_code == 200, answer.text
    other = paid_order(api, menu, ("Misto quente", "1"))
    time.sleep(1.0)
    assert _documents(api, order["order_id"]) == []
    assert _documents(api, other["order_id"]) == []
    assert not (device / "calls.log").exists()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_product_with_its_own_fiscal_data_takes_them_into_the_cfe(api, menu, device):
    # The beverage bought with its ICMS retained before (CSOSN 500, CFOP 5405, NCM of soft
    # drinks, imported); the burger has no data of its own and takes the store's (5102, 102).
    give_fiscal_data(api, menu, "Guaraná lata", ncm="22021000", cfop="5405", cst="500",
                     origin=2)
    order = paid_order(api, menu, ("X-Burger", "1"), ("Guaraná lata", "2"))
    _wait(api, order["order_id"], "AUTHORISED")
    sent = ET.fromstring((device / "last_sale.xml").read_text())
    items = {d.findtext("prod/xProd"): d for d in sent.iter("det")}
    drink, burger = items["Guarana lata"], items["X-Burger"]
    assert (drink.findtext("prod/NCM"), drink.findtext("prod/CFOP")) == ("22021000", "5405")
    assert drink.findtext("imposto/ICMS/ICMSSN102/CSOSN") == "500"
    assert drink.findtext("imposto/ICMS/ICMSSN102/Orig") == "2"
    assert burger.find("prod/NCM") is None and burger.findtext("prod/CFOP") == "5102"
    assert burger.findtext("imposto/ICMS/ICMSSN102/CSOSN") == "102"
    # A CSOSN the store's SAT does not write (ICMSSN102 only): the CF-e says which product.
    give_fiscal_data(api, menu, "X-Burger", cst="103")
    refused = paid_order(api, menu, ("X-Burger", "1"))
    doc = _wait(api, refused["order_id"], "INVALID")
    assert "X-Burger (CSOSN 103)" in doc["message"]
    assert len(_calls(device, "EnviarDadosVenda")) == 1
