"""Reservations: the rules, holding a room (``reserve``), cancelling and moving, the approval
queue, closures' consequences, and the coordinator's weekly series.

``reserve(actor, room, period, *, for_user=None, origin=None)`` is how anything holds a room:
a resident's booking, a series' date, an activity session (the layer above). ``actor`` and
``for_user`` are residence memberships; ``period`` is in UTC (``Period.from_local`` made it,
once). The rules are checked in the residence's local time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from app.bookings.availability import booking_window, load_busy, next_free_slots
from app.bookings.models import (
    ACTIVE_STATUSES,
    LONGEST_BOOKING,
    PERSON,
    Booking,
    BookingSeries,
    BookingStatus,
    Origin,
    OriginKind,
    SeriesSkip,
)
from app.core.audit import record
from app.core.db import built_once, utcnow
from app.core.errors import Conflict, DomainError, NotAllowed
from app.core.i18n import lazy_gettext as _l
from app.core.permissions import Role, check_role
from app.core.recurrence import Weekly
from app.core.timeutils import Period, day_start, local_today, to_local, week_start
from app.extensions import db
from app.messages import services as messages
from app.residences.models import Membership
from app.rooms import services as rooms
from app.rooms.models import Closure, Room, RoomUnit

# ---------------------------------------------------------------------------------------
# Errors: each rule has its own translated message.


class BookingRefused(DomainError):
    """A rule of the room says no (422)."""


class InvalidPeriod(BookingRefused):
    default_message = _l("L'heure de fin doit être après l'heure de début.")


class InPast(BookingRefused):
    default_message = _l("Ce créneau est déjà passé. Choisissez un moment à venir.")


class TooFarAhead(BookingRefused):
    default_message = _l("On ne peut pas réserver cette salle si longtemps à l'avance.")


class TooShort(BookingRefused):
    default_message = _l("Cette réservation est trop courte pour cette salle.")


class TooLong(BookingRefused):
    default_message = _l("Cette réservation est trop longue pour cette salle.")


class NotOnGrid(BookingRefused):
    default_message = _l("Les réservations de cette salle commencent et finissent à heure fixe.")


class OutsideOpeningHours(BookingRefused):
    default_message = _l("La salle n'est pas ouverte à ce moment-là.")


class WrongNights(BookingRefused):
    default_message = _l("Ce nombre de nuits n'est pas possible pour cette chambre.")


class RoomClosed(BookingRefused):
    default_message = _l("La salle est fermée pendant cette période.")


class WeeklyLimit(BookingRefused):
    default_message = _l(
        "Votre logement a déjà le nombre de réservations permis cette semaine pour cette salle."
    )


class ActiveLimit(BookingRefused):
    default_message = _l(
        "Votre logement a déjà le nombre de réservations à venir permis pour cette salle."
    )


class CancelTooLate(BookingRefused):
    default_message = _l(
        "Il est trop tard pour annuler ou modifier en ligne. Prévenez la coordination."
    )


class NotPending(BookingRefused):
    default_message = _l("Cette demande a déjà été traitée.")


class UnknownUnit(BookingRefused):
    default_message = _l("Cet équipement n'existe pas dans cette salle.")


class TooLongAltogether(BookingRefused):
    default_message = _l("Une réservation dure deux mois au plus. Faites-en plusieurs.")


class RoomArchived(BookingRefused):
    default_message = _l("Cette salle ne se réserve plus.")


class SlotTaken(Conflict):
    """Someone else has it (409). ``next_slots`` offers the next free ones."""

    default_message = _l("Ce créneau vient d'être réservé par quelqu'un d'autre.")

    def __init__(self, message=None, *, next_slots=None, field=None):
        super().__init__(message, field=field)
        self.next_slots = next_slots or []


# ---------------------------------------------------------------------------------------
# Rules.


def check_rules(
    room: Room,
    period: Period,
    *,
    home_id: int | None,
    user_id: int,
    now: dt.datetime,
    resident_rules: bool = True,
    ignore_booking_id: int | None = None,
) -> None:
    """Raise the first rule ``period`` breaks for a booking of ``room`` by ``user_id``, of
    the household ``home_id`` (the person alone when they have no home)."""
    if not period.is_valid:
        raise InvalidPeriod(field="end")
    if period.end - period.start > LONGEST_BOOKING:
        raise TooLongAltogether(field="end")
    if period.start < now:
        raise InPast(field="start")
    start, end = period.local(room.residence.tz)
    if resident_rules:
        _, latest = booking_window(room, now)
        if start.date() > latest:
            raise TooFarAhead(field="start")
        if room.by_nights:
            nights = (end.date() - start.date()).days
            if start.time() != room.checkin_time or end.time() != room.checkout_time:
                raise OutsideOpeningHours(field="start")
            if not room.min_nights <= nights <= room.max_nights:
                raise WrongNights(field="end")
        else:
            _check_slot_rules(room, start, end)
        _check_household_limits(room, start, home_id, user_id, now, ignore_booking_id)
    closures = rooms.closures_during(room, period)
    if closures:
        reason = closures[0].reason
        message = _l("La salle est fermée pendant cette période : %(reason)s", reason=reason)
        raise RoomClosed(message if reason else None, field="start")


def _check_slot_rules(room: Room, start: dt.datetime, end: dt.datetime) -> None:
    minutes = (end - start).total_seconds() / 60
    if minutes < room.min_minutes:
        raise TooShort(field="end")
    if minutes > room.max_minutes:
        raise TooLong(field="end")
    window = room.opening_at(start)
    if window is None or start.date() != end.date() or end.time() > window.closes:
        raise OutsideOpeningHours(field="start")
    offset = (start - dt.datetime.combine(start.date(), window.opens)).total_seconds() / 60
    if offset % room.slot_minutes or minutes % room.slot_minutes:
        raise NotOnGrid(field="start")


def _check_household_limits(room, start, home_id, user_id, now, ignore_booking_id) -> None:
    if room.per_household_week is None and room.max_active_per_household is None:
        return
    household = Booking.home_id == home_id if home_id is not None else Booking.user_id == user_id
    base = sa.select(sa.func.count(Booking.id)).where(
        Booking.room_id == room.id, Booking.status.in_(ACTIVE_STATUSES), household
    )
    if ignore_booking_id is not None:
        base = base.where(Booking.id != ignore_booking_id)
    if room.per_household_week is not None:
        monday = week_start(start.date())
        week = Period.days(monday, monday + dt.timedelta(days=6), room.residence.tz)
        count = db.session.scalar(
            base.where(Booking.start_at >= week.start, Booking.start_at < week.end)
        )
        if count >= room.per_household_week:
            raise WeeklyLimit(field="start")
    if room.max_active_per_household is not None:
        count = db.session.scalar(base.where(Booking.end_at > now))
        if count >= room.max_active_per_household:
            raise ActiveLimit(field="start")


def _lock_room(room: Room) -> None:
    """Serialise bookings of one room (PostgreSQL row lock; SQLite holds the write lock)."""
    db.session.execute(sa.select(Room.id).where(Room.id == room.id).with_for_update())


def _pick_unit(room: Room, wanted: RoomUnit | None, period: Period, ignore_id=None) -> RoomUnit:
    """The unit asked for if it is free, else another free one: units are identical."""
    units = list(room.units)
    if wanted is not None:
        if wanted.room_id != room.id:
            raise UnknownUnit(field="unit")
        units = [wanted] + [u for u in units if u.id != wanted.id]
    busy = load_busy(room, period)
    buffer = dt.timedelta(minutes=room.buffer_minutes)
    for unit in units:
        if busy.unit_free(unit.id, period.start, period.end, buffer, ignore_id=ignore_id):
            return unit
    raise SlotTaken()


def _taken(room: Room, period: Period, now) -> SlotTaken:
    start = to_local(period.start, room.residence.tz)
    return SlotTaken(next_slots=next_free_slots(room, start, now=now))


def _insert_guarded(booking: Booking, room: Room, period: Period, now) -> None:
    """Insert or update; the database's no-overlap guarantee has the last word."""
    savepoint = db.session.begin_nested()
    try:
        db.session.add(booking)
        db.session.flush()
    except IntegrityError:
        savepoint.rollback()
        raise _taken(room, period, now) from None
    savepoint.commit()


