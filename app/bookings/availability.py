"""What is free: the slots a resident can tap, the week of a room, the ends one may choose.

Reading only. Slots and week periods are in the residence's local time (what people read and
what links carry, DESIGN §5); what is stored is compared in UTC. Every query is scoped to one
room and one window, so a page's number of queries does not grow with the bookings.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from app.bookings.models import ACTIVE_STATUSES, LONGEST_BLOCK, Booking, BookingStatus
from app.core.db import built_once, utcnow
from app.core.timeutils import (
    Period,
    day_start,
    exists,
    local_today,
    to_local,
    to_utc,
    week_start,
)
from app.extensions import db
from app.rooms.models import Closure, Room
from app.rooms.services import closures_during


@dataclass(frozen=True, slots=True)
class Slot:
    """A free period, in the residence's local time, on one unit."""

    start: dt.datetime
    end: dt.datetime
    unit_id: int

    @property
    def nights(self) -> int:
        return (self.end.date() - self.start.date()).days


class Busy:
    """What makes a unit unavailable in a window, as plain UTC intervals (a page tests many
    slots against them): confirmed bookings with their cleaning time, per unit, and
    closures (which close every unit)."""

    def __init__(self, rows=()):
        self._taken: dict[int, list[tuple[dt.datetime, dt.datetime, int]]] = {}
        self._closed: list[tuple[dt.datetime, dt.datetime]] = []
        for unit_id, start, end, booking_id in rows:
            if booking_id is None:
                self._closed.append((start, end))
            else:
                self._taken.setdefault(unit_id, []).append((start, end, booking_id))

    def unit_free(self, unit_id, start, end, buffer, ignore_id=None) -> bool:
        block_end = end + buffer
        for taken_start, taken_end, booking_id in self._taken.get(unit_id, ()):
            if start < taken_end and taken_start < block_end and booking_id != ignore_id:
                return False
        return True

    def closed_at(self, start, end) -> bool:
        return any(
            start < closed_end and closed_start < end for closed_start, closed_end in self._closed
        )


def _busy_query():
    """Bookings holding a room and its closures in a window, as plain rows (built once:
    only the values change)."""
    room_id, start, end = sa.bindparam("room_id"), sa.bindparam("start"), sa.bindparam("end")
    earliest = sa.bindparam("earliest")
    taken = sa.select(Booking.unit_id, Booking.start_at, Booking.block_end_at, Booking.id).where(
        Booking.room_id == room_id,
        Booking.status == BookingStatus.CONFIRMED,
        Booking.start_at > earliest,
        Booking.start_at < end,
        Booking.block_end_at > start,
    )
    closed = sa.select(
        sa.literal(None, sa.Integer), Closure.start_at, Closure.end_at, sa.literal(None, sa.Integer)
    ).where(Closure.room_id == room_id, Closure.start_at < end, Closure.end_at > start)
    return sa.union_all(taken, closed)


_BUSY = _busy_query()


def load_busy(room: Room, period: Period) -> Busy:
    """Confirmed bookings (with their cleaning time) and closures touching ``period``: one
    query of plain rows."""
    end = period.end + dt.timedelta(minutes=room.buffer_minutes)
    values = {
        "room_id": room.id,
        "start": period.start,
        "end": end,
        "earliest": period.start - LONGEST_BLOCK,
    }
    return Busy(db.session.execute(_BUSY, values).all())


def booking_window(room: Room, now: dt.datetime) -> tuple[dt.date, dt.date]:
    """First and last local dates on which a resident may start a booking."""
    today = local_today(room.residence.tz, now)
    return today, today + dt.timedelta(days=room.max_days_ahead)


