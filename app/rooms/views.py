"""The coordinator's side of rooms: settings, closures, series, the approval queue.

Every route is for the coordinator (landlord staff pass too: roles are cumulative). An object
of another residence gives 404 before any role check, whoever asks.
"""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path

import sqlalchemy as sa
from babel.dates import get_day_names
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms import FieldList

from app.bookings import formatting
from app.bookings import services as bookings
from app.bookings.models import Booking, BookingSeries, BookingStatus, SeriesSkip
from app.core.db import lock_for_write, utcnow
from app.core.errors import DomainError
from app.core.htmx import is_partial, render_page_or_block
from app.core.permissions import Role, ensure, has_role, require_role
from app.core.tenancy import get_for_coordinator_or_404, get_in_residence_or_404
from app.core.timeutils import to_local
from app.extensions import db
from app.rooms import services
from app.rooms.forms import ClosureForm, DeclineForm, RoomForm, SeriesForm
from app.rooms.models import BookingMode, Closure, Room
from app.users.forms import EmptyForm

bp = Blueprint("rooms", __name__)


# ---------------------------------------------------------------------------------------
# Loading: 404 across residences first, then 403 for whoever is not the coordinator.


def _get_room(room_id: int) -> Room:
    return get_for_coordinator_or_404(Room, room_id)


def _get_skip(skip_id: int) -> SeriesSkip:
    """A skipped date belongs to the residence of its series."""
    residence = g.get("residence")
    skip = db.session.get(SeriesSkip, skip_id)
    if residence is None or skip is None or skip.series.residence_id != residence.id:
        abort(404)
    ensure(has_role(Role.COORDINATOR))
    return skip


def _rooms(residence_id: int) -> list[Room]:
    return list(
        db.session.scalars(
            sa.select(Room)
            .where(Room.residence_id == residence_id)
            .order_by(sa.func.lower(Room.name), Room.id)
        )
    )


def _check_form(form=None) -> None:
    """A POST-only button: its CSRF token must be right (else 400)."""
    if not (form or EmptyForm()).validate_on_submit():
        abort(400)


# ---------------------------------------------------------------------------------------
# Dates in words, in the residence's local time.


def weekday_names() -> list[str]:
    """Monday first, as ``datetime.weekday()``, capitalised: ["Lundi", "Mardi", …]."""
    names = get_day_names("wide", locale=get_locale())
    return [names[day][:1].upper() + names[day][1:] for day in range(7)]


def weekday_word(weekday: int) -> str:
    """The weekday as written in a sentence ("mardi", "Tuesday")."""
    return get_day_names("wide", locale=get_locale())[weekday]


day_words = formatting.day_words  # the residents' plain words: "mardi 2 décembre"


def period_words(start: dt.datetime, end: dt.datetime) -> str:
    """ "mardi 2 décembre, de 14 h à 16 h", or "du … à … au … à …" across days (UTC in)."""
    tz = g.residence.tz
    start, end = to_local(start, tz), to_local(end, tz)
    if start.date() == end.date():
        return formatting.period_words(start, end)
    return _(
        "du %(start_day)s à %(start)s au %(end_day)s à %(end)s",
        start_day=day_words(start),
        start=formatting.time_words(start),
        end_day=day_words(end),
        end=formatting.time_words(end),
    )


def nights_words(booking: Booking) -> str | None:
    """ "2 nuits" for a room booked by nights, None otherwise."""
    if booking.room.mode is not BookingMode.NIGHTS:
        return None
    tz = g.residence.tz
    nights = (booking.end_at.astimezone(tz).date() - booking.start_at.astimezone(tz).date()).days
    if nights < 1:
        return None
    return ngettext("%(num)d nuit", "%(num)d nuits", nights)


@bp.context_processor
def rooms_helpers():
    return {
        "period_words": period_words,
        "nights_words": nights_words,
        "day_words": day_words,
        "weekday_names": weekday_names,
        "weekday_word": weekday_word,
    }


