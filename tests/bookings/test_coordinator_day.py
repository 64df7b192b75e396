"""The coordinator's day (bookings.services, "Coordinator's day"): the requests to answer,
and today's and tomorrow's bookings and closures of the residence, without HTTP."""

from __future__ import annotations

import datetime as dt

import pytest

from app.bookings import services
from app.bookings.models import BookingStatus
from app.core.errors import NotAllowed
from app.core.timeutils import Period
from app.rooms.models import BookingMode
from app.rooms.services import add_closure
from tests.factories import local_period, member, today_in


def at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour))


@pytest.fixture
def place(two_residences, create_room):
    """Armentières' rooms, and "now": local midnight today (bookings of the whole day can be
    made, whatever the hour the tests run)."""
    arm, bezu, people = two_residences
    coordinator = people["arm_coord"]
    rooms = {
        "common": create_room(arm, by=coordinator, name="Salle commune"),
        "laundry": create_room(
            arm, by=coordinator, name="Laverie", unit_names=["Lave-linge 1", "Lave-linge 2"]
        ),
        "guest": create_room(
            arm,
            by=coordinator,
            name="Chambre d'amis",
            mode=BookingMode.NIGHTS,
            requires_approval=True,
        ),
        "bezu": create_room(bezu, by=people["bezu_coord"], name="Salle du béguinage"),
    }
    today = today_in(arm)
    now = Period.days(today, today, arm.tz).start
    return arm, people, rooms, today, now


def test_today_and_tomorrow_room_by_room(place, create_booking, session):
    arm, people, rooms, today, now = place
    tomorrow, later = today + dt.timedelta(days=1), today + dt.timedelta(days=2)
    common, laundry = rooms["common"], rooms["laundry"]
    coordinator = member(people["arm_coord"], arm)
    late = create_booking(people["arm_res"], common, at(today, 18), at(today, 20), now=now)
    early = create_booking(
        people["arm_committee"], common, at(today, 9), at(today, 11), purpose="Café", now=now
    )
    washing = create_booking(
        people["arm_res"], laundry, at(tomorrow, 10), at(tomorrow, 11), now=now
    )
    create_booking(people["arm_res"], common, at(later, 9), at(later, 11), now=now)
    cancelled = create_booking(people["arm_res"], laundry, at(today, 8), at(today, 9), now=now)
    services.cancel(coordinator, cancelled, now=now)
    create_booking(people["bezu_res"], rooms["bezu"], at(today, 9), at(today, 11), now=now)
    works = add_closure(
        coordinator, common, local_period(arm, at(today, 12), at(today, 14)), "Peinture"
    )
    all_day = add_closure(
        coordinator, laundry, local_period(arm, at(tomorrow, 0), at(later, 0)), ""
    )
    session.commit()

    days = services.days_ahead(coordinator, now=now)
    assert [day.date for day in days] == [today, tomorrow]
    first, second = days
    assert [room_day.room.name for room_day in first.rooms] == ["Salle commune"]
    entries = first.rooms[0].entries
    assert [(e.booking or e.closure).id for e in entries] == [early.id, works.id, late.id]
    assert entries[1].closure is works and entries[0].booking.purpose == "Café"
    assert (entries[0].start, entries[0].end) == (early.start_at, early.end_at)
    assert not any(e.cut for e in entries)
    assert [room_day.room.name for room_day in second.rooms] == ["Laverie"]
    closure, booking = second.rooms[0].entries
    assert closure.closure is all_day and booking.booking is washing
    assert (closure.start, closure.end) == (all_day.start_at, all_day.end_at)


def test_a_stay_shows_on_each_day_it_covers_cut_at_midnight(place, create_booking, session):
    arm, people, rooms, today, now = place
    guest = rooms["guest"]
    tomorrow = today + dt.timedelta(days=1)
    stay = create_booking(
        people["arm_res"],
        guest,
        dt.datetime.combine(today, guest.checkin_time),
        dt.datetime.combine(tomorrow, guest.checkout_time),
        now=now,
    )
    assert stay.status is BookingStatus.PENDING  # requests are part of the day too
    midnight = Period.days(tomorrow, tomorrow, arm.tz).start
    first, second = services.days_ahead(member(people["arm_coord"], arm), now=now)
    (arrival,) = first.rooms[0].entries
    (departure,) = second.rooms[0].entries
    assert (arrival.booking, arrival.start, arrival.end) == (stay, stay.start_at, midnight)
    assert (departure.start, departure.end) == (midnight, stay.end_at)
    assert arrival.cut and departure.cut


def test_an_empty_day_has_no_rooms(place):
    arm, people, _rooms, _today, now = place
    assert [
        day.rooms for day in services.days_ahead(member(people["arm_coord"], arm), now=now)
    ] == [
        [],
        [],
    ]


def test_requests_to_answer_soonest_first(place, create_booking, session):
    arm, people, rooms, today, now = place
    guest = rooms["guest"]
    coordinator = member(people["arm_coord"], arm)

    def stay(user, first_day: int, nights: int = 1):
        start = today + dt.timedelta(days=first_day)
        return create_booking(
            user,
            guest,
            dt.datetime.combine(start, guest.checkin_time),
            dt.datetime.combine(start + dt.timedelta(days=nights), guest.checkout_time),
            now=now,
        )

    later = stay(people["arm_res"], 10)
    sooner = stay(people["arm_committee"], 4)
    soonest = stay(people["arm_res"], 2)
    over = stay(people["arm_committee"], 0)  # already over when asked, below
    services.decline(coordinator, stay(people["arm_res"], 20), "Travaux")
    session.commit()

    assert services.requests_to_answer(coordinator, now=now, limit=3) == (
        4,
        [over, soonest, sooner],
    )
    after_it = over.end_at + dt.timedelta(minutes=1)
    count, first = services.requests_to_answer(coordinator, now=after_it, limit=10)
    assert count == 3 and first == [soonest, sooner, later]
    assert first[0].room.has_units is False and first[0].user.full_name


def test_no_request_no_list(place):
    arm, people, _rooms, _today, now = place
    assert services.requests_to_answer(member(people["arm_coord"], arm), now=now) == (0, [])


@pytest.mark.parametrize("who", ["arm_res", "arm_committee"])
def test_only_the_coordination_sees_the_residence_s_day(place, who):
    arm, people, _rooms, _today, now = place
    with pytest.raises(NotAllowed):
        services.days_ahead(member(people[who], arm), now=now)
    with pytest.raises(NotAllowed):
        services.requests_to_answer(member(people[who], arm), now=now)
