"""Residents' side of rooms: what's free, book, my bookings, the calendar feed.

The rules live in ``app.bookings.services``; these views parse the request, call a service,
commit once, and render. A booking refused answers 409 (taken) or 422 (a rule), never a
redirect or a 5xx (DESIGN §5).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.routing import BuildError

from app.bookings import formatting, services
from app.bookings.forms import BookingForm, ChangeNightsForm, ChangeTimeForm, NightsBookingForm
from app.bookings.models import Booking, BookingStatus
from app.core.db import lock_for_write, utcnow
from app.core.errors import DomainError, NotAllowed
from app.core.htmx import render_page_or_block
from app.core.permissions import Role, has_role
from app.core.tenancy import get_in_residence_or_404, parse_id
from app.core.timeutils import parse_local, to_local, week_start
from app.extensions import db
from app.rooms.models import BookingMode, Room
from app.users.forms import EmptyForm
from app.users.models import User

bp = Blueprint("bookings", __name__)

for _name, _function in formatting.TEMPLATE_GLOBALS.items():
    bp.add_app_template_global(_function, _name)

WHEN_CHOICES = ("today", "week", "date")


# ---------------------------------------------------------------------------------------
# Loading and small helpers.


def _optional_url(endpoint: str, **values) -> str | None:
    """The URL of a page another part of the app may not have yet (None until it exists)."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def _get_room(room_id: int) -> Room:
    room = get_in_residence_or_404(Room, room_id)
    if room.archived:
        abort(404)
    return room


def _get_booking(booking_id: int) -> Booking:
    """The person's own booking, or any booking of the residence for its coordinator.
    Someone else's booking gives 404 as if it did not exist."""
    booking = get_in_residence_or_404(Booking, booking_id)
    if booking.user_id != current_user.id and not has_role(Role.COORDINATOR):
        abort(404)
    return booking


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="minutes")


def _parse_moment(value: str | None) -> dt.datetime | None:
    """A local time from a form or a link, or None when it cannot be a booking's time
    (unreadable, or so far off that computing with it would overflow)."""
    moment = parse_local(value)
    if moment is None or not 1970 <= moment.year <= 9000:
        return None
    return moment


def _parse_date(value: str | None) -> dt.date | None:
    try:
        day = dt.date.fromisoformat((value or "").strip())
    except ValueError:
        return None
    return day if 1970 <= day.year <= 9000 else None


def _parse_unit(value: str | None) -> tuple[int | None, bool]:
    """(unit id or None, whether the value was readable)."""
    value = (value or "").strip()
    if not value:
        return None, True
    number = parse_id(value)
    return (number, True) if number is not None else (None, False)


def split_bookings(bookings: list[Booking], now: dt.datetime):
    """(upcoming soonest first, past latest first, cancelled or declined latest first)."""
    upcoming = sorted(
        (b for b in bookings if b.is_active and b.end_at > now), key=lambda b: b.start_at
    )
    past = sorted(
        (b for b in bookings if b.is_active and b.end_at <= now),
        key=lambda b: b.start_at,
        reverse=True,
    )
    ended = sorted((b for b in bookings if not b.is_active), key=lambda b: b.start_at, reverse=True)
    return upcoming, past, ended


def next_bookings(user: User, residence_id: int, limit: int = 3) -> list[Booking]:
    """The person's next active bookings in one residence (home page)."""
    upcoming, _past, _ended = split_bookings(services.bookings_of(user, residence_id), utcnow())
    return upcoming[:limit]


def _units(room: Room) -> dict:
    return {unit.id: unit for unit in room.units}


# ---------------------------------------------------------------------------------------
# Rooms and what is free.


@bp.get("/rooms")
@login_required
def rooms():
    rooms = db.session.scalars(
        sa.select(Room)
        .where(Room.residence_id == g.residence.id, Room.archived.is_(False))
        .order_by(Room.name)
    ).all()
    coordinator = has_role(Role.COORDINATOR)
    return render_template(
        "bookings/rooms.html",
        rooms=rooms,
        manage_url=_optional_url("rooms.manage") if coordinator else None,
        queue_url=_optional_url("rooms.queue") if coordinator else None,
    )


