"""The sender: one asyncio task that sends signed notes to SEFAZ, issues a contingency note
when a send gets no answer, sends contingency notes when SEFAZ answers again, consults notes
whose send got no answer (never resent blindly), and voids the numbers of refused notes.
Whether a store's SEFAZ answers (and may have its contingency notes again) is
:mod:`~posmodern.plugins.fiscal.availability`'s.

Every step claims its note in a short transaction (status and next attempt saved) before the
request leaves, and records the answer in another: a process killed in between leaves a note
``SENDING`` that the next pass consults by its key.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, ClassVar

from posmodern.core.errors import GatewayTimeout, PosError
from posmodern.core.due_work import DueWorker
from posmodern.plugins.fiscal import emission, messages, sefaz
from posmodern.plugins.fiscal.availability import Availability
from posmodern.plugins.fiscal.cancelling import cancel
from posmodern.plugins.fiscal import settings as spec
from posmodern.plugins.fiscal.documents import DocumentStatus as S
from posmodern.plugins.fiscal.documents import change, find_document
from posmodern.plugins.fiscal.issuer import StoreFiscal, store_fiscal
from posmodern.plugins.fiscal.state import NOTES_WRITTEN
from posmodern.schema.tables import fiscal_documents
from posmodern.schema.types import utcnow
from sqlalchemy import Select, Table, select

log = logging.getLogger("posmodern.fiscal")
AUTHORISED = ("100", "150")
DUPLICATE = ("539", "204")
PROCESSING = ("103", "105")
NOT_FOUND = ("217",)
CANCELLED = ("101", "135", "151", "155")
VOIDED = ("102", "256", "563")  # voided now, or already voided before
NUMBER_USED = ("241",)
#: Notes the sender moves on when their next attempt is due (an authorised one: when a
#: contingency note stands in for it and it must be cancelled).
WORK = (S.SIGNED, S.SENDING, S.CONTINGENCY, S.UNANSWERED, S.REJECTED, S.AUTHORISED)
CONCURRENT = 8
SUBSTITUTED = "NFC-e substituida pela emitida em contingencia offline"
CONTINGENCY_REASON = "SEFAZ sem resposta em {seconds:g} s: NFC-e emitida em contingencia offline"


@dataclass
class Sender(DueWorker):
    """Passes over the tenants' notes (:class:`~posmodern.core.due_work.DueWorker`), each due
    note moved on in a task of its own: a silent SEFAZ holds one note, not the ones behind it."""

    #: Whose SEFAZ did not answer lately, and whose says it is in operation again.
    availability: Availability = field(init=False)
    #: Notes being moved on now.
    in_flight: dict[uuid.UUID, asyncio.Task] = field(default_factory=dict)
    _slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(CONCURRENT))

    name: ClassVar[str] = "fiscal"
    table: ClassVar[Table] = fiscal_documents
    poll: ClassVar[Any] = spec.POLL
    topic: ClassVar[str | None] = NOTES_WRITTEN

    def __post_init__(self) -> None:
        self.availability = Availability(self.value(spec.RETRY))

    def running(self) -> list[asyncio.Task | None]:
        return [self._task, *self.in_flight.values()]

    def waiting(self) -> Select:
        return (select(fiscal_documents.c.document_id, fiscal_documents.c.store_id,
                       fiscal_documents.c.next_attempt_at)
                .where(fiscal_documents.c.status.in_([s.value for s in WORK]),
                       fiscal_documents.c.next_attempt_at.is_not(None))
                .order_by(fiscal_documents.c.number))

    async def run_pass(self, full: bool) -> None:
        await self.run_once(wait=False, full=full)

    async def run_once(self, *, wait: bool = True, full: bool = True) -> None:
        """One pass over the tenants' notes that are due, each moved on in a task of its own
        (``wait``: until they all are); ``full``: over every tenant that has notes, otherwise
        over :attr:`busy` only."""
        async for client_id, due in self.due(full):
            for row in due:
                if row.document_id not in self.in_flight:
                    task = asyncio.create_task(self.step(client_id, row.store_id,
                                                         row.document_id))
                    self.in_flight[row.document_id] = task
                    task.add_done_callback(
                        lambda _, key=row.document_id: self.in_flight.pop(key, None))
        if wait and self.in_flight:
            await asyncio.gather(*self.in_flight.values(), return_exceptions=True)

    async def step(self, client_id: str, store_id: str, document_id: uuid.UUID) -> None:
        """Move one note forward; what it does depends on its status."""
        async with self._slots:
            await self._step(client_id, store_id, document_id)

    async def _step(self, client_id: str, store_id: str, document_id: uuid.UUID) -> None:
        # A failure leaves the note as its claim saved it: tried again at its next attempt.
        try:
            claimed = await self._claim(client_id, store_id, document_id)
            if claimed is None:
                return
            row, store = claimed
            handler = {S.SIGNED: self._send, S.CONTINGENCY: self._send,
                       S.SENDING: self._consult, S.UNANSWERED: self._consult,
                       S.REJECTED: self._void,
                       S.AUTHORISED: self._cancel_substituted}[S(row.status)]
            await handler(client_id, row, store)
        except Exception:
            log.exception("fiscal: note %s could not move on", document_id)

    async def _claim(self, client_id: str, store_id: str, document_id: uuid.UUID):
        """Lock the note, check it is still due, and push its next attempt past this one."""
        now = utcnow()
        async with self.runtime.db.transaction(client_id) as conn:
            row = await find_document(conn, document_id, store_id, lock=True)
            if row is None or row.status not in WORK or row.next_attempt_at is None \
                    or row.next_attempt_at > now:
                return None
            store = await store_fiscal(conn, self.runtime.settings, store_id)
            timeout = self.value(spec.TIMEOUT)
            lease = now + timedelta(seconds=timeout * 3 + self.value(spec.RETRY))
            status = S.SENDING if row.status == S.SIGNED else row.status
            if row.status == S.SIGNED and self.availability.is_offline(client_id, store_id):
                return await self._to_contingency_in_place(conn, client_id, row, store)
            await change(conn, row.document_id, status=status, next_attempt_at=lease,
                         attempts=row.attempts + 1)
            return row, store

    def warnings(self) -> list[str]:
        """The stores whose SEFAZ did not answer lately (``/ready``)."""
        return self.availability.warnings()

    async def _call(self, store: StoreFiscal, service: str, message) -> sefaz.Answer:
        return await sefaz.store_call(store, service, message, self.value(spec.TIMEOUT))

    async def _send(self, client_id: str, row: Any, store: StoreFiscal) -> None:
        if row.status == S.CONTINGENCY and not await self.availability.back_online(
                client_id, row.store_id, store, self.value(spec.TIMEOUT)):
            await self._later(client_id, row.document_id)
            return
        batch = messages.batch(row.xml, row.number)
        try:
            answer = await self._call(store, "NFeAutorizacao4", batch)
        except sefaz.NoAnswer as exc:
            log.warning("fiscal: note %s got no answer: %s", row.number, exc)
            self.availability.went_offline(client_id, row.store_id)
            if row.status == S.CONTINGENCY:
                await self._later(client_id, row.document_id, str(exc))
            else:
                await self._stand_in(client_id, row, str(exc))
            return
        self.availability.answered(client_id, row.store_id)
        await self._record(client_id, row, store, answer)

    async def _record(self, client_id: str, row: Any, store: StoreFiscal,
                      answer: sefaz.Answer) -> None:
        code = answer.final
        if code in AUTHORISED:
            await self._authorised(client_id, row, answer)
        elif code in DUPLICATE:
            await self._consult(client_id, row, store, duplicate=answer)
        elif answer.status in PROCESSING:
            async with self.runtime.db.transaction(client_id) as conn:
                await change(conn, row.document_id, status=S.UNANSWERED, status_code=code,
                             reason=answer.reason, next_attempt_at=self._retry_at())
        else:
            log.error("fiscal: note %s rejected: %s %s", row.number, code,
                      answer.inner_reason or answer.reason)
            async with self.runtime.db.transaction(client_id) as conn:
                await change(conn, row.document_id, status=S.REJECTED, status_code=code,
                             reason=answer.inner_reason or answer.reason,
                             next_attempt_at=utcnow())

    async def _authorised(self, client_id: str, row: Any, answer: sefaz.Answer) -> None:
        async with self.runtime.db.transaction(client_id) as conn:
            stand_in = (await conn.execute(select(fiscal_documents.c.document_id).where(
                fiscal_documents.c.replaces_id == row.document_id))).first()
            meta = {**(row.metadata or {}), "protocol_xml": answer.xml}
            if stand_in is not None:
                # Authorised after all, while the customer left with the contingency note: the
                # first is cancelled (next step, retried until SEFAZ answers); the contingency
                # note stays the sale's note.
                meta["substituted_by"] = str(stand_in.document_id)
            await change(conn, row.document_id, status=S.AUTHORISED, status_code=answer.final,
                         reason=answer.inner_reason or answer.reason,
                         protocol=answer.protocol, metadata=meta,
                         next_attempt_at=utcnow() if stand_in is not None else None)

    async def _cancel_substituted(self, client_id: str, row: Any, store: StoreFiscal) -> None:
        """Cancel by substitution (event 110112) a note authorised after all while the contingency
        note stood in for it, once that one is authorised too (SEFAZ requires both)."""
        stand_in_id = (row.metadata or {}).get("substituted_by")
        if not stand_in_id:
            await self._later(client_id, row.document_id)
            return
        async with self.runtime.db.transaction(client_id) as conn:
            stand_in = await find_document(conn, uuid.UUID(stand_in_id), row.store_id)
            if stand_in is not None and stand_in.status in (S.REJECTED, S.VOIDED,
                                                            S.CANCELLED):
                # The contingency note was refused (or cancelled): nothing stands for this
                # one, which stays the sale's note.
                await change(conn, row.document_id, next_attempt_at=None,
                             reason=f"a NFC-e de contingência está {stand_in.status}: esta "
                                    "continua a nota da venda")
                return
        if stand_in is None or stand_in.status != S.AUTHORISED:
            await self._later(client_id, row.document_id)
            return
        try:
            await cancel(self.runtime, client_id, row.store_id, row.document_id, SUBSTITUTED,
                         substitute_key=stand_in.access_key)
        except GatewayTimeout:
            self.availability.went_offline(client_id, row.store_id)
            await self._later(client_id, row.document_id)
        except PosError as exc:
            log.error("fiscal: note %s, stood in for, cannot be cancelled: %s", row.number, exc)
            async with self.runtime.db.transaction(client_id) as conn:
                await change(conn, row.document_id, next_attempt_at=None, reason=str(exc))

    async def _consult(self, client_id: str, row: Any, store: StoreFiscal, *,
                       duplicate: sefaz.Answer | None = None) -> None:
        """Ask SEFAZ what became of the note (after a send without answer, or a duplicity
        answer): authorised, cancelled, unknown (sent again, or its number voided)."""
        try:
            answer = await self._call(store, "NFeConsultaProtocolo4",
                                      messages.query(row.access_key, store.environment))
        except sefaz.NoAnswer as exc:
            self.availability.went_offline(client_id, row.store_id)
            await self._later(client_id, row.document_id, str(exc), status=S.UNANSWERED)
            return
        self.availability.answered(client_id, row.store_id)
        code = answer.final
        if code in AUTHORISED:
            await self._authorised(client_id, row, answer)
        elif code in CANCELLED:
            async with self.runtime.db.transaction(client_id) as conn:
                await change(conn, row.document_id, status=S.CANCELLED, status_code=code,
                             reason=answer.inner_reason or answer.reason, next_attempt_at=None)
        elif code in NOT_FOUND and duplicate is None:
            await self._not_at_sefaz(client_id, row)
        elif code in PROCESSING:
            await self._later(client_id, row.document_id, answer.reason, status=S.UNANSWERED)
        else:
            refusal = duplicate or answer
            async with self.runtime.db.transaction(client_id) as conn:
                await change(conn, row.document_id, status=S.REJECTED,
                             status_code=refusal.final,
                             reason=refusal.inner_reason or refusal.reason,
                             next_attempt_at=utcnow())

    async def _not_at_sefaz(self, client_id: str, row: Any) -> None:
        """SEFAZ never got it: send it again, unless a contingency note stands in for it (its
        number is then voided)."""
        async with self.runtime.db.transaction(client_id) as conn:
            stand_in = (await conn.execute(select(fiscal_documents.c.document_id).where(
                fiscal_documents.c.replaces_id == row.document_id))).first()
            if stand_in is None:
                await change(conn, row.document_id, status=S.SIGNED, next_attempt_at=utcnow())
            else:
                await change(conn, row.document_id, status=S.REJECTED, status_code="217",
                             reason="não consta na SEFAZ; substituída pela NFC-e em "
                                    "contingência: número a inutilizar",
                             next_attempt_at=utcnow())

    async def _stand_in(self, client_id: str, row: Any, error: str) -> None:
        """No answer to a normal send: the note waits to be consulted, and a contingency note
        (a new number, tpEmis 9) is issued at once for the customer."""
        async with self.runtime.db.transaction(client_id) as conn:
            await change(conn, row.document_id, status=S.UNANSWERED, reason=error,
                         next_attempt_at=self._retry_at())
            order = await emission.load_order(conn, row.order_id, row.store_id)
            meta = row.metadata or {}
            sale = emission.Sale(order, meta.get("tenders", []), meta.get("cpf"))
            await emission.issue(conn, self.runtime.settings, client_id, row.store_id, sale,
                                 strict=False, contingency=(utcnow(), self._reason()),
                                 replaces=row.document_id)
            await emission.announce_contingency(conn, client_id, row.order_id, row.store_id,
                                                sale.tenders)

    def _reason(self) -> str:
        return CONTINGENCY_REASON.format(seconds=self.value(spec.TIMEOUT))

    async def _to_contingency_in_place(self, conn, client_id: str, row: Any, store: StoreFiscal):
        """SEFAZ is known to be silent and this note never left: it is signed again as a
        contingency note with its own number (no gap, no send)."""
        order = await emission.load_order(conn, row.order_id, row.store_id)
        meta = row.metadata or {}
        sale = emission.Sale(order, meta.get("tenders", []), meta.get("cpf"))
        await emission.reissue_offline(conn, store, row, sale, self._reason())
        await emission.announce_contingency(conn, client_id, row.order_id, row.store_id,
                                            sale.tenders)
        return None

    def _retry_at(self):
        return utcnow() + timedelta(seconds=self.value(spec.RETRY))

    async def _later(self, client_id: str, document_id: uuid.UUID, error: str | None = None,
                     status: S | None = None) -> None:
        async with self.runtime.db.transaction(client_id) as conn:
            values = {"next_attempt_at": self._retry_at()}
            if error:
                values["reason"] = error
            if status is not None:
                values["status"] = status
            await change(conn, document_id, **values)

    async def _void(self, client_id: str, row: Any, store: StoreFiscal) -> None:
        """Void the number of a refused note (inutilização)."""
        now = utcnow()
        certificate = store.certificate(now)
        message = messages.voiding(
            store.uf_code, now.year, store.issuer().cnpj, row.series, row.number, row.number,
            f"NFC-e {row.number} nao autorizada: numero inutilizado", store.environment,
            certificate)
        try:
            answer = await self._call(store, "NFeInutilizacao4", message)
        except sefaz.NoAnswer as exc:
            await self._later(client_id, row.document_id, None)
            log.warning("fiscal: voiding %s got no answer: %s", row.number, exc)
            return
        self.availability.answered(client_id, row.store_id)
        async with self.runtime.db.transaction(client_id) as conn:
            if answer.final in VOIDED:
                meta = {**(row.metadata or {}), "voided": True,
                        "voiding_protocol": answer.protocol}
                await change(conn, row.document_id, status=S.VOIDED, metadata=meta,
                             next_attempt_at=None)
            else:
                # A number SEFAZ knows as used is never voided: it waits for a person.
                retry = None if answer.final in NUMBER_USED else self._retry_at()
                log.error("fiscal: number %s not voided: %s %s", row.number, answer.final,
                          answer.reason)
                await change(conn, row.document_id, next_attempt_at=retry,
                             metadata={**(row.metadata or {}),
                                       "voiding_error": f"{answer.final} {answer.reason}"})
