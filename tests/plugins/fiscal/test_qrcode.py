"""The QR code of the note: version 2 (signed with the CSC) by default, version 3 (NT 2025.001)
when the store asks for it: no CSC online, and a contingency note's signed with the A1
certificate. Each is checked against the qrCode patterns of the official schema."""

import base64
from datetime import datetime

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import pkcs12
from lxml import etree
from posmodern.plugins.fiscal import nfce
from support.fake_asaas import valid_cpf
from support.fiscal import DOCS, configure, paid_order, wait_document
from support.fiscal_cert import PASSWORD

N = {"n": nfce.NFE}


def _note(api, doc) -> etree._Element:
    answer = api.get(f"{DOCS}/{doc['document_id']}/xml")
    assert answer.status_code == 200, answer.text
    root = etree.fromstring(answer.content)
    return root if root.tag == f"{{{nfce.NFE}}}NFe" else root.find("n:NFe", N)


def _qr(note) -> tuple[str, list[str]]:
    qr = note.findtext("n:infNFeSupl/n:qrCode", namespaces=N)
    return qr, qr.split("?p=", 1)[1].split("|")


def test_version_2_by_default_and_version_3_without_csc_on_request(api, menu, sefaz):
    first = paid_order(api, menu, ("X-Burger", "1"))
    [doc] = wait_document(api, first["order_id"], "AUTHORISED")
    note = _note(api, doc)
    nfce.validate(note)  # the qrCode patterns are part of the schema
    qr, fields = _qr(note)
    assert fields[:4] == [doc["access_key"], "2", "2", "1"] and len(fields[4]) == 40
    # Version 3 needs no CSC: a store without one still issues.
    configure(api, {"POS_FISCAL_QR_VERSION": "3", "POS_FISCAL_CSC": "",
                    "POS_FISCAL_CSC_ID": ""})
    second = paid_order(api, menu, ("Misto quente", "1"))
    [doc] = wait_document(api, second["order_id"], "AUTHORISED")
    note = _note(api, doc)
    nfce.validate(note)
    qr, fields = _qr(note)
    assert qr == doc["qr_url"] and qr.endswith(f"?p={doc['access_key']}|3|2")
    assert qr.startswith("https://www.homologacao.nfce.fazenda.sp.gov.br/qrcode?p=")


def test_a_contingency_note_with_version_3_is_signed_with_the_certificate(api, menu, sefaz,
                                                                           certificate):
    configure(api, {"POS_FISCAL_QR_VERSION": "3", "POS_FISCAL_ENABLED": False})
    sefaz.silence = 6.0  # longer than POS_FISCAL_TIMEOUT_SECONDS (2 s)
    order = paid_order(api, menu, ("X-Burger", "1"), ("Guaraná lata", "2"))
    cpf = valid_cpf(3)
    made = api.post(DOCS, "cashier", json={"order_id": order["order_id"], "cpf": cpf})
    assert made.status_code == 201, made.text
    docs = wait_document(api, order["order_id"], "CONTINGENCY")
    [offline] = [d for d in docs if d["status"] == "CONTINGENCY"]
    note = _note(api, offline)
    nfce.validate(note)
    qr, fields = _qr(note)
    inf = note.find("n:infNFe", N)
    issued = datetime.fromisoformat(inf.findtext("n:ide/n:dhEmi", namespaces=N))
    assert fields[:7] == [offline["access_key"], "3", "2", f"{issued:%d}", order["total"],
                          "2", cpf]
    # The signature of the seven fields verifies with the store's certificate (no CSC).
    key, cert, _ = pkcs12.load_key_and_certificates(certificate[0].read_bytes(),
                                                    PASSWORD.encode())
    cert.public_key().verify(base64.b64decode(fields[7]), "|".join(fields[:7]).encode(),
                             padding.PKCS1v15(), hashes.SHA1())
    sefaz.silence = 0
    wait_document(api, order["order_id"], "AUTHORISED")
