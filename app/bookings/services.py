"""Booking rules: what is free, who may book what, and the changes that follow.

Times come in and go out as naive *local* times of the residence (what people read and type);
they are stored in UTC. Every query is scoped to one room, so the number of queries of a page
does not grow with the number of bookings.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import sqlalchemy as sa
import sqlalchemy.orm
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from app.bookings.models import (
    ACTIVE_STATUSES,
    Booking,
    BookingSeries,
    BookingStatus,
    SeriesSkip,
)
from app.core.audit import record
from app.core.db import utcnow
from app.core.errors import Conflict, DomainError, NotAllowed
from app.core.permissions import Role
from app.core.timeutils import to_local, to_utc, week_start
from app.extensions import db
from app.residences.models import Membership
from app.rooms.models import BookingMode, Closure, Room, RoomUnit
from app.users.models import User

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


class SlotTaken(Conflict):
    """Someone else has it (409). ``next_slots`` offers the next free ones."""

    default_message = _l("Ce créneau vient d'être réservé par quelqu'un d'autre.")

    def __init__(self, message=None, *, next_slots=None, field=None):
        super().__init__(message, field=field)
        self.next_slots = next_slots or []


# ---------------------------------------------------------------------------------------
# Reading: free slots and busy periods.


@dataclass(frozen=True)
class Slot:
    """A free period, in the residence's local time, on one unit."""

    start: dt.datetime
    end: dt.datetime
    unit_id: int

    @property
    def nights(self) -> int:
        return (self.end.date() - self.start.date()).days


@dataclass
class _Busy:
    """What makes a unit unavailable in a window: confirmed bookings and closures (UTC)."""

    bookings: list[Booking] = field(default_factory=list)
    closures: list[Closure] = field(default_factory=list)

    def unit_free(self, unit_id, start, end, buffer, ignore_id=None) -> bool:
        block_end = end + buffer
        for booking in self.bookings:
            if booking.unit_id != unit_id or booking.id == ignore_id:
                continue
            if start < booking.block_end_at and booking.start_at < block_end:
                return False
        return True

    def closure_at(self, start, end) -> Closure | None:
        for closure in self.closures:
            if start < closure.end_at and closure.start_at < end:
                return closure
        return None


def _load_busy(room: Room, start_utc: dt.datetime, end_utc: dt.datetime) -> _Busy:
    """Two queries, whatever the number of bookings outside the window."""
    margin = dt.timedelta(minutes=room.buffer_minutes)
    bookings = db.session.scalars(
        sa.select(Booking).where(
            Booking.room_id == room.id,
            Booking.status == BookingStatus.CONFIRMED,
            Booking.start_at < end_utc + margin,
            Booking.block_end_at > start_utc,
        )
    ).all()
    return _Busy(list(bookings), _load_closures(room, start_utc, end_utc))


def _load_closures(room: Room, start_utc: dt.datetime, end_utc: dt.datetime) -> list[Closure]:
    return list(
        db.session.scalars(
            sa.select(Closure).where(
                Closure.room_id == room.id, Closure.start_at < end_utc, Closure.end_at > start_utc
            )
        )
    )


def _candidates(room: Room, day: dt.date):
    """The periods a resident could book starting on ``day`` (local, shortest allowed)."""
    if room.mode is BookingMode.NIGHTS:
        yield (
            dt.datetime.combine(day, room.checkin_time),
            dt.datetime.combine(day + dt.timedelta(days=room.min_nights), room.checkout_time),
        )
        return
    step = dt.timedelta(minutes=room.slot_minutes)
    length = dt.timedelta(minutes=room.min_minutes)
    for opening in room.openings_on(day.weekday()):
        start = dt.datetime.combine(day, opening.opens)
        close = dt.datetime.combine(day, opening.closes)
        while start + length <= close:
            yield start, start + length
            start += step


def booking_window(room: Room, now: dt.datetime) -> tuple[dt.date, dt.date]:
    """First and last local dates on which a resident may start a booking."""
    today = to_local(now, room.residence.tz).date()
    return today, today + dt.timedelta(days=room.max_days_ahead)


