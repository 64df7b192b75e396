"""Every date and time word of the app, in one place: "jeudi 26 novembre, de 14 h à 16 h".

``words(locale, tz)`` gives a ``TimeWords``: the locale is explicit (an e-mail or a printed
sheet can be in another language than the page), and names, patterns and translations are
worked out once per locale and kept (``functools.cache``), so a page listing seventy slots does
not go through Babel seventy times. Pages get their request's ``tw`` (see ``request_words``).

Naive datetimes given here are local times of the residence; aware ones (what the database
holds) are shown in the residence's time zone ``tz``. Words only: nothing here converts a
person's time to UTC (that is ``Period.from_local``).
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.lists import format_list
from babel.support import NullTranslations, Translations

SUPPORTED = ("fr", "en")
END_OF_DAY = dt.time(23, 59)
NBSP = "\u00a0"  # a space where a line never breaks


@functools.cache
def _translations(locale: str, directories: tuple[str, ...]) -> NullTranslations:
    merged = Translations()
    for directory in directories:
        merged.merge(Translations.load(directory, [locale], "messages"))
    return merged


# Where the catalogues are when no app says otherwise (a script, a test without an app).
DEFAULT_DIRECTORY = str(Path(__file__).resolve().parents[2] / "translations")


def _directories() -> tuple[str, ...]:
    from flask_babel import get_babel

    try:
        return tuple(get_babel().translation_directories)
    except (RuntimeError, KeyError):
        return (DEFAULT_DIRECTORY,)


class TimeWords:
    """Dates and times in words for one language, in one residence's time zone."""

    def __init__(self, locale: str, tz: ZoneInfo, this_year: int):
        self.locale = locale if locale in SUPPORTED else "fr"
        self.tz = tz
        self.this_year = this_year
        data = Locale.parse(self.locale)
        self._days = [data.days["format"]["wide"][n] for n in range(7)]
        self._months = [data.months["format"]["wide"][n] for n in range(1, 13)]
        self._babel_locale = data
        t = _translations(self.locale, _directories())
        self._gettext, self._ngettext = t.ugettext, t.ungettext
        self._cache: dict = {}

    # -- translation helpers (strings are extracted by pybabel: gettext/ngettext calls) --

    def gettext(self, message: str, **values) -> str:
        text = self._gettext(message)
        return text % values if values else text

    def ngettext(self, singular: str, plural: str, num: int, **values) -> str:
        values.setdefault("num", num)
        return self._ngettext(singular, plural, num) % values

    def _local(self, moment):
        """An aware datetime → naive local; naive values and dates are already local."""
        if isinstance(moment, dt.datetime) and moment.tzinfo is not None:
            return moment.astimezone(self.tz).replace(tzinfo=None)
        return moment

    # -- days --

    def weekday(self, weekday: int) -> str:
        """``mardi`` / ``Tuesday`` (0 = Monday), as written inside a sentence."""
        return self._days[weekday]

    def weekday_names(self) -> list[str]:
        """Monday first, capitalised: ``["Lundi", "Mardi", …]``."""
        return [name[:1].upper() + name[1:] for name in self._days]

    def day(self, day, *, year: bool | None = None) -> str:
        """``mardi 2 décembre`` (``Tuesday 2 December``), with the year when it is not this
        year (or when ``year`` is True)."""
        day = self._local(day)
        if isinstance(day, dt.datetime):
            day = day.date()
        key = ("day", day, year)
        cached = self._cache.get(key)
        if cached is None:
            if len(self._cache) > 4000:  # a long-running server sees many days: stay small
                self._cache.clear()
            text = f"{self._days[day.weekday()]} {self._number(day)} {self._months[day.month - 1]}"
            if year or (year is None and day.year != self.this_year):
                text += f" {day.year}"
            cached = self._cache[key] = text
        return cached

    def weekday_and_number(self, day) -> str:
        """``mardi 2``: the first day of a stay within one month."""
        day = self._local(day)
        return f"{self._days[day.weekday()]} {self._number(day)}"

    def week_of(self, day: dt.date) -> str:
        """``lundi 7 décembre``: the Monday that starts ``day``'s week, to name a week without
        "cette semaine" (which reads as this week on a page about next week)."""
        return self.day(day - dt.timedelta(days=day.weekday()))

    def month(self, month: int) -> str:
        """``décembre`` / ``December`` (1 = January), as written inside a sentence."""
        return self._months[month - 1]

    def _number(self, day: dt.date) -> str:
        """The day of the month; in French the first is "1er" ("mardi 1er décembre")."""
        return "1er" if day.day == 1 and self.locale == "fr" else str(day.day)

    def date(self, moment) -> str:
        """A date with its year: ``2 décembre 2026`` (``2 December 2026``)."""
        day = self._local(moment)
        if isinstance(day, dt.datetime):
            day = day.date()
        return f"{self._number(day)} {self._months[day.month - 1]} {day.year}"

    # -- times --

    def time(self, moment) -> str:
        """``14 h``, ``14 h 30``, ``minuit`` / ``2 pm``, ``2:30 pm``, ``noon``, ``midnight``."""
        moment = self._local(moment)
        if isinstance(moment, dt.datetime):
            moment = moment.time()
        key = ("time", moment.hour, moment.minute)
        cached = self._cache.get(key)
        if cached is None:
            cached = self._cache[key] = self._time(moment)
        return cached

    def _time(self, moment: dt.time) -> str:
        # "14 h" never splits at the end of a line ("22 / h"): a no-break space.
        if moment >= END_OF_DAY or (moment.hour, moment.minute) == (0, 0):
            return self.gettext("minuit")
        if self.locale == "en":
            if (moment.hour, moment.minute) == (12, 0):
                return "noon"
            hour = moment.hour % 12 or 12
            suffix = "am" if moment.hour < 12 else "pm"
            if moment.minute:
                return f"{hour}:{moment.minute:02d}{NBSP}{suffix}"
            return f"{hour}{NBSP}{suffix}"
        if moment.minute:
            return f"{moment.hour}{NBSP}h{NBSP}{moment.minute:02d}"
        return f"{moment.hour}{NBSP}h"

    def hours(self, start, end) -> str:
        """``de 14 h à 16 h``."""
        return self.gettext("de %(start)s à %(end)s", start=self.time(start), end=self.time(end))

    def moment(self, moment) -> str:
        """``mardi 2 décembre à 14 h``."""
        return self.gettext("%(day)s à %(time)s", day=self.day(moment), time=self.time(moment))

    def span(self, start, end) -> str:
        """A part of one day (week view): ``de 14 h à 16 h``, ``jusqu'à 11 h``,
        ``à partir de 14 h``, ``toute la journée``."""
        start, end = self._local(start), self._local(end)
        from_midnight = start.time() == dt.time.min
        to_midnight = end.time() >= END_OF_DAY or (end.date() > start.date())
        if from_midnight and to_midnight:
            return self.gettext("toute la journée")
        if from_midnight:
            return self.gettext("jusqu'à %(time)s", time=self.time(end))
        if to_midnight:
            return self.gettext("à partir de %(time)s", time=self.time(start))
        return self.hours(start, end)

    # -- periods --

    def period(self, start, end) -> str:
        """``mardi 2 décembre, de 14 h à 16 h``; across days
        ``du mardi 2 décembre à 14 h au jeudi 4 décembre à 11 h``."""
        start, end = self._local(start), self._local(end)
        if start.time() == dt.time.min and end.time() == dt.time.min and end > start:
            # Whole days (a closure): not "de minuit à minuit".
            last = end.date() - dt.timedelta(days=1)
            if last == start.date():
                return self.gettext("%(day)s, toute la journée", day=self.day(start))
            return self.dates(start.date(), last)
        if start.date() == end.date() or (
            end.time() == dt.time.min and end.date() == start.date() + dt.timedelta(days=1)
        ):
            return self.gettext(
                "%(day)s, %(hours)s", day=self.day(start), hours=self.hours(start, end)
            )
        return self.gettext(
            "du %(start_day)s à %(start)s au %(end_day)s à %(end)s",
            start_day=self.day(start),
            start=self.time(start),
            end_day=self.day(end),
            end=self.time(end),
        )

    def weekly(self, weekday: int, every: int, start, end) -> str:
        """``chaque mardi de 14 h à 16 h``, ``un mardi sur 2 de 14 h à 16 h``."""
        if every == 1:
            return self.gettext(
                "chaque %(weekday)s %(hours)s",
                weekday=self.weekday(weekday),
                hours=self.hours(start, end),
            )
        return self.gettext(
            "un %(weekday)s sur %(every)d, %(hours)s",
            weekday=self.weekday(weekday),
            every=every,
            hours=self.hours(start, end),
        )

    def part(self, part: str) -> str:
        """``le matin``, ``l'après-midi``, ``le soir`` (``morning``…)."""
        return {
            "morning": self.gettext("le matin"),
            "afternoon": self.gettext("l'après-midi"),
            "evening": self.gettext("le soir"),
        }[part]

    def free(self, periods) -> str:
        """``libre de 9 h à 12 h et de 14 h à 22 h`` / ``free 9 am–noon and 2 pm–10 pm``:
        English says its ranges with a dash, short enough for a day and its free time to
        fit on one line of a phone, as in French."""
        if self.locale == "en":
            hours = [f"{self.time(s)}–{self.time(e)}" for s, e in periods]
        else:
            hours = [self.hours(s, e) for s, e in periods]
        return self.gettext("libre %(hours)s", hours=self.join(hours))

    def nights(self, count: int) -> str:
        return self.ngettext("%(num)d nuit", "%(num)d nuits", count)

    def stay(self, start, end) -> str:
        """Nights from one day to another: ``du mardi 2 au mercredi 3 décembre (1 nuit)``."""
        start, end = self._local(start), self._local(end)
        same_month = (start.year, start.month) == (end.year, end.month)
        return self.gettext(
            "du %(start)s au %(end)s (%(nights)s)",
            start=self.weekday_and_number(start) if same_month else self.day(start),
            end=self.day(end),
            nights=self.nights((end.date() - start.date()).days),
        )

    def dates(self, first, last) -> str:
        """``du 1 décembre 2026 au 2 mars 2027``."""
        return self.gettext(
            "du %(first)s au %(last)s", first=self.date(first), last=self.date(last)
        )

    def duration(self, minutes: int) -> str:
        """``2 heures``, ``1 heure et 30 minutes``, ``45 minutes``, ``2 jours``."""
        hours, rest = divmod(int(minutes), 60)
        if hours and hours % 24 == 0 and not rest:
            return self.ngettext("%(num)d jour", "%(num)d jours", hours // 24)
        hours_part = self.ngettext("%(num)d heure", "%(num)d heures", hours) if hours else ""
        minutes_part = self.ngettext("%(num)d minute", "%(num)d minutes", rest) if rest else ""
        if hours_part and minutes_part:
            return self.gettext("%(hours)s et %(minutes)s", hours=hours_part, minutes=minutes_part)
        return hours_part or minutes_part

    def end_choice(self, start: dt.datetime, end: dt.datetime) -> str:
        """An option of "until when?": ``16 h (2 heures)``, or nights with the departure."""
        if start.date() == end.date():
            minutes = int((end - start).total_seconds() // 60)
            return self.gettext(
                "%(time)s (%(duration)s)", time=self.time(end), duration=self.duration(minutes)
            )
        return self.gettext(
            "%(nights)s – départ le %(day)s à %(time)s",
            nights=self.nights((end.date() - start.date()).days),
            day=self.day(end),
            time=self.time(end),
        )

    def join(self, items: list[str]) -> str:
        """``a, b et c`` / ``a, b and c``."""
        return format_list(items, locale=self._babel_locale)


@functools.lru_cache(maxsize=64)
def words(locale: str, timezone: str = "Europe/Paris", this_year: int | None = None) -> TimeWords:
    """The (cached) words of one language in one time zone."""
    tz = ZoneInfo(timezone)
    if this_year is None:
        this_year = dt.datetime.now(tz).year
    return TimeWords(locale, tz, this_year)


def request_words() -> TimeWords:
    """The words of the current request: its language, its residence's time zone."""
    from flask import current_app, g
    from flask_babel import get_locale

    cached = g.get("_timewords")
    if cached is None:
        residence = g.get("residence")
        timezone = residence.timezone if residence else current_app.config["BABEL_DEFAULT_TIMEZONE"]
        locale = get_locale()
        this_year = dt.datetime.now(ZoneInfo(timezone)).year
        cached = g._timewords = words(locale.language if locale else "fr", timezone, this_year)
    return cached
