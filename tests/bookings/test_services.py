"""Booking rules without HTTP: every rule has its own message; DST; approval; series."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from app.bookings import availability, services
from app.bookings.models import Booking, BookingStatus
from app.core.audit import AuditEvent
from app.core.errors import DomainError, NotAllowed
from app.core.permissions import Role
from app.core.recurrence import Weekly
from app.core.timeutils import Period, to_local
from app.residences.models import Home, Membership
from app.rooms.models import BookingMode
from tests.factories import member

# Friday 20 March 2026, 10:00 in Paris. Summer time starts on Sunday 29 March.
NOW = dt.datetime(2026, 3, 20, 9, 0, tzinfo=dt.UTC)
MONDAY = dt.date(2026, 3, 23)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute))


@pytest.fixture
def people(session, create_residence, create_user):
    residence = create_residence("Armentières")
    coord = create_user("coord", residence=residence, role=Role.COORDINATOR)
    jeanne = create_user("jeanne", residence=residence, home="A12")
    home = session.scalar(sa.select(Home).where(Home.label == "A12"))
    # Jeanne's grandson lives in the same flat: one household.
    paul = create_user("paul", residence=residence)
    session.scalar(sa.select(Membership).where(Membership.user_id == paul.id)).home = home
    lucas = create_user("lucas", residence=residence, home="B03")
    session.commit()
    return {"residence": residence, "coord": coord, "jeanne": jeanne, "paul": paul, "lucas": lucas}


@pytest.fixture
def make_room(people, create_room):
    def _make(**rules):
        rules.setdefault("openings", [(d, dt.time(8), dt.time(20)) for d in range(7)])
        return create_room(people["residence"], by=people["coord"], **rules)

    return _make


def period(room, start: dt.datetime, end: dt.datetime) -> Period:
    return Period.from_local(start, end, room.residence.tz)


def book(user, room, start, end, *, for_user=None, unit_id=None, **kw):
    """``user`` books ``room`` from ``start`` to ``end`` (local), as the booking form does."""
    kw.setdefault("now", NOW)
    return services.reserve(
        member(user),
        room,
        period(room, start, end),
        for_user=member(for_user) if for_user is not None else None,
        unit=room.unit(unit_id),
        **kw,
    )


def test_free_slots_in_plain_steps_skip_the_past_and_the_far_future(people, make_room):
    room = make_room(slot_minutes=60, min_minutes=120, max_minutes=240, max_days_ahead=7)
    slots = availability.free_slots(room, NOW.date(), NOW.date() + dt.timedelta(days=30), now=NOW)
    today = slots[dt.date(2026, 3, 20)]
    assert today[0].start == at(dt.date(2026, 3, 20), 10)  # it is 10:00: 8:00, 9:00 are past
    assert today[-1].end == at(dt.date(2026, 3, 20), 20)
    assert max(slots) == dt.date(2026, 3, 27)  # 7 days ahead, no more


def test_a_booked_unit_gives_way_to_the_next_identical_one(session, people, make_room):
    room = make_room(name="Lave-linge", min_minutes=60, unit_names=["LL 1", "LL 2"])
    first = book(people["jeanne"], room, at(MONDAY, 10), at(MONDAY, 11))
    second = book(people["lucas"], room, at(MONDAY, 10), at(MONDAY, 11))
    assert {first.unit.name, second.unit.name} == {"LL 1", "LL 2"}
    day = availability.free_slots(room, MONDAY, MONDAY, now=NOW)[MONDAY]
    assert at(MONDAY, 10) not in [s.start for s in day]
    with pytest.raises(services.SlotTaken) as taken:
        book(people["coord"], room, at(MONDAY, 10), at(MONDAY, 11))
    assert taken.value.next_slots[0].start == at(MONDAY, 11)
    assert taken.value.status_code == 409


def test_cleaning_buffer_keeps_bookings_apart(people, make_room):
    room = make_room(min_minutes=60, buffer_minutes=60)
    book(people["jeanne"], room, at(MONDAY, 10), at(MONDAY, 12))
    with pytest.raises(services.SlotTaken):
        book(people["lucas"], room, at(MONDAY, 12), at(MONDAY, 13))
    with pytest.raises(services.SlotTaken):  # ends when the cleaning would start: too close
        book(people["lucas"], room, at(MONDAY, 8), at(MONDAY, 10))
    assert book(people["lucas"], room, at(MONDAY, 13), at(MONDAY, 14)).status is (
        BookingStatus.CONFIRMED
    )
    starts = [s.start for s in availability.free_slots(room, MONDAY, MONDAY, now=NOW)[MONDAY]]
    assert at(MONDAY, 12) not in starts and at(MONDAY, 15) in starts


@pytest.mark.parametrize(
    ("rules", "start", "end", "error"),
    [
        ({}, at(MONDAY, 12), at(MONDAY, 11), services.InvalidPeriod),
        ({}, at(dt.date(2026, 3, 20), 8), at(dt.date(2026, 3, 20), 9), services.InPast),
        ({"max_days_ahead": 2}, at(MONDAY, 10), at(MONDAY, 11), services.TooFarAhead),
        (
            {"min_minutes": 120, "max_minutes": 240},
            at(MONDAY, 10),
            at(MONDAY, 11),
            services.TooShort,
        ),
        ({"max_minutes": 120}, at(MONDAY, 10), at(MONDAY, 13), services.TooLong),
        ({"slot_minutes": 60}, at(MONDAY, 10, 30), at(MONDAY, 11, 30), services.NotOnGrid),
        ({}, at(MONDAY, 19), at(MONDAY, 21), services.OutsideOpeningHours),
        (
            {"openings": [(2, dt.time(8), dt.time(20))]},
            at(MONDAY, 10),
            at(MONDAY, 11),
            services.OutsideOpeningHours,
        ),
    ],
)
def test_each_rule_refuses_with_its_own_message(people, make_room, rules, start, end, error):
    room = make_room(**rules)
    with pytest.raises(error) as refused:
        book(people["jeanne"], room, start, end)
    assert refused.value.status_code == 422
    assert refused.value.field in ("start", "end")


def test_every_refusal_has_a_distinct_translated_message(app):
    classes = [
        services.InvalidPeriod,
        services.InPast,
        services.TooFarAhead,
        services.TooShort,
        services.TooLong,
        services.NotOnGrid,
        services.OutsideOpeningHours,
        services.WrongNights,
        services.RoomClosed,
        services.WeeklyLimit,
        services.ActiveLimit,
        services.CancelTooLate,
        services.SlotTaken,
        services.NotPending,
    ]
    with app.test_request_context():
        french = [str(c.default_message) for c in classes]
        with force_locale("en"):
            english = [str(c.default_message) for c in classes]
    assert len(set(french)) == len(classes)
    assert len(set(english)) == len(classes)
    assert not set(french) & set(english)


def test_nights_for_the_guest_room(people, make_room):
    room = make_room(
        name="Chambre d'amis", mode=BookingMode.NIGHTS, min_nights=1, max_nights=3, openings=[]
    )
    checkin, checkout = room.checkin_time, room.checkout_time
    start = dt.datetime.combine(MONDAY, checkin)
    booking = book(
        people["jeanne"], room, start, dt.datetime.combine(MONDAY + dt.timedelta(days=2), checkout)
    )
    assert booking.status is BookingStatus.CONFIRMED
    with pytest.raises(services.WrongNights):
        book(
            people["lucas"],
            room,
            dt.datetime.combine(MONDAY + dt.timedelta(days=3), checkin),
            dt.datetime.combine(MONDAY + dt.timedelta(days=7), checkout),
        )
    with pytest.raises(services.OutsideOpeningHours):
        book(
            people["lucas"],
            room,
            at(MONDAY + dt.timedelta(days=3), 9),
            dt.datetime.combine(MONDAY + dt.timedelta(days=4), checkout),
        )
    slots = availability.free_slots(room, MONDAY, MONDAY + dt.timedelta(days=3), now=NOW)
    assert slots[MONDAY] == [] and slots[MONDAY + dt.timedelta(days=1)] == []
    # Departure at 11:00, the next guests arrive at 15:00 the same day.
    assert slots[MONDAY + dt.timedelta(days=2)][0].nights == 1


def test_closures_refuse_bookings_and_list_the_ones_inside(session, people, make_room):
    room = make_room()
    inside = book(people["jeanne"], room, at(MONDAY, 10), at(MONDAY, 11))
    closure, affected = services.close_room(
        member(people["coord"]),
        room,
        period(room, at(MONDAY, 0), at(MONDAY + dt.timedelta(days=1), 0)),
        "Peinture",
    )
    assert affected == [inside] and closure.reason == "Peinture"
    with pytest.raises(services.RoomClosed) as refused:
        book(people["lucas"], room, at(MONDAY, 14), at(MONDAY, 15))
    assert "Peinture" in str(refused.value.message)
    assert availability.free_slots(room, MONDAY, MONDAY, now=NOW)[MONDAY] == []
    with pytest.raises(NotAllowed):
        services.close_room(
            member(people["jeanne"]), room, period(room, at(MONDAY, 0), at(MONDAY, 1))
        )


def test_household_limits_count_the_whole_flat(people, make_room):
    room = make_room(per_household_week=1)
    book(people["jeanne"], room, at(MONDAY, 10), at(MONDAY, 11))
    with pytest.raises(services.WeeklyLimit):
        book(people["paul"], room, at(MONDAY, 14), at(MONDAY, 15))  # same flat A12
    book(people["lucas"], room, at(MONDAY, 14), at(MONDAY, 15))  # another flat
    book(
        people["paul"],
        room,
        at(MONDAY + dt.timedelta(days=7), 14),
        at(MONDAY + dt.timedelta(days=7), 15),
    )  # next week is fine


def test_active_bookings_limit(people, make_room):
    room = make_room(max_active_per_household=2)
    book(people["jeanne"], room, at(MONDAY, 10), at(MONDAY, 11))
    second = book(people["paul"], room, at(MONDAY, 12), at(MONDAY, 13))
    with pytest.raises(services.ActiveLimit):
        book(people["jeanne"], room, at(MONDAY, 14), at(MONDAY, 15))
    services.cancel(member(people["paul"]), second, now=NOW)
    book(people["jeanne"], room, at(MONDAY, 14), at(MONDAY, 15))


def test_the_limits_said_before_booking_count_what_they_must_and_no_more(people, make_room):
    """Before a choice, the page asks what the household already holds: its first upcoming
    bookings (as many as the room allows at once) and its bookings of the shown weeks, not
    every booking of the year."""
    room = make_room()
    weeks = [MONDAY + dt.timedelta(days=7 * n) for n in range(5)]
    for week in weeks:
        book(people["jeanne"], room, at(week, 10), at(week, 11))
    # The coordinator tightens the rules afterwards.
    room.max_active_per_household, room.per_household_week = 3, 2
    jeanne = member(people["jeanne"])
    wednesday = weeks[4] + dt.timedelta(days=2)
    usage = availability.household_usage(room, jeanne, wednesday, wednesday, now=NOW)
    days = [to_local(b.start_at, room.residence.tz).date() for b in usage.bookings]
    assert days == [weeks[0], weeks[1], weeks[2], weeks[4]]  # not weeks[3]
    assert usage.active_full() is usage.bookings[0]  # 3 upcoming: as many as allowed
    assert usage.week_full(wednesday) is None  # 1 booking that week, 2 allowed
    # Paul lives in the same flat: the same bookings count for him; Lucas has none.
    assert usage.blocking(wednesday) is usage.bookings[0]
    paul = availability.household_usage(room, member(people["paul"]), MONDAY, MONDAY, now=NOW)
    assert paul.active_full() is not None
    lucas = member(people["lucas"])
    assert availability.household_usage(room, lucas, MONDAY, MONDAY, now=NOW).bookings == []
    unlimited = make_room(name="Salle sans limite")
    assert availability.household_usage(unlimited, jeanne, MONDAY, MONDAY, now=NOW) is None


def test_cancel_until_the_deadline_then_only_the_coordinator(people, make_room):
    room = make_room(cancel_hours=48)
    booking = book(people["jeanne"], room, at(MONDAY, 10), at(MONDAY, 11))
    late = dt.datetime(2026, 3, 22, 9, 0, tzinfo=dt.UTC)  # 24 h before
    jeanne, lucas, coord = (
        member(people["jeanne"]),
        member(people["lucas"]),
        member(people["coord"]),
    )
    assert booking.can_change(jeanne, NOW) and not booking.can_change(jeanne, late)
    assert booking.too_late_for(jeanne, late) and not booking.can_view(lucas)
    with pytest.raises(services.CancelTooLate):
        services.cancel(jeanne, booking, now=late)
    with pytest.raises(NotAllowed):
        services.cancel(lucas, booking, now=NOW)
    assert booking.can_change(coord, late)
    services.cancel(coord, booking, now=late)
    assert booking.status is BookingStatus.CANCELLED
    # Its slot is free again.
    assert book(people["lucas"], room, at(MONDAY, 10), at(MONDAY, 11)).status is (
        BookingStatus.CONFIRMED
    )


def test_moving_a_booking_keeps_it_out_of_its_own_way(people, make_room):
    room = make_room(max_active_per_household=1)
    booking = book(people["jeanne"], room, at(MONDAY, 10), at(MONDAY, 12))
    jeanne = member(people["jeanne"])
    services.move(jeanne, booking, period(room, at(MONDAY, 11), at(MONDAY, 13)), now=NOW)
    assert to_local(booking.start_at, people["residence"].tz) == at(MONDAY, 11)
    other = book(people["lucas"], room, at(MONDAY, 14), at(MONDAY, 15))
    with pytest.raises(services.SlotTaken):
        services.move(jeanne, booking, period(room, at(MONDAY, 14), at(MONDAY, 16)), now=NOW)
    assert other.status is BookingStatus.CONFIRMED


def test_approval_rooms_make_requests_and_approving_declines_overlaps(
    app, session, people, make_room
):
    room = make_room(name="Chambre d'amis", requires_approval=True)
    first = book(people["jeanne"], room, at(MONDAY, 10), at(MONDAY, 12))
    second = book(people["lucas"], room, at(MONDAY, 11), at(MONDAY, 13))
    assert first.status is second.status is BookingStatus.PENDING
    assert services.overlapping_pending(first) == [second]
    assert services.overlaps_in_queue([first, second]) == {first.id: [second], second.id: [first]}
    coord = member(people["coord"])
    with pytest.raises(NotAllowed):
        services.approve(member(people["jeanne"]), first, now=NOW)
    declined = services.approve(coord, first, now=NOW)
    assert declined == [second]
    assert first.status is BookingStatus.CONFIRMED
    assert second.status is BookingStatus.DECLINED
    with app.test_request_context(), force_locale("en"):
        assert str(second.reason_text).startswith("Another request")
    with pytest.raises(services.NotPending):
        services.approve(coord, second, now=NOW)
    third = book(people["lucas"], room, at(MONDAY, 15), at(MONDAY, 16))
    with pytest.raises(DomainError) as no_reason:
        services.decline(coord, third, "  ", now=NOW)
    assert no_reason.value.field == "reason"
    services.decline(coord, third, "Travaux ce jour-là", now=NOW)
    assert third.decision_reason == "Travaux ce jour-là"
    # The coordinator's own bookings need no approval.
    own = book(people["coord"], room, at(MONDAY, 17), at(MONDAY, 18))
    assert own.status is BookingStatus.CONFIRMED


def test_on_behalf_records_who_made_it_and_applies_the_residents_rules(people, make_room):
    room = make_room(max_days_ahead=30, per_household_week=1)
    booking = book(people["coord"], room, at(MONDAY, 10), at(MONDAY, 11), for_user=people["jeanne"])
    assert booking.user_id == people["jeanne"].id
    assert booking.created_by_id == people["coord"].id and booking.on_behalf
    assert booking.home.label == "A12"
    with pytest.raises(services.WeeklyLimit):
        book(people["coord"], room, at(MONDAY, 14), at(MONDAY, 15), for_user=people["paul"])
    with pytest.raises(NotAllowed):
        book(people["lucas"], room, at(MONDAY, 14), at(MONDAY, 15), for_user=people["jeanne"])
    # The coordinator's own events are not bound by the residents' rules.
    far = MONDAY + dt.timedelta(days=60)
    assert book(people["coord"], room, at(far, 10), at(far, 11)).status is (BookingStatus.CONFIRMED)


def test_weekly_series_keeps_local_time_across_dst_and_skips_conflicts(session, people, make_room):
    room = make_room(max_days_ahead=14)  # the coordinator's series may go further
    tuesday = MONDAY + dt.timedelta(days=8)  # 31 March, after the change to summer time
    conflict = book(people["jeanne"], room, at(tuesday, 15), at(tuesday, 16))
    coord = member(people["coord"])
    series, made, skipped = services.create_series(
        coord,
        room,
        weekly=Weekly(weekday=1, first=dt.date(2026, 3, 20), until=dt.date(2026, 4, 14)),
        start_time=dt.time(14),
        end_time=dt.time(16),
        purpose="Club tricot",
        now=NOW,
    )
    tz = people["residence"].tz
    assert [to_local(b.start_at, tz) for b in made] == [
        at(dt.date(2026, 3, 24), 14),
        at(dt.date(2026, 4, 7), 14),
        at(dt.date(2026, 4, 14), 14),
    ]
    assert made[0].start_at.hour == 13 and made[1].start_at.hour == 12  # UTC+1, then UTC+2
    assert [s.date for s in skipped] == [tuesday]
    assert "réservé" in skipped[0].reason
    session.commit()
    services.cancel(coord, conflict, now=NOW)
    again = services.readd_skipped(coord, skipped[0], now=NOW)
    session.commit()
    assert to_local(again.start_at, tz) == at(tuesday, 14)
    assert again.origin == series.origin and series.skips == []
    assert [b.id for b in services.booked_dates(series)] == [made[0].id, again.id] + [
        b.id for b in made[1:]
    ]


def test_week_view_shows_busy_periods_per_unit(people, make_room):
    room = make_room(unit_names=["LL 1", "LL 2"], min_minutes=60)
    booking = book(people["jeanne"], room, at(MONDAY, 10), at(MONDAY, 11))
    week = availability.week_view(room, MONDAY, now=NOW)
    assert [day.day for day in week] == [MONDAY + dt.timedelta(days=n) for n in range(7)]
    kinds = [(p.start.hour, p.end.hour, p.kind) for p in week[0].units[booking.unit_id]]
    assert kinds == [(8, 10, "free"), (10, 11, "busy"), (11, 20, "free")]
    assert week[0].units[booking.unit_id][1].booking is booking
    other_unit = next(u.id for u in room.units if u.id != booking.unit_id)
    assert [p.kind for p in week[0].units[other_unit]] == ["free"]


def test_week_view_free_time_is_what_can_be_booked(people, make_room):
    """The cleaning time after a booking is not free, and a gap shorter than the shortest
    booking says so (the week said "libre" where the day page offered nothing)."""
    room = make_room(min_minutes=120, buffer_minutes=60)
    book(people["jeanne"], room, at(MONDAY, 8), at(MONDAY, 10))
    book(people["lucas"], room, at(MONDAY, 12), at(MONDAY, 14))
    week = availability.week_view(room, MONDAY, now=NOW)
    kinds = [(p.start.hour, p.end.hour, p.kind) for p in next(iter(week[0].units.values()))]
    assert kinds == [
        (8, 10, "busy"),
        (10, 11, "cleaning"),
        (11, 12, "short"),
        (12, 14, "busy"),
        (14, 15, "cleaning"),
        (15, 20, "free"),
    ]


def test_every_booking_change_is_audited(session, people, make_room):
    room = make_room(requires_approval=True)
    booking = book(people["jeanne"], room, at(MONDAY, 10), at(MONDAY, 11))
    services.move(
        member(people["jeanne"]), booking, period(room, at(MONDAY, 12), at(MONDAY, 13)), now=NOW
    )
    services.approve(member(people["coord"]), booking, now=NOW)
    services.cancel(member(people["coord"]), booking, now=NOW)
    session.flush()
    actions = [
        e.action
        for e in session.scalars(
            sa.select(AuditEvent).where(AuditEvent.target_type == "booking").order_by(AuditEvent.id)
        )
    ]
    assert actions == ["booking.created", "booking.moved", "booking.approved", "booking.cancelled"]


def test_the_database_itself_refuses_overlapping_confirmed_bookings(session, people, make_room):
    """PostgreSQL's exclusion constraint holds even if a bug bypassed the service."""
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip(
            "SQLite has no exclusion constraints: there the booking transaction takes "
            "the write lock first (see tests/concurrency)"
        )
    room = make_room()
    first = book(people["jeanne"], room, at(MONDAY, 10), at(MONDAY, 12))
    session.commit()
    clash = Booking(
        residence_id=room.residence_id,
        room_id=room.id,
        unit_id=first.unit_id,
        user_id=people["lucas"].id,
        created_by_id=people["lucas"].id,
        start_at=first.start_at,
        end_at=first.end_at,
        block_end_at=first.end_at,
        status=BookingStatus.CONFIRMED,
    )
    session.add(clash)
    with pytest.raises(sa.exc.IntegrityError):
        session.flush()
    session.rollback()


def test_a_double_tap_books_once_and_cancels_once(session, people, make_room):
    room = make_room(unit_names=["LL 1", "LL 2"], min_minutes=60)
    first = book(people["jeanne"], room, at(MONDAY, 10), at(MONDAY, 11))
    again = book(people["jeanne"], room, at(MONDAY, 10), at(MONDAY, 11))
    assert again.id == first.id
    assert session.scalar(sa.select(sa.func.count(Booking.id))) == 1
    services.cancel(member(people["jeanne"]), first, now=NOW)
    assert services.cancel(member(people["jeanne"]), first, now=NOW).status is (
        BookingStatus.CANCELLED
    )


def test_a_taken_unit_gives_way_to_its_free_twin_even_when_asked_for(people, make_room):
    room = make_room(unit_names=["LL 1", "LL 2"], min_minutes=60)
    first = book(people["jeanne"], room, at(MONDAY, 10), at(MONDAY, 11))
    second = book(people["lucas"], room, at(MONDAY, 10), at(MONDAY, 11), unit_id=first.unit_id)
    assert second.unit_id != first.unit_id