@bp.get("/rooms/<int:room_id>")
@login_required
def room(room_id: int):
    room = _get_room(room_id)
    now = utcnow()
    earliest, latest = services.booking_window(room, now)
    when = request.args.get("when", "week")
    if when not in WHEN_CHOICES:
        when = "week"
    chosen = _parse_date(request.args.get("date")) if when == "date" else None
    date_error = None
    first = last = earliest
    if when == "week":
        last = earliest + dt.timedelta(days=6)
    elif when == "date":
        if chosen is None:
            date_error = _("Choisissez une date dans le calendrier, puis touchez « Voir ce jour ».")
        elif chosen < earliest:
            date_error = _("Cette date est passée. Choisissez aujourd'hui ou un jour à venir.")
        elif chosen > latest:
            date_error = _(
                "On ne peut pas encore réserver ce jour-là. Le dernier jour possible est le "
                "%(day)s.",
                day=formatting.day_words(latest),
            )
        else:
            first = last = chosen
    days = {} if date_error else services.free_slots(room, first, last, now=now)
    suggestions = []
    if not any(days.values()):
        after = (
            to_local(now, room.residence.tz)
            if date_error
            else dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min)
        )
        suggestions = services.next_free_slots(room, after, now=now)
    return render_page_or_block(
        "bookings/room.html",
        "slots",
        status=422 if date_error else 200,
        room=room,
        units=_units(room),
        when=when,
        chosen=chosen,
        date_value=request.args.get("date", "") if when == "date" else "",
        date_error=date_error,
        earliest=earliest,
        latest=latest,
        days=days,
        suggestions=suggestions,
    )


@dataclass
class Period:
    """A part of a unit's day in the week view."""

    start: dt.datetime
    end: dt.datetime
    kind: str  # free, busy, closed
    booking: Booking | None = None


def _day_periods(room: Room, day: dt.date, cell) -> list[Period]:
    periods = [
        Period(start, end, "busy" if booking is not None else "closed", booking)
        for start, end, booking in cell.busy
    ]
    if room.mode is BookingMode.NIGHTS:
        return periods
    for opens, closes in cell.openings:
        cursor = dt.datetime.combine(day, opens)
        close = dt.datetime.combine(day, closes)
        for period in periods[: len(cell.busy)]:
            if period.end <= cursor or period.start >= close:
                continue
            if period.start > cursor:
                periods.append(Period(cursor, period.start, "free"))
            cursor = max(cursor, period.end)
        if cursor < close:
            periods.append(Period(cursor, close, "free"))
    periods.sort(key=lambda p: (p.start, p.kind != "free"))
    return periods


@bp.get("/rooms/<int:room_id>/week")
@login_required
def week(room_id: int):
    room = _get_room(room_id)
    today = services.booking_window(room, utcnow())[0]
    monday = week_start(_parse_date(request.args.get("start")) or today)
    view = services.week_view(room, monday)
    periods = {
        day: {unit_id: _day_periods(room, day, cell) for unit_id, cell in cells.items()}
        for day, cells in view.items()
    }
    night_taken = {
        day: {
            unit_id: any(p.kind != "free" and p.end.time() >= dt.time(23, 59) for p in items)
            for unit_id, items in units.items()
        }
        for day, units in periods.items()
    }
    show_names = room.residence.show_booker_names or has_role(Role.COORDINATOR)
    bookers = []
    if show_names:
        # One query for the bookers' names, always, whatever the number of bookings: while
        # ``bookers`` holds them, ``booking.user`` finds them in the session.
        user_ids = {
            p.booking.user_id
            for units in periods.values()
            for items in units.values()
            for p in items
            if p.booking is not None
        }
        bookers = db.session.scalars(sa.select(User).where(User.id.in_(user_ids))).all()
    return render_template(
        "bookings/week.html",
        bookers=bookers,
        room=room,
        monday=monday,
        today=today,
        periods=periods,
        night_taken=night_taken,
        show_names=show_names,
        previous_week=monday - dt.timedelta(days=7),
        next_week=monday + dt.timedelta(days=7),
    )


# ---------------------------------------------------------------------------------------
# Review and book (DESIGN §5).