def _active_member(membership: Membership | None, room: Room) -> Membership:
    if (
        membership is None
        or not membership.is_active
        or membership.residence_id != (room.residence_id)
    ):
        raise NotAllowed()
    return membership


# ---------------------------------------------------------------------------------------
# Holding a room.


def reserve(
    actor: Membership,
    room: Room,
    period: Period,
    *,
    for_user: Membership | None = None,
    origin: Origin | None = None,
    unit: RoomUnit | None = None,
    purpose: str = "",
    now: dt.datetime | None = None,
    suggest: bool = True,
) -> Booking:
    """Hold ``room`` for ``period``. The coordinator may book for someone (that person's
    rules then apply) or for the residence (no resident rules, no approval)."""
    now = now or utcnow()
    _active_member(actor, room)
    owner = _active_member(for_user or actor, room)
    coordinator = actor.is_coordinator
    if owner.id != actor.id and not coordinator:
        raise NotAllowed()
    if room.archived:
        raise RoomArchived()
    origin = origin or PERSON
    _lock_room(room)
    same = _same_booking(room, owner, period, origin)
    if same is not None:  # a double tap on "Confirm": the booking is already made
        return same
    check_rules(
        room,
        period,
        home_id=owner.home_id,
        user_id=owner.user_id,
        now=now,
        resident_rules=not coordinator or owner.id != actor.id,
    )
    try:
        chosen = _pick_unit(room, unit, period)
    except SlotTaken:
        raise (_taken(room, period, now) if suggest else SlotTaken()) from None
    status = BookingStatus.PENDING if room.needs_approval_for(actor) else BookingStatus.CONFIRMED
    booking = Booking(
        residence_id=room.residence_id,
        room=room,
        unit=chosen,
        user_id=owner.user_id,
        home_id=owner.home_id,
        created_by_id=actor.user_id,
        origin=origin,
        start_at=period.start,
        end_at=period.end,
        block_end_at=period.end + dt.timedelta(minutes=room.buffer_minutes),
        purpose=" ".join(purpose.split())[:200],
        status=status,
    )
    _insert_guarded(booking, room, period, now)
    details = status.value
    if owner.id != actor.id:
        details += f"; for user {owner.user_id}"
    if origin.id is not None:
        details += f"; {origin.kind.value} {origin.id}"
    record("booking.created", actor=actor, target=booking, details=details)
    return booking


