"""Transmission against the fake SEFAZ: silence puts the note in offline contingency (printed
at once, sent when SEFAZ answers again), a send without answer is consulted before anything (and
cancelled by substitution if it was authorised after all), refused notes get their number
voided, authorised ones can be cancelled."""

import uuid
from datetime import datetime, timedelta, timezone

from lxml import etree
from posmodern.plugins.fiscal import nfce
from posmodern.schema.tables import fiscal_documents
from sqlalchemy import update
from support.api import assert_error
from support.fiscal import DOCS, configure, documents, paid_order, wait_document
from support.tenant_db import fetch, wait_for

N = {"n": nfce.NFE}


def _inf(doc) -> etree._Element:
    return etree.fromstring(doc["xml"].encode()).find("n:infNFe", N)


def _with_xml(api, doc) -> dict:
    answer = api.get(f"{DOCS}/{doc['document_id']}/xml")
    assert answer.status_code == 200, answer.text
    root = etree.fromstring(answer.content)
    note = root if root.tag.endswith("}NFe") else root.find("n:NFe", N)
    return {**doc, "xml": etree.tostring(note).decode()}


def _by_status(docs) -> dict[str, dict]:
    return {doc["status"]: doc for doc in docs}


def test_silence_issues_an_offline_contingency_note_sent_when_sefaz_is_back(api, menu, sefaz):
    sefaz.silence = 6.0  # longer than POS_FISCAL_TIMEOUT_SECONDS (2 s)
    order = paid_order(api, menu, ("X-Burger", "1"))
    docs = wait_document(api, order["order_id"], "CONTINGENCY")
    found = _by_status(docs)
    offline, first = found["CONTINGENCY"], found["UNANSWERED"]
    assert offline["replaces_id"] == first["document_id"]
    assert offline["contingency"] and offline["access_key"][34] == "9"
    assert offline["number"] == first["number"] + 1
    inf = _inf(_with_xml(api, offline))
    assert inf.findtext("n:ide/n:tpEmis", namespaces=N) == "9"
    assert inf.findtext("n:ide/n:dhCont", namespaces=N)
    assert "contingencia" in inf.findtext("n:ide/n:xJust", namespaces=N)
    nfce.validate(etree.fromstring(_with_xml(api, offline)["xml"].encode()))
    # An offline QR code carries the day, the total and the digest (7 fields and the hash).
    assert len(offline["qr_url"].split("?p=")[1].split("|")) == 8
    # The operator's probe says so while SEFAZ is silent, and stays ready: the store keeps
    # selling. (The warning lasts until SEFAZ answers, not just POS_FISCAL_RETRY_SECONDS.)
    def warned():
        ready = api.client.get("/ready")
        assert ready.status_code == 200
        return any(w.startswith(f"fiscal: SEFAZ did not answer for {api.tenant.client_id}/")
                   for w in ready.json().get("warnings", []))
    wait_for(warned, timeout=4.0)
    sefaz.silence = 0
    docs = wait_document(api, order["order_id"], "AUTHORISED")
    docs = wait_document(api, order["order_id"], "VOIDED")
    assert not warned()  # SEFAZ answered: the warning is gone
    found = _by_status(docs)
    assert found["AUTHORISED"]["document_id"] == offline["document_id"]
    assert found["VOIDED"]["document_id"] == first["document_id"]
    # The first note never reached SEFAZ: consulted (217), then its number voided.
    assert (1, first["number"], first["number"]) in sefaz.voided
    assert "NFeConsultaProtocolo4" in sefaz.services() and not sefaz.errors
    assert list(sefaz.by_number) == [(1, offline["number"])]


def test_a_send_whose_answer_was_lost_is_consulted_not_resent(api, menu, sefaz):
    sefaz.silence, sefaz.lose_answers = 4.0, True  # SEFAZ authorises, the answer is lost
    order = paid_order(api, menu, ("Misto quente", "1"))
    wait_document(api, order["order_id"], "CONTINGENCY")
    sefaz.silence, sefaz.lose_answers = 0, False
    wait_document(api, order["order_id"], "CANCELLED")
    found = _by_status(wait_document(api, order["order_id"], "AUTHORISED"))
    # The first was authorised after all: found by consulting its key, then cancelled since
    # the customer holds the contingency note, which is authorised too.
    first, offline = found["CANCELLED"], found["AUTHORISED"]
    assert offline["replaces_id"] == first["document_id"] and offline["contingency"]
    assert first["access_key"] in sefaz.cancelled
    # Cancelled by substitution (event 110112), referencing the contingency note.
    assert sefaz.events == [("110112", first["access_key"], offline["access_key"])]
    assert first["cancel_event"] == "110112" and first["cancel_protocol"]
    assert first["substitute_key"] == offline["access_key"] and first["protocol"]
    sends = [body for service, body in sefaz.requests if service == "NFeAutorizacao4"]
    assert sum(first["access_key"].encode() in body for body in sends) == 1


