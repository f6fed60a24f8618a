"""``/api/v1/reports/…``: the back office's reports, as JSON or as CSV for a spreadsheet."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field
from starlette.responses import Response

from posmodern.core.api import RequestContext
from posmodern.core.bodies import Strict
from posmodern.core.store_settings import store_value
from posmodern.plugins.backoffice import reports
from posmodern.plugins.backoffice.periods import Period
from posmodern.plugins.backoffice.settings import REPORT_TIMEZONE


class ReportQuery(Strict):
    since: date | None = Field(default=None, description="First day (the store's calendar); "
                                                         "default today")
    until: date | None = Field(default=None, description="Last day, included; default since")
    format: Literal["json", "csv"] = "json"


class SalesQuery(ReportQuery):
    by: Literal[reports.SALES_BY] = "day"  # type: ignore[valid-type]


def _cell(value: Any, kind: str, period: Period) -> str:
    """A value as a Brazilian spreadsheet reads it: decimal comma, dd/mm/yyyy."""
    if isinstance(value, Decimal):
        return str(value).replace(".", ",")
    if isinstance(value, datetime):
        return period.local(value).strftime("%d/%m/%Y %H:%M")
    if kind == "date":
        return date.fromisoformat(value).strftime("%d/%m/%Y")
    return str(value)


def as_csv(report: reports.Report, period: Period) -> Response:
    """``;``-separated (what a pt-BR spreadsheet expects), a totals line last, with a BOM so
    accents open right."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([column.title for column in report.columns])
    for row in report.rows:
        writer.writerow([_cell(row[c.name], c.kind, period) for c in report.columns])
    totals = report.totals()
    writer.writerow(["Total" if index == 0 else
                     _cell(totals[c.name], c.kind, period) if c.name in totals else ""
                     for index, c in enumerate(report.columns)])
    name = f"{report.name.replace('.', '-')}_{period.since}_{period.until}.csv"
    return Response("\ufeff" + out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


async def _answer(ctx: RequestContext, build) -> dict | Response:
    query: ReportQuery = ctx.query
    async with ctx.transaction() as conn:
        zone = await store_value(conn, ctx.runtime.settings, ctx.store_id, REPORT_TIMEZONE)
        period = Period.of(query.since, query.until, zone)
        report = await build(conn, period)
    return as_csv(report, period) if query.format == "csv" else report.view(period)


async def sales(ctx: RequestContext) -> dict | Response:
    return await _answer(ctx, lambda conn, period: reports.sales(conn, ctx.store_id, period,
                                                                 ctx.query.by))


async def cancellations(ctx: RequestContext) -> dict | Response:
    return await _answer(ctx, lambda conn, period: reports.cancellations(conn, ctx.store_id,
                                                                         period))


async def discounts(ctx: RequestContext) -> dict | Response:
    return await _answer(ctx, lambda conn, period: reports.discounts(conn, ctx.store_id,
                                                                     period))