# ---------------------------------------------------------------------------------------
# Rooms: list, create, settings, photo.


@bp.get("/rooms/manage")
@require_role(Role.COORDINATOR)
def manage():
    rooms = _rooms(g.residence.id)
    return render_template(
        "rooms/manage.html",
        rooms=[room for room in rooms if not room.archived],
        archived=[room for room in rooms if room.archived],
        pending_count=len(bookings.pending_queue(g.residence.id)),
    )


# Where a service's error about a rule goes in the form.
ROOM_ERROR_FIELDS = {"min_minutes": "min_mins", "max_minutes": "max_mins"}


def _apply(form, error: DomainError, fields: dict[str, str] | None = None) -> None:
    """Show a service's refusal next to its field (or above the form if it has none)."""
    name = (fields or {}).get(error.field or "", error.field)
    field = form._fields.get(name) if name else None
    if field is None or isinstance(field, FieldList):
        form.form_errors.append(error.message)
    else:
        field.errors = [*field.errors, error.message]


def _room_form_data(room: Room | None) -> dict:
    if room is None:
        return {
            "checkin_time": dt.time(15, 0),
            "checkout_time": dt.time(11, 0),
            "openings": [
                {"is_open": True, "opens": dt.time(9, 0), "closes": dt.time(20, 0)}
                for _day in range(7)
            ],
        }
    data = {name: getattr(room, name) for name in services.DESCRIPTION_FIELDS}
    data.update({name: getattr(room, name) for name in services.RULE_FIELDS})
    data["mode"] = room.mode.value
    data["min_hours"], data["min_mins"] = divmod(room.min_minutes, 60)
    data["max_hours"], data["max_mins"] = divmod(room.max_minutes, 60)
    data["archived"] = room.archived
    data["units"] = "\n".join(unit.name for unit in room.units) if room.has_units else ""
    data["openings"] = []
    for weekday in range(7):
        windows = room.openings_on(weekday)
        if windows:
            data["openings"].append(
                {"is_open": True, "opens": windows[0].opens, "closes": windows[0].closes}
            )
        else:
            data["openings"].append({"is_open": False, "opens": None, "closes": None})
    return data


def _room_fields(form: RoomForm) -> dict:
    return {
        "name": form.name.data.strip(),
        "description": (form.description.data or "").strip(),
        "capacity": form.capacity.data,
        "accessibility": (form.accessibility.data or "").strip(),
        "mode": BookingMode(form.mode.data),
        "slot_minutes": form.slot_minutes.data,
        "min_minutes": form.min_minutes,
        "max_minutes": form.max_minutes,
        "min_nights": form.min_nights.data,
        "max_nights": form.max_nights.data,
        "checkin_time": form.checkin_time.data,
        "checkout_time": form.checkout_time.data,
        "max_days_ahead": form.max_days_ahead.data,
        "cancel_hours": form.cancel_hours.data,
        "per_household_week": form.per_household_week.data,
        "max_active_per_household": form.max_active_per_household.data,
        "requires_approval": form.requires_approval.data,
        "buffer_minutes": form.buffer_minutes.data,
    }


def _openings(form: RoomForm) -> list[tuple[int, dt.time, dt.time]]:
    return [
        (weekday, entry.opens.data, entry.closes.data)
        for weekday, entry in enumerate(form.openings.entries)
        if entry.is_open.data
    ]


def _upload_folder() -> Path:
    """Absolute, so that saving and serving agree even if the setting is relative."""
    return Path(current_app.config["UPLOAD_FOLDER"]).resolve()


def _save_photo(form: RoomForm) -> str | None:
    """Store the checked picture under a random name; return that name."""
    if not form.photo_ext:
        return None
    folder = _upload_folder()
    folder.mkdir(parents=True, exist_ok=True)
    name = f"room-{secrets.token_hex(16)}.{form.photo_ext}"
    upload = form.photo.data
    upload.stream.seek(0)
    upload.save(folder / name)
    return name