def candidates(room: Room, day: dt.date):
    """The periods a resident could book starting on ``day`` (local, shortest allowed)."""
    if room.by_nights:
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
    busy = load_busy(
        room, Period.days(first_day, last_day + dt.timedelta(days=room.max_nights), tz)
    )
    buffer = dt.timedelta(minutes=room.buffer_minutes)
    unit_ids = [unit.id for unit in room.units]
    day = first_day
    while day <= last_day:
        slots = []
        for start, end in candidates(room, day):
            if not (exists(start, tz) and exists(end, tz)):
                continue  # the night the clocks go forward: that hour does not exist
            start_utc, end_utc = to_utc(start, tz), to_utc(end, tz)
            if start_utc < now or busy.closed_at(start_utc, end_utc):
                continue
            for unit_id in unit_ids:
                if busy.unit_free(unit_id, start_utc, end_utc, buffer):
                    slots.append(Slot(start, end, unit_id))
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


def end_choices(room: Room, start: dt.datetime, chosen: dt.datetime | None = None):
    """The ends a person may pick from ``start`` (local): on the slot grid up to the longest
    booking and the closing time, or the allowed numbers of nights. A ``chosen`` end that
    is not among them is kept (the service then says what is wrong with it)."""
    choices = []
    if room.by_nights:
        for nights in range(room.min_nights, room.max_nights + 1):
            choices.append(
                dt.datetime.combine(start.date() + dt.timedelta(days=nights), room.checkout_time)
            )
    else:
        opening = room.opening_at(start)
        closes = dt.datetime.combine(start.date(), opening.closes) if opening else None
        minutes = room.min_minutes
        while minutes <= room.max_minutes:
            candidate = start + dt.timedelta(minutes=minutes)
            if closes is not None and candidate > closes:
                break
            choices.append(candidate)
            minutes += room.slot_minutes
    tz = room.residence.tz
    choices = [choice for choice in choices if exists(choice, tz)]  # none in the spring gap
    if chosen is not None and chosen not in choices:
        choices.append(chosen)
        choices.sort()
    return choices


# ---------------------------------------------------------------------------------------
# The week of a room.


@dataclass(frozen=True, slots=True)
class WeekPeriod:
    """A part of a unit's day in the week view (local): free, busy (a booking), closed, or
    past (free time that has gone by)."""

    start: dt.datetime
    end: dt.datetime
    kind: str  # "free", "busy", "cleaning", "closed", "past", "short" (free, too short)
    booking: Booking | None = None


@dataclass
class WeekDay:
    day: dt.date
    units: dict[int, list[WeekPeriod]]
    # Rooms booked by nights: whether the night after this day is taken, per unit.
    night_taken: dict[int, bool]


def _clip(start_utc, end_utc, day: dt.date, tz) -> tuple[dt.datetime, dt.datetime]:
    return (
        max(to_local(start_utc, tz), dt.datetime.combine(day, dt.time.min)),
        min(to_local(end_utc, tz), dt.datetime.combine(day, dt.time.max)),
    )


def _existing(local: dt.datetime, tz, *, later: bool) -> dt.datetime:
    """``local``, or the nearest time that exists (after it, or before it) when it falls in
    the spring clock change."""
    step = dt.timedelta(minutes=1 if later else -1)
    for _minute in range(180):
        if exists(local, tz):
            return local
        local += step
    return local


def _day_periods(room: Room, day: dt.date, taken: list[WeekPeriod]) -> list[WeekPeriod]:
    """The day's busy and closed periods, and the free ones between them within the
    opening hours (rooms by slots). Opening hours in the spring clock change begin when
    the clocks say 03:00 and end before 02:00: no free time is shown that does not exist."""
    periods = list(taken)
    if room.by_nights:
        return sorted(periods, key=lambda p: p.start)
    tz = room.residence.tz
    for opening in room.openings_on(day.weekday()):
        cursor = _existing(dt.datetime.combine(day, opening.opens), tz, later=True)
        close = _existing(dt.datetime.combine(day, opening.closes), tz, later=False)
        for period in sorted(taken, key=lambda p: p.start):
            if period.end <= cursor or period.start >= close:
                continue
            if period.start > cursor:
                periods.append(WeekPeriod(cursor, period.start, "free"))
            cursor = max(cursor, period.end)
        if cursor < close:
            periods.append(WeekPeriod(cursor, close, "free"))
    # A free gap shorter than the shortest booking cannot be booked: it says so.
    shortest = dt.timedelta(minutes=room.min_minutes or 0)
    periods = [
        WeekPeriod(p.start, p.end, "short")
        if p.kind == "free" and p.end - p.start < shortest
        else p
        for p in periods
    ]
    periods.sort(key=lambda p: (p.start, p.kind != "free"))
    return periods


