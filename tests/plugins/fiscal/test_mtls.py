"""Mutual TLS against the fake SEFAZ served over HTTPS with a test CA: the store presents its A1
certificate and trusts SEFAZ's through POS_FISCAL_SEFAZ_CA_FILE; a certificate SEFAZ does not
trust leaves the note in offline contingency, never a failed sale."""

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from support.fake_sefaz import FakeSefaz
from support.fiscal import DOCS, configure, paid_order, wait_document
from support.fiscal_cert import PASSWORD, make_ca, make_certificate, make_server_certificate


@pytest.fixture
def test_ca(tmp_path):
    return make_ca(tmp_path)


@pytest.fixture
def certificate(tmp_path, test_ca):
    """The store's A1 certificate, issued by the CA the fake SEFAZ trusts."""
    return make_certificate(tmp_path, ca=test_ca)


@pytest.fixture
def sefaz(tmp_path, test_ca):
    fake = FakeSefaz(tls=(*make_server_certificate(tmp_path, test_ca), test_ca.pem)).start()
    yield fake
    fake.stop()


def _der(pem_file) -> bytes:
    cert = x509.load_pem_x509_certificate(pem_file.read_bytes())
    return cert.public_bytes(serialization.Encoding.DER)


def test_a_note_is_authorised_and_cancelled_over_mutual_tls(api, menu, sefaz, test_ca,
                                                            certificate):
    assert sefaz.url.startswith("https://127.0.0.1:")
    configure(api, {"POS_FISCAL_SEFAZ_CA_FILE": str(test_ca.pem)})
    order = paid_order(api, menu, ("X-Burger", "1"))
    [doc] = wait_document(api, order["order_id"], "AUTHORISED")
    assert doc["status_code"] == "100" and doc["access_key"] in sefaz.authorised
    cancelled = api.post(f"{DOCS}/{doc['document_id']}/cancel", "manager",
                         json={"reason": "cliente desistiu da compra"})
    assert cancelled.status_code == 200, cancelled.text
    assert sefaz.services() == ["NFeAutorizacao4", "NFeRecepcaoEvento4"]
    # Each request came with the store's A1 certificate.
    assert sefaz.clients == [_der(certificate[1])] * 2 and not sefaz.errors


def test_a_certificate_sefaz_does_not_trust_puts_the_note_in_contingency(api, menu, sefaz,
                                                                         test_ca, tmp_path):
    stranger, _ = make_certificate(tmp_path, name="self-signed")  # no CA SEFAZ knows
    configure(api, {"POS_FISCAL_SEFAZ_CA_FILE": str(test_ca.pem),
                    "POS_FISCAL_CERT_FILE": str(stranger), "POS_FISCAL_CERT_PASSWORD": PASSWORD})
    order = paid_order(api, menu, ("Misto quente", "1"))
    docs = wait_document(api, order["order_id"], "CONTINGENCY")
    assert sorted(d["status"] for d in docs) == ["CONTINGENCY", "UNANSWERED"]
    # Refused at the handshake: nothing reached SEFAZ's services.
    assert sefaz.requests == [] and sefaz.authorised == {} and sefaz.clients == []
    # The API answers as usual (no 500): the operator sees the contingency note.
    again = api.post(DOCS, "cashier", json={"order_id": order["order_id"]})
    assert again.status_code == 200 and again.json()["status"] == "CONTINGENCY"


def test_a_sefaz_whose_certificate_the_store_does_not_trust_gets_nothing(api, menu, sefaz):
    # No POS_FISCAL_SEFAZ_CA_FILE: the system's CAs do not know the test CA.
    order = paid_order(api, menu, ("Guaraná lata", "1"))
    docs = wait_document(api, order["order_id"], "CONTINGENCY")
    assert sorted(d["status"] for d in docs) == ["CONTINGENCY", "UNANSWERED"]
    assert sefaz.requests == [] and sefaz.clients == []
