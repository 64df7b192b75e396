"""Local time of a residence ↔ UTC. Stored times are UTC; people think in local time.

A period typed or tapped by a person (a booking, a closure) becomes a ``Period`` in UTC with
``Period.from_local``: that is the one place where a local wall-clock time turns into UTC.
Services work on ``Period`` values; pages turn them back into local words for display.

The clock changes (issue 10, point 10):

- in spring, an hour does not exist (Europe/Paris, last Sunday of March: 02:00 → 03:00).
  No such time is ever offered (``exists``), and one typed or sent anyway is refused with the
  true reason (``NonexistentTime``), never turned silently into another hour;
- in autumn, an hour happens twice (last Sunday of October: 02:00–03:00 twice). One rule:
  a local time of that hour means its **first** occurrence, still in summer time (Python's
  ``fold=0``). "02:30 on 25 October 2026" is 00:30 UTC, and a booking from 02:00 to 03:00
  that night lasts two real hours.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from app.core.errors import DomainError
from app.core.i18n import lazy_gettext as _l

# Dates a person could mean; anything outside is a typo (and UTC maths would overflow).
FIRST_YEAR, LAST_YEAR = 1970, 9000


class NonexistentTime(DomainError):
    default_message = _l(
        "Cette heure n'existe pas ce jour-là : cette nuit-là, on avance les horloges d'une "
        "heure (passage à l'heure d'été). Choisissez une autre heure."
    )


def exists(local: dt.datetime, tz: ZoneInfo) -> bool:
    """Whether a naive local time happens at all in ``tz`` (not in the spring gap)."""
    return to_local(to_utc(local, tz), tz) == local.replace(fold=0)


def to_utc(local: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """A naive local wall-clock time of the residence → aware UTC. In the autumn hour that
    happens twice, the first occurrence (``fold=0``, summer time)."""
    if local.tzinfo is not None:
        return local.astimezone(dt.UTC)
    return local.replace(tzinfo=tz, fold=0).astimezone(dt.UTC)


def to_local(moment: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """An aware time → naive local wall-clock time of the residence."""
    return moment.astimezone(tz).replace(tzinfo=None)


def day_start(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    """Local midnight at the start of ``day``, in UTC."""
    return to_utc(dt.datetime.combine(day, dt.time.min), tz)


def local_today(tz: ZoneInfo, now: dt.datetime) -> dt.date:
    return to_local(now, tz).date()


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def reasonable(day: dt.date) -> bool:
    return FIRST_YEAR <= day.year <= LAST_YEAR


def parse_local(value: str | None) -> dt.datetime | None:
    """``2026-12-01T14:00`` (ISO 8601, local, no zone) → naive datetime, or None."""
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if not reasonable(parsed):
        return None
    return parsed.replace(tzinfo=None, second=0, microsecond=0)


def parse_date(value: str | None) -> dt.date | None:
    """``2026-12-01`` → date, or None when unreadable or absurd."""
    try:
        day = dt.date.fromisoformat((value or "").strip())
    except ValueError:
        return None
    return day if reasonable(day) else None


def iso_minutes(moment: dt.datetime) -> str:
    """``2026-12-01T14:00``: how local times travel in links and forms (DESIGN §5)."""
    return moment.isoformat(timespec="minutes")


@dataclass(frozen=True, slots=True)
class Period:
    """A span of time in UTC (aware datetimes), ``start < end`` not enforced here."""

    start: dt.datetime
    end: dt.datetime

    @classmethod
    def from_local(cls, start: dt.datetime, end: dt.datetime, tz: ZoneInfo) -> Period:
        """The one conversion of a person's local times to UTC; a time that does not exist
        (the spring clock change) is refused, with the reason."""
        if not (exists(start, tz) and exists(end, tz)):
            raise NonexistentTime()
        return cls(to_utc(start, tz), to_utc(end, tz))

    @classmethod
    def days(cls, first: dt.date, last: dt.date, tz: ZoneInfo) -> Period:
        """From local midnight of ``first`` to local midnight after ``last``."""
        return cls(day_start(first, tz), day_start(last + dt.timedelta(days=1), tz))

    def local(self, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
        return to_local(self.start, tz), to_local(self.end, tz)

    def overlaps(self, start: dt.datetime, end: dt.datetime) -> bool:
        return self.start < end and start < self.end

    @property
    def is_valid(self) -> bool:
        return self.start < self.end

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)