def _end_choices(room: Room, start: dt.datetime | None, end: dt.datetime | None):
    """The ends a person may pick from ``start``: on the slot grid up to the longest
    booking (and the closing time), or the allowed numbers of nights."""
    choices = []
    if start is not None:
        if room.mode is BookingMode.NIGHTS:
            for nights in range(room.min_nights, room.max_nights + 1):
                choices.append(
                    dt.datetime.combine(
                        start.date() + dt.timedelta(days=nights), room.checkout_time
                    )
                )
        else:
            closes = next(
                (
                    dt.datetime.combine(start.date(), o.closes)
                    for o in room.openings_on(start.weekday())
                    if o.opens <= start.time() < o.closes
                ),
                None,
            )
            minutes = room.min_minutes
            while minutes <= room.max_minutes:
                candidate = start + dt.timedelta(minutes=minutes)
                if closes is not None and candidate > closes:
                    break
                choices.append(candidate)
                minutes += room.slot_minutes
    if end is not None and end not in choices:
        choices.append(end)
        choices.sort()
    return [(_iso(c), formatting.end_choice_words(start, c)) for c in choices if start]


def _normalise(form, room: Room, start, end) -> None:
    """The list of ends, with the chosen one selected however its time was written."""
    form.end.choices = _end_choices(room, start, end)
    if start is not None:
        form.start.data = _iso(start)
    if end is not None:
        form.end.data = _iso(end)


def _behalf_choices() -> list[tuple[str, str]]:
    choices = [("", _("La résidence (moi)"))]
    for membership in services.members_for_behalf(g.residence.id):
        if membership.user_id == current_user.id:
            continue
        label = membership.user.full_name
        if membership.home is not None:
            label = _("%(name)s – logement %(home)s", name=label, home=membership.home.label)
        choices.append((str(membership.user_id), label))
    return choices


def _booking_form(room: Room, start, end, source) -> BookingForm:
    form_class = NightsBookingForm if room.mode is BookingMode.NIGHTS else BookingForm
    form = form_class(
        start=source.get("start", ""),
        end=source.get("end", ""),
        unit=source.get("unit", ""),
        purpose=source.get("purpose", ""),
        for_user=source.get("for_user", ""),
    )
    _normalise(form, room, start, end)
    form.for_user.choices = _behalf_choices() if has_role(Role.COORDINATOR) else []
    return form


def _for_user(value: str | None) -> tuple[User | None, bool]:
    """The person a coordinator books for: (user or None, whether the value was valid).
    Only members of this residence are found; the service checks who may do it."""
    value = (value or "").strip()
    if not value or value == str(current_user.id):
        return None, True
    number = parse_id(value)
    user = db.session.get(User, number) if number is not None else None
    if user is None or user.membership_in(g.residence.id) is None:
        return None, False
    return user, True


def _place_error(form, error: DomainError) -> str | None:
    """Put the message next to its field; return it when it is about the time itself."""
    field = getattr(form, error.field, None) if error.field in ("end", "purpose") else None
    if field is not None:
        field.errors = [*field.errors, error.message]
        return None
    return error.message


@bp.route("/rooms/<int:room_id>/book", methods=["GET", "POST"])
@login_required
def book(room_id: int):
    """GET: the review step (``start``, ``end``, ``unit`` in the query). POST: book."""
    room = _get_room(room_id)
    source = request.form if request.method == "POST" else request.args
    start, end = _parse_moment(source.get("start")), _parse_moment(source.get("end"))
    unit_id, unit_ok = _parse_unit(source.get("unit"))
    form = _booking_form(room, start, end, source)
    problem = None
    taken = None
    status = 200
    if start is None or end is None:
        problem = _(
            "Ce créneau n'est pas valable (date ou heure illisible). Choisissez un créneau "
            "dans la liste de la salle."
        )
        status = 422
    elif not unit_ok or (unit_id is not None and unit_id not in _units(room)):
        problem = _("Cet équipement n'existe pas dans cette salle.")
        status = 422
    elif request.method == "POST":
        for_user, for_user_ok = _for_user(form.for_user.data)
        if not form.validate_on_submit() or not for_user_ok:
            if not for_user_ok:
                message = _("Choisissez une personne de la liste.")
                if form.for_user.choices:
                    form.for_user.errors = [*form.for_user.errors, message]
                else:
                    problem = message
            status = 422
        else:
            outcome = _attempt(
                form,
                lambda: services.create_booking(
                    current_user,
                    room,
                    start,
                    end,
                    unit_id=unit_id,
                    for_user=for_user,
                    purpose=form.purpose.data or "",
                ),
            )
            if outcome.done:
                booking = outcome.result
                flash(_booked_message(booking), "success")
                return redirect(url_for("bookings.detail", booking_id=booking.id), 303)
            problem, taken, status = outcome.problem, outcome.taken, outcome.status
    unit = _units(room).get(unit_id) if unit_ok else None
    return render_template(
        "bookings/book.html",
        room=room,
        form=form,
        start=start,
        end=end,
        unit=unit,
        units=_units(room),
        problem=problem,
        taken=taken,
        needs_approval=room.requires_approval and not has_role(Role.COORDINATOR),
    ), status


