"""Reservations: what is free, book, my bookings, the approval queue, closures and the
bookings they touch, weekly series (the calendar feed is ``app.calendars``).

Views parse the request, load what they need (404 across residences), and hand the change to
``perform`` (``app.core.actions``), which commits once or says why not: a booking refused
answers 409 (taken) or 422 (a rule), never a redirect or a 5xx (DESIGN §5).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import (
    Blueprint,
    abort,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from app.bookings import availability, services
from app.bookings.forms import (
    BookingForm,
    CancelForm,
    ChangeNightsForm,
    ChangeTimeForm,
    DeclineForm,
    EndSeriesForm,
    NightsBookingForm,
    SeriesForm,
)
from app.bookings.models import Booking, BookingSeries, BookingStatus, SeriesSkip
from app.core.actions import perform
from app.core.db import utcnow
from app.core.errors import DomainError
from app.core.forms import EmptyForm
from app.core.htmx import render_page_or_block
from app.core.i18n import gettext as _
from app.core.i18n import ngettext
from app.core.pagecache import cached_page
from app.core.permissions import Role, ensure, has_role, require_role
from app.core.tenancy import get_in_residence_or_404
from app.core.timeutils import iso_minutes, local_today, parse_date, to_local, week_start
from app.core.timewords import TimeWords, request_words
from app.core.urls import safe_next
from app.residences.services import active_member, active_members
from app.rooms import services as rooms
from app.rooms.forms import ClosureForm
from app.rooms.models import Closure, Room

bp = Blueprint("bookings", __name__)

WHEN_CHOICES = ("today", "week", "date")
MINE_UPCOMING, MINE_HISTORY = 10, 5


@bp.app_template_global()
def booking_words(booking: Booking, tw: TimeWords | None = None) -> str:
    """A booking's time in words: a stay in nights, or a day with its hours."""
    tw = tw or request_words()
    if booking.by_nights:
        return tw.stay(booking.start_at, booking.end_at)
    return tw.period(booking.start_at, booking.end_at)


@bp.app_template_global()
def series_rhythm(series: BookingSeries) -> str:
    """``Chaque mardi de 14 h à 16 h``."""
    text = request_words().weekly(series.weekday, series.every, series.start_time, series.end_time)
    return text[:1].upper() + text[1:]


# ---------------------------------------------------------------------------------------
# Loading: 404 across residences (whoever asks), then the object's own predicate.


def get_room(room_id: int) -> Room:
    """A bookable room of the residence, with its rules (one query), else 404."""
    room = rooms.room_with_rules(g.residence.id, room_id) if g.residence else None
    if room is None or room.archived:
        abort(404)
    return room


def get_room_to_manage(room_id: int) -> Room:
    room = get_in_residence_or_404(Room, room_id)
    ensure(room.can_manage(g.membership))
    return room


def get_booking(booking_id: int) -> Booking:
    """Someone else's booking gives 404, as if it did not exist (the coordinator sees all)."""
    booking = get_in_residence_or_404(Booking, booking_id)
    if not booking.can_view(g.membership):
        abort(404)
    return booking


def get_booking_to_decide(booking_id: int) -> Booking:
    booking = get_in_residence_or_404(Booking, booking_id)
    ensure(has_role(Role.COORDINATOR))
    return booking


def get_series(series_id: int) -> BookingSeries:
    series = get_in_residence_or_404(BookingSeries, series_id)
    ensure(has_role(Role.COORDINATOR))
    return series


def get_skip(skip_id: int) -> SeriesSkip:
    """A skipped date belongs to the residence of its series."""
    skip = get_in_residence_or_404(SeriesSkip, skip_id)
    ensure(has_role(Role.COORDINATOR))
    return skip


# ---------------------------------------------------------------------------------------
# What is free.


@dataclass(frozen=True, slots=True)
class SlotLink:
    """A free slot as the page shows it: words and the link to its review."""

    href: str
    label: str
    day: str  # said to screen readers before the label (the heading may be far above)
    unit: str | None