def _same_booking(room: Room, owner: Membership, period: Period, origin: Origin):
    return db.session.scalar(
        sa.select(Booking).where(
            Booking.room_id == room.id,
            Booking.user_id == owner.user_id,
            Booking.status.in_(ACTIVE_STATUSES),
            Booking.start_at == period.start,
            Booking.end_at == period.end,
            Booking.origin_kind == origin.kind,
            Booking.origin_id.is_(None) if origin.id is None else Booking.origin_id == origin.id,
        )
    )


def cancel(
    actor: Membership, booking: Booking, *, reason: str = "", now: dt.datetime | None = None
) -> Booking:
    """Cancel; ``reason`` (e.g. the coordinator's "works in the room") is shown to the person."""
    now = now or utcnow()
    if not booking.can_view(actor):
        raise NotAllowed()
    if booking.status is BookingStatus.CANCELLED:
        return booking  # a double tap on "Cancel"
    if not booking.can_change(actor, now):
        if booking.too_late_for(actor, now):
            raise CancelTooLate()
        raise NotAllowed()
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at = now
    if reason.strip():
        booking.decision_reason = " ".join(reason.split())[:300]
    record("booking.cancelled", actor=actor, target=booking)
    if booking.user_id != actor.user_id and booking.origin_kind is not OriginKind.ACTIVITY:
        _tell_owner(
            booking,
            lambda tw, when, name: (
                tw.gettext("Réservation annulée : %(room)s, %(when)s", room=name, when=when),
                tw.gettext("La coordination a annulé votre réservation du %(when)s.", when=when)
                + (
                    "\n\n" + tw.gettext("Raison : %(reason)s", reason=booking.decision_reason)
                    if booking.decision_reason
                    else ""
                ),
            ),
        )
    return booking


def _tell_owner(booking: Booking, compose, about=None) -> None:
    """A message to the person a booking is for, in their language: ``compose(tw, when,
    room name)`` gives (subject, body)."""
    owner = db.session.scalar(
        sa.select(Membership).where(
            Membership.residence_id == booking.residence_id,
            Membership.user_id == booking.user_id,
        )
    )
    if owner is None:
        return
    room = booking.room

    def words(tw):
        if room.by_nights:
            when = tw.stay(booking.start_at, booking.end_at)
        else:
            when = tw.period(booking.start_at, booking.end_at)
        return compose(tw, when, room.name_for(tw.locale))

    messages.send(owner, words, about=about or ("bookings.detail", {"booking_id": booking.id}))


