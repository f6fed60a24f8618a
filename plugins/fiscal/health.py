"""What a manager must know about a store's NFC-e: the certificate's expiry (warnings at 30, 15
and 7 days), notes outstanding in contingency (alerts at 1 h and 12 h), notes waiting for data
or refused."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from posmodern.core.api import RequestContext
from posmodern.plugins.fiscal.documents import DocumentStatus as S
from posmodern.plugins.fiscal.issuer import store_fiscal
from posmodern.plugins.fiscal.signer import CertificateProblem
from posmodern.schema.tables import fiscal_documents
from posmodern.schema.types import utcnow
from sqlalchemy import func, select

CERTIFICATE_WARNINGS = (7, 15, 30)
CONTINGENCY_ALERTS = (timedelta(hours=12), timedelta(hours=1))


def certificate_alert(not_after: datetime, now: datetime) -> str | None:
    days = (not_after - now).days
    for limit in CERTIFICATE_WARNINGS:
        if days <= limit:
            return f"o certificado A1 vence em {days} dia(s) ({not_after:%d/%m/%Y})"
    return None


def contingency_alert(oldest: datetime | None, count: int, now: datetime) -> str | None:
    if oldest is None:
        return None
    for limit in CONTINGENCY_ALERTS:
        if now - oldest >= limit:
            return (f"{count} NFC-e em contingência há mais de {limit.seconds // 3600 or 12} h: "
                    "transmita-as dentro do prazo legal")
    return None


async def status(ctx: RequestContext) -> dict[str, Any]:
    now = utcnow()
    async with ctx.transaction() as conn:
        store = await store_fiscal(conn, ctx.runtime.settings, ctx.store_id)
        counts = dict((await conn.execute(
            select(fiscal_documents.c.status, func.count())
            .where(fiscal_documents.c.store_id == ctx.store_id)
            .group_by(fiscal_documents.c.status))).all())
        oldest = (await conn.execute(
            select(func.min(fiscal_documents.c.issued_at))
            .where(fiscal_documents.c.store_id == ctx.store_id,
                   fiscal_documents.c.status == S.CONTINGENCY))).scalar()
    alerts, certificate = [], None
    try:
        found = store.certificate(now)
        certificate = {"not_after": found.not_after, "days_left": (found.not_after - now).days}
        alerts.append(certificate_alert(found.not_after, now))
    except CertificateProblem as exc:
        alerts.append(f"certificado A1 inutilizável: {exc}")
    alerts.append(contingency_alert(oldest, counts.get(S.CONTINGENCY, 0), now))
    if counts.get(S.PENDING_DATA):
        alerts.append(f"{counts[S.PENDING_DATA]} NFC-e aguardando dados fiscais")
    return {"environment": store.values["POS_FISCAL_ENVIRONMENT"], "missing": store.missing(),
            "certificate": certificate, "documents": counts,
            "oldest_contingency_at": oldest, "alerts": [a for a in alerts if a]}