def free_slots(
    room: Room, first_day: dt.date, last_day: dt.date, *, now: dt.datetime | None = None
) -> dict[dt.date, list[Slot]]:
    """Free slots per day between two local dates (inclusive), first free unit of each."""
    now = now or utcnow()
    tz = room.residence.tz
    earliest, latest = booking_window(room, now)
    first_day, last_day = max(first_day, earliest), min(last_day, latest)
    result: dict[dt.date, list[Slot]] = {}
    if first_day > last_day:
        return result
    window_start = to_utc(dt.datetime.combine(first_day, dt.time.min), tz)
    window_end = to_utc(
        dt.datetime.combine(last_day + dt.timedelta(days=room.max_nights + 1), dt.time.min), tz
    )
    busy = _load_busy(room, window_start, window_end)
    buffer = dt.timedelta(minutes=room.buffer_minutes)
    day = first_day
    while day <= last_day:
        slots = []
        for start, end in _candidates(room, day):
            start_utc, end_utc = to_utc(start, tz), to_utc(end, tz)
            if start_utc < now or busy.closure_at(start_utc, end_utc):
                continue
            for unit in room.units:
                if busy.unit_free(unit.id, start_utc, end_utc, buffer):
                    slots.append(Slot(start, end, unit.id))
                    break
        result[day] = slots
        day += dt.timedelta(days=1)
    return result


def next_free_slots(room: Room, after: dt.datetime, *, limit: int = 3, now=None) -> list[Slot]:
    """The first free slots from a local time on, for "try one of these instead"."""
    now = now or utcnow()
    found: list[Slot] = []
    day = after.date()
    _, latest = booking_window(room, now)
    while day <= latest and len(found) < limit:
        chunk_end = min(day + dt.timedelta(days=6), latest)
        for slots in free_slots(room, day, chunk_end, now=now).values():
            found.extend(s for s in slots if s.start >= after)
        day = chunk_end + dt.timedelta(days=1)
    return found[:limit]


@dataclass(frozen=True)
class WeekCell:
    """One unit's day in the week view: busy periods (local) and whether it is closed."""

    busy: list[tuple[dt.datetime, dt.datetime, Booking | None]]
    openings: list[tuple[dt.time, dt.time]]


def week_view(room: Room, monday: dt.date) -> dict[dt.date, dict[int, WeekCell]]:
    """Busy and open periods of each unit for the 7 days from ``monday``."""
    tz = room.residence.tz
    start = to_utc(dt.datetime.combine(monday, dt.time.min), tz)
    end = to_utc(dt.datetime.combine(monday + dt.timedelta(days=7), dt.time.min), tz)
    pending_too = db.session.scalars(
        sa.select(Booking).where(
            Booking.room_id == room.id,
            Booking.status.in_(ACTIVE_STATUSES),
            Booking.start_at < end,
            Booking.end_at > start,
        )
    ).all()
    closures = _load_closures(room, start, end)
    days: dict[dt.date, dict[int, WeekCell]] = {}
    for offset in range(7):
        day = monday + dt.timedelta(days=offset)
        day_start = to_utc(dt.datetime.combine(day, dt.time.min), tz)
        day_end = to_utc(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min), tz)
        openings = [(o.opens, o.closes) for o in room.openings_on(day.weekday())]
        if room.mode is BookingMode.NIGHTS:
            openings = [(dt.time.min, dt.time.max)]
        cells = {}
        for unit in room.units:
            busy = []
            for booking in pending_too:
                if (
                    booking.unit_id == unit.id
                    and booking.start_at < day_end
                    and booking.end_at > day_start
                ):
                    busy.append(
                        (
                            max(
                                to_local(booking.start_at, tz),
                                dt.datetime.combine(day, dt.time.min),
                            ),
                            min(
                                to_local(booking.end_at, tz), dt.datetime.combine(day, dt.time.max)
                            ),
                            booking,
                        )
                    )
            for closure in closures:
                if closure.start_at < day_end and closure.end_at > day_start:
                    busy.append(
                        (
                            max(
                                to_local(closure.start_at, tz),
                                dt.datetime.combine(day, dt.time.min),
                            ),
                            min(
                                to_local(closure.end_at, tz), dt.datetime.combine(day, dt.time.max)
                            ),
                            None,
                        )
                    )
            busy.sort(key=lambda item: item[0])
            cells[unit.id] = WeekCell(busy, openings)
        days[day] = cells
    return days


