"""The sender: one asyncio task that takes each store's pending CF-e to its SAT/MF-e.

A CF-e is claimed in a short transaction (``SENDING``, its session number and next attempt
saved) before the call leaves, and the answer is recorded in another. A call without an answer
(or a process killed in between) leaves it ``SENDING``/``UNANSWERED``: the next attempt asks the
device about that session (``ConsultarNumeroSessao``) and sends again only when the device says
the session does not exist, never blindly.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import timedelta, timezone
from typing import Any, ClassVar

from sqlalchemy import Select, Table, select

from posmodern.core.runtime import Runtime
from posmodern.core.store_settings import store_values
from posmodern.core.due_work import DueWorker
from posmodern.plugins.sat import settings as spec
from posmodern.plugins.sat.device import Device, DeviceBusy, DeviceMissing, DeviceSilent
from posmodern.plugins.sat.device import new_session
from posmodern.plugins.sat.issuing import CFE_WRITTEN
from posmodern.plugins.sat.documents import WORK, announce, change, find_document
from posmodern.plugins.sat.documents import DocumentStatus as S
from posmodern.plugins.sat.tables import sat_documents
from posmodern.schema.types import utcnow

log = logging.getLogger("posmodern.sat")
#: ConsultarNumeroSessao: the session asked about never reached the device.
NO_SUCH_SESSION = "11003"
#: The device's clock is Brasília time (UTC-3, no daylight saving since 2019).
DEVICE_TIME = timezone(timedelta(hours=-3))


def authorised_values(answer: Any) -> dict[str, Any]:
    """What is kept of an authorising answer (EnviarDadosVenda 06000)."""
    root = ET.fromstring(answer.xml().encode())
    number = root.findtext("infCFe/ide/nCFe")
    return {"status": S.AUTHORISED, "access_key": answer.chaveConsulta,
            "number": int(number) if number else None,
            "sat_serial": root.findtext("infCFe/ide/nserieSAT"),
            "cfe_base64": answer.arquivoCFeSAT,
            "cfe_sha256": hashlib.sha256(answer.arquivoCFeSAT.encode()).hexdigest(),
            "qr_signature": answer.assinaturaQRCODE, "code": answer.EEEEE,
            "sefaz_code": answer.cod or None, "message": answer.mensagem,
            "issued_at": answer.timeStamp.replace(tzinfo=DEVICE_TIME).astimezone(timezone.utc),
            "next_attempt_at": None}


def refused_values(answer: Any) -> dict[str, Any]:
    """The device's code and reason of a refusal."""
    sefaz = getattr(answer, "mensagemSEFAZ", "") or ""
    message = getattr(answer, "mensagem", "") or ""
    return {"code": str(getattr(answer, "EEEEE", ""))[:5] or None,
            "sefaz_code": (getattr(answer, "cod", "") or None),
            "message": f"{message} ({sefaz})" if sefaz else message}


async def device_of(conn, runtime: Runtime, store_id: str) -> Device:
    values = await store_values(conn, runtime.settings, store_id,
                                [spec.LIBRARY, spec.ACTIVATION_CODE])
    return Device(values[spec.LIBRARY.name] or "", values[spec.ACTIVATION_CODE.name] or "")


async def recent_sessions(conn, store_id: str) -> set[int]:
    rows = await conn.execute(select(sat_documents.c.session).where(
        sat_documents.c.store_id == store_id, sat_documents.c.session.is_not(None))
        .order_by(sat_documents.c.updated_at.desc()).limit(100))
    return {row.session for row in rows}