@built_once
def _week_query(with_people: bool):
    query = sa.select(Booking)
    if with_people:
        query = query.options(joinedload(Booking.user))
    return query.where(
        Booking.room_id == sa.bindparam("room_id"),
        Booking.status.in_(ACTIVE_STATUSES),
        Booking.start_at > sa.bindparam("earliest"),
        Booking.start_at < sa.bindparam("end"),
        Booking.block_end_at > sa.bindparam("start"),
    )


def _gone_by(periods: list[WeekPeriod], now: dt.datetime) -> list[WeekPeriod]:
    """Free time before ``now`` (local) is past: it cannot be booked any more."""
    result = []
    for period in periods:
        if period.kind not in ("free", "short") or period.start >= now:
            result.append(period)
        elif period.end <= now or period.kind == "short":
            result.append(WeekPeriod(period.start, period.end, "past"))
        else:
            cut = now + dt.timedelta(minutes=-now.minute % 15)  # the next quarter of an hour
            cut = cut.replace(second=0, microsecond=0)
            result.append(WeekPeriod(period.start, cut, "past"))
            if cut < period.end:
                result.append(WeekPeriod(cut, period.end, "free"))
    return result


def week_view(
    room: Room, monday: dt.date, *, with_people: bool = False, now: dt.datetime | None = None
) -> list[WeekDay]:
    """Busy, closed, free and past periods of each unit for the 7 days from ``monday``
    (``with_people``: the bookers are loaded with the bookings, for their names). A closure
    wins over a booking it covers (the booking is shown as neither)."""
    tz = room.residence.tz
    now_local = to_local(now or utcnow(), tz)
    window = Period.days(monday, monday + dt.timedelta(days=6), tz)
    values = {
        "room_id": room.id,
        "start": window.start,
        "end": window.end,
        "earliest": window.start - LONGEST_BLOCK,
    }
    bookings = db.session.scalars(_week_query(with_people), values).all()
    closures = closures_during(room, window)
    week = []
    for offset in range(7):
        day = monday + dt.timedelta(days=offset)
        today = Period.days(day, day, tz)
        closed = [
            WeekPeriod(*_clip(c.start_at, c.end_at, day, tz), "closed")
            for c in closures
            if today.overlaps(c.start_at, c.end_at)
        ]
        units, nights = {}, {}
        for unit in room.units:
            held = [
                b
                for b in bookings
                if b.unit_id == unit.id
                and today.overlaps(b.start_at, b.block_end_at)
                and not any(c.overlaps(b.start_at, b.end_at) for c in closures)
            ]
            taken = [
                WeekPeriod(*_clip(b.start_at, b.end_at, day, tz), "busy", b)
                for b in held
                if today.overlaps(b.start_at, b.end_at)
            ]
            # The room's cleaning time after a booking: neither free nor someone's.
            taken += [
                WeekPeriod(*_clip(b.end_at, b.block_end_at, day, tz), "cleaning")
                for b in held
                if b.block_end_at > b.end_at and today.overlaps(b.end_at, b.block_end_at)
            ]
            taken += closed
            units[unit.id] = _gone_by(_day_periods(room, day, taken), now_local)
            nights[unit.id] = any(
                p.kind in ("busy", "closed") and p.end.time() >= dt.time(23, 59) for p in taken
            )
        week.append(WeekDay(day, units, nights))
    return week


# ---------------------------------------------------------------------------------------
# A day in parts, and free periods in words (the room's page).

PARTS = ("morning", "afternoon", "evening")
NOON, EVENING = dt.time(12), dt.time(18)