def move(
    actor: Membership, booking: Booking, period: Period, *, now: dt.datetime | None = None
) -> Booking:
    """Change a booking's time (same room). Own bookings until the cancellation deadline."""
    now = now or utcnow()
    if not booking.can_change(actor, now):
        if booking.too_late_for(actor, now):
            raise CancelTooLate()
        raise NotAllowed()
    room = booking.room
    _lock_room(room)
    check_rules(
        room,
        period,
        home_id=booking.home_id,
        user_id=booking.user_id,
        now=now,
        # The coordinator moves a room held for the residence (by them, a colleague, an
        # activity) without the residents' rules; a resident's booking keeps them.
        resident_rules=not actor.is_coordinator
        or (booking.user_id != actor.user_id and booking.origin_kind is OriginKind.PERSON),
        ignore_booking_id=booking.id,
    )
    try:
        unit = _pick_unit(room, booking.unit, period, ignore_id=booking.id)
    except SlotTaken:
        raise _taken(room, period, now) from None
    booking.unit = unit
    booking.start_at, booking.end_at = period.start, period.end
    booking.block_end_at = period.end + dt.timedelta(minutes=room.buffer_minutes)
    if room.needs_approval_for(actor):
        booking.status = BookingStatus.PENDING
    _insert_guarded(booking, room, period, now)
    record("booking.moved", actor=actor, target=booking)
    return booking


# ---------------------------------------------------------------------------------------
# The approval queue.


def pending_queue(residence_id: int, now: dt.datetime | None = None) -> list[Booking]:
    """Requests to answer, soonest first, with what the queue shows loaded in one go."""
    return list(
        db.session.scalars(
            sa.select(Booking)
            .options(
                joinedload(Booking.user),
                joinedload(Booking.home),
                joinedload(Booking.created_by),
                joinedload(Booking.room),
                joinedload(Booking.unit),
            )
            .where(
                Booking.residence_id == residence_id,
                Booking.status == BookingStatus.PENDING,
                Booking.end_at > (now or utcnow()),
            )
            .order_by(Booking.start_at, Booking.created_at)
        ).unique()
    )


def _overlap(a: Booking, b: Booking) -> bool:
    return a.unit_id == b.unit_id and a.start_at < b.block_end_at and b.start_at < a.block_end_at


def overlaps_in_queue(queue: list[Booking]) -> dict[int, list[Booking]]:
    """For each request, the other requests that accepting it would decline."""
    return {
        booking.id: sorted(
            (other for other in queue if other.id != booking.id and _overlap(booking, other)),
            key=lambda other: other.created_at,
        )
        for booking in queue
    }


def overlapping_pending(booking: Booking) -> list[Booking]:
    """Other requests that approving ``booking`` would decline."""
    return list(
        db.session.scalars(
            sa.select(Booking)
            .where(
                Booking.unit_id == booking.unit_id,
                Booking.id != booking.id,
                Booking.status == BookingStatus.PENDING,
                *Booking.touching(Period(booking.start_at, booking.block_end_at)),
            )
            .order_by(Booking.created_at)
        )
    )


def approve(actor: Membership, booking: Booking, *, now=None) -> list[Booking]:
    """Confirm a request; overlapping requests are declined. Returns those declined."""
    now = now or utcnow()
    check_role(actor, Role.COORDINATOR, booking.residence_id)
    if booking.status is not BookingStatus.PENDING:
        raise NotPending()
    room = booking.room
    _lock_room(room)
    period = Period(booking.start_at, booking.end_at)
    busy = load_busy(room, Period(booking.start_at, booking.block_end_at))
    buffer = dt.timedelta(minutes=room.buffer_minutes)
    if not busy.unit_free(
        booking.unit_id, booking.start_at, booking.end_at, buffer, ignore_id=booking.id
    ):
        raise _taken(room, period, now)
    booking.status = BookingStatus.CONFIRMED
    booking.decided_by_id, booking.decided_at = actor.user_id, now
    _insert_guarded(booking, room, period, now)
    declined = overlapping_pending(booking)
    for other in declined:
        other.status = BookingStatus.DECLINED
        other.decided_by_id, other.decided_at = actor.user_id, now
        other.decision_reason = ""  # shown in the reader's language: Booking.reason_text
        record("booking.declined", actor=actor, target=other)
        _tell_owner(
            other,
            lambda tw, when, name: (
                tw.gettext("Demande refusée : %(room)s, %(when)s", room=name, when=when),
                tw.gettext(
                    "Une autre demande a été acceptée pour ces dates. Choisissez d'autres dates."
                ),
            ),
        )
    record("booking.approved", actor=actor, target=booking)
    _tell_owner(
        booking,
        lambda tw, when, name: (
            tw.gettext("Demande acceptée : %(room)s, %(when)s", room=name, when=when),
            tw.gettext("La coordination a accepté votre demande. La réservation est confirmée."),
        ),
    )
    return declined