@dataclass
class _Outcome:
    result: object = None
    taken: services.SlotTaken | None = None
    problem: str | None = None
    status: int = 200

    @property
    def done(self) -> bool:
        return self.status == 200


def _attempt(form, change) -> _Outcome:
    """Run a booking change under the write lock: commit it, or roll back and say why
    (409 when the slot is taken, 422 for a rule, 403 when not allowed — never a 5xx)."""
    lock_for_write(db.session)
    try:
        result = change()
    except services.SlotTaken as error:
        db.session.rollback()
        return _Outcome(taken=error, status=409)
    except DomainError as error:
        db.session.rollback()
        status = 403 if isinstance(error, NotAllowed) else 422
        return _Outcome(problem=_place_error(form, error), status=status)
    db.session.commit()
    return _Outcome(result=result)


def _booked_message(booking: Booking) -> str:
    if booking.status is BookingStatus.PENDING:
        return _("Demande envoyée : la coordination vous répondra.")
    if booking.on_behalf:
        return _("C'est réservé pour %(name)s !", name=booking.user.full_name)
    return _("C'est réservé !")


# ---------------------------------------------------------------------------------------
# My bookings: list, page, cancel, change the time.


@bp.get("/bookings")
@login_required
def mine():
    now = utcnow()
    upcoming, past, ended = split_bookings(services.bookings_of(current_user, g.residence.id), now)
    return render_template(
        "bookings/mine.html",
        upcoming=upcoming,
        past=past,
        ended=ended,
        can_change=lambda booking: services.can_change(current_user, booking, now),
        action_form=EmptyForm(),
    )


def _deadline(booking: Booking) -> dt.datetime | None:
    """Until when the person may cancel or move online (local), for the explanation."""
    if has_role(Role.COORDINATOR):
        return None
    moment = booking.start_at - dt.timedelta(hours=booking.room.cancel_hours)
    return to_local(moment, booking.room.residence.tz)


def _detail(booking: Booking, problem: str | None = None, status: int = 200):
    now = utcnow()
    return render_template(
        "bookings/detail.html",
        booking=booking,
        room=booking.room,
        start=to_local(booking.start_at, booking.room.residence.tz),
        end=to_local(booking.end_at, booking.room.residence.tz),
        is_past=booking.end_at <= now,
        can_change=services.can_change(current_user, booking, now),
        deadline=_deadline(booking),
        problem=problem,
        action_form=EmptyForm(),
    ), status


@bp.get("/bookings/<int:booking_id>")
@login_required
def detail(booking_id: int):
    return _detail(_get_booking(booking_id))