def _discard_photo(name: str | None) -> None:
    if name:
        (_upload_folder() / Path(name).name).unlink(missing_ok=True)


def _render_room_form(form: RoomForm, room: Room | None):
    status = 422 if form.errors else 200
    many_windows = set()
    if room is not None:
        many_windows = {day for day in range(7) if len(room.openings_on(day)) > 1}
    return render_template(
        "rooms/form.html", form=form, room=room, many_windows=many_windows
    ), status


@bp.route("/rooms/manage/new", methods=["GET", "POST"])
@require_role(Role.COORDINATOR)
def create():
    form = RoomForm(data=_room_form_data(None))
    if form.validate_on_submit():
        photo = _save_photo(form)
        try:
            room = services.create_room(
                current_user,
                g.residence,
                openings=_openings(form),
                unit_names=form.unit_names(),
                photo=photo,
                **_room_fields(form),
            )
        except DomainError as error:
            db.session.rollback()
            _discard_photo(photo)
            _apply(form, error, ROOM_ERROR_FIELDS)
        else:
            db.session.commit()
            flash(_("La salle « %(name)s » est créée.", name=room.name), "success")
            return redirect(url_for("rooms.manage"), 303)
    return _render_room_form(form, None)


@bp.route("/rooms/<int:room_id>/settings", methods=["GET", "POST"])
@login_required
def edit(room_id: int):
    room = _get_room(room_id)
    form = RoomForm(data=_room_form_data(room))
    if form.validate_on_submit():
        fields = _room_fields(form)
        fields["archived"] = form.archived.data
        old_photo = room.photo
        photo = _save_photo(form)
        if photo:
            fields["photo"] = photo
        elif form.remove_photo.data and old_photo:
            fields["photo"] = None
        try:
            services.update_room(
                current_user,
                room,
                openings=_openings(form),
                unit_names=form.unit_names(),
                **fields,
            )
        except DomainError as error:
            db.session.rollback()
            _discard_photo(photo)
            _apply(form, error, ROOM_ERROR_FIELDS)
        else:
            db.session.commit()
            if "photo" in fields:
                _discard_photo(old_photo)
            flash(_("Les réglages de « %(name)s » sont enregistrés.", name=room.name), "success")
            return redirect(url_for("rooms.edit", room_id=room.id), 303)
    return _render_room_form(form, room)


@bp.get("/rooms/<int:room_id>/photo")
@login_required
def photo(room_id: int):
    """The room's photo, for anyone of the residence."""
    room = get_in_residence_or_404(Room, room_id)
    if not room.photo:
        abort(404)
    return send_from_directory(_upload_folder(), room.photo)


# ---------------------------------------------------------------------------------------
# The approval queue.

QUEUE_TEMPLATE = "rooms/queue.html"


def _decline_form(booking_id: int) -> DeclineForm:
    return DeclineForm(prefix=f"booking-{booking_id}")


def _queue_context(decline_forms: dict | None = None, **extra) -> dict:
    queue = bookings.pending_queue(g.residence.id)
    forms = {booking.id: _decline_form(booking.id) for booking in queue}
    forms.update(decline_forms or {})
    return {
        "queue": queue,
        "overlaps": {booking.id: bookings.overlapping_pending(booking) for booking in queue},
        "decline_forms": forms,
        **extra,
    }


def _queue_page(status: int = 200, *, message: str | None = None, **context):
    """The queue: the whole page, or (htmx) the list and the announcement."""
    if is_partial():
        context["status_message"] = message
    return render_page_or_block(
        QUEUE_TEMPLATE, ["queue", "live_status"], status, **_queue_context(**context)
    )


def _queue_done(message: str):
    if is_partial():
        return _queue_page(message=message, done_message=message, focus_heading=True)
    flash(message, "success")
    return redirect(url_for("rooms.queue"), 303)