def decline(actor: Membership, booking: Booking, reason: str, *, now=None) -> Booking:
    now = now or utcnow()
    check_role(actor, Role.COORDINATOR, booking.residence_id)
    if booking.status is not BookingStatus.PENDING:
        raise NotPending()
    reason = " ".join(reason.split())
    if not reason:
        raise DomainError(_l("Indiquez la raison : la personne la lira."), field="reason")
    booking.status = BookingStatus.DECLINED
    booking.decision_reason = reason[:300]
    booking.decided_by_id, booking.decided_at = actor.user_id, now
    record("booking.declined", actor=actor, target=booking)
    _tell_owner(
        booking,
        lambda tw, when, name: (
            tw.gettext("Demande refusée : %(room)s, %(when)s", room=name, when=when),
            tw.gettext("Raison : %(reason)s", reason=booking.decision_reason),
        ),
    )
    return booking


# ---------------------------------------------------------------------------------------
# A person's bookings.


def _with_card_data(query):
    # The room's units are not loaded: ``Room.has_units`` counts them in the room's row.
    return query.options(
        joinedload(Booking.room).joinedload(Room.residence),
        joinedload(Booking.unit),
    )


def _of_member():
    return _with_card_data(sa.select(Booking)).where(
        Booking.residence_id == sa.bindparam("residence_id"),
        Booking.user_id == sa.bindparam("user_id"),
    )


@built_once
def _upcoming_query():
    return (
        _of_member()
        .where(Booking.status.in_(ACTIVE_STATUSES), Booking.end_at > sa.bindparam("now"))
        .order_by(Booking.start_at)
        .limit(sa.bindparam("limit"))
    )


@built_once
def _history_query():
    ended = ~Booking.status.in_(ACTIVE_STATUSES)
    return (
        _of_member()
        .where(sa.or_(Booking.end_at <= sa.bindparam("now"), ended))
        .order_by(Booking.start_at.desc())
        .limit(sa.bindparam("limit"))
    )


def upcoming_bookings(member: Membership, *, now=None, limit: int = 50) -> list[Booking]:
    """The person's bookings still to come (requests included), soonest first."""
    values = {
        "residence_id": member.residence_id,
        "user_id": member.user_id,
        "now": now or utcnow(),
        "limit": limit,
    }
    return list(db.session.scalars(_upcoming_query(), values).unique())


@built_once
def _ahead_query():
    return (
        _of_member()
        .where(Booking.end_at > sa.bindparam("now"))
        .order_by(Booking.start_at)
        .limit(sa.bindparam("limit"))
    )


def bookings_ahead(member: Membership, *, now=None, limit: int = 10):
    """(the next ``limit`` active bookings, the next ``limit`` cancelled or declined ones
    whose time has not come): "Mes réservations", in one query."""
    values = {
        "residence_id": member.residence_id,
        "user_id": member.user_id,
        "now": now or utcnow(),
        "limit": 3 * limit,
    }
    ahead = list(db.session.scalars(_ahead_query(), values).unique())
    active = [b for b in ahead if b.is_active][:limit]
    ended = [b for b in ahead if not b.is_active][:limit]
    return active, ended


def booking_history(member: Membership, *, now=None, limit: int = 10):
    """(the last ``limit`` past bookings, the last ``limit`` cancelled or declined), latest
    first: a page of "Mes réservations" stays short after years of bookings."""
    values = {
        "residence_id": member.residence_id,
        "user_id": member.user_id,
        "now": now or utcnow(),
        "limit": 4 * limit,
    }
    recent = list(db.session.scalars(_history_query(), values).unique())
    past = [b for b in recent if b.is_active][:limit]
    cancelled = [b for b in recent if not b.is_active][:limit]
    return past, cancelled


def feed_bookings(user_id: int) -> list[Booking]:
    """Every active booking of a person, in all their residences (the calendar feed), but
    the rooms held for activities: the feed shows the activity itself, to those who joined
    it, and the coordinator who planned it is not shown its room a second time."""
    return list(
        db.session.scalars(
            _with_card_data(sa.select(Booking))
            .where(
                Booking.user_id == user_id,
                Booking.status.in_(ACTIVE_STATUSES),
                Booking.origin_kind != OriginKind.ACTIVITY,
            )
            .order_by(Booking.start_at.desc())
            .limit(500)
        ).unique()
    )


# ---------------------------------------------------------------------------------------
# Closures and the bookings they touch.


def bookings_during(room: Room, period: Period) -> list[Booking]:
    """Active bookings of ``room`` that overlap ``period``."""
    return list(
        db.session.scalars(
            sa.select(Booking)
            .options(joinedload(Booking.user), joinedload(Booking.home), joinedload(Booking.unit))
            .where(
                Booking.room_id == room.id,
                Booking.status.in_(ACTIVE_STATUSES),
                *Booking.touching(period),
                Booking.end_at > period.start,
            )
            .order_by(Booking.start_at)
        )
    )