@bp.post("/bookings/<int:booking_id>/cancel")
@login_required
def cancel(booking_id: int):
    booking = _get_booking(booking_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        services.cancel_booking(current_user, booking)
    except DomainError as error:
        db.session.rollback()
        if isinstance(error, NotAllowed):
            return _detail(booking, error.message, 403)
        return _detail(booking, error.message, 422)
    db.session.commit()
    flash(
        _("Votre réservation du %(when)s est annulée.", when=formatting.booking_words(booking))
        if booking.user_id == current_user.id
        else _(
            "La réservation de %(name)s du %(when)s est annulée.",
            name=booking.user.full_name,
            when=formatting.booking_words(booking),
        ),
        "success",
    )
    if booking.user_id == current_user.id:
        return redirect(url_for("bookings.mine"), 303)
    return redirect(url_for("bookings.detail", booking_id=booking.id), 303)


@bp.route("/bookings/<int:booking_id>/edit", methods=["GET", "POST"])
@login_required
def edit(booking_id: int):
    """Pick a day's free slot (GET ``date``), review it (GET ``start``/``end``), confirm
    (POST ``start``/``end``)."""
    booking = _get_booking(booking_id)
    room = booking.room
    tz = room.residence.tz
    now = utcnow()
    current_start, current_end = to_local(booking.start_at, tz), to_local(booking.end_at, tz)
    source = request.form if request.method == "POST" else request.args
    start, end = _parse_moment(source.get("start")), _parse_moment(source.get("end"))
    form_class = ChangeNightsForm if room.mode is BookingMode.NIGHTS else ChangeTimeForm
    form = form_class(start=source.get("start", ""), end=source.get("end", ""))
    _normalise(form, room, start, end)
    problem, taken, status = None, None, 200
    reviewing = "start" in source or "end" in source
    if reviewing and (start is None or end is None):
        problem = _(
            "Cet horaire n'est pas valable (date ou heure illisible). Choisissez un créneau "
            "dans la liste."
        )
        status, reviewing = 422, False
    elif request.method == "POST":
        if not form.validate_on_submit():
            status = 422
        else:
            outcome = _attempt(
                form, lambda: services.change_booking_time(current_user, booking, start, end)
            )
            problem, taken, status = outcome.problem, outcome.taken, outcome.status
            if outcome.done:
                flash(
                    _("Nouvel horaire envoyé : la coordination vous répondra.")
                    if booking.status is BookingStatus.PENDING
                    else _("Le nouvel horaire est enregistré."),
                    "success",
                )
                return redirect(url_for("bookings.detail", booking_id=booking.id), 303)
    earliest, latest = services.booking_window(room, now)
    day = _parse_date(request.args.get("date")) or max(current_start.date(), earliest)
    day = min(max(day, earliest), latest)
    day_slots = [] if reviewing else services.free_slots(room, day, day, now=now).get(day, [])
    return render_template(
        "bookings/edit.html",
        booking=booking,
        room=room,
        form=form,
        start=start,
        end=end,
        current_start=current_start,
        current_end=current_end,
        reviewing=reviewing,
        can_change=services.can_change(current_user, booking, now),
        day=day,
        earliest=earliest,
        latest=latest,
        day_slots=day_slots,
        units=_units(room),
        problem=problem,
        taken=taken,
    ), status


# ---------------------------------------------------------------------------------------
# The personal calendar feed (DESIGN §5): no login, a secret token in the URL.


@bp.get("/calendar/<token>.ics")
def calendar_feed(token: str):
    from icalendar import Calendar, Event

    user = db.session.scalar(sa.select(User).where(User.calendar_token == token))
    if user is None or not user.is_active:
        abort(404)
    now = utcnow()
    host = request.host.split(":")[0]
    with force_locale(user.locale or user.active_memberships[0].residence.default_locale):
        calendar = Calendar()
        calendar.add("prodid", "-//Maison commune//Réservations//FR")
        calendar.add("version", "2.0")
        calendar.add("calscale", "GREGORIAN")
        calendar.add("method", "PUBLISH")
        calendar.add("x-wr-calname", _("Maison commune – mes réservations"))
        for membership in user.active_memberships:
            for booking in services.bookings_of(user, membership.residence_id):
                if not booking.is_active:
                    continue
                event = Event()
                event.add("uid", f"booking-{booking.id}@{host}")
                event.add("dtstamp", now)
                event.add("created", booking.created_at)
                event.add("dtstart", booking.start_at)
                event.add("dtend", booking.end_at)
                summary = booking.room.name
                if booking.purpose:
                    summary = _("%(room)s – %(purpose)s", room=summary, purpose=booking.purpose)
                event.add("summary", summary)
                event.add("location", f"{booking.room.name}, {booking.room.residence.name}")
                event.add(
                    "status",
                    "TENTATIVE" if booking.status is BookingStatus.PENDING else "CONFIRMED",
                )
                event.add("description", str(booking.status.label))
                event.add("url", url_for("bookings.detail", booking_id=booking.id, _external=True))
                calendar.add_component(event)
    response = make_response(calendar.to_ical())
    response.mimetype = "text/calendar"
    response.headers["Cache-Control"] = "no-store"
    if request.args.get("download"):
        response.headers["Content-Disposition"] = 'attachment; filename="maison-commune.ics"'
    return response