# ---------------------------------------------------------------------------------------
# Who may do what.


def role_in(user: User, residence_id: int) -> Role | None:
    membership = user.membership_in(residence_id)
    return membership.role if membership else None


def is_coordinator(user: User, residence_id: int) -> bool:
    role = role_in(user, residence_id)
    return role is not None and role.at_least(Role.COORDINATOR)


def can_change(user: User, booking: Booking, now: dt.datetime | None = None) -> bool:
    """May ``user`` cancel or move ``booking`` now? Own bookings until the deadline;
    the coordinator at any time before it ends."""
    now = now or utcnow()
    if not booking.is_active or booking.end_at <= now:
        return False
    if is_coordinator(user, booking.residence_id):
        return True
    if booking.user_id != user.id or role_in(user, booking.residence_id) is None:
        return False
    return now <= booking.start_at - dt.timedelta(hours=booking.room.cancel_hours)


def _member(user: User, residence_id: int) -> Membership:
    membership = user.membership_in(residence_id)
    if membership is None:
        raise NotAllowed()
    return membership


# ---------------------------------------------------------------------------------------
# Rules.


def check_rules(
    room: Room,
    start: dt.datetime,
    end: dt.datetime,
    *,
    home_id: int | None,
    user_id: int,
    now: dt.datetime,
    resident_rules: bool = True,
    ignore_booking_id: int | None = None,
) -> tuple[dt.datetime, dt.datetime]:
    """Raise the first broken rule for a local period; return it in UTC."""
    tz = room.residence.tz
    if end <= start:
        raise InvalidPeriod(field="end")
    start_utc, end_utc = to_utc(start, tz), to_utc(end, tz)
    if start_utc < now:
        raise InPast(field="start")
    if resident_rules:
        _, latest = booking_window(room, now)
        if start.date() > latest:
            raise TooFarAhead(field="start")
        if room.mode is BookingMode.NIGHTS:
            nights = (end.date() - start.date()).days
            if start.time() != room.checkin_time or end.time() != room.checkout_time:
                raise OutsideOpeningHours(field="start")
            if not room.min_nights <= nights <= room.max_nights:
                raise WrongNights(field="end")
        else:
            _check_slot_rules(room, start, end)
        _check_household_limits(room, start, home_id, user_id, now, ignore_booking_id)
    closure = _Busy(closures=_load_closures(room, start_utc, end_utc)).closure_at(
        start_utc, end_utc
    )
    if closure is not None:
        message = _l(
            "La salle est fermée pendant cette période : %(reason)s", reason=closure.reason
        )
        raise RoomClosed(message if closure.reason else None, field="start")
    return start_utc, end_utc


def _check_slot_rules(room: Room, start: dt.datetime, end: dt.datetime) -> None:
    minutes = (end - start).total_seconds() / 60
    if minutes < room.min_minutes:
        raise TooShort(field="end")
    if minutes > room.max_minutes:
        raise TooLong(field="end")
    window = next(
        (
            o
            for o in room.openings_on(start.weekday())
            if start.date() == end.date() and o.opens <= start.time() and end.time() <= o.closes
        ),
        None,
    )
    if window is None:
        raise OutsideOpeningHours(field="start")
    offset = (start - dt.datetime.combine(start.date(), window.opens)).total_seconds() / 60
    if offset % room.slot_minutes or minutes % room.slot_minutes:
        raise NotOnGrid(field="start")