def close_room(
    actor: Membership, room: Room, period: Period, reason: str = "", *, now=None
) -> tuple[Closure, list[Booking]]:
    """Close the room (``rooms.add_closure``, a rooms rule). The active bookings inside the
    closure end with it: confirmed ones are cancelled, requests declined, each with the
    closure's reason, and their people are told (``messages``). Returns them."""
    now = now or utcnow()
    _lock_room(room)  # nothing is booked in the period while it closes
    closure = rooms.add_closure(actor, room, period, reason)
    ended = bookings_during(room, period)
    for booking in ended:
        booking.status = (
            BookingStatus.CANCELLED
            if booking.status is BookingStatus.CONFIRMED
            else BookingStatus.DECLINED
        )
        booking.ended_by_closure = True
        booking.decision_reason = closure.reason
        booking.decided_by_id, booking.decided_at = actor.user_id, now
        booking.cancelled_at = now
        record("booking.closed", actor=actor, target=booking, details=f"closure {closure.id}")
    _tell_closed(actor, room, closure, ended)
    return closure, ended


def _tell_closed(actor: Membership, room: Room, closure: Closure, ended: list[Booking]):
    """A message to each person whose booking a closure ended (not to its author)."""
    owners = {b.user_id for b in ended if b.user_id != actor.user_id}
    if not owners:
        return
    members = {
        m.user_id: m
        for m in db.session.scalars(
            sa.select(Membership)
            .options(joinedload(Membership.user), joinedload(Membership.residence))
            .where(Membership.residence_id == room.residence_id, Membership.user_id.in_(owners))
        )
    }
    for booking in ended:
        member = members.get(booking.user_id)
        if member is None:
            continue

        def compose(tw, booking=booking):
            when = (
                tw.stay(booking.start_at, booking.end_at)
                if room.by_nights
                else tw.period(booking.start_at, booking.end_at)
            )
            name = room.name_for(tw.locale)
            subject = tw.gettext("Réservation annulée : %(room)s, %(when)s", room=name, when=when)
            if closure.reason:
                body = tw.gettext(
                    "La salle « %(room)s » est fermée pendant cette période (%(reason)s) : "
                    "votre réservation du %(when)s est annulée.",
                    room=name,
                    reason=closure.reason,
                    when=when,
                )
            else:
                body = tw.gettext(
                    "La salle « %(room)s » est fermée pendant cette période : votre "
                    "réservation du %(when)s est annulée.",
                    room=name,
                    when=when,
                )
            body += "\n\n" + tw.gettext(
                "Nous sommes désolés. Vous pouvez choisir un autre moment sur la page de la salle."
            )
            return subject, body

        messages.send(member, compose, about=("bookings.room", {"room_id": room.id}))


def closure_effects(room: Room, period: Period) -> list[Booking]:
    """What closing ``room`` during ``period`` would end (shown before it is confirmed)."""
    return bookings_during(room, period)


def closures_with_bookings(room: Room, now: dt.datetime | None = None):
    """The room's closures still to come, each with the active bookings inside it: two
    queries, however many closures."""
    now = now or utcnow()
    closures = rooms.closures_ahead(room, now)
    if not closures:
        return []
    span = Period(min(c.start_at for c in closures), max(c.end_at for c in closures))
    inside = bookings_during(room, span)
    return [
        (closure, [b for b in inside if closure.overlaps(b.start_at, b.end_at)])
        for closure in closures
    ]


# ---------------------------------------------------------------------------------------
# Weekly series.


def create_series(
    actor: Membership,
    room: Room,
    *,
    weekly: Weekly,
    start_time: dt.time,
    end_time: dt.time,
    purpose: str = "",
    unit: RoomUnit | None = None,
    now: dt.datetime | None = None,
) -> tuple[BookingSeries, list[Booking], list[SeriesSkip]]:
    """Book the same local hours every week (or every N weeks); the dates that cannot be
    booked are kept aside, with the reason, to be tried again."""
    now = now or utcnow()
    check_role(actor, Role.COORDINATOR, room.residence_id)
    if end_time <= start_time:
        raise InvalidPeriod(field="end_time")
    if not weekly.is_valid:
        raise DomainError(
            _l("La série doit finir après son début, et durer un an au plus."), field="until"
        )
    unit = unit or room.units[0]
    if unit.room_id != room.id:
        raise UnknownUnit(field="unit")
    series = BookingSeries(
        residence_id=room.residence_id,
        room=room,
        unit=unit,
        weekday=weekly.weekday,
        every=weekly.every,
        start_time=start_time,
        end_time=end_time,
        first_date=weekly.first,
        until=weekly.until,
        purpose=" ".join(purpose.split())[:200],
        created_by_id=actor.user_id,
    )
    db.session.add(series)
    db.session.flush()
    made, skipped = [], []
    for day in weekly.dates():
        booking, skip = _book_series_date(actor, series, day, now)
        if booking is not None:
            made.append(booking)
        else:
            skipped.append(skip)
    record(
        "series.created",
        actor=actor,
        target=series,
        details=f"{len(made)} booked, {len(skipped)} skipped",
    )
    return series, made, skipped


