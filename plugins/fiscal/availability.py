"""Whether each store's SEFAZ answers, as the sender found it.

A send without answer marks the store offline for ``POS_FISCAL_RETRY_SECONDS``: its new notes
are issued in contingency at once. Before its contingency notes leave again, the state's status
service (``NFeStatusServico4``) is asked: only ``107`` (in operation) lets them go; silence or
another status (``108`` paralysed for a moment, ``109`` without forecast) keeps the store offline
for another while. One answer of ``107`` serves the store's notes for the same while.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from posmodern.plugins.fiscal import messages, sefaz
from posmodern.plugins.fiscal.issuer import StoreFiscal
from posmodern.schema.types import utcnow

log = logging.getLogger("posmodern.fiscal")
IN_OPERATION = "107"
Store = tuple[str, str]  # (client, store)


@dataclass
class Availability:
    #: How long a silence keeps a store offline, and a probe's 107 lets its notes go.
    retry_seconds: float
    #: Stores whose SEFAZ did not answer lately → until when.
    offline: dict[Store, datetime] = field(default_factory=dict)
    #: Stores whose status service said 107 lately → until when that holds.
    operating: dict[Store, datetime] = field(default_factory=dict)
    #: Stores whose SEFAZ went silent and has not answered since → since when.
    silent: dict[Store, datetime] = field(default_factory=dict)

    def warnings(self) -> list[str]:
        """The stores whose SEFAZ went silent and has not answered since (``/ready``): their
        notes go out in offline contingency until it answers again. The warning lasts as long
        as the silence, not just the retry window after each unanswered call."""
        return [f"fiscal: SEFAZ did not answer for {client_id}/{store_id}: notes are issued in "
                "offline contingency and sent when it answers"
                for client_id, store_id in sorted(self.silent)]

    def is_offline(self, client_id: str, store_id: str) -> bool:
        until = self.offline.get((client_id, store_id))
        return until is not None and until > utcnow()

    def went_offline(self, client_id: str, store_id: str) -> None:
        now = utcnow()
        self.offline[(client_id, store_id)] = now + timedelta(seconds=self.retry_seconds)
        self.operating.pop((client_id, store_id), None)
        self.silent.setdefault((client_id, store_id), now)

    def answered(self, client_id: str, store_id: str) -> None:
        """SEFAZ answered the store (whatever it said): the silence is over."""
        self.silent.pop((client_id, store_id), None)

    async def back_online(self, client_id: str, store_id: str, store: StoreFiscal,
                          timeout: float) -> bool:
        """May the store's contingency notes be sent now? Asks ``NFeStatusServico4`` unless
        it said 107 lately; the store stays offline otherwise."""
        if self.is_offline(client_id, store_id):
            return False
        now = utcnow()
        if self.operating.get((client_id, store_id), now) > now:
            return True
        message = messages.service_status(store.uf_code, store.environment)
        try:
            answer = await sefaz.store_call(store, "NFeStatusServico4", message, timeout)
        except sefaz.NoAnswer as exc:
            log.warning("fiscal: SEFAZ's status service did not answer store %s: %s",
                        store_id, exc)
            self.went_offline(client_id, store_id)
            return False
        self.answered(client_id, store_id)
        if answer.status != IN_OPERATION:
            log.warning("fiscal: SEFAZ's service is not in operation for store %s: %s %s",
                        store_id, answer.status, answer.reason)
            self.went_offline(client_id, store_id)
            return False
        self.operating[(client_id, store_id)] = now + timedelta(seconds=self.retry_seconds)
        return True