def slot_links(
    room: Room,
    slots,
    tw: TimeWords,
    *,
    show_day: bool,
    start_only: bool = False,
    endpoint=None,
    **values,
):
    """Words and links of many slots at once: one ``url_for``, words cached per time.
    ``start_only``: the button says the start time ("14 h"); screen readers hear the day
    and the hours. The machine (of a laundry) is said on the review page, not on a button
    the size of "14 h"."""
    if endpoint is None:
        base = url_for("bookings.book", room_id=room.id)
    else:
        base = url_for(endpoint, **values)
    units = {unit.id: unit.name for unit in room.units} if room.has_units else {}
    links = []
    for slot in slots:
        query = f"start={iso_minutes(slot.start)}&end={iso_minutes(slot.end)}"
        if endpoint is None:
            query += f"&unit={slot.unit_id}"
        if slot.start.date() != slot.end.date():
            label = tw.stay(slot.start, slot.end)
        elif start_only:
            label = tw.time(slot.start)
        elif show_day:
            label = tw.period(slot.start, slot.end)
        else:
            label = tw.hours(slot.start, slot.end)
        if show_day:
            day = ""
        elif start_only:
            day = tw.gettext(
                "%(day)s, %(hours)s :", day=tw.day(slot.start), hours=tw.hours(slot.start, slot.end)
            )
        else:
            day = tw.day(slot.start)
        unit = None if start_only else units.get(slot.unit_id)
        links.append(SlotLink(f"{base}?{query}", label, day, unit))
    return links


@dataclass
class DayChoice:
    """A day of the room's page: its free time in words and how to go on choosing."""

    day: dt.date
    label: str
    href: str  # the day's page: its start times
    free: str | None  # "libre de 9 h à 12 h et de 14 h à 22 h", None when nothing is free
    parts: list[tuple[str, str, str]]  # (part, words, link to that part of the day)
    slots: list[SlotLink]  # rooms by nights: the stay starting that day
    blocked: Booking | None  # the household's booking that uses up a limit for this day


def _day_choices(room, days, tw, usage, base: str) -> list[DayChoice]:
    choices = []
    month = None
    for day, slots in days.items():
        # "mercredi 25 novembre", "jeudi 26", …, "mardi 1 décembre": the month once, like a
        # calendar, so that a day and its free time fit on one line of a phone.
        label = tw.day(day) if day.month != month else tw.weekday_and_number(day)
        month = day.month
        blocked = usage.blocking(day) if usage else None
        parts = []
        if not room.by_nights:
            for part in availability.by_part(slots):
                href = f"{base}?when=date&date={day.isoformat()}&part={part}"
                parts.append((part, tw.part(part), href))
        periods = availability.free_periods(slots)
        choices.append(
            DayChoice(
                day=day,
                label=label,
                href=f"{base}?when=date&date={day.isoformat()}",
                free=tw.free(periods) if periods and not room.by_nights else None,
                parts=parts,
                slots=slot_links(room, slots, tw, show_day=True) if room.by_nights else [],
                blocked=blocked,
            )
        )
    return choices


@bp.get("/rooms/<int:room_id>")
@cached_page
@login_required
def room(room_id: int):
    """What is free: this week day by day (each day's free time, then a part of the day to
    choose), today or one date (start times by part of the day). Any time of the week is two
    screens away; what a household may still book is said before anything is chosen."""
    room = get_room(room_id)
    tw = request_words()
    now = utcnow()
    earliest, latest = availability.booking_window(room, now)
    when = request.args.get("when", "week")
    if when not in WHEN_CHOICES:
        when = "week"
    chosen = parse_date(request.args.get("date")) if when == "date" else None
    part = request.args.get("part")
    if part not in availability.PARTS:
        part = None
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
                day=tw.day(latest),
            )
        else:
            first = last = chosen
    usage = (
        None
        if has_role(Role.COORDINATOR)
        else availability.household_usage(room, g.membership, first, last, now)
    )
    days = {} if date_error else availability.free_slots(room, first, last, now=now)
    suggestions = []
    if not any(days.values()):
        after = (
            to_local(now, room.residence.tz)
            if date_error
            else dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min)
        )
        suggestions = availability.next_free_slots(room, after, now=now)
    base = url_for("bookings.room", room_id=room.id)
    choices = _day_choices(room, days, tw, usage, base)
    groups = []
    if when != "week" and days:
        slots = next(iter(days.values()))
        parts = availability.by_part(slots)
        if part not in parts:
            part = None  # nothing (left) in that part of the day: show the whole day
        for found_part, found in parts.items():
            if part is None or found_part == part:
                links = slot_links(room, found, tw, show_day=False, start_only=True)
                groups.append((found_part, tw.part(found_part), links))
    return render_page_or_block(
        "bookings/room.html",
        "slots",
        status=422 if date_error else 200,
        room=room,
        when=when,
        part=part,
        date_value=request.args.get("date", "") if when == "date" else "",
        date_error=date_error,
        earliest=earliest,
        latest=latest,
        choices=choices,
        groups=groups,
        active_full=usage.active_full() if usage else None,
        suggestions=slot_links(room, suggestions, tw, show_day=True),
        rules=rooms.rules_words(room, tw),
        openings=rooms.opening_words(room, tw),
    )