def _book_series_date(actor, series: BookingSeries, day: dt.date, now):
    """Book one date of a series, or set it aside with the reason (taken, closed, or an
    hour that does not exist that day: the spring clock change)."""
    savepoint = db.session.begin_nested()
    try:
        period = Period.from_local(
            dt.datetime.combine(day, series.start_time),
            dt.datetime.combine(day, series.end_time),
            series.room.residence.tz,
        )
        booking = reserve(
            actor,
            series.room,
            period,
            origin=series.origin,
            unit=series.unit,
            purpose=series.purpose,
            now=now,
            suggest=False,
        )
    except DomainError as error:
        savepoint.rollback()
        skip = SeriesSkip(series=series, date=day, reason=str(error.message)[:200])
        db.session.add(skip)
        return None, skip
    savepoint.commit()
    return booking, None


def readd_skipped(actor: Membership, skip: SeriesSkip, *, now=None) -> Booking:
    """Try a skipped date of a series again (the conflict may be gone)."""
    now = now or utcnow()
    series = skip.series
    check_role(actor, Role.COORDINATOR, series.residence_id)
    period = Period.from_local(
        dt.datetime.combine(skip.date, series.start_time),
        dt.datetime.combine(skip.date, series.end_time),
        series.room.residence.tz,
    )
    booking = reserve(
        actor,
        series.room,
        period,
        origin=series.origin,
        unit=series.unit,
        purpose=series.purpose,
        now=now,
    )
    db.session.delete(skip)
    return booking


def series_bookings(series: BookingSeries, *, from_utc: dt.datetime | None = None):
    query = sa.select(Booking).where(
        Booking.origin_kind == OriginKind.SERIES, Booking.origin_id == series.id
    )
    if from_utc is not None:
        query = query.where(Booking.start_at >= from_utc)
    return query


def end_series(
    actor: Membership, series: BookingSeries, from_date: dt.date, *, now: dt.datetime | None = None
) -> list[Booking]:
    """Stop a series from a local date on: its bookings from then are cancelled (and the
    dates kept aside are dropped). Returns the cancelled bookings."""
    now = now or utcnow()
    check_role(actor, Role.COORDINATOR, series.residence_id)
    tz = series.room.residence.tz
    from_date = max(from_date, local_today(tz, now))
    boundary = max(day_start(from_date, tz), now)
    cancelled = list(
        db.session.scalars(
            series_bookings(series, from_utc=boundary).where(Booking.status.in_(ACTIVE_STATUSES))
        )
    )
    for booking in cancelled:
        booking.status = BookingStatus.CANCELLED
        booking.cancelled_at = now
    for skip in list(series.skips):
        if skip.date >= from_date:
            series.skips.remove(skip)
    series.until = min(series.until, max(series.first_date, from_date - dt.timedelta(days=1)))
    record(
        "series.ended",
        actor=actor,
        target=series,
        details=f"from {from_date.isoformat()}, {len(cancelled)} cancelled",
    )
    return cancelled


def series_of(room: Room) -> list[tuple[BookingSeries, int]]:
    """The room's series, newest first, each with its number of booked dates (two queries)."""
    series = list(
        db.session.scalars(
            sa.select(BookingSeries)
            .options(selectinload(BookingSeries.skips))
            .where(BookingSeries.room_id == room.id)
            .order_by(BookingSeries.first_date.desc(), BookingSeries.id.desc())
        )
    )
    counts = dict(
        db.session.execute(
            sa.select(Booking.origin_id, sa.func.count(Booking.id))
            .where(
                Booking.origin_kind == OriginKind.SERIES,
                Booking.origin_id.in_([s.id for s in series]),
                Booking.status == BookingStatus.CONFIRMED,
            )
            .group_by(Booking.origin_id)
        ).all()
    )
    return [(s, counts.get(s.id, 0)) for s in series]


def booked_dates(series: BookingSeries) -> list[Booking]:
    return list(
        db.session.scalars(
            series_bookings(series)
            .where(Booking.status == BookingStatus.CONFIRMED)
            .order_by(Booking.start_at)
        )
    )


