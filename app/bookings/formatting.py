"""Booking times and room rules in plain words ("mardi 2 décembre, de 14 h à 16 h").

Times given here are naive *local* times of the residence (what the services return), so they
are formatted with ``rebase=False``: Flask-Babel would otherwise take them for UTC.
"""

from __future__ import annotations

import datetime as dt
from itertools import groupby

from babel.dates import get_day_names
from babel.lists import format_list
from flask_babel import format_date, format_time, get_locale, get_timezone, ngettext
from flask_babel import gettext as _

from app.core.timeutils import to_local

# Date and time patterns that read as words, per language (CLDR's are too terse).
PATTERNS = {
    "fr": {"day": "EEEE d MMMM", "day_year": "EEEE d MMMM y", "weekday_num": "EEEE d"},
    "en": {"day": "EEEE d MMMM", "day_year": "EEEE d MMMM y", "weekday_num": "EEEE d"},
}
HOUR_PATTERNS = {
    "fr": ("H 'h'", "H 'h' mm"),
    "en": ("h a", "h:mm a"),
}


def _language() -> str:
    locale = get_locale()
    return locale.language if locale is not None and locale.language in PATTERNS else "fr"


def local_today() -> dt.date:
    return dt.datetime.now(get_timezone()).date()


def day_words(day: dt.date | dt.datetime) -> str:
    """``mardi 2 décembre`` (with the year when it is not this year)."""
    if isinstance(day, dt.datetime):
        day = day.date()
    patterns = PATTERNS[_language()]
    pattern = patterns["day"] if day.year == local_today().year else patterns["day_year"]
    return format_date(day, pattern, rebase=False)


def time_words(moment: dt.datetime | dt.time) -> str:
    """``14 h``, ``14 h 30``; ``minuit`` at the end of a day."""
    if isinstance(moment, dt.datetime):
        moment = moment.time()
    if moment >= dt.time(23, 59):
        return _("minuit")
    whole, with_minutes = HOUR_PATTERNS[_language()]
    pattern = whole if moment.minute == 0 else with_minutes
    return format_time(dt.datetime.combine(dt.date(2000, 1, 3), moment), pattern, rebase=False)


def hours_words(start: dt.datetime | dt.time, end: dt.datetime | dt.time) -> str:
    """``de 14 h à 16 h``."""
    return _("de %(start)s à %(end)s", start=time_words(start), end=time_words(end))


def nights_words(start: dt.datetime, end: dt.datetime) -> str:
    """``du mardi 2 au mercredi 3 décembre (1 nuit)``."""
    nights = (end.date() - start.date()).days
    same_month = (start.year, start.month) == (end.year, end.month)
    first = (
        format_date(start.date(), PATTERNS[_language()]["weekday_num"], rebase=False)
        if same_month
        else day_words(start)
    )
    return _(
        "du %(start)s au %(end)s (%(nights)s)",
        start=first,
        end=day_words(end),
        nights=ngettext("%(num)d nuit", "%(num)d nuits", nights),
    )


def period_words(start: dt.datetime, end: dt.datetime) -> str:
    """A local period in words: one day with hours, or nights from one day to another."""
    if start.date() == end.date():
        return _("%(day)s, %(hours)s", day=day_words(start), hours=hours_words(start, end))
    return nights_words(start, end)


def local_period(booking) -> tuple[dt.datetime, dt.datetime]:
    tz = booking.room.residence.tz
    return to_local(booking.start_at, tz), to_local(booking.end_at, tz)


def booking_words(booking) -> str:
    return period_words(*local_period(booking))


def moment_words(moment: dt.datetime) -> str:
    """A local moment: ``mardi 2 décembre à 14 h``."""
    return _("%(day)s à %(time)s", day=day_words(moment), time=time_words(moment))