@bp.get("/bookings/queue")
@require_role(Role.COORDINATOR)
def queue():
    return render_page_or_block(QUEUE_TEMPLATE, "queue", **_queue_context())


@bp.post("/bookings/<int:booking_id>/approve")
@login_required
def approve(booking_id: int):
    booking = get_for_coordinator_or_404(Booking, booking_id)
    _check_form()
    name = booking.user.full_name
    lock_for_write(db.session)
    try:
        declined = bookings.approve_booking(current_user, booking)
    except bookings.SlotTaken:
        db.session.rollback()
        message = _(
            "La demande de %(name)s ne peut pas être acceptée : la salle est déjà réservée "
            "à ce moment-là. Refusez-la en expliquant pourquoi, ou proposez d'autres dates "
            "à la personne.",
            name=name,
        )
        return _queue_page(409, message=message, queue_error=message)
    except DomainError as error:
        db.session.rollback()
        message = str(error.message)
        return _queue_page(error.status_code, message=message, queue_error=message)
    db.session.commit()
    message = _("La demande de %(name)s est acceptée.", name=name)
    if declined:
        message += " " + ngettext(
            "%(num)d autre demande pour le même moment a été refusée.",
            "%(num)d autres demandes pour le même moment ont été refusées.",
            len(declined),
        )
    return _queue_done(message)


@bp.post("/bookings/<int:booking_id>/decline")
@login_required
def decline(booking_id: int):
    booking = get_for_coordinator_or_404(Booking, booking_id)
    form = _decline_form(booking.id)
    name = booking.user.full_name
    if form.validate_on_submit():
        try:
            bookings.decline_booking(current_user, booking, form.reason.data)
        except DomainError as error:
            db.session.rollback()
            if error.field != "reason":
                message = str(error.message)
                return _queue_page(error.status_code, message=message, queue_error=message)
            _apply(form, error)
        else:
            db.session.commit()
            return _queue_done(_("La demande de %(name)s est refusée.", name=name))
    message = _("Indiquez la raison du refus pour %(name)s.", name=name)
    form.reason.render_kw = {**(form.reason.render_kw or {}), "autofocus": True}
    return _queue_page(
        422, message=message, decline_forms={booking.id: form}, invalid_id=booking.id
    )


# ---------------------------------------------------------------------------------------
# Closures.


def _closures_with_bookings(room: Room) -> list[tuple[Closure, list[Booking]]]:
    closures = db.session.scalars(
        sa.select(Closure)
        .where(Closure.room_id == room.id, Closure.end_at > utcnow())
        .order_by(Closure.start_at)
    )
    return [(closure, bookings.bookings_in_closure(closure)) for closure in closures]


def _render_closures(room: Room, form: ClosureForm, status: int | None = None, **extra):
    status = status or (422 if form.errors else 200)
    return render_template(
        "rooms/closures.html",
        room=room,
        form=form,
        closures=_closures_with_bookings(room),
        **extra,
    ), status


@bp.route("/rooms/<int:room_id>/closures", methods=["GET", "POST"])
@login_required
def closures(room_id: int):
    room = _get_room(room_id)
    form = ClosureForm()
    if form.validate_on_submit():
        start = dt.datetime.combine(form.start_date.data, form.start_time.data)
        end = dt.datetime.combine(form.end_date.data, form.end_time.data)
        try:
            _closure, affected = bookings.add_closure(
                current_user, room, start, end, form.reason.data or ""
            )
        except DomainError as error:
            db.session.rollback()
            _apply(form, error, {"start": "start_date", "end": "end_date"})
        else:
            db.session.commit()
            if affected:
                message = ngettext(
                    "La fermeture est enregistrée. %(num)d réservation tombe pendant cette "
                    "fermeture : prévenez la personne (voir ci-dessous).",
                    "La fermeture est enregistrée. %(num)d réservations tombent pendant cette "
                    "fermeture : prévenez ces personnes (voir ci-dessous).",
                    len(affected),
                )
            else:
                message = _("La fermeture est enregistrée. Aucune réservation n'est concernée.")
            flash(message, "success")
            return redirect(url_for("rooms.closures", room_id=room.id), 303)
    return _render_closures(room, form)


