"""Local time of a residence ↔ UTC. Stored times are UTC; people think in local time."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo


def to_utc(local: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """A naive local wall-clock time of the residence → aware UTC."""
    if local.tzinfo is not None:
        return local.astimezone(dt.UTC)
    return local.replace(tzinfo=tz).astimezone(dt.UTC)


def to_local(moment: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """An aware time → naive local wall-clock time of the residence."""
    return moment.astimezone(tz).replace(tzinfo=None)


def parse_local(value: str | None) -> dt.datetime | None:
    """``2026-12-01T14:00`` (ISO 8601, local, no zone) → naive datetime, or None."""
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if not 1970 <= parsed.year <= 9000:  # nothing to book there, and UTC maths would overflow
        return None
    return parsed.replace(tzinfo=None, second=0, microsecond=0)


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())