@dataclass
class Sender(DueWorker):
    """Passes over the tenants' CF-e (:class:`~posmodern.core.due_work.DueWorker`), the due
    ones moved on one after the other (a device takes one call at a time)."""

    name: ClassVar[str] = "sat"
    table: ClassVar[Table] = sat_documents
    poll: ClassVar[Any] = spec.POLL
    topic: ClassVar[str | None] = CFE_WRITTEN

    def waiting(self) -> Select:
        return (select(sat_documents.c.document_id, sat_documents.c.store_id,
                       sat_documents.c.next_attempt_at)
                .where(sat_documents.c.status.in_([s.value for s in WORK]))
                .order_by(sat_documents.c.created_at))

    async def run_pass(self, full: bool) -> None:
        await self.run_once(full=full)

    async def run_once(self, *, full: bool = True) -> None:
        """One pass: every due CF-e of the tenants that have some (or were woken) moved on."""
        async for client_id, due in self.due(full):
            for row in due:
                try:
                    await self.step(client_id, row.store_id, row.document_id)
                except Exception:
                    log.exception("sat: CF-e %s could not move on", row.document_id)

    async def step(self, client_id: str, store_id: str, document_id: uuid.UUID) -> None:
        """Move one CF-e on: send a pending one, consult one sent without an answer."""
        claimed = await self._claim(client_id, store_id, document_id)
        if claimed is None:
            return
        row, device, session, consulting = claimed
        timeout = self.value(spec.TIMEOUT)
        try:
            if consulting:
                answer = await device.call(session, timeout,
                                           lambda sat: sat.consultar_numero_sessao(row.session))
            else:
                answer = await device.call(session, timeout,
                                           lambda sat: sat.enviar_dados_venda(row.sale_xml))
            values = authorised_values(answer)
        except (DeviceBusy, DeviceMissing) as exc:  # nothing left: as it was before the claim
            values = {"status": row.status if consulting else S.PENDING,
                      "session": row.session, "message": str(exc)}
        except DeviceSilent as exc:
            values = {"status": S.UNANSWERED, "message": str(exc)}
        except Exception as exc:  # noqa: BLE001 - satcfe's refusals and garbled answers
            values = self._refused(exc, consulting)
        if values["status"] != S.AUTHORISED and "next_attempt_at" not in values:
            values["next_attempt_at"] = utcnow() + timedelta(seconds=self.value(spec.RETRY))
        async with self.runtime.db.transaction(client_id) as conn:
            await change(conn, document_id, **values)
            # The receipt waits for the first answer; a later one that changes what it would
            # show (authorised after all) prints it again.
            if values["status"] != row.status or row.message is None:
                await announce(conn, document_id, store_id)

    def _refused(self, exc: Exception, consulting: bool) -> dict[str, Any]:
        from satcfe.excecoes import ExcecaoRespostaSAT

        if not isinstance(exc, ExcecaoRespostaSAT):
            log.warning("sat: the device's answer could not be read: %s", exc)
            return {"status": S.UNANSWERED, "message": f"resposta ilegível do SAT: {exc}"}
        refused = refused_values(exc.resposta)
        if consulting and refused["code"] == NO_SUCH_SESSION:
            # The sale never reached the device: it is sent again, under a new session.
            return {**refused, "status": S.PENDING, "session": None, "next_attempt_at": utcnow()}
        if refused["code"] and refused["code"].startswith("06"):
            return {**refused, "status": S.REJECTED, "next_attempt_at": None}
        return {**refused, "status": S.UNANSWERED}

    async def _claim(self, client_id: str, store_id: str, document_id: uuid.UUID):
        """Lock the CF-e, check it is still due, save the call's session and push its next
        attempt past this one (a lease) before the call leaves."""
        now = utcnow()
        async with self.runtime.db.transaction(client_id) as conn:
            row = await find_document(conn, document_id, store_id, lock=True)
            if row is None or row.status not in WORK or row.next_attempt_at is None \
                    or row.next_attempt_at > now:
                return None
            device = await device_of(conn, self.runtime, store_id)
            recent = await recent_sessions(conn, store_id)
            session = new_session(recent)
            consulting = row.status in (S.SENDING, S.UNANSWERED) and row.session is not None
            lease = now + timedelta(seconds=self.value(spec.TIMEOUT) * 2
                                    + self.value(spec.RETRY))
            values: dict[str, Any] = {"next_attempt_at": lease, "attempts": row.attempts + 1}
            if not consulting:
                values.update(status=S.SENDING, session=session)
            await change(conn, document_id, **values)
            return row, device, session, consulting
