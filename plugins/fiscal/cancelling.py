"""Cancelling an authorised NFC-e: the event 110111 within the legal window (the store's
``POS_FISCAL_CANCEL_MINUTES``: 30 in most states), or the event 110112
(cancellation by substitution, NT 2018.004) when another note of the same sale replaced it.

The substitution is the contingency case: a note sent without an answer (``tpEmis`` 1), a
contingency note (``tpEmis`` 9) issued for the same sale within two hours, both authorised in the
end; the first is cancelled referencing the second (``chNFeRef``) within 168 hours. SEFAZ checks
that both notes carry the same consumer, total, ICMS and first item; so does
:func:`_check_substitute` before anything leaves.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from lxml import etree
from posmodern.core.errors import Conflict, GatewayTimeout, NotFound, ValidationFailed
from posmodern.core.runtime import Runtime
from posmodern.plugins.fiscal import messages, sefaz
from posmodern.plugins.fiscal import settings as spec
from posmodern.plugins.fiscal.documents import DocumentStatus, change, find_document
from posmodern.plugins.fiscal.emission import BRT
from posmodern.plugins.fiscal.issuer import store_fiscal
from posmodern.plugins.fiscal.nfce import NFE
from posmodern.schema.tables import fiscal_documents
from posmodern.schema.types import utcnow
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

#: The substitute must have been issued within this long of the note it replaces.
SUBSTITUTE_GAP = timedelta(hours=2)
REGISTERED = ("135", "155")
#: What both notes must say alike (SEFAZ compares them): the consumer, the total, the ICMS and
#: the first item.
_ALIKE = {"consumidor": ("dest/n:CPF", "dest/n:CNPJ"), "valor total": ("total/n:ICMSTot/n:vNF",),
          "ICMS": ("total/n:ICMSTot/n:vICMS",),
          "primeiro item": ("det/n:prod/n:cProd", "det/n:prod/n:qCom", "det/n:prod/n:vProd")}


class CancelNotAllowed(Conflict):
    """The note cannot be cancelled (not authorised, or past the legal window)."""


def _window_over(window: timedelta, row: Any) -> CancelNotAllowed:
    hours, minutes = divmod(int(window.total_seconds()) // 60, 60)
    span = (f"{minutes} minutes" if not hours else f"{hours} hours" if not minutes
            else f"{hours} hours {minutes} minutes")
    return CancelNotAllowed(f"the NFC-e can be cancelled only within {span} of its issue",
                            code="cancel_window_over",
                            details={"issued_at": row.issued_at.isoformat()})


def _facts(xml: str) -> tuple[str, dict[str, tuple[str | None, ...]]]:
    """(tpEmis, what SEFAZ compares) of a signed note."""
    inf = etree.fromstring(xml.encode()).find(f"{{{NFE}}}infNFe")
    ns = {"n": NFE}
    return (inf.findtext("n:ide/n:tpEmis", namespaces=ns),
            {name: tuple(inf.findtext("n:" + path, namespaces=ns) for path in paths)
             for name, paths in _ALIKE.items()})


async def _check_substitute(conn: AsyncConnection, row: Any, substitute_key: str,
                            store_id: str) -> Any:
    """The substitute note of ``row`` by its key, if it may stand for it; else a 4xx."""
    if substitute_key == row.access_key:
        raise ValidationFailed("a note cannot substitute itself", code="substitute_is_the_note")
    substitute = (await conn.execute(select(fiscal_documents).where(
        fiscal_documents.c.access_key == substitute_key,
        fiscal_documents.c.store_id == store_id))).first()
    if substitute is None:
        raise ValidationFailed(f"no NFC-e {substitute_key} in this store",
                               code="substitute_not_found")
    if substitute.status != DocumentStatus.AUTHORISED:
        raise CancelNotAllowed(f"the substitute NFC-e must be authorised (it is "
                               f"{substitute.status})", code="substitute_not_authorised")
    if substitute.order_id != row.order_id:
        raise CancelNotAllowed("the substitute NFC-e is of another sale",
                               code="substitute_other_sale")
    kind, facts = _facts(row.xml)
    substitute_kind, substitute_facts = _facts(substitute.xml)
    if kind != "1" or substitute_kind != "9":
        raise CancelNotAllowed("a cancellation by substitution replaces a normal NFC-e "
                               "(tpEmis 1) by one issued in contingency (tpEmis 9)",
                               code="substitute_not_contingency")
    if abs(substitute.issued_at - row.issued_at) > SUBSTITUTE_GAP:
        raise CancelNotAllowed("the substitute NFC-e was issued more than 2 hours apart",
                               code="substitute_too_far")
    differ = [name for name in _ALIKE if facts[name] != substitute_facts[name]]
    if differ:
        raise CancelNotAllowed("the substitute NFC-e differs in: " + ", ".join(differ),
                               code="substitute_differs", details={"differ": differ})
    return substitute


async def cancel(runtime: Runtime, client_id: str, store_id: str, document_id: uuid.UUID,
                 reason: str, *, check_window: bool = False,
                 substitute_key: str | None = None) -> Any:
    """Register the cancellation of an authorised note at SEFAZ and mark it ``CANCELLED``:
    event 110111, or 110112 when ``substitute_key`` names the note that replaced it."""
    now = utcnow()
    async with runtime.db.transaction(client_id) as conn:
        row = await find_document(conn, document_id, store_id)
        if row is None:
            raise NotFound(f"fiscal document {document_id} not found", code="document_not_found")
        if row.status != DocumentStatus.AUTHORISED:
            raise CancelNotAllowed(f"only an authorised NFC-e can be cancelled (this one is "
                                   f"{row.status})", code="not_authorised")
        store = await store_fiscal(conn, runtime.settings, store_id)
        # The state's windows (most: 30 minutes; 168 hours by substitution), the store's
        # settings: SEFAZ refuses a late event anyway, this says so before anything leaves.
        window = (timedelta(hours=store[spec.SUBSTITUTION_HOURS]) if substitute_key
                  else timedelta(minutes=store[spec.CANCEL_MINUTES]))
        if (check_window or substitute_key) and row.issued_at + window < now:
            raise _window_over(window, row)
        if substitute_key:
            await _check_substitute(conn, row, substitute_key, store_id)
    certificate = store.certificate(now)
    when = now.astimezone(BRT)
    if substitute_key:
        message = messages.substitution(row.access_key, row.protocol, reason, substitute_key,
                                        store.issuer().cnpj, store.environment, when,
                                        certificate, row.number)
    else:
        message = messages.cancellation(row.access_key, row.protocol, reason,
                                        store.issuer().cnpj, store.environment, when,
                                        certificate, row.number)
    try:
        answer = await sefaz.store_call(store, "NFeRecepcaoEvento4", message,
                                        spec.TIMEOUT.value(runtime.settings))
    except sefaz.NoAnswer as exc:
        raise GatewayTimeout(f"SEFAZ did not answer the cancellation: {exc}",
                             code="sefaz_no_answer") from exc
    if answer.final not in REGISTERED:
        raise CancelNotAllowed(f"SEFAZ refused the cancellation: {answer.final} "
                               f"{answer.inner_reason or answer.reason}", code="sefaz_refused",
                               details={"status_code": answer.final})
    async with runtime.db.transaction(client_id) as conn:
        event = messages.CANCEL_BY_SUBSTITUTION if substitute_key else messages.CANCEL
        meta = {**(row.metadata or {}), "cancel_protocol": answer.protocol,
                "cancel_reason": reason, "cancel_xml": answer.xml, "cancel_event": event}
        if substitute_key:
            meta["substitute_key"] = substitute_key
        await change(conn, row.document_id, status=DocumentStatus.CANCELLED,
                     status_code=answer.final, reason=answer.inner_reason or answer.reason,
                     metadata=meta, next_attempt_at=None)
        return await find_document(conn, document_id, store_id)