# ---------------------------------------------------------------------------------------
# Coordinator's day: the requests to answer, and what happens in the residence's rooms today
# and tomorrow. A constant number of queries, however many bookings there are.


def _waiting_requests(residence_id: int, now: dt.datetime) -> list:
    """The requests of the approval queue (``pending_queue``)."""
    return [
        Booking.residence_id == residence_id,
        Booking.status == BookingStatus.PENDING,
        Booking.end_at > now,
    ]


def requests_to_answer(
    actor: Membership, *, now: dt.datetime | None = None, limit: int = 3
) -> tuple[int, list[Booking]]:
    """How many requests wait for the coordination's answer, and the ``limit`` soonest, with
    their person, home, room and unit (three queries)."""
    check_role(actor, Role.COORDINATOR)
    waiting = _waiting_requests(actor.residence_id, now or utcnow())
    count = db.session.scalar(sa.select(sa.func.count(Booking.id)).where(*waiting))
    if not count:
        return 0, []
    first = db.session.scalars(
        sa.select(Booking)
        .options(
            joinedload(Booking.user),
            joinedload(Booking.home),
            joinedload(Booking.room).selectinload(Room.units),
            joinedload(Booking.unit),
        )
        .where(*waiting)
        .order_by(Booking.start_at, Booking.created_at)
        .limit(limit)
    )
    return count, list(first.unique())


@dataclass(frozen=True)
class DayEntry:
    """A booking or a closure of a room on one day, with the part of that day it takes
    (UTC, cut at the day's local midnights: a stay shows "à partir de 15 h")."""

    start: dt.datetime
    end: dt.datetime
    booking: Booking | None = None
    closure: Closure | None = None

    @property
    def cut(self) -> bool:
        """Does it go on before or after this day (a stay, a long closure)?"""
        whole = self.booking or self.closure
        return whole.start_at < self.start or whole.end_at > self.end


@dataclass(frozen=True)
class RoomDay:
    room: Room
    entries: list[DayEntry]


@dataclass(frozen=True)
class Day:
    date: dt.date
    rooms: list[RoomDay]  # by room name; each room's entries by start, closures first


def days_ahead(actor: Membership, *, days: int = 2, now: dt.datetime | None = None) -> list[Day]:
    """Today and the next days in the actor's residence (its local days): the active
    bookings (requests included) and the rooms' closures, room by room (three queries)."""
    check_role(actor, Role.COORDINATOR)
    residence = actor.residence
    tz = residence.tz
    today = local_today(tz, now or utcnow())
    dates = [today + dt.timedelta(days=n) for n in range(days)]
    span = Period.days(dates[0], dates[-1], tz)
    bookings = db.session.scalars(
        sa.select(Booking)
        .options(
            joinedload(Booking.user),
            joinedload(Booking.home),
            joinedload(Booking.room).selectinload(Room.units),
            joinedload(Booking.unit),
        )
        .where(
            Booking.residence_id == residence.id,
            Booking.status.in_(ACTIVE_STATUSES),
            Booking.start_at > span.start - LONGEST_BOOKING,
            Booking.start_at < span.end,
            Booking.end_at > span.start,
        )
        .order_by(Booking.start_at, Booking.id)
    ).unique()
    closures = db.session.scalars(
        sa.select(Closure)
        .options(joinedload(Closure.room))
        .where(
            Closure.room_id.in_(sa.select(Room.id).where(Room.residence_id == residence.id)),
            Closure.start_at < span.end,
            Closure.end_at > span.start,
        )
        .order_by(Closure.start_at, Closure.id)
    )
    held = [(closure.room, closure) for closure in closures]
    held += [(booking.room, booking) for booking in bookings]
    result = []
    for date in dates:
        day = Period.days(date, date, tz)
        by_room: dict[int, RoomDay] = {}
        for room, item in held:
            if not day.overlaps(item.start_at, item.end_at):
                continue
            start, end = max(item.start_at, day.start), min(item.end_at, day.end)
            is_booking = isinstance(item, Booking)
            entry = DayEntry(
                start,
                end,
                booking=item if is_booking else None,
                closure=None if is_booking else item,
            )
            by_room.setdefault(room.id, RoomDay(room, [])).entries.append(entry)
        for room_day in by_room.values():
            room_day.entries.sort(key=lambda e: (e.start, e.booking is not None))
        rooms_of_day = sorted(by_room.values(), key=lambda r: (r.room.name.lower(), r.room.id))
        result.append(Day(date, rooms_of_day))
    return result
