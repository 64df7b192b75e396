"""Every date and time word comes from core/timewords, in the language asked for."""

from __future__ import annotations

import datetime as dt

import pytest

from app.core import timewords

DAY = dt.date(2026, 12, 3)  # a Thursday


def _plain(value):
    """As a reader sees it: the no-break space of "14 h" is a space."""
    if isinstance(value, str):
        return value.replace(timewords.NBSP, " ")
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


class _Plain:
    def __init__(self, tw):
        self._tw = tw

    def __getattr__(self, name):
        attr = getattr(self._tw, name)
        if callable(attr):
            return lambda *args, **kw: _plain(attr(*args, **kw))
        return attr


def words(*args, **kw):
    return _Plain(timewords.words(*args, **kw))


def test_a_time_never_splits_at_the_end_of_a_line():
    """ "de 9 h à 22 / h" on a narrow phone: the number and its unit are held together."""
    fr, en = timewords.words("fr", this_year=2026), timewords.words("en", this_year=2026)
    assert fr.time(dt.time(22)) == "22\u00a0h" and fr.time(dt.time(9, 30)) == "9\u00a0h\u00a030"
    assert en.time(dt.time(22)) == "10\u00a0pm" and en.time(dt.time(9, 30)) == "9:30\u00a0am"


def at(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute))


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("fr", ["jeudi 3 décembre", "14 h", "14 h 30", "minuit", "de 14 h à 16 h"]),
        ("en", ["Thursday 3 December", "2 pm", "2:30 pm", "midnight", "from 2 pm to 4 pm"]),
    ],
)
def test_days_and_hours_read_as_words(locale, expected):
    tw = words(locale, this_year=2026)
    assert [
        tw.day(DAY),
        tw.time(dt.time(14)),
        tw.time(dt.time(14, 30)),
        tw.time(dt.time(0)),
        tw.hours(at(14), at(16)),
    ] == expected


def test_whole_days_are_not_from_midnight_to_midnight():
    fr, en = words("fr", this_year=2026), words("en", this_year=2026)
    monday = dt.date(2026, 11, 30)
    midnight = dt.datetime.combine(monday, dt.time())
    assert (
        fr.period(midnight, midnight + dt.timedelta(days=1))
        == "lundi 30 novembre, toute la journée"
    )
    assert en.period(midnight, midnight + dt.timedelta(days=1)) == "Monday 30 November, all day"
    assert "minuit" not in fr.period(midnight, midnight + dt.timedelta(days=3))


def test_the_first_of_the_month_is_1er_in_french():
    first = dt.date(2026, 12, 1)
    assert words("fr", this_year=2026).day(first) == "mardi 1er décembre"
    assert words("fr", this_year=2026).date(first) == "1er décembre 2026"
    assert words("en", this_year=2026).day(first) == "Tuesday 1 December"


def test_the_year_is_said_only_when_it_is_not_this_one():
    assert words("fr", this_year=2026).day(DAY) == "jeudi 3 décembre"
    assert words("fr", this_year=2027).day(DAY) == "jeudi 3 décembre 2026"
    assert words("en", this_year=2026).day(DAY, year=True) == "Thursday 3 December 2026"


def test_noon_and_midnight_in_english_are_words_not_12_am():
    tw = words("en", this_year=2026)
    assert tw.time(dt.time(12)) == "noon" and tw.time(dt.time(23, 59)) == "midnight"
    assert tw.hours(at(22), at(23, 59)) == "from 10 pm to midnight"


def test_a_days_free_time_fits_a_line_in_both_languages():
    periods = [(at(9), at(12)), (at(14), at(22))]
    assert words("fr", this_year=2026).free(periods) == "libre de 9 h à 12 h et de 14 h à 22 h"
    assert words("en", this_year=2026).free(periods) == "free 9 am–noon and 2 pm–10 pm"


def test_periods_stays_and_spans():
    fr = words("fr", this_year=2026)
    assert fr.period(at(14), at(16)) == "jeudi 3 décembre, de 14 h à 16 h"
    friday = DAY + dt.timedelta(days=1)
    assert fr.period(at(14), at(11, day=friday)) == (
        "du jeudi 3 décembre à 14 h au vendredi 4 décembre à 11 h"
    )
    assert fr.stay(at(15), at(11, day=DAY + dt.timedelta(days=2))) == (
        "du jeudi 3 au samedi 5 décembre (2 nuits)"
    )
    assert fr.span(at(0), at(23, 59)) == "toute la journée"
    assert fr.span(at(0), at(11)) == "jusqu'à 11 h"
    assert fr.span(at(14), at(23, 59)) == "à partir de 14 h"


def test_aware_times_are_shown_in_the_residences_time_zone():
    utc = dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.UTC)
    assert words("fr", "Europe/Paris", 2026).time(utc) == "14 h"  # summer time: UTC+2
    assert words("fr", "America/Cayenne", 2026).time(utc) == "9 h"


def test_durations_and_plurals():
    fr, en = words("fr", this_year=2026), words("en", this_year=2026)
    assert fr.duration(90) == "1 heure et 30 minutes"
    assert fr.duration(48 * 60) == "2 jours"
    assert en.duration(120) == "2 hours"
    assert fr.nights(1) == "1 nuit" and en.nights(3) == "3 nights"
    assert fr.weekly(1, 1, dt.time(14), dt.time(16)) == "chaque mardi de 14 h à 16 h"
    assert (
        en.weekly(1, 2, dt.time(14), dt.time(16)) == "every 2 weeks on Tuesday, from 2 pm to 4 pm"
    )


def test_words_are_worked_out_once_per_language():
    same = timewords.words("fr", "Europe/Paris", 2026)
    assert same is timewords.words("fr", "Europe/Paris", 2026)
    assert words("xx", this_year=2026).locale == "fr"  # an unknown language reads French
