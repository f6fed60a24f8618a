"""Leaving contingency: before the contingency notes are sent again, the state's status service
(NFeStatusServico4) is asked; only 107 (in operation) lets them go."""

from support.fiscal import paid_order, wait_document
from support.tenant_db import wait_for


def _sends_of(sefaz, key: str) -> int:
    return sum(key.encode() in body for service, body in sefaz.requests
               if service == "NFeAutorizacao4")


def test_contingency_notes_wait_until_sefaz_says_it_is_in_operation(api, menu, sefaz):
    sefaz.silence = 6.0  # longer than POS_FISCAL_TIMEOUT_SECONDS (2 s)
    order = paid_order(api, menu, ("X-Burger", "1"))
    docs = wait_document(api, order["order_id"], "CONTINGENCY")
    [offline] = [d for d in docs if d["status"] == "CONTINGENCY"]
    sefaz.service_status = ("108", "Serviço Paralisado Momentaneamente (curto prazo)")
    sefaz.silence = 0
    # SEFAZ answers again but says its service is paralysed: asked more than once (every
    # POS_FISCAL_RETRY_SECONDS), and the contingency note is not sent meanwhile.
    wait_for(lambda: sefaz.answers.count("108") >= 2)
    assert _sends_of(sefaz, offline["access_key"]) == 0
    assert offline["document_id"] in [d["document_id"] for d in wait_document(
        api, order["order_id"], "CONTINGENCY")]
    sefaz.service_status = ("107", "Serviço em Operação")
    found = {d["status"]: d for d in wait_document(api, order["order_id"], "AUTHORISED")}
    assert found["AUTHORISED"]["document_id"] == offline["document_id"]
    assert _sends_of(sefaz, offline["access_key"]) == 1
    # The send came after a 107.
    services = sefaz.services()
    sent = next(i for i, (service, body) in enumerate(sefaz.requests)
                if service == "NFeAutorizacao4" and offline["access_key"].encode() in body)
    assert "NFeStatusServico4" in services[:sent] and not sefaz.errors
    assert sefaz.answers[:sefaz.answers.index("104")].count("107") == 1  # 104: batch done
