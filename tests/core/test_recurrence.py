"""Weekly series keep their local hours across daylight-saving changes."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from app.core.recurrence import Weekly

PARIS = ZoneInfo("Europe/Paris")


def test_every_week_from_the_first_matching_day():
    weekly = Weekly(weekday=1, first=dt.date(2026, 3, 20), until=dt.date(2026, 4, 14))
    assert list(weekly.dates()) == [
        dt.date(2026, 3, 24),
        dt.date(2026, 3, 31),
        dt.date(2026, 4, 7),
        dt.date(2026, 4, 14),
    ]


def test_every_two_weeks():
    weekly = Weekly(weekday=0, first=dt.date(2026, 11, 30), until=dt.date(2026, 12, 31), every=2)
    assert list(weekly.dates()) == [
        dt.date(2026, 11, 30),
        dt.date(2026, 12, 14),
        dt.date(2026, 12, 28),
    ]


def test_the_same_local_hours_across_the_change_to_summer_and_back():
    weekly = Weekly(weekday=6, first=dt.date(2026, 3, 22), until=dt.date(2026, 11, 1))
    periods = dict(weekly.periods(dt.time(14), dt.time(16), PARIS))
    before, after = periods[dt.date(2026, 3, 22)], periods[dt.date(2026, 3, 29)]
    assert (before.start.hour, after.start.hour) == (13, 12)  # UTC+1, then UTC+2 (29 March)
    back = periods[dt.date(2026, 11, 1)]  # winter time again since 25 October
    assert back.start.hour == 13
    for period in periods.values():
        start, end = period.local(PARIS)
        assert (start.time(), end.time()) == (dt.time(14), dt.time(16))


def test_a_series_is_valid_only_forward_and_within_a_year():
    assert Weekly(0, dt.date(2026, 1, 1), dt.date(2026, 12, 31)).is_valid
    assert not Weekly(0, dt.date(2026, 2, 1), dt.date(2026, 1, 1)).is_valid
    assert not Weekly(0, dt.date(2026, 1, 1), dt.date(2027, 6, 1)).is_valid
    assert not Weekly(7, dt.date(2026, 1, 1), dt.date(2026, 2, 1)).is_valid
    assert not Weekly(0, dt.date(2026, 1, 1), dt.date(2026, 2, 1), every=0).is_valid