@bp.post("/closures/<int:closure_id>/delete")
@login_required
def delete_closure(closure_id: int):
    closure = get_for_coordinator_or_404(Closure, closure_id)
    _check_form()
    room_id = closure.room_id
    bookings.remove_closure(current_user, closure)
    db.session.commit()
    flash(_("La fermeture est supprimée : la salle se réserve de nouveau."), "success")
    return redirect(url_for("rooms.closures", room_id=room_id), 303)


@bp.post("/rooms/bookings/<int:booking_id>/cancel")
@login_required
def cancel_booking(booking_id: int):
    """The coordinator cancels someone's booking (in a closure); back to the closures."""
    booking = get_for_coordinator_or_404(Booking, booking_id)
    _check_form()
    room = booking.room
    name = booking.user.full_name
    when = period_words(booking.start_at, booking.end_at)
    if booking.status is BookingStatus.CANCELLED:  # a second tap
        flash(_("La réservation de %(name)s était déjà annulée.", name=name), "success")
        return redirect(url_for("rooms.closures", room_id=room.id), 303)
    try:
        bookings.cancel_booking(current_user, booking)
    except DomainError as error:
        db.session.rollback()
        return _render_closures(
            room, ClosureForm(formdata=None), error.status_code, page_error=error.message
        )
    db.session.commit()
    flash(
        _(
            "La réservation de %(name)s (%(when)s) est annulée. Pensez à la prévenir.",
            name=name,
            when=when,
        ),
        "success",
    )
    return redirect(url_for("rooms.closures", room_id=room.id), 303)


# ---------------------------------------------------------------------------------------
# Weekly series.


def _series_form(room: Room) -> SeriesForm:
    form = SeriesForm()
    form.weekday.choices = list(enumerate(weekday_names()))
    if room.has_units:
        form.unit.choices = [(unit.id, unit.name) for unit in room.units]
    else:
        del form.unit
    return form


def _series_of(room: Room) -> list[tuple[BookingSeries, int]]:
    """The room's series, newest first, each with its number of booked dates."""
    series = list(
        db.session.scalars(
            sa.select(BookingSeries)
            .where(BookingSeries.room_id == room.id)
            .order_by(BookingSeries.first_date.desc(), BookingSeries.id.desc())
        )
    )
    counts = dict(
        db.session.execute(
            sa.select(Booking.series_id, sa.func.count(Booking.id))
            .where(
                Booking.series_id.in_([s.id for s in series]),
                Booking.status == BookingStatus.CONFIRMED,
            )
            .group_by(Booking.series_id)
        ).all()
    )
    return [(s, counts.get(s.id, 0)) for s in series]


@bp.route("/rooms/<int:room_id>/series", methods=["GET", "POST"])
@login_required
def series(room_id: int):
    room = _get_room(room_id)
    form = _series_form(room)
    if form.validate_on_submit():
        unit_id = form.unit.data if room.has_units else None
        values = {
            "weekday": form.weekday.data,
            "start_time": form.start_time.data,
            "end_time": form.end_time.data,
            "first_date": form.first_date.data,
            "until": form.until.data,
            "purpose": form.purpose.data,
        }
        lock_for_write(db.session)
        try:
            created, made, skipped = bookings.create_series(
                current_user, room, unit_id=unit_id, **values
            )
        except DomainError as error:
            db.session.rollback()
            _apply(form, error)
        else:
            db.session.commit()
            message = ngettext(
                "La série est créée : %(num)d date réservée.",
                "La série est créée : %(num)d dates réservées.",
                len(made),
            )
            if skipped:
                message += " " + ngettext(
                    "%(num)d date n'a pas pu être réservée : voir ci-dessous.",
                    "%(num)d dates n'ont pas pu être réservées : voir ci-dessous.",
                    len(skipped),
                )
            flash(message, "success")
            return redirect(url_for("rooms.series_detail", series_id=created.id), 303)
    status = 422 if form.errors else 200
    return render_template(
        "rooms/series.html", room=room, form=form, series_list=_series_of(room)
    ), status