def test_a_rejected_note_has_its_number_voided_and_the_order_can_get_a_new_note(api, menu,
                                                                                  sefaz):
    sefaz.reject = ("778", "Rejeição: Informado NCM inexistente")
    order = paid_order(api, menu, ("Guaraná lata", "1"))
    [voided] = wait_document(api, order["order_id"], "VOIDED")
    assert voided["status_code"] == "778" and "NCM inexistente" in voided["reason"]
    assert sefaz.voided == [(1, voided["number"], voided["number"])]
    sefaz.reject = None
    again = api.post(DOCS, "cashier", json={"order_id": order["order_id"]})
    assert again.status_code == 201, again.text
    assert again.json()["number"] == voided["number"] + 1
    wait_document(api, order["order_id"], "AUTHORISED")


def test_a_number_already_used_at_sefaz_is_never_authorised_twice(api, menu, sefaz):
    other_key = "35261211222333000181650010000000011999999999"
    sefaz.by_number[(1, 1)] = other_key
    sefaz.authorised[other_key] = {"protocol": "135000000000001", "number": (1, 1), "xml": b""}
    order = paid_order(api, menu, ("Suco de laranja", "1"))
    [doc] = wait_document(api, order["order_id"], "REJECTED")
    assert doc["number"] == 1 and doc["status_code"] == "539"
    assert "Duplicidade" in doc["reason"]
    # Consulted by its own key (unknown), and its number is not voided: SEFAZ knows it used.
    assert sefaz.services()[:2] == ["NFeAutorizacao4", "NFeConsultaProtocolo4"]
    assert sefaz.by_number[(1, 1)] == other_key and sefaz.voided == []


def test_an_authorised_note_is_cancelled_with_a_reason(api, menu, sefaz):
    order = paid_order(api, menu, ("X-Burger", "1"))
    [doc] = wait_document(api, order["order_id"], "AUTHORISED")
    path = f"{DOCS}/{doc['document_id']}/cancel"
    assert_error(api.post(path, "manager", json={"reason": "curto"}), 422)
    assert_error(api.post(path, "cashier", json={"reason": "cliente desistiu da compra"}), 403)
    done = api.post(path, "manager", json={"reason": "cliente desistiu da compra"})
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "CANCELLED" and done.json()["status_code"] == "135"
    assert doc["access_key"] in sefaz.cancelled
    assert_error(api.post(path, "manager", json={"reason": "cliente desistiu da compra"}),
                 409, "not_authorised")
    assert [d["status"] for d in documents(api, order["order_id"])] == ["CANCELLED"]


def test_the_cancellation_window_is_the_states(api, menu, sefaz, fiscal_settings):
    order = paid_order(api, menu, ("X-Burger", "1"))
    [doc] = wait_document(api, order["order_id"], "AUTHORISED")
    path = f"{DOCS}/{doc['document_id']}/cancel"
    reason = {"reason": "cliente desistiu da compra"}
    # Authorised 31 minutes ago: past the 30 minutes of most states, nothing is sent.
    fetch(fiscal_settings, api.tenant.client_id, update(fiscal_documents)
          .where(fiscal_documents.c.document_id == uuid.UUID(doc["document_id"]))
          .values(issued_at=datetime.now(timezone.utc) - timedelta(minutes=31))
          .returning(fiscal_documents.c.document_id))
    error = assert_error(api.post(path, "manager", json=reason), 409, "cancel_window_over")
    assert "30 minutes" in error["message"] and not sefaz.cancelled
    assert_error(api.patch("/api/v1/settings", json={"POS_FISCAL_CANCEL_MINUTES": 0}), 422)
    # A state that allows 24 hours: the store says so, and the same request goes through.
    configure(api, {"POS_FISCAL_CANCEL_MINUTES": 1440})
    done = api.post(path, "manager", json=reason)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "CANCELLED" and doc["access_key"] in sefaz.cancelled
