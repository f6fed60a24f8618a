"""A report's period: whole days of the store's calendar, turned into UTC bounds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from posmodern.core.errors import ValidationFailed

#: The longest period a report covers, in days.
MAX_DAYS = 366


@dataclass(frozen=True)
class Period:
    """``since`` to ``until`` (both included) in ``zone``; ``start``/``end`` in UTC."""

    since: date
    until: date
    zone: ZoneInfo

    @classmethod
    def of(cls, since: date | None, until: date | None, zone_name: str) -> "Period":
        try:
            zone = ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError):
            zone = ZoneInfo("America/Sao_Paulo")
        today = datetime.now(zone).date()
        since = since or until or today
        until = until or since
        if until < since:
            raise ValidationFailed("until is before since", code="invalid_period",
                                   details={"since": since.isoformat(),
                                            "until": until.isoformat()})
        if (until - since).days >= MAX_DAYS:
            raise ValidationFailed(f"a report covers at most {MAX_DAYS} days",
                                   code="period_too_long")
        return cls(since, until, zone)

    def _utc(self, day: date) -> datetime:
        return datetime.combine(day, time(0), self.zone).astimezone(timezone.utc)

    @property
    def start(self) -> datetime:
        return self._utc(self.since)

    @property
    def end(self) -> datetime:
        return self._utc(self.until + timedelta(days=1))

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone)

    def view(self) -> dict[str, str]:
        return {"since": self.since.isoformat(), "until": self.until.isoformat(),
                "timezone": self.zone.key}