@bp.get("/rooms/<int:room_id>/week")
@cached_page
@login_required
def week(room_id: int):
    room = get_room(room_id)
    today = local_today(room.residence.tz, utcnow())
    monday = week_start(parse_date(request.args.get("start")) or today)
    show_names = room.residence.show_booker_names or has_role(Role.COORDINATOR)
    days = availability.week_view(room, monday, with_people=show_names, now=utcnow())
    return render_template(
        "bookings/week.html",
        room=room,
        monday=monday,
        today=today,
        days=days,
        show_names=show_names,
        previous_week=monday - dt.timedelta(days=7),
        next_week=monday + dt.timedelta(days=7),
    )


# ---------------------------------------------------------------------------------------
# Review and book (DESIGN §5).


def _period_form(form_class, room: Room, prepare=None):
    """The form from the query (review, a GET, checked here) or the posted form (confirm,
    checked by ``perform``). ``prepare(form)`` sets its lists before it is checked."""
    if request.method == "GET":
        form = form_class(formdata=request.args, meta={"csrf": False})
    else:
        form = form_class()
    if prepare is not None:
        prepare(form)
    if request.method == "GET" and ("start" in request.args or "end" in request.args):
        form.validate()  # a time to review; a page that only lists times has nothing to check
    if isinstance(form.start.data, dt.datetime):
        tw = request_words()
        ends = availability.end_choices(
            room, form.start.data, form.end.data if form.end.data else None
        )
        form.end.set_times([(end, tw.end_choice(form.start.data, end)) for end in ends])
    return form


def _booking_form(room: Room) -> BookingForm:
    def prepare(form: BookingForm) -> None:
        form.unit.set_objects(room.units, empty="")
        if has_role(Role.COORDINATOR):
            form.for_user.set_objects(
                [m for m in active_members(g.residence.id) if m.user_id != current_user.id],
                lambda m: (
                    _("%(name)s – logement %(home)s", name=m.user.full_name, home=m.home.label)
                    if m.home
                    else m.user.full_name
                ),
                key=lambda m: m.user_id,  # the form posts the person's user id
                empty=_("La résidence (moi)"),
            )

    return _period_form(NightsBookingForm if room.by_nights else BookingForm, room, prepare)


def _for_user(form: BookingForm):
    """The member the coordinator books for (None: themselves). Another residence's person
    is not in the list: an error next to the field."""
    if form.for_user.data is None or form.for_user.data == current_user.id:
        return None
    member = active_member(g.residence.id, form.for_user.data)
    if member is None:
        raise DomainError(form.for_user.invalid_value_message, field="for_user")
    return member


def _review_page(room: Room, form: BookingForm, error: DomainError | None = None):
    tw = request_words()
    now = utcnow()
    start, end = (form.start.data, form.end.data) if form.has_times else (None, None)
    deadline = blocked = None
    if start is not None and not has_role(Role.COORDINATOR):
        # Said before the booking is made: until when it can be cancelled online, and
        # whether a household limit already rules it out.
        deadline = form.period(room.residence.tz).start - dt.timedelta(hours=room.cancel_hours)
        day = start.date()
        usage = availability.household_usage(room, g.membership, day, day, now)
        blocked = usage.blocking(day) if usage else None
    return render_template(
        "bookings/book.html",
        room=room,
        form=form,
        start=start,
        end=end,
        deadline=deadline,
        too_late=deadline is not None and deadline <= now,
        blocked=blocked,
        unit=room.unit(form.unit.data),
        taken=slot_links(room, error.next_slots, tw, show_day=True)
        if isinstance(error, services.SlotTaken)
        else None,
        needs_approval=room.needs_approval_for(g.membership),
        rules=rooms.rules_words(room, tw),
        openings=rooms.opening_words(room, tw),
    )