def _check_household_limits(room, start, home_id, user_id, now, ignore_booking_id) -> None:
    if room.per_household_week is None and room.max_active_per_household is None:
        return
    tz = room.residence.tz
    owner = Booking.home_id == home_id if home_id is not None else Booking.user_id == user_id
    base = sa.select(sa.func.count(Booking.id)).where(
        Booking.room_id == room.id, Booking.status.in_(ACTIVE_STATUSES), owner
    )
    if ignore_booking_id is not None:
        base = base.where(Booking.id != ignore_booking_id)
    if room.per_household_week is not None:
        monday = week_start(start.date())
        week = (
            to_utc(dt.datetime.combine(monday, dt.time.min), tz),
            to_utc(dt.datetime.combine(monday + dt.timedelta(days=7), dt.time.min), tz),
        )
        count = db.session.scalar(
            base.where(Booking.start_at >= week[0], Booking.start_at < week[1])
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


def _pick_unit(room, unit_id, start_utc, end_utc, ignore_id=None) -> RoomUnit:
    """The unit asked for if it is free, else another free one: units are identical."""
    units = list(room.units)
    if unit_id is not None:
        wanted = [u for u in units if u.id == unit_id]
        if not wanted:
            raise DomainError(_l("Cet équipement n'existe pas dans cette salle."), field="unit")
        units = wanted + [u for u in units if u.id != unit_id]
    busy = _load_busy(room, start_utc, end_utc)
    buffer = dt.timedelta(minutes=room.buffer_minutes)
    for unit in units:
        if busy.unit_free(unit.id, start_utc, end_utc, buffer, ignore_id=ignore_id):
            return unit
    raise SlotTaken()


def _taken(room: Room, start: dt.datetime, now) -> SlotTaken:
    return SlotTaken(next_slots=next_free_slots(room, start, now=now))


# ---------------------------------------------------------------------------------------
# Changes.


def create_booking(
    actor: User,
    room: Room,
    start: dt.datetime,
    end: dt.datetime,
    *,
    unit_id: int | None = None,
    for_user: User | None = None,
    purpose: str = "",
    now: dt.datetime | None = None,
    series: BookingSeries | None = None,
    suggest: bool = True,
) -> Booking:
    """Book ``room`` from ``start`` to ``end`` (local). The coordinator may book for someone
    (their rules then apply) or for the residence (no resident rules, no approval)."""
    now = now or utcnow()
    _member(actor, room.residence_id)
    coordinator = is_coordinator(actor, room.residence_id)
    owner = for_user or actor
    if owner.id != actor.id and not coordinator:
        raise NotAllowed()
    owner_membership = _member(owner, room.residence_id)
    if room.archived:
        raise DomainError(_l("Cette salle ne se réserve plus."))
    resident_rules = not coordinator or owner.id != actor.id
    _lock_room(room)
    same = _same_booking(room, owner, start, end)
    if same is not None:  # a double tap on "Confirm": the booking is already made
        return same
    start_utc, end_utc = check_rules(
        room,
        start,
        end,
        home_id=owner_membership.home_id,
        user_id=owner.id,
        now=now,
        resident_rules=resident_rules,
    )
    try:
        unit = _pick_unit(room, unit_id, start_utc, end_utc)
    except SlotTaken:
        raise (_taken(room, start, now) if suggest else SlotTaken()) from None
    status = (
        BookingStatus.PENDING
        if room.requires_approval and not coordinator
        else BookingStatus.CONFIRMED
    )
    booking = Booking(
        residence_id=room.residence_id,
        room=room,
        unit=unit,
        user_id=owner.id,
        home_id=owner_membership.home_id,
        created_by_id=actor.id,
        series=series,
        start_at=start_utc,
        end_at=end_utc,
        block_end_at=end_utc + dt.timedelta(minutes=room.buffer_minutes),
        purpose=purpose.strip()[:200],
        status=status,
    )
    _insert_guarded(booking, room, start, now)
    record(
        "booking.created",
        actor=actor,
        residence_id=room.residence_id,
        target=booking,
        details=f"{status.value}; for user {owner.id}" if owner.id != actor.id else status.value,
    )
    return booking


def _same_booking(room: Room, owner: User, start: dt.datetime, end: dt.datetime):
    tz = room.residence.tz
    return db.session.scalar(
        sa.select(Booking).where(
            Booking.room_id == room.id,
            Booking.user_id == owner.id,
            Booking.status.in_(ACTIVE_STATUSES),
            Booking.start_at == to_utc(start, tz),
            Booking.end_at == to_utc(end, tz),
        )
    )


def _insert_guarded(booking: Booking, room: Room, start: dt.datetime, now) -> None:
    """Insert or update; the database's no-overlap guarantee has the last word."""
    savepoint = db.session.begin_nested()
    try:
        db.session.add(booking)
        db.session.flush()
    except IntegrityError:
        savepoint.rollback()
        raise _taken(room, start, now) from None
    savepoint.commit()


def cancel_booking(
    actor: User, booking: Booking, *, reason: str = "", now: dt.datetime | None = None
) -> Booking:
    """Cancel; ``reason`` (e.g. the coordinator's "works in the room") is shown to the person."""
    now = now or utcnow()
    if booking.status is BookingStatus.CANCELLED and (
        booking.user_id == actor.id or is_coordinator(actor, booking.residence_id)
    ):
        return booking  # a double tap on "Cancel"
    if not can_change(actor, booking, now):
        if booking.user_id == actor.id and booking.is_active:
            raise CancelTooLate()
        raise NotAllowed()
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at = now
    if reason.strip():
        booking.decision_reason = " ".join(reason.split())[:300]
    record("booking.cancelled", actor=actor, residence_id=booking.residence_id, target=booking)
    return booking


def change_booking_time(
    actor: User,
    booking: Booking,
    start: dt.datetime,
    end: dt.datetime,
    *,
    now: dt.datetime | None = None,
) -> Booking:
    """Move a booking (same room). Own bookings until the cancellation deadline."""
    now = now or utcnow()
    if not can_change(actor, booking, now):
        if booking.user_id == actor.id and booking.is_active:
            raise CancelTooLate()
        raise NotAllowed()
    room = booking.room
    coordinator = is_coordinator(actor, room.residence_id)
    _lock_room(room)
    start_utc, end_utc = check_rules(
        room,
        start,
        end,
        home_id=booking.home_id,
        user_id=booking.user_id,
        now=now,
        resident_rules=not coordinator or booking.user_id != actor.id,
        ignore_booking_id=booking.id,
    )
    try:
        unit = _pick_unit(room, booking.unit_id, start_utc, end_utc, ignore_id=booking.id)
    except SlotTaken:
        raise _taken(room, start, now) from None
    booking.unit = unit
    booking.start_at, booking.end_at = start_utc, end_utc
    booking.block_end_at = end_utc + dt.timedelta(minutes=room.buffer_minutes)
    if room.requires_approval and not coordinator:
        booking.status = BookingStatus.PENDING
    _insert_guarded(booking, room, start, now)
    record("booking.moved", actor=actor, residence_id=booking.residence_id, target=booking)
    return booking


def overlapping_pending(booking: Booking) -> list[Booking]:
    """Other requests that approving ``booking`` would decline."""
    return list(
        db.session.scalars(
            sa.select(Booking)
            .where(
                Booking.unit_id == booking.unit_id,
                Booking.id != booking.id,
                Booking.status == BookingStatus.PENDING,
                Booking.start_at < booking.block_end_at,
                Booking.block_end_at > booking.start_at,
            )
            .order_by(Booking.created_at)
        )
    )


def approve_booking(actor: User, booking: Booking, *, now=None) -> list[Booking]:
    """Confirm a request; overlapping requests are declined. Returns those declined."""
    now = now or utcnow()
    if not is_coordinator(actor, booking.residence_id):
        raise NotAllowed()
    if booking.status is not BookingStatus.PENDING:
        raise NotPending()
    room = booking.room
    _lock_room(room)
    busy = _load_busy(room, booking.start_at, booking.block_end_at)
    if not busy.unit_free(
        booking.unit_id,
        booking.start_at,
        booking.end_at,
        dt.timedelta(minutes=room.buffer_minutes),
        ignore_id=booking.id,
    ):
        raise _taken(room, to_local(booking.start_at, room.residence.tz), now)
    booking.status = BookingStatus.CONFIRMED
    booking.decided_by_id, booking.decided_at = actor.id, now
    _insert_guarded(booking, room, to_local(booking.start_at, room.residence.tz), now)
    declined = overlapping_pending(booking)
    for other in declined:
        other.status = BookingStatus.DECLINED
        other.decided_by_id, other.decided_at = actor.id, now
        other.decision_reason = ""  # shown in the reader's language: Booking.reason_text
        record("booking.declined", actor=actor, residence_id=other.residence_id, target=other)
    record("booking.approved", actor=actor, residence_id=booking.residence_id, target=booking)
    return declined


def decline_booking(actor: User, booking: Booking, reason: str, *, now=None) -> Booking:
    now = now or utcnow()
    if not is_coordinator(actor, booking.residence_id):
        raise NotAllowed()
    if booking.status is not BookingStatus.PENDING:
        raise NotPending()
    reason = " ".join(reason.split())
    if not reason:
        raise DomainError(_l("Indiquez la raison : la personne la lira."), field="reason")
    booking.status = BookingStatus.DECLINED
    booking.decision_reason = reason[:300]
    booking.decided_by_id, booking.decided_at = actor.id, now
    record("booking.declined", actor=actor, residence_id=booking.residence_id, target=booking)
    return booking


def pending_queue(residence_id: int) -> list[Booking]:
    return list(
        db.session.scalars(
            sa.select(Booking)
            .where(
                Booking.residence_id == residence_id,
                Booking.status == BookingStatus.PENDING,
                Booking.end_at > utcnow(),
            )
            .order_by(Booking.start_at)
        )
    )


def bookings_of(user: User, residence_id: int) -> list[Booking]:
    return list(
        db.session.scalars(
            sa.select(Booking)
            .where(Booking.residence_id == residence_id, Booking.user_id == user.id)
            .order_by(Booking.start_at.desc())
            .limit(200)
        )
    )


def add_closure(
    actor: User, room: Room, start: dt.datetime, end: dt.datetime, reason: str
) -> tuple[Closure, list[Booking]]:
    """Block the room for a period; return the active bookings inside it, to warn people."""
    if not is_coordinator(actor, room.residence_id):
        raise NotAllowed()
    if end <= start:
        raise InvalidPeriod(field="end")
    tz = room.residence.tz
    closure = Closure(
        room=room,
        start_at=to_utc(start, tz),
        end_at=to_utc(end, tz),
        reason=" ".join(reason.split())[:200],
        created_by_id=actor.id,
    )
    db.session.add(closure)
    db.session.flush()
    record("closure.created", actor=actor, residence_id=room.residence_id, target=closure)
    return closure, bookings_in_closure(closure)


def bookings_in_closure(closure: Closure) -> list[Booking]:
    return list(
        db.session.scalars(
            sa.select(Booking)
            .where(
                Booking.room_id == closure.room_id,
                Booking.status.in_(ACTIVE_STATUSES),
                Booking.start_at < closure.end_at,
                Booking.end_at > closure.start_at,
            )
            .order_by(Booking.start_at)
        )
    )


def remove_closure(actor: User, closure: Closure) -> None:
    if not is_coordinator(actor, closure.room.residence_id):
        raise NotAllowed()
    record("closure.removed", actor=actor, residence_id=closure.room.residence_id, target=closure)
    db.session.delete(closure)


def create_series(
    actor: User,
    room: Room,
    *,
    weekday: int,
    start_time: dt.time,
    end_time: dt.time,
    first_date: dt.date,
    until: dt.date,
    purpose: str = "",
    unit_id: int | None = None,
    now: dt.datetime | None = None,
) -> tuple[BookingSeries, list[Booking], list[SeriesSkip]]:
    """Book the same local hours every week; dates that cannot be booked are kept aside."""
    now = now or utcnow()
    if not is_coordinator(actor, room.residence_id):
        raise NotAllowed()
    if end_time <= start_time:
        raise InvalidPeriod(field="end_time")
    if until < first_date or (until - first_date).days > 366:
        raise DomainError(
            _l("La série doit finir après son début, et durer un an au plus."), field="until"
        )
    if not 0 <= weekday <= 6:
        raise DomainError(_l("Choisissez un jour de la semaine."), field="weekday")
    unit = (
        room.units[0] if unit_id is None else next((u for u in room.units if u.id == unit_id), None)
    )
    if unit is None:
        raise DomainError(_l("Cet équipement n'existe pas dans cette salle."), field="unit")
    series = BookingSeries(
        residence_id=room.residence_id,
        room=room,
        unit=unit,
        weekday=weekday,
        start_time=start_time,
        end_time=end_time,
        first_date=first_date,
        until=until,
        purpose=purpose.strip()[:200],
        created_by_id=actor.id,
    )
    db.session.add(series)
    db.session.flush()
    day = first_date + dt.timedelta(days=(weekday - first_date.weekday()) % 7)
    made, skipped = [], []
    while day <= until:
        booking, skip = _book_series_date(actor, series, day, now)
        if booking is not None:
            made.append(booking)
        else:
            skipped.append(skip)
        day += dt.timedelta(days=7)
    record(
        "series.created",
        actor=actor,
        residence_id=room.residence_id,
        target=series,
        details=f"{len(made)} booked, {len(skipped)} skipped",
    )
    return series, made, skipped


def _book_series_date(actor, series: BookingSeries, day: dt.date, now):
    start = dt.datetime.combine(day, series.start_time)
    end = dt.datetime.combine(day, series.end_time)
    savepoint = db.session.begin_nested()
    try:
        booking = create_booking(
            actor,
            series.room,
            start,
            end,
            unit_id=series.unit_id,
            purpose=series.purpose,
            now=now,
            series=series,
        )
    except DomainError as error:
        savepoint.rollback()
        skip = SeriesSkip(series=series, date=day, reason=str(error.message)[:200])
        db.session.add(skip)
        return None, skip
    savepoint.commit()
    return booking, None


def readd_skipped(actor: User, skip: SeriesSkip, *, now=None) -> Booking:
    """Try a skipped date of a series again (the conflict may be gone)."""
    now = now or utcnow()
    series = skip.series
    if not is_coordinator(actor, series.residence_id):
        raise NotAllowed()
    start = dt.datetime.combine(skip.date, series.start_time)
    end = dt.datetime.combine(skip.date, series.end_time)
    booking = create_booking(
        actor,
        series.room,
        start,
        end,
        unit_id=series.unit_id,
        purpose=series.purpose,
        now=now,
        series=series,
    )
    db.session.delete(skip)
    return booking


def members_for_behalf(residence_id: int) -> list[Membership]:
    """People the coordinator can book for: active members with an account or not."""
    return list(
        db.session.scalars(
            sa.select(Membership)
            .join(Membership.user)
            .options(sa.orm.contains_eager(Membership.user), sa.orm.selectinload(Membership.home))
            .where(Membership.residence_id == residence_id, Membership.deactivated_at.is_(None))
            .order_by(sa.func.lower(User.full_name))
        )
    )


def end_series(
    actor: User, series: BookingSeries, from_date: dt.date, *, now: dt.datetime | None = None
) -> list[Booking]:
    """Stop a series from a local date on: its bookings from then are cancelled (and the
    dates kept aside are dropped). Returns the cancelled bookings."""
    now = now or utcnow()
    if not is_coordinator(actor, series.residence_id):
        raise NotAllowed()
    tz = series.room.residence.tz
    today = to_local(now, tz).date()
    from_date = max(from_date, today)
    boundary = to_utc(dt.datetime.combine(from_date, dt.time.min), tz)
    cancelled = list(
        db.session.scalars(
            sa.select(Booking).where(
                Booking.series_id == series.id,
                Booking.status.in_(ACTIVE_STATUSES),
                Booking.start_at >= boundary,
                Booking.start_at >= now,
            )
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
        residence_id=series.residence_id,
        target=series,
        details=f"from {from_date.isoformat()}, {len(cancelled)} cancelled",
    )
    return cancelled
