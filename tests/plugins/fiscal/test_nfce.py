"""A paid order gets its NFC-e: valid against the official schema, signed so that xmlsec1
verifies it, with the IBS/CBS groups, the tenders, the consumer's CPF and a QR code v2;
numbered once per series; authorised by SEFAZ."""

from datetime import datetime
from decimal import Decimal

import pytest
from lxml import etree
from nfelib.nfe.bindings.v4_0.nfe_v4_00 import Nfe
from posmodern.plugins.fiscal import emission, keys, nfce
from support.fake_asaas import valid_cpf
from support.fiscal import (
    DOCS, configure, paid_order, wait_document, xmlsec_verifies)

N = {"n": nfce.NFE}
ISSUER = nfce.Issuer("11222333000181", "111222333444", "1", "RESTAURANTE TESTE LTDA", "Teste",
                     "Rua das Flores", "100", "Centro", "São Paulo", "3550308", "SP", "35",
                     "01001000")


def _xml(api, document_id) -> etree._Element:
    answer = api.get(f"{DOCS}/{document_id}/xml")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/xml")
    return etree.fromstring(answer.content)


def _note(root: etree._Element) -> etree._Element:
    return root if root.tag == f"{{{nfce.NFE}}}NFe" else root.find("n:NFe", N)


def test_a_paid_order_gets_an_authorised_nfce_valid_and_signed(api, menu, sefaz, certificate,
                                                               tmp_path):
    order = paid_order(api, menu, ("X-Burger", "2"), ("Guaraná lata", "1"), extra_pay="10")
    [doc] = wait_document(api, order["order_id"], "AUTHORISED")
    assert doc["number"] == 1 and doc["series"] == 1 and len(doc["access_key"]) == 44
    assert doc["protocol"] and doc["status_code"] == "100" and not doc["contingency"]
    assert doc["access_key"][20:22] == "65" and doc["access_key"][34] == "1"
    root = _xml(api, doc["document_id"])
    assert root.tag == f"{{{nfce.NFE}}}nfeProc"
    assert root.findtext("n:protNFe/n:infProt/n:nProt", namespaces=N) == doc["protocol"]
    note = _note(root)
    nfce.validate(note)
    inf = note.find("n:infNFe", N)
    assert inf.findtext("n:ide/n:mod", namespaces=N) == "65"
    assert inf.findtext("n:ide/n:tpEmis", namespaces=N) == "1"
    assert inf.findtext("n:total/n:ICMSTot/n:vNF", namespaces=N) == order["total"]
    assert [d.findtext("n:prod/n:xProd", namespaces=N) for d in inf.findall("n:det", N)] == [
        "X-Burger", "Guaraná lata"]
    ibscbs = inf.find("n:det/n:imposto/n:IBSCBS/n:gIBSCBS", N)
    assert ibscbs.findtext("n:gIBSUF/n:pIBSUF", namespaces=N) == "0.1000"
    assert ibscbs.findtext("n:gCBS/n:pCBS", namespaces=N) == "0.9000"
    assert ibscbs.findtext("n:gCBS/n:vCBS", namespaces=N) == "0.48"  # 0.9 % of 53.80
    assert inf.findtext("n:pag/n:detPag/n:tPag", namespaces=N) == "01"
    assert inf.findtext("n:pag/n:vTroco", namespaces=N) == "10.00"
    # nfelib's bindings (generated from the same schemas) read it back, reform groups included.
    parsed = Nfe.from_xml(etree.tostring(note).decode())
    assert parsed.infNFe.ide.nNF == "1"
    assert parsed.infNFe.total.IBSCBSTot.gCBS.vCBS == "0.54"  # 0.48 + 0.06 (the soda)
    qr = note.findtext("n:infNFeSupl/n:qrCode", namespaces=N)
    assert qr == doc["qr_url"] and f"?p={doc['access_key']}|2|2|1|" in qr
    assert sefaz.services() == ["NFeAutorizacao4"] and not sefaz.errors
    xmlsec_verifies(tmp_path, note, certificate, "infNFe")


def test_a_note_on_request_carries_the_consumer_cpf(api, menu, sefaz):
    configure(api, {"POS_FISCAL_ENABLED": False})  # notes only when asked for
    order = paid_order(api, menu, ("Misto quente", "1"))
    cpf = valid_cpf(7)
    made = api.post(DOCS, "cashier", json={"order_id": order["order_id"], "cpf": cpf})
    assert made.status_code == 201, made.text
    [doc] = wait_document(api, order["order_id"], "AUTHORISED")
    assert doc["document_id"] == made.json()["document_id"]
    inf = _note(_xml(api, doc["document_id"])).find("n:infNFe", N)
    assert inf.findtext("n:dest/n:CPF", namespaces=N) == cpf
    again = api.post(DOCS, "cashier", json={"order_id": order["order_id"]})
    assert again.status_code == 200 and again.json()["document_id"] == doc["document_id"]


@pytest.mark.parametrize(("method", "tpag"), [("pix", "17"), ("credit_card", "03"),
                                              ("debit_card", "04")])
def test_card_and_pix_tenders_get_their_tpag_and_card_group(method, tpag):
    line = nfce.Line("P1", "Pudim", Decimal("1"), Decimal("12.00"), Decimal("12.00"),
                     "19059090", "5102", "102", 0, None, "000", "000001", Decimal("0.1"),
                     Decimal("0.9"))
    sale = emission.Sale(None, [{"method": method, "amount": "12.00"}], None)
    tenders, change = emission._tenders(sale, Decimal("12.00"))
    assert [t.tpag for t in tenders] == [tpag] and change == 0
    key = "35261211222333000181650010000000011123456780"
    note = nfce.Note(key, 1, 1, "12345678", datetime(2026, 12, 1, 12, tzinfo=emission.BRT),
                     "2", (line,), tenders)
    root = nfce.build(ISSUER, note)
    page = "https://www.homologacao.nfce.fazenda.sp.gov.br/"
    nfce.add_supplement(root, page + "qrcode?p=" + keys.qr_parameters(key, "2", "1", "CSC"),
                        page + "consulta")
    errors = []
    try:
        nfce.validate(root)
    except nfce.SchemaInvalid as exc:
        errors = exc.errors
    # The only schema complaint of an unsigned note is its missing Signature.
    assert all("Signature" in e for e in errors), errors
    pag = root.find("n:infNFe/n:pag/n:detPag", N)
    assert pag.findtext("n:tPag", namespaces=N) == tpag
    assert pag.findtext("n:card/n:tpIntegra", namespaces=N) == "2"


def test_numbers_run_per_series_and_are_never_used_twice(api, menu, sefaz):
    orders = [paid_order(api, menu, ("Suco de laranja", "1")) for _ in range(4)]
    numbers = [wait_document(api, o["order_id"], "AUTHORISED")[0]["number"] for o in orders]
    assert sorted(numbers) == [1, 2, 3, 4]
    assert len(sefaz.by_number) == 4
