"""Cancellation by substitution (event 110112, NFC-e only): a note authorised after all while a
contingency note of the same sale stood in for it is cancelled referencing that note
(``chNFeRef``); the event follows its schema and is signed; the API cancels so on request, and
refuses an unknown substitute, one not authorised or of another sale, and a note too old."""

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from lxml import etree
from posmodern.plugins.fiscal import messages, nfce
from posmodern.plugins.fiscal.signer import load_certificate
from posmodern.schema.tables import fiscal_documents
from sqlalchemy import update
from support.api import assert_error
from support.fiscal import DOCS, paid_order, wait_document, xmlsec_verifies
from support.fiscal_cert import PASSWORD
from support.tenant_db import fetch, wait_for

N = {"n": nfce.NFE}
KEY = "35261211222333000181650010000000011123456780"
SUBSTITUTE = "35261211222333000181650010000000029123456781"
REASON = "NFC-e substituida pela emitida em contingencia offline"


def _by_status(docs) -> dict[str, dict]:
    return {doc["status"]: doc for doc in docs}


def test_the_event_follows_its_schema_and_is_signed(certificate, tmp_path):
    now = datetime(2026, 12, 1, 12, tzinfo=timezone(timedelta(hours=-3)))
    cert = load_certificate(str(certificate[0]), PASSWORD, datetime.now(timezone.utc))
    root = messages.substitution(KEY, "135260000000001", REASON, SUBSTITUTE, "11222333000181",
                                 "2", now, cert, 7)
    info = root.find("n:evento/n:infEvento", N)
    assert info.get("Id") == f"ID110112{KEY}01"
    assert info.findtext("n:tpEvento", namespaces=N) == "110112"
    detail = info.find("n:detEvento", N)
    assert [(etree.QName(c).localname, c.text) for c in detail] == [
        ("descEvento", "Cancelamento por substituicao"), ("cOrgaoAutor", "35"),
        ("tpAutor", "1"), ("verAplic", nfce.VERSION_APP), ("nProt", "135260000000001"),
        ("xJust", REASON), ("chNFeRef", SUBSTITUTE)]
    assert info.getnext().tag == "{http://www.w3.org/2000/09/xmldsig#}Signature"
    detail.find("n:chNFeRef", N).text = "123"
    with pytest.raises(nfce.SchemaInvalid):
        messages.validate_substitution(root)
    detail.find("n:chNFeRef", N).text = SUBSTITUTE
    messages.validate_substitution(root)
    xmlsec_verifies(tmp_path, root, certificate, "infEvento")


def _two_authorised_notes(api, menu, sefaz) -> tuple[dict, dict, str]:
    """A sale whose first note SEFAZ authorised while its answer was lost, and the contingency
    note that stood in for it, authorised too; the automatic 110112 refused by SEFAZ, so the
    first stays authorised. (first, contingency, order id)"""
    sefaz.refuse_events["110112"] = ("999", "Rejeição: serviço de eventos indisponível")
    sefaz.silence, sefaz.lose_answers = 4.0, True
    order = paid_order(api, menu, ("Misto quente", "1"))
    wait_document(api, order["order_id"], "CONTINGENCY")
    sefaz.silence, sefaz.lose_answers = 0, False
    docs = wait_document(api, order["order_id"], "AUTHORISED", count=2)
    found = sorted(docs, key=lambda d: d["number"])
    first, offline = found
    assert offline["replaces_id"] == first["document_id"] and offline["contingency"]

    def refused():
        doc = api.get(f"{DOCS}/{first['document_id']}").json()
        return doc if "999" in (doc["reason"] or "") else None
    wait_for(refused)
    return first, offline, order["order_id"]


def test_a_replaced_note_is_cancelled_by_substitution_on_request(api, menu, sefaz):
    first, offline, order_id = _two_authorised_notes(api, menu, sefaz)
    path = f"{DOCS}/{first['document_id']}/cancel"
    body = {"reason": REASON, "substitute_key": offline["access_key"]}
    refused = assert_error(api.post(path, "manager", json=body), 409, "sefaz_refused")
    assert refused["details"]["status_code"] == "999"
    sefaz.refuse_events.clear()
    assert_error(api.post(path, "cashier", json=body), 403)
    done = api.post(path, "manager", json=body)
    assert done.status_code == 200, done.text
    doc = done.json()
    assert doc["status"] == "CANCELLED" and doc["status_code"] == "135"
    assert doc["protocol"] == first["protocol"]  # the authorisation's protocol is kept
    assert doc["cancel_protocol"] and doc["cancel_event"] == "110112"
    assert doc["substitute_key"] == offline["access_key"]
    assert sefaz.events == [("110112", first["access_key"], offline["access_key"])]
    assert not sefaz.errors
    # The contingency note stays the sale's note.
    found = _by_status(api.get(DOCS, params={"order_id": order_id}).json()["documents"])
    assert found["AUTHORISED"]["document_id"] == offline["document_id"]


def test_bad_substitutes_are_refused(api, menu, sefaz, fiscal_settings):
    first, offline, _ = _two_authorised_notes(api, menu, sefaz)
    sefaz.refuse_events.clear()
    path = f"{DOCS}/{first['document_id']}/cancel"

    def cancel(key, status, code=None):
        return assert_error(api.post(path, "manager", json={"reason": REASON,
                                                             "substitute_key": key}),
                            status, code)

    cancel("123", 422)
    cancel("35261211222333000181650010000000999123456789", 422, "substitute_not_found")
    cancel(first["access_key"], 422, "substitute_is_the_note")
    # Another sale's note, authorised: not a substitute of this one.
    other = paid_order(api, menu, ("Misto quente", "1"))
    [other_doc] = wait_document(api, other["order_id"], "AUTHORISED")
    cancel(other_doc["access_key"], 409, "substitute_other_sale")
    # The other way round: the contingency note cannot be replaced by the normal one.
    assert_error(api.post(f"{DOCS}/{offline['document_id']}/cancel", "manager",
                          json={"reason": REASON, "substitute_key": first["access_key"]}),
                 409, "substitute_not_contingency")
    # Past 168 hours the substitution is closed.
    week_ago = datetime.now(timezone.utc) - timedelta(hours=169)
    fetch(fiscal_settings, api.tenant.client_id, update(fiscal_documents)
          .where(fiscal_documents.c.document_id == uuid.UUID(first["document_id"]))
          .values(issued_at=week_ago).returning(fiscal_documents.c.document_id))
    error = cancel(offline["access_key"], 409, "cancel_window_over")
    assert "168 hours" in error["message"]
    assert sefaz.events == [] and not sefaz.errors
    doc = api.get(f"{DOCS}/{first['document_id']}").json()
    assert doc["status"] == "AUTHORISED"


def test_a_substitute_not_authorised_is_refused(api, menu, sefaz):
    first, offline, _ = _two_authorised_notes(api, menu, sefaz)
    sefaz.refuse_events.clear()
    done = api.post(f"{DOCS}/{offline['document_id']}/cancel", "manager",
                    json={"reason": "cliente desistiu da compra"})
    assert done.status_code == 200, done.text  # event 110111: the contingency note is gone
    assert_error(api.post(f"{DOCS}/{first['document_id']}/cancel", "manager",
                          json={"reason": REASON, "substitute_key": offline["access_key"]}),
                 409, "substitute_not_authorised")