def _render_series_detail(series: BookingSeries, status: int = 200, **extra):
    booked = list(
        db.session.scalars(
            sa.select(Booking)
            .where(Booking.series_id == series.id, Booking.status == BookingStatus.CONFIRMED)
            .order_by(Booking.start_at)
        )
    )
    today = to_local(utcnow(), series.room.residence.tz).date()
    return render_template(
        "rooms/series_detail.html",
        series=series,
        room=series.room,
        booked=booked,
        skips=series.skips,
        today_iso=today.isoformat(),
        **extra,
    ), status


@bp.get("/series/<int:series_id>")
@login_required
def series_detail(series_id: int):
    return _render_series_detail(get_for_coordinator_or_404(BookingSeries, series_id))


@bp.post("/series/skips/<int:skip_id>/readd")
@login_required
def readd_skip(skip_id: int):
    skip = _get_skip(skip_id)
    _check_form()
    series_id, day = skip.series_id, skip.date
    lock_for_write(db.session)
    try:
        bookings.readd_skipped(current_user, skip)
    except bookings.SlotTaken:
        db.session.rollback()
        message = _(
            "Le %(day)s est toujours pris. Annulez ou déplacez d'abord la réservation qui "
            "le bloque, puis réessayez.",
            day=day_words(day),
        )
        return _render_series_detail(db.session.get(BookingSeries, series_id), 409, error=message)
    except DomainError as error:
        db.session.rollback()
        message = _(
            "Le %(day)s n'a pas pu être réservé : %(reason)s",
            day=day_words(day),
            reason=error.message,
        )
        return _render_series_detail(
            db.session.get(BookingSeries, series_id), error.status_code, error=message
        )
    db.session.commit()
    flash(_("Le %(day)s est maintenant réservé pour la série.", day=day_words(day)), "success")
    return redirect(url_for("rooms.series_detail", series_id=series_id), 303)


@bp.post("/series/<int:series_id>/end")
@login_required
def end_series(series_id: int):
    """Stop a series from a date on (the club stops in March): its later dates are freed."""
    series = get_for_coordinator_or_404(BookingSeries, series_id)
    _check_form()
    day = _parse_day(request.form.get("from_date"))
    if day is None:
        return _render_series_detail(
            series, 422, error=_("Indiquez à partir de quel jour arrêter la série.")
        )
    cancelled = bookings.end_series(current_user, series, day)
    db.session.commit()
    flash(
        ngettext(
            "Série arrêtée à partir du %(day)s : %(num)d date libérée.",
            "Série arrêtée à partir du %(day)s : %(num)d dates libérées.",
            len(cancelled),
            day=day_words(day),
        ),
        "success",
    )
    return redirect(url_for("rooms.series_detail", series_id=series.id), 303)


def _parse_day(value: str | None) -> dt.date | None:
    try:
        day = dt.date.fromisoformat((value or "").strip())
    except ValueError:
        return None
    return day if 1970 <= day.year <= 9000 else None


@bp.post("/rooms/manage/privacy")
@require_role(Role.COORDINATOR)
def privacy():
    """Whether residents may see who booked (the residence decides; off by default)."""
    from app.residences.services import set_show_booker_names

    _check_form()
    show = request.form.get("show_booker_names") == "1"
    set_show_booker_names(current_user, g.residence, show)
    db.session.commit()
    flash(
        _("Les habitants voient maintenant qui a réservé.")
        if show
        else _("Les habitants ne voient plus qui a réservé : seulement « réservé »."),
        "success",
    )
    return redirect(url_for("rooms.manage"), 303)