def _moved_message(booking: Booking, room: Room) -> str:
    if booking.status is BookingStatus.PENDING:
        if room.by_nights:
            return _("Nouvelles dates envoyées : la coordination vous répondra.")
        return _("Nouvel horaire envoyé : la coordination vous répondra.")
    if room.by_nights:
        return _("Les nouvelles dates sont enregistrées.")
    return _("Le nouvel horaire est enregistré.")


def _booked_message(booking: Booking) -> str:
    if booking.status is BookingStatus.PENDING:
        return _("Demande envoyée : la coordination vous répondra.")
    if booking.on_behalf:
        return _("C'est réservé pour %(name)s !", name=booking.user.full_name)
    return _("C'est réservé !")


@bp.route("/rooms/<int:room_id>/book", methods=["GET", "POST"])
@login_required
def book(room_id: int):
    """GET: the review step (``start``, ``end``, ``unit`` in the query). POST: book."""
    room = get_room(room_id)
    if request.method == "GET" and "start" not in request.args:
        return redirect(url_for("bookings.room", room_id=room.id), 303)  # nothing to review
    form = _booking_form(room)
    if request.method == "GET":
        broken = form.start.errors or form.end.errors or form.unit.errors
        return _review_page(room, form), 422 if broken else 200
    return perform(
        lambda: services.reserve(
            g.membership,
            room,
            form.period(room.residence.tz),
            for_user=_for_user(form),
            unit=room.unit(form.unit.data),
            purpose=form.purpose.data or "",
        ),
        form=form,
        page=lambda error: _review_page(room, form, error),
        message=_booked_message,
        success=lambda booking: url_for("bookings.detail", booking_id=booking.id),
    )


# ---------------------------------------------------------------------------------------
# My bookings: list, page, cancel, change the time.


@bp.get("/bookings")
@cached_page
@login_required
def mine():
    """What is ahead: the next bookings, then the cancelled or declined ones whose time has
    not come (a closure, a refusal: the person looks here). The past is one link away."""
    now = utcnow()
    upcoming, ended = services.bookings_ahead(g.membership, now=now, limit=MINE_UPCOMING + 1)
    return render_template(
        "bookings/mine.html",
        upcoming=upcoming[:MINE_UPCOMING],
        more_upcoming=len(upcoming) > MINE_UPCOMING,
        ended=ended[:MINE_HISTORY],
        now=now,
    )


@bp.get("/bookings/history")
@login_required
def history():
    """The latest past bookings, and the latest cancelled or declined ones."""
    past, ended = services.booking_history(g.membership, limit=MINE_HISTORY * 2)
    return render_template("bookings/history.html", past=past, ended=ended)


def _detail_page(booking: Booking):
    now = utcnow()
    deadline = None
    if not has_role(Role.COORDINATOR):
        deadline = booking.cancel_deadline
    return render_template(
        "bookings/detail.html",
        booking=booking,
        room=booking.room,
        is_past=booking.end_at <= now,
        can_change=booking.can_change(g.membership, now),
        deadline=deadline,
    )


@bp.get("/bookings/<int:booking_id>")
@login_required
def detail(booking_id: int):
    return _detail_page(get_booking(booking_id))