def duration_words(minutes: int) -> str:
    """``2 heures``, ``1 heure et 30 minutes``, ``45 minutes``, ``2 jours``."""
    hours, rest = divmod(int(minutes), 60)
    if hours and hours % 24 == 0 and not rest:
        return ngettext("%(num)d jour", "%(num)d jours", hours // 24)
    hours_part = ngettext("%(num)d heure", "%(num)d heures", hours) if hours else ""
    minutes_part = ngettext("%(num)d minute", "%(num)d minutes", rest) if rest else ""
    if hours_part and minutes_part:
        return _("%(hours)s et %(minutes)s", hours=hours_part, minutes=minutes_part)
    return hours_part or minutes_part


def end_choice_words(start: dt.datetime, end: dt.datetime) -> str:
    """An option of the "until when?" list: ``16 h (2 heures)`` or nights with departure."""
    if start.date() == end.date():
        minutes = int((end - start).total_seconds() // 60)
        return _("%(time)s (%(duration)s)", time=time_words(end), duration=duration_words(minutes))
    nights = (end.date() - start.date()).days
    return _(
        "%(nights)s – départ le %(day)s à %(time)s",
        nights=ngettext("%(num)d nuit", "%(num)d nuits", nights),
        day=day_words(end),
        time=time_words(end),
    )


# ---------------------------------------------------------------------------------------
# The rules of a room, in plain words.


def opening_words(room) -> list[str]:
    """``du lundi au vendredi : de 9 h à 22 h`` … one line per run of alike weekdays."""
    names = get_day_names("wide", locale=get_locale())
    windows = {day: tuple((o.opens, o.closes) for o in room.openings_on(day)) for day in range(7)}
    if not any(windows.values()):
        return [_("La salle n'a pas encore d'heures d'ouverture.")]
    lines = []
    runs = [list(run) for _key, run in groupby(range(7), key=lambda d: windows[d])]
    if len(runs) == 1:
        hours = format_list([hours_words(o, c) for o, c in windows[0]], locale=get_locale())
        return [_("Tous les jours, %(hours)s", hours=hours)]
    for run in runs:
        if len(run) == 1:
            days = names[run[0]]
        else:
            days = _("du %(first)s au %(last)s", first=names[run[0]], last=names[run[-1]])
        if windows[run[0]]:
            hours = format_list(
                [hours_words(o, c) for o, c in windows[run[0]]], locale=get_locale()
            )
        else:
            hours = _("fermé")
        lines.append(_("%(days)s : %(hours)s", days=days, hours=hours))
    return lines


def rules_words(room) -> list[str]:
    """Every rule that applies to a resident's booking of ``room``, one sentence each."""
    from app.rooms.models import BookingMode

    rules = []
    if room.mode is BookingMode.NIGHTS:
        rules.append(
            _(
                "Arrivée à partir de %(checkin)s, départ avant %(checkout)s.",
                checkin=time_words(room.checkin_time),
                checkout=time_words(room.checkout_time),
            )
        )
        if room.min_nights == room.max_nights:
            rules.append(
                ngettext(
                    "Une réservation dure %(num)d nuit.",
                    "Une réservation dure %(num)d nuits.",
                    room.min_nights,
                )
            )
        else:
            rules.append(
                _(
                    "Une réservation dure de %(min)d à %(max)d nuits.",
                    min=room.min_nights,
                    max=room.max_nights,
                )
            )
    else:
        if room.min_minutes == room.max_minutes:
            rules.append(
                _("Une réservation dure %(duration)s.", duration=duration_words(room.min_minutes))
            )
        else:
            rules.append(
                _(
                    "Une réservation dure de %(min)s à %(max)s.",
                    min=duration_words(room.min_minutes),
                    max=duration_words(room.max_minutes),
                )
            )
        rules.append(
            _(
                "On réserve par tranches de %(duration)s.",
                duration=duration_words(room.slot_minutes),
            )
        )
    rules.append(
        ngettext(
            "On peut réserver jusqu'à %(num)d jour à l'avance.",
            "On peut réserver jusqu'à %(num)d jours à l'avance.",
            room.max_days_ahead,
        )
    )
    if room.cancel_hours:
        rules.append(
            _(
                "Vous pouvez annuler ou changer l'horaire en ligne jusqu'à %(delay)s avant "
                "le début. Ensuite, prévenez la coordination.",
                delay=duration_words(room.cancel_hours * 60),
            )
        )
    else:
        rules.append(_("Vous pouvez annuler ou changer l'horaire en ligne jusqu'au début."))
    if room.per_household_week:
        rules.append(
            ngettext(
                "Au plus %(num)d réservation par logement et par semaine.",
                "Au plus %(num)d réservations par logement et par semaine.",
                room.per_household_week,
            )
        )
    if room.max_active_per_household:
        rules.append(
            ngettext(
                "Au plus %(num)d réservation à venir à la fois par logement.",
                "Au plus %(num)d réservations à venir à la fois par logement.",
                room.max_active_per_household,
            )
        )
    if room.buffer_minutes:
        rules.append(
            _(
                "Un temps de ménage de %(duration)s est prévu après chaque réservation.",
                duration=duration_words(room.buffer_minutes),
            )
        )
    if room.requires_approval:
        rules.append(
            _(
                "La coordination doit accepter chaque demande : la réservation est confirmée "
                "après son accord."
            )
        )
    return rules


TEMPLATE_GLOBALS = {
    "day_words": day_words,
    "time_words": time_words,
    "hours_words": hours_words,
    "period_words": period_words,
    "booking_words": booking_words,
    "moment_words": moment_words,
    "duration_words": duration_words,
    "opening_words": opening_words,
    "rules_words": rules_words,
}


def span_words(start: dt.datetime, end: dt.datetime) -> str:
    """A part of one day (week view): ``de 14 h à 16 h``, ``jusqu'à 11 h``, ``toute la journée``."""
    from_midnight = start.time() == dt.time.min
    to_midnight = end.time() >= dt.time(23, 59)
    if from_midnight and to_midnight:
        return _("toute la journée")
    if from_midnight:
        return _("jusqu'à %(time)s", time=time_words(end))
    if to_midnight:
        return _("à partir de %(time)s", time=time_words(start))
    return hours_words(start, end)


TEMPLATE_GLOBALS["span_words"] = span_words
