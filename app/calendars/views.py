"""Calendar feeds (DESIGN §5): iCalendar addresses with a secret token instead of a login,
for the agenda of a phone or a computer: the person's own (bookings, activities joined) and
the programme of their residence. Each event keeps its UID from one reading to the next
(``booking-<id>@host``, ``activity-<id>@host``, where host is that of the configured
``PUBLIC_URL``, not the request's; ``programme-<id>@host`` in the programme, a calendar of
its own, so that an agenda showing both never mixes an activity joined with the same one in
the programme); times are in UTC, which every agenda shows in its own zone; an
activity's SEQUENCE goes up when it changes.
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, make_response, request
from flask_babel import force_locale

from app.activities.models import Activity, PlaceKind, Registration, RegistrationRole
from app.activities.models import RegistrationStatus as Registered
from app.bookings.models import Booking, BookingStatus
from app.bookings.views import booking_words
from app.calendars import services
from app.core.db import utcnow
from app.core.i18n import gettext as _
from app.core.timewords import TimeWords, words
from app.core.urls import external_url, public_host
from app.users.models import User

bp = Blueprint("calendars", __name__)


def _calendar(name: str):
    from icalendar import Calendar  # 50 ms: only for the feeds, not at start-up

    calendar = Calendar()
    calendar.add("prodid", "-//Maison commune//Calendrier//FR")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    return calendar


def _event(uid: str, start: dt.datetime, end: dt.datetime, created: dt.datetime, now):
    from icalendar import Event

    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", now)
    event.add("created", created)
    event.add("dtstart", start)
    event.add("dtend", end)
    return event


def _booking_event(booking: Booking, host: str, locale: str, tw: TimeWords, now):
    event = _event(
        f"booking-{booking.id}@{host}", booking.start_at, booking.end_at, booking.created_at, now
    )
    room_name = booking.room.name_for(locale)
    summary = room_name
    if booking.purpose:
        summary = _("%(room)s – %(purpose)s", room=room_name, purpose=booking.purpose)
    event.add("summary", summary)
    event.add("location", f"{room_name}, {booking.room.residence.name}")
    event.add("status", "TENTATIVE" if booking.status is BookingStatus.PENDING else "CONFIRMED")
    event.add("description", f"{booking.status.label} – {booking_words(booking, tw)}")
    event.add("url", external_url("bookings.detail", booking_id=booking.id))
    return event


def _place(activity: Activity, residence_name: str, locale: str) -> str:
    if activity.place_kind == PlaceKind.OUTSIDE:
        return activity.address
    if activity.place_kind == PlaceKind.ROOM and activity.room is not None:
        return f"{activity.room.name_for(locale)}, {residence_name}"
    return f"{_('Au jardin')}, {residence_name}"


def _about(activity: Activity, tw: TimeWords) -> list[str]:
    """The activity's lines of the description: when, postponed and why, what it is."""
    lines = [tw.period(activity.starts_at, activity.ends_at)]
    if activity.is_postponed:
        moved = (
            _("Reportée")
            + " : "
            + _("elle était prévue le %(when)s.", when=tw.day(activity.planned_start))
        )
        if activity.moved_reason:
            moved += " " + _("Raison : %(reason)s", reason=activity.moved_reason)
        lines.append(moved)
    if activity.description:
        lines.append(activity.description)
    return lines


def _activity_event(activity: Activity, uid: str, residence_name: str, locale: str, now):
    event = _event(uid, activity.starts_at, activity.ends_at, activity.created_at, now)
    event.add("sequence", activity.sequence)
    event.add("location", _place(activity, residence_name, locale))
    event.add("categories", [str(activity.category.label)])
    event.add("url", external_url("activities.detail", activity_id=activity.id))
    return event


def _registration_event(registration: Registration, host: str, locale: str, tw, now):
    activity = registration.activity
    residence = registration.membership.residence
    event = _activity_event(activity, f"activity-{activity.id}@{host}", residence.name, locale, now)
    if registration.status == Registered.WAITING:
        event.add("summary", _("%(title)s (liste d'attente)", title=activity.title))
        event.add("status", "TENTATIVE")
        mine = _("Liste d'attente : un message vous préviendra si une place se libère.")
    else:
        event.add("summary", activity.title)
        event.add("status", "CONFIRMED")
        mine = (
            _("Vous venez aider")
            if registration.role == RegistrationRole.HELPER
            else _("Vous êtes inscrit")
        )
    event.add("description", "\n\n".join([mine, *_about(activity, tw)]))
    return event


def _programme_event(activity: Activity, residence_name: str, host: str, locale: str, tw, now):
    uid = f"programme-{activity.id}@{host}"
    event = _activity_event(activity, uid, residence_name, locale, now)
    event.add("summary", activity.title)
    event.add("status", "CONFIRMED")
    event.add("description", "\n\n".join(_about(activity, tw)))
    return event


def _ics(calendar, filename: str = "maison-commune.ics"):
    response = make_response(calendar.to_ical())
    response.mimetype = "text/calendar"
    response.headers["Cache-Control"] = "no-store"
    if request.args.get("download"):
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _owner(token: str) -> User:
    user = services.feed_owner(token)
    if user is None:
        abort(404)
    return user


@bp.get("/calendar/<token>.ics")
def personal_feed(token: str):
    """The person's bookings and the activities they joined (or wait for)."""
    user = _owner(token)
    now = utcnow()
    host = public_host()
    residence = user.active_memberships[0].residence
    locale = user.locale or residence.default_locale
    feed = services.personal_feed(user)
    with force_locale(locale):
        tw = words(locale, residence.timezone)
        calendar = _calendar(_("Maison commune – mes réservations et activités"))
        for booking in feed.bookings:
            calendar.add_component(_booking_event(booking, host, locale, tw, now))
        for registration in feed.registrations:
            calendar.add_component(_registration_event(registration, host, locale, tw, now))
    return _ics(calendar)


@bp.get("/calendar/<token>/programme.ics")
def programme_feed(token: str):
    """The whole programme of the person's residence: a month back, three months ahead."""
    user = _owner(token)
    now = utcnow()
    host = public_host()
    programmes = services.programme_feed(user, now=now)
    residence = programmes[0][0]
    locale = user.locale or residence.default_locale
    with force_locale(locale):
        tw = words(locale, residence.timezone)
        names = ", ".join(each.name for each, _sessions in programmes)
        calendar = _calendar(_("Programme – %(residence)s", residence=names))
        for each, sessions in programmes:
            for activity in sessions:
                calendar.add_component(_programme_event(activity, each.name, host, locale, tw, now))
    return _ics(calendar, "programme.ics")
