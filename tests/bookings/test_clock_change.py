"""The clock changes in Europe/Paris (issue 10, point 10): on Sunday 28 March 2027 the hour
from 02:00 to 03:00 does not exist; on Sunday 25 October 2026 it happens twice.

Before the fix, the slot 02:00–03:00 was offered, and booking it answered 409 "réservé par
quelqu'un d'autre" (02:00 and 03:00 were the same instant in UTC)."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from app.bookings import availability, services
from app.bookings.models import Booking
from app.core.recurrence import Weekly
from app.core.timeutils import NonexistentTime, Period, exists
from tests.conftest import csrf_from, page
from tests.factories import member

SPRING, AUTUMN = dt.date(2027, 3, 28), dt.date(2026, 10, 25)
NOW = dt.datetime(2026, 10, 1, 8, 0, tzinfo=dt.UTC)
NIGHT = [(d, dt.time(1), dt.time(5)) for d in range(7)]  # open from 1 h to 5 h: the change


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute))


@pytest.fixture
def room(two_residences, create_room):
    arm, _bezu, people = two_residences
    return create_room(
        arm,
        by=people["arm_coord"],
        openings=NIGHT,
        slot_minutes=60,
        min_minutes=60,
        max_minutes=240,
        max_days_ahead=730,
    )


def test_the_hour_that_does_not_exist_is_never_offered(room):
    tz = room.residence.tz
    assert not exists(at(SPRING, 2), tz) and not exists(at(SPRING, 2, 30), tz)
    assert exists(at(SPRING, 1, 59), tz) and exists(at(SPRING, 3), tz)
    slots = availability.free_slots(room, SPRING, SPRING, now=NOW)[SPRING]
    assert [(s.start.hour, s.end.hour) for s in slots] == [(3, 4), (4, 5)]
    ends = availability.end_choices(room, at(SPRING, 1))
    assert at(SPRING, 2) not in ends and at(SPRING, 3) in ends
    # The week view shows no free time in the gap either.
    week = availability.week_view(room, SPRING - dt.timedelta(days=6), now=NOW)
    free = [p for p in week[6].units[room.units[0].id] if p.kind == "free"]
    assert all(exists(p.start, tz) and exists(p.end, tz) for p in free)
    # The other Sundays keep their hour.
    other = availability.free_slots(
        room, SPRING + dt.timedelta(days=7), SPRING + dt.timedelta(days=7), now=NOW
    )
    assert len(next(iter(other.values()))) == 4


def test_a_time_in_the_gap_sent_anyway_is_refused_with_the_true_reason(app, client, auth, room):
    auth.login("res.arm")
    book = page(client.get(f"/rooms/{room.id}"))
    response = client.post(
        f"/rooms/{room.id}/book",
        data={
            "csrf_token": csrf_from(book),
            "start": "2027-03-28T02:00",
            "end": "2027-03-28T03:00",
        },
    )
    assert response.status_code == 422
    assert "Cette heure n'existe pas ce jour-là" in page(response)
    assert "réservé par quelqu'un d'autre" not in page(response)
    with pytest.raises(NonexistentTime):
        Period.from_local(at(SPRING, 2, 30), at(SPRING, 3, 30), room.residence.tz)


def test_a_series_date_in_the_gap_is_set_aside_with_the_reason(session, room, two_residences):
    coordinator = member(two_residences[2]["arm_coord"])
    _series, made, skipped = services.create_series(
        coordinator,
        room,
        weekly=Weekly(
            weekday=6, first=SPRING - dt.timedelta(days=7), until=SPRING + dt.timedelta(days=7)
        ),
        start_time=dt.time(2),
        end_time=dt.time(3),
        now=NOW,
    )
    assert [b.start_at.date() for b in made] == [dt.date(2027, 3, 21), dt.date(2027, 4, 4)]
    assert [(s.date, s.reason[:40]) for s in skipped] == [
        (SPRING, "Cette heure n'existe pas ce jour-là : ce")
    ]


def test_the_autumn_hour_that_happens_twice_means_its_first_occurrence(
    session, room, two_residences
):
    """The documented rule (``app/core/timeutils.py``): fold=0, still summer time."""
    tz = room.residence.tz
    assert Period.from_local(at(AUTUMN, 2, 30), at(AUTUMN, 3), tz) == Period(
        dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC),
        dt.datetime(2026, 10, 25, 2, 0, tzinfo=dt.UTC),
    )
    booking = services.reserve(
        member(two_residences[2]["arm_res"]),
        room,
        Period.from_local(at(AUTUMN, 2), at(AUTUMN, 3), tz),
        now=NOW,
    )
    session.flush()
    stored = session.scalars(sa.select(Booking).where(Booking.id == booking.id)).one()
    assert stored.end_at - stored.start_at == dt.timedelta(hours=2)  # two real hours


def test_a_review_page_for_a_time_in_the_gap_says_why(client, auth, room):
    """The review step (a GET with the slot in its address) answers the reason, not 500."""
    auth.login("res.arm")
    response = client.get(f"/rooms/{room.id}/book?start=2027-03-28T02:30&end=2027-03-28T03:30")
    assert response.status_code == 422
    assert "Cette heure n'existe pas ce jour-là" in page(response)