@bp.route("/bookings/<int:booking_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel(booking_id: int):
    """GET asks "Annuler la réservation du jeudi 26 à 14 h ?" (Oui, annuler / Non, garder);
    POST cancels. The coordinator cancels anyone's booking, with a reason the person reads in
    the message they get (the closures page sends ``next`` to come back to)."""
    booking = get_booking(booking_id)
    mine = booking.user_id == current_user.id
    form = CancelForm()
    if request.method == "GET":
        if not booking.can_change(g.membership):
            return redirect(url_for("bookings.detail", booking_id=booking.id), 303)
        return render_template(
            "bookings/cancel.html", booking=booking, room=booking.room, form=form, mine=mine
        )
    back = safe_next(
        form.next.data,
        url_for("bookings.mine") if mine else url_for("bookings.detail", booking_id=booking.id),
    )

    def message(booking: Booking) -> str:
        when = booking_words(booking)
        if mine:
            return _("Votre réservation du %(when)s est annulée.", when=when)
        return _(
            "La réservation de %(name)s du %(when)s est annulée. Elle a reçu un message.",
            name=booking.user.full_name,
            when=when,
        )

    return perform(
        lambda: services.cancel(g.membership, booking, reason=form.reason.data or ""),
        form=form,
        page=lambda _error: _detail_page(booking),
        message=message,
        success=lambda _booking: back,
    )


@bp.route("/bookings/<int:booking_id>/edit", methods=["GET", "POST"])
@login_required
def edit(booking_id: int):
    """Pick a day's free slot (GET ``date``), review it (GET ``start``/``end``), confirm
    (POST ``start``/``end``)."""
    booking = get_booking(booking_id)
    room = booking.room
    form = _period_form(ChangeNightsForm if room.by_nights else ChangeTimeForm, room)
    reviewing = "start" in request.values or "end" in request.values
    if request.method == "GET":
        broken = reviewing and (form.start.errors or form.end.errors)
        return _edit_page(booking, form, reviewing and not broken), 422 if broken else 200
    return perform(
        lambda: services.move(g.membership, booking, form.period(room.residence.tz)),
        form=form,
        page=lambda error: _edit_page(booking, form, True, error),
        message=lambda booking: _moved_message(booking, room),
        success=lambda booking: url_for("bookings.detail", booking_id=booking.id),
    )


def _edit_page(booking: Booking, form, reviewing: bool, error: DomainError | None = None):
    room = booking.room
    tw = request_words()
    now = utcnow()
    earliest, latest = availability.booking_window(room, now)
    current_start = to_local(booking.start_at, room.residence.tz)
    day = parse_date(request.args.get("date")) or max(current_start.date(), earliest)
    day = min(max(day, earliest), latest)
    day_slots = []
    if not reviewing:
        slots = availability.free_slots(room, day, day, now=now).get(day, [])
        day_slots = slot_links(
            room, slots, tw, show_day=False, endpoint="bookings.edit", booking_id=booking.id
        )
    return render_template(
        "bookings/edit.html",
        booking=booking,
        room=room,
        form=form,
        start=form.start.data if form.has_times else None,
        end=form.end.data if form.has_times else None,
        current_start=current_start,
        current_end=to_local(booking.end_at, room.residence.tz),
        reviewing=reviewing,
        can_change=booking.can_change(g.membership, now),
        needs_approval=room.needs_approval_for(g.membership),
        day=day,
        earliest=earliest,
        latest=latest,
        day_slots=day_slots,
        taken=slot_links(
            room,
            error.next_slots,
            tw,
            show_day=True,
            endpoint="bookings.edit",
            booking_id=booking.id,
        )
        if isinstance(error, services.SlotTaken)
        else None,
    )


# ---------------------------------------------------------------------------------------
# The approval queue (the coordinator).

QUEUE_TEMPLATE = "bookings/queue.html"


def _queue_page(
    decline_forms: dict | None = None,
    invalid_id: int | None = None,
    status_message: str | None = None,
):
    """The queue: the whole page, or (htmx) the list and the announcement."""
    queue = services.pending_queue(g.residence.id)
    forms = {booking.id: DeclineForm(prefix=f"booking-{booking.id}") for booking in queue}
    forms.update(decline_forms or {})
    body, _status = render_page_or_block(
        QUEUE_TEMPLATE,
        ["queue", "live_status"],
        queue=queue,
        overlaps=services.overlaps_in_queue(queue),
        decline_forms=forms,
        invalid_id=invalid_id,
        status_message=status_message,
    )
    return body


@bp.get("/bookings/queue")
@require_role(Role.COORDINATOR)
def queue():
    return _queue_page()


@bp.post("/bookings/<int:booking_id>/approve")
@login_required
def approve(booking_id: int):
    booking = get_booking_to_decide(booking_id)
    name = booking.user.full_name

    def message(declined: list[Booking]) -> str:
        text = _("La demande de %(name)s est acceptée.", name=name)
        if declined:
            text += " " + ngettext(
                "%(num)d autre demande pour le même moment a été refusée.",
                "%(num)d autres demandes pour le même moment ont été refusées.",
                len(declined),
            )
        return text

    return perform(
        lambda: _approve_or_explain(booking, name),
        form=EmptyForm(),
        page=lambda _error: _queue_page(),
        message=message,
        success=lambda _declined: url_for("bookings.queue"),
    )


def _approve_or_explain(booking: Booking, name: str):
    try:
        return services.approve(g.membership, booking)
    except services.SlotTaken as taken:
        raise taken.reworded(
            _(
                "La demande de %(name)s ne peut pas être acceptée : la salle est déjà réservée "
                "à ce moment-là. Refusez-la en expliquant pourquoi, ou proposez d'autres dates "
                "à la personne.",
                name=name,
            )
        ) from None


@bp.post("/bookings/<int:booking_id>/decline")
@login_required
def decline(booking_id: int):
    booking = get_booking_to_decide(booking_id)
    form = DeclineForm(prefix=f"booking-{booking.id}")
    name = booking.user.full_name

    def page(_error):
        message = None
        if form.errors:
            form.reason.render_kw = {**(form.reason.render_kw or {}), "autofocus": True}
            message = _("Indiquez la raison du refus pour %(name)s.", name=name)
        return _queue_page({booking.id: form}, invalid_id=booking.id, status_message=message)

    return perform(
        lambda: services.decline(g.membership, booking, form.reason.data or ""),
        form=form,
        page=page,
        message=_("La demande de %(name)s est refusée.", name=name),
        success=lambda _booking: url_for("bookings.queue"),
    )


# ---------------------------------------------------------------------------------------
# Closures and the bookings inside them (the coordinator).


def _closures_page(room: Room, form: ClosureForm):
    return render_template(
        "bookings/closures.html",
        room=room,
        form=form,
        closures=services.closures_with_bookings(room),
        action_form=EmptyForm(),
    )


@bp.route("/rooms/<int:room_id>/closures", methods=["GET", "POST"])
@login_required
def closures(room_id: int):
    room = get_room_to_manage(room_id)
    form = ClosureForm()
    if request.method == "GET":
        return _closures_page(room, form)
    # Before closing over bookings, the coordinator sees whom it concerns (to call them).
    if not form.confirm.data and form.validate_on_submit():
        period = form.period(room.residence.tz)
        if period.is_valid:
            affected = services.closure_effects(room, period)
            if affected:
                return render_template(
                    "bookings/closure_confirm.html",
                    room=room,
                    form=form,
                    period=period,
                    affected=affected,
                )

    def message(result) -> str:
        _closure, ended = result
        if ended:
            return ngettext(
                "La salle est fermée pendant cette période. %(num)d réservation est annulée et "
                "la personne a reçu un message.",
                "La salle est fermée pendant cette période. %(num)d réservations sont "
                "annulées et les personnes ont reçu un message.",
                len(ended),
            )
        return _("La salle est fermée pendant cette période. Aucune réservation n'est concernée.")

    return perform(
        lambda: services.close_room(
            g.membership, room, form.period(room.residence.tz), form.reason.data or ""
        ),
        form=form,
        fields={"start": "start_date", "end": "end_date"},
        page=lambda _error: _closures_page(room, form),
        message=message,
        success=lambda _result: url_for("bookings.closures", room_id=room.id),
    )


@bp.post("/closures/<int:closure_id>/delete")
@login_required
def delete_closure(closure_id: int):
    closure = get_in_residence_or_404(Closure, closure_id)
    room = get_room_to_manage(closure.room_id)
    return perform(
        lambda: rooms.remove_closure(g.membership, closure),
        form=EmptyForm(),
        page=lambda _error: _closures_page(room, ClosureForm(formdata=None)),
        message=_("La fermeture est supprimée : la salle se réserve de nouveau."),
        success=lambda room: url_for("bookings.closures", room_id=room.id),
    )


@bp.post("/rooms/bookings/<int:booking_id>/cancel")
@login_required
def cancel_moved(booking_id: int):
    """Where the closures page used to post: it is now ``/bookings/<id>/cancel``."""
    return redirect(url_for("bookings.cancel", booking_id=booking_id), 308)


# ---------------------------------------------------------------------------------------
# Weekly series (the coordinator).


def _series_form(room: Room) -> SeriesForm:
    tw = request_words()
    form = SeriesForm()
    form.weekday.choices = list(enumerate(tw.weekday_names()))
    form.every.choices = [
        (1, _("Chaque semaine")),
        (2, _("Toutes les 2 semaines")),
        (3, _("Toutes les 3 semaines")),
        (4, _("Toutes les 4 semaines")),
    ]
    if room.has_units:
        form.unit.set_objects(room.units, lambda unit: unit.name)
    else:
        del form.unit
    return form


def _series_list_page(room: Room, form: SeriesForm):
    return render_template(
        "bookings/series.html", room=room, form=form, series_list=services.series_of(room)
    )


@bp.route("/rooms/<int:room_id>/series", methods=["GET", "POST"])
@login_required
def series(room_id: int):
    room = get_room_to_manage(room_id)
    form = _series_form(room)
    if request.method == "GET":
        return _series_list_page(room, form)

    def message(result) -> str:
        _series, made, skipped = result
        text = ngettext(
            "La série est créée : %(num)d date réservée.",
            "La série est créée : %(num)d dates réservées.",
            len(made),
        )
        if skipped:
            text += " " + ngettext(
                "%(num)d date n'a pas pu être réservée : voir ci-dessous.",
                "%(num)d dates n'ont pas pu être réservées : voir ci-dessous.",
                len(skipped),
            )
        return text

    return perform(
        lambda: services.create_series(
            g.membership,
            room,
            weekly=form.weekly(),
            start_time=form.start_time.data,
            end_time=form.end_time.data,
            purpose=form.purpose.data,
            unit=room.unit(form.unit.data) if room.has_units else None,
        ),
        form=form,
        page=lambda _error: _series_list_page(room, form),
        message=message,
        success=lambda result: url_for("bookings.series_detail", series_id=result[0].id),
    )


def _series_page(series: BookingSeries, form: EndSeriesForm | None = None):
    today = local_today(series.room.residence.tz, utcnow())
    form = form or EndSeriesForm(formdata=None, from_date=today)
    return render_template(
        "bookings/series_detail.html",
        series=series,
        room=series.room,
        booked=services.booked_dates(series),
        skips=series.skips,
        form=form,
        action_form=EmptyForm(),
    )


@bp.get("/series/<int:series_id>")
@login_required
def series_detail(series_id: int):
    return _series_page(get_series(series_id))


@bp.post("/series/skips/<int:skip_id>/readd")
@login_required
def readd_skip(skip_id: int):
    skip = get_skip(skip_id)
    series, day = skip.series, skip.date
    tw = request_words()

    def readd():
        try:
            return services.readd_skipped(g.membership, skip)
        except services.SlotTaken as taken:
            raise taken.reworded(
                _(
                    "Le %(day)s est toujours pris. Annulez ou déplacez d'abord la réservation "
                    "qui le bloque, puis réessayez.",
                    day=tw.day(day),
                )
            ) from None
        except DomainError as error:
            raise error.reworded(
                _(
                    "Le %(day)s n'a pas pu être réservé : %(reason)s",
                    day=tw.day(day),
                    reason=error.message,
                )
            ) from None

    return perform(
        readd,
        form=EmptyForm(),
        page=lambda _error: _series_page(series),
        message=_("Le %(day)s est maintenant réservé pour la série.", day=tw.day(day)),
        success=lambda _booking: url_for("bookings.series_detail", series_id=series.id),
    )


@bp.post("/series/<int:series_id>/end")
@login_required
def end_series(series_id: int):
    """Stop a series from a date on (the club stops in March): its later dates are freed."""
    series = get_series(series_id)
    form = EndSeriesForm()
    tw = request_words()
    return perform(
        lambda: services.end_series(g.membership, series, form.from_date.data),
        form=form,
        page=lambda _error: _series_page(series, form),
        message=lambda cancelled: ngettext(
            "Série arrêtée à partir du %(day)s : %(num)d date libérée.",
            "Série arrêtée à partir du %(day)s : %(num)d dates libérées.",
            len(cancelled),
            day=tw.day(form.from_date.data),
        ),
        success=lambda _cancelled: url_for("bookings.series_detail", series_id=series.id),
    )
