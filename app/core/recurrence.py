"""Weekly series in local time: the same wall-clock hours every week (or every N weeks),
across daylight-saving changes. Booking series use it; activity series will too.

Each date is turned into UTC on its own, so "Tuesdays 14–16 h" stays 14–16 h in the
residence after the clocks change (its UTC time moves by an hour).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from app.core.timeutils import Period

MAX_DAYS = 366  # a series lasts a year at most: longer ones are a typo


@dataclass(frozen=True, slots=True)
class Weekly:
    """Every ``every`` weeks on ``weekday`` (0 = Monday), from ``first`` to ``until``."""

    weekday: int
    first: dt.date
    until: dt.date
    every: int = 1

    @property
    def is_valid(self) -> bool:
        return (
            0 <= self.weekday <= 6
            and self.every >= 1
            and self.first <= self.until
            and (self.until - self.first).days <= MAX_DAYS
        )

    def dates(self) -> Iterator[dt.date]:
        day = self.first + dt.timedelta(days=(self.weekday - self.first.weekday()) % 7)
        step = dt.timedelta(weeks=self.every)
        while day <= self.until:
            yield day
            day += step

    def periods(
        self, start: dt.time, end: dt.time, tz: ZoneInfo
    ) -> Iterator[tuple[dt.date, Period]]:
        """Each date with its period in UTC (same local hours on every date)."""
        for day in self.dates():
            yield (
                day,
                Period.from_local(
                    dt.datetime.combine(day, start), dt.datetime.combine(day, end), tz
                ),
            )