def part_of(moment: dt.time) -> str:
    """``morning`` before noon, ``afternoon`` until 18 h, ``evening`` after."""
    if moment < NOON:
        return "morning"
    return "afternoon" if moment < EVENING else "evening"


def free_periods(slots: list[Slot]) -> list[tuple[dt.datetime, dt.datetime]]:
    """The free time a day's slots cover, joined: ``[(9 h, 12 h), (14 h, 22 h)]``."""
    periods: list[list[dt.datetime]] = []
    for slot in sorted(slots, key=lambda s: s.start):
        if periods and slot.start <= periods[-1][1]:
            periods[-1][1] = max(periods[-1][1], slot.end)
        else:
            periods.append([slot.start, slot.end])
    return [(start, end) for start, end in periods]


def by_part(slots: list[Slot]) -> dict[str, list[Slot]]:
    parts: dict[str, list[Slot]] = {part: [] for part in PARTS}
    for slot in slots:
        parts[part_of(slot.start.time())].append(slot)
    return {part: found for part, found in parts.items() if found}


# ---------------------------------------------------------------------------------------
# What a household has already booked (its limits, said before the choice is made).


@dataclass
class Usage:
    """A household's active bookings of one room, from the start of this week on."""

    room: Room
    bookings: list[Booking]
    now: dt.datetime

    def _local_day(self, booking: Booking) -> dt.date:
        return to_local(booking.start_at, self.room.residence.tz).date()

    def in_week_of(self, day: dt.date) -> list[Booking]:
        monday = week_start(day)
        return [
            b for b in self.bookings if monday <= self._local_day(b) < monday + dt.timedelta(days=7)
        ]

    @property
    def upcoming(self) -> list[Booking]:
        return [b for b in self.bookings if b.end_at > self.now]

    def active_full(self) -> Booking | None:
        """The first upcoming booking, when the household holds as many as it may."""
        limit = self.room.max_active_per_household
        upcoming = self.upcoming
        return upcoming[0] if limit and len(upcoming) >= limit else None

    def week_full(self, day: dt.date) -> Booking | None:
        """The first booking of ``day``'s week, when that week's limit is reached."""
        limit = self.room.per_household_week
        week = self.in_week_of(day)
        return week[0] if limit and len(week) >= limit else None

    def blocking(self, day: dt.date) -> Booking | None:
        """The booking that uses up a limit for a new booking on ``day``, if any."""
        return self.active_full() or self.week_full(day)


def household_usage(
    room: Room, member, first: dt.date, last: dt.date, now: dt.datetime | None = None
) -> Usage | None:
    """What ``member``'s household has booked of ``room`` that counts for a new booking
    from ``first`` to ``last`` (local days): its first upcoming bookings, as many as the
    room allows at a time, and its bookings of those days' weeks. None when the room has no
    limits. One query, whatever the household booked over the year."""
    if room.per_household_week is None and room.max_active_per_household is None:
        return None
    now = now or utcnow()
    tz = room.residence.tz
    household = (
        Booking.home_id == member.home_id
        if member.home_id is not None
        else Booking.user_id == member.user_id
    )
    counted = sa.and_(Booking.room_id == room.id, Booking.status.in_(ACTIVE_STATUSES), household)
    parts = []
    if room.max_active_per_household:
        upcoming = (
            sa.select(Booking.id)
            .where(counted, Booking.end_at > now)
            .order_by(Booking.start_at)
            .limit(room.max_active_per_household)
        )
        parts.append(sa.select(upcoming.subquery().c.id))
    if room.per_household_week:
        monday = week_start(first)
        after = week_start(last) + dt.timedelta(days=7)
        parts.append(
            sa.select(Booking.id).where(
                counted,
                Booking.start_at >= day_start(monday, tz),
                Booking.start_at < day_start(after, tz),
            )
        )
    if not parts:  # limits of 0 mean none
        return None
    ids = parts[0] if len(parts) == 1 else sa.union(*parts)
    bookings = db.session.scalars(
        sa.select(Booking).where(Booking.id.in_(ids)).order_by(Booking.start_at)
    ).all()
    return Usage(room, list(bookings), now)
