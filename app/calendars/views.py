"""Calendar feeds (DESIGN §5): iCalendar addresses with a secret token instead of a login,
for the agenda of a phone or a computer. A layer above bookings and activities, which it
reads: neither of them knows about calendars.
"""

from __future__ import annotations

from flask import Blueprint, abort, make_response, request, url_for
from flask_babel import force_locale

from app.bookings import services as bookings
from app.bookings.models import BookingStatus
from app.bookings.views import booking_words
from app.core.db import utcnow
from app.core.i18n import gettext as _
from app.core.timewords import words
from app.users.services import user_of_calendar

bp = Blueprint("calendars", __name__)


@bp.get("/calendar/<token>.ics")
def personal_feed(token: str):
    from icalendar import Calendar, Event  # 50 ms: only for the feeds, not at start-up

    user = user_of_calendar(token)
    if user is None or not user.is_active:
        abort(404)
    now = utcnow()
    host = request.host.split(":")[0]
    residence = user.active_memberships[0].residence
    locale = user.locale or residence.default_locale
    with force_locale(locale):
        tw = words(locale, residence.timezone)
        calendar = Calendar()
        calendar.add("prodid", "-//Maison commune//Réservations//FR")
        calendar.add("version", "2.0")
        calendar.add("calscale", "GREGORIAN")
        calendar.add("method", "PUBLISH")
        calendar.add("x-wr-calname", _("Maison commune – mes réservations"))
        residences = {m.residence_id for m in user.active_memberships}
        for booking in bookings.feed_bookings(user.id):
            if booking.residence_id not in residences:
                continue
            event = Event()
            event.add("uid", f"booking-{booking.id}@{host}")
            event.add("dtstamp", now)
            event.add("created", booking.created_at)
            event.add("dtstart", booking.start_at)
            event.add("dtend", booking.end_at)
            room_name = booking.room.name_for(locale)
            summary = room_name
            if booking.purpose:
                summary = _("%(room)s – %(purpose)s", room=room_name, purpose=booking.purpose)
            event.add("summary", summary)
            event.add("location", f"{room_name}, {booking.room.residence.name}")
            event.add(
                "status", "TENTATIVE" if booking.status is BookingStatus.PENDING else "CONFIRMED"
            )
            event.add("description", f"{booking.status.label} – {booking_words(booking, tw)}")
            event.add("url", url_for("bookings.detail", booking_id=booking.id, _external=True))
            calendar.add_component(event)
    response = make_response(calendar.to_ical())
    response.mimetype = "text/calendar"
    response.headers["Cache-Control"] = "no-store"
    if request.args.get("download"):
        response.headers["Content-Disposition"] = 'attachment; filename="maison-commune.ics"'
    return response
