"""Activities without HTTP: places and helpers, the waiting list's order, promotion when a
place frees up (leaving, more places), cancellation, and who may do what."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from app.activities import services
from app.activities.models import (
    ActivityStatus,
    Category,
    OrganiserKind,
    PlaceKind,
    RegistrationRole,
    RegistrationStatus,
)
from app.bookings.models import Booking, BookingStatus, OriginKind
from app.core.audit import AuditEvent
from app.core.db import utcnow
from app.core.errors import NotAllowed
from app.core.permissions import Role
from app.messages.models import Message
from app.residences.models import Home, Membership
from tests.factories import local_period, member, today_in

CONFIRMED, WAITING, LEFT = (
    RegistrationStatus.CONFIRMED,
    RegistrationStatus.WAITING,
    RegistrationStatus.LEFT,
)


@pytest.fixture
def house(create_residence, create_user):
    residence = create_residence("Armentières")
    coord = create_user("coord", residence=residence, role=Role.COORDINATOR)
    people = [create_user(f"habitant{n}", residence=residence) for n in range(6)]
    return residence, member(coord, residence), [member(p, residence) for p in people]


def _messages_of(session, membership):
    return list(session.scalars(sa.select(Message).where(Message.membership_id == membership.id)))


def test_places_then_the_waiting_list_in_order(session, house, create_activity):
    residence, coord, people = house
    activity = create_activity(residence, by=coord.user, capacity=2)
    got = [services.register(p, activity) for p in people[:5]]
    session.commit()
    assert [r.status for r in got] == [CONFIRMED, CONFIRMED, WAITING, WAITING, WAITING]
    assert [services.waiting_position(r) for r in got] == [None, None, 1, 2, 3]
    places = services.places_of([activity])[activity.id]
    assert (places.confirmed, places.waiting, places.free) == (2, 3, 0)


def test_joining_twice_changes_nothing(session, house, create_activity):
    residence, coord, people = house
    activity = create_activity(residence, by=coord.user, capacity=1)
    first = services.register(people[0], activity)
    again = services.register(people[0], activity)
    assert again.id == first.id and again.status == CONFIRMED
    assert services.places_of([activity])[activity.id].confirmed == 1


def test_leaving_gives_the_place_to_the_first_in_line_who_is_told(session, house, create_activity):
    residence, coord, people = house
    activity = create_activity(residence, by=coord.user, capacity=1, title="Atelier cuisine")
    holder, first, second = (services.register(p, activity) for p in people[:3])
    session.commit()
    left = services.leave(people[0], activity)
    session.commit()
    assert left.status == LEFT
    session.refresh(first)
    session.refresh(second)
    assert first.status == CONFIRMED and second.status == WAITING
    assert services.waiting_position(second) == 1
    told = _messages_of(session, people[1])
    assert len(told) == 1 and "Atelier cuisine" in told[0].subject
    assert "vous êtes inscrit" in told[0].body
    assert _messages_of(session, people[2]) == []
    # Leaving from the waiting list frees no place and moves nobody.
    services.leave(people[2], activity)
    assert services.places_of([activity])[activity.id].confirmed == 1


def test_coming_back_after_leaving_goes_to_the_end_of_the_line(session, house, create_activity):
    residence, coord, people = house
    activity = create_activity(residence, by=coord.user, capacity=1)
    for person in people[:3]:
        services.register(person, activity)
    services.leave(people[1], activity)  # was first in line
    back = services.register(people[1], activity)
    assert back.status == WAITING and services.waiting_position(back) == 2


def test_more_places_go_to_the_waiting_list_at_once(session, house, create_activity):
    residence, coord, people = house
    activity = create_activity(residence, by=coord.user, capacity=1)
    regs = [services.register(p, activity) for p in people[:4]]
    promoted = services.change_places(coord, activity, capacity=3, helper_places=0)
    assert [r.membership_id for r in promoted] == [people[1].id, people[2].id]
    session.refresh(regs[3])
    assert regs[3].status == WAITING and services.waiting_position(regs[3]) == 1
    # Fewer places: nobody loses theirs.
    services.change_places(coord, activity, capacity=1, helper_places=0)
    assert services.places_of([activity])[activity.id].confirmed == 3
    with pytest.raises(services.InvalidPlaces):
        services.change_places(coord, activity, capacity=0, helper_places=0)


def test_helpers_have_their_own_places_and_line(session, house, create_activity):
    residence, coord, people = house
    activity = create_activity(
        residence, by=coord.user, capacity=2, helper_places=1, category=Category.WORKSHOP
    )
    helper = services.register(people[0], activity, as_helper=True)
    second_helper = services.register(people[1], activity, as_helper=True)
    participant = services.register(people[2], activity)
    assert helper.role == RegistrationRole.HELPER and helper.status == CONFIRMED
    assert second_helper.status == WAITING and services.waiting_position(second_helper) == 1
    assert participant.status == CONFIRMED  # helpers do not take participants' places
    places = services.places_of([activity])[activity.id]
    assert (places.confirmed, places.helpers, places.helpers_waiting) == (1, 1, 1)
    services.leave(people[0], activity)
    session.refresh(second_helper)
    assert second_helper.status == CONFIRMED
    # An activity that wants no helpers says so.
    gym = create_activity(residence, by=coord.user)
    with pytest.raises(services.NoHelpWanted):
        services.register(people[3], gym, as_helper=True)


def test_cancelled_or_started_activities_refuse_with_a_reason(session, house, create_activity):
    residence, coord, people = house
    now = dt.datetime.now(dt.UTC)
    activity = create_activity(residence, by=coord.user)
    services.register(people[0], activity)
    services.register(people[1], activity)
    services.leave(people[1], activity)
    services.cancel_activity(coord, activity, "pluie")
    session.commit()
    assert activity.status == ActivityStatus.CANCELLED
    with pytest.raises(services.ActivityCancelled) as refused:
        services.register(people[2], activity)
    assert refused.value.status_code == 409
    # Those registered are told why; those who had left are not.
    told = _messages_of(session, people[0])
    assert len(told) == 1 and "pluie" in told[0].body
    assert _messages_of(session, people[1]) == []
    started = create_activity(
        residence,
        by=coord.user,
        start=dt.datetime.combine(today_in(residence), dt.time(0, 5)),
        end=dt.datetime.combine(today_in(residence), dt.time(23, 55)),
    )
    with pytest.raises(services.ActivityStarted):
        services.register(people[2], started, now=now)
    with pytest.raises(services.ActivityStarted):
        services.leave(people[2], started, now=now)


def test_the_coordinator_registers_someone_and_it_is_recorded(session, house, create_activity):
    residence, coord, people = house
    activity = create_activity(residence, by=coord.user)
    registration = services.register(coord, activity, for_member=people[0])
    assert registration.membership_id == people[0].id
    assert registration.on_behalf
    event = session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "activity.registered"))
    assert event.actor_id == coord.user_id and f"for user {people[0].user_id}" in event.details
    # A resident cannot register a neighbour.
    with pytest.raises(NotAllowed):
        services.register(people[1], activity, for_member=people[2])


def test_another_residence_cannot_join(
    session, house, create_activity, create_residence, create_user
):
    residence, coord, _people = house
    activity = create_activity(residence, by=coord.user)
    elsewhere = create_residence("Bézu")
    stranger = member(create_user("marcel", residence=elsewhere), elsewhere)
    with pytest.raises(NotAllowed):
        services.register(stranger, activity)
    with pytest.raises(NotAllowed):
        services.cancel_activity(stranger, activity)


def test_a_plan_says_what_is_missing_field_by_field(session, house, create_room):
    residence, coord, people = house
    tomorrow = today_in(residence) + dt.timedelta(days=1)
    period = local_period(
        residence,
        dt.datetime.combine(tomorrow, dt.time(15)),
        dt.datetime.combine(tomorrow, dt.time(14)),
    )
    base = dict(title="Sortie", category=Category.OUTING, capacity=8)
    cases = [
        (dict(period=period, place_kind=PlaceKind.GARDEN), "end_time"),
        (
            dict(period=period.__class__(period.end, period.start), place_kind=PlaceKind.OUTSIDE),
            "address",
        ),
        (
            dict(period=period.__class__(period.end, period.start), place_kind=PlaceKind.ROOM),
            "room",
        ),
        (
            dict(
                period=period.__class__(period.end, period.start),
                place_kind=PlaceKind.GARDEN,
                organiser_kind=OrganiserKind.PARTNER,
            ),
            "partner_name",
        ),
    ]
    for extra, field in cases:
        with pytest.raises(services.ActivityRefused) as refused:
            services.create_activity(coord, services.Plan(**base, **extra))
        assert refused.value.field == field
    with pytest.raises(NotAllowed):
        services.create_activity(
            people[0],
            services.Plan(
                **base,
                period=period.__class__(period.end, period.start),
                place_kind=PlaceKind.GARDEN,
            ),
        )
    room = create_room(residence, by=coord.user)
    activity = services.create_activity(
        coord,
        services.Plan(
            **base,
            period=period.__class__(period.end, period.start),
            place_kind=PlaceKind.ROOM,
            room=room,
        ),
    )
    assert activity.room_id == room.id and activity.address == ""


def test_the_room_follows_the_activity(session, house, create_room, create_activity):
    residence, coord, people = house
    room = create_room(residence, by=coord.user)
    activity = create_activity(residence, by=coord.user, room=room, place_kind=PlaceKind.ROOM)
    held = session.scalars(sa.select(Booking).where(Booking.room_id == room.id)).all()
    assert [(b.origin_kind, b.origin_id, b.status) for b in held] == [
        (OriginKind.ACTIVITY, activity.id, BookingStatus.CONFIRMED)
    ]
    assert (held[0].start_at, held[0].end_at) == (activity.starts_at, activity.ends_at)
    # A clash is said on the room's field, and nothing is created.
    with pytest.raises(services.RoomNotFree) as refused:
        create_activity(residence, by=coord.user, room=room, place_kind=PlaceKind.ROOM)
    assert refused.value.field == "room"
    session.rollback()
    # Cancelling the activity frees the room.
    services.cancel_activity(coord, activity, "animatrice malade")
    session.commit()
    session.refresh(held[0])
    assert held[0].status == BookingStatus.CANCELLED
    assert held[0].decision_reason == "animatrice malade"


# ---------------------------------------------------------------------------------------
# Series, changes and postponements.


def _plan(residence, day: dt.date, start: int, end: int, **fields):
    fields.setdefault("title", "Gym douce")
    fields.setdefault("category", Category.ANIMATION)
    fields.setdefault("capacity", 10)
    fields.setdefault("place_kind", PlaceKind.ROOM if fields.get("room") else PlaceKind.GARDEN)
    return services.Plan(
        period=local_period(
            residence,
            dt.datetime.combine(day, dt.time(start)),
            dt.datetime.combine(day, dt.time(end)),
        ),
        **fields,
    )


def _local_hours(residence, activity):
    start = activity.starts_at.astimezone(residence.tz)
    end = activity.ends_at.astimezone(residence.tz)
    return start.date(), start.hour, end.hour


@pytest.mark.parametrize(
    "first, until",
    [
        (dt.date(2027, 3, 16), dt.date(2027, 4, 6)),  # summer time from Sunday 28 March 2027
        (dt.date(2027, 10, 19), dt.date(2027, 11, 9)),  # winter time from Sunday 31 October
    ],
)
def test_a_weekly_series_keeps_its_local_hours_across_the_clock_change(
    session, house, create_room, first, until
):
    residence, coord, people = house
    room = create_room(residence, by=coord.user)
    series, sessions = services.create_series(
        coord, _plan(residence, first, 10, 11, room=room), every=1, until=until
    )
    session.commit()
    assert [_local_hours(residence, s) for s in sessions] == [
        (first + dt.timedelta(weeks=n), 10, 11) for n in range(4)
    ]
    # In UTC the hour moves with the clocks: the residence's 10 h is 9 h, then 8 h (or back).
    utc_hours = [s.starts_at.astimezone(dt.UTC).hour for s in sessions]
    assert utc_hours[0] != utc_hours[-1]
    # Every session holds the room at its own time; each has its own places.
    held = session.scalars(
        sa.select(Booking).where(Booking.room_id == room.id).order_by(Booking.start_at)
    ).all()
    assert [(b.origin_id, b.start_at) for b in held] == [(s.id, s.starts_at) for s in sessions]
    assert {s.series_id for s in sessions} == {series.id}


def test_every_two_weeks_and_the_dates_the_room_is_taken(session, house, create_room):
    residence, coord, people = house
    room = create_room(residence, by=coord.user)
    first = today_in(residence) + dt.timedelta(days=7)
    series, sessions = services.create_series(
        coord,
        _plan(residence, first, 14, 15),
        every=2,
        until=first + dt.timedelta(weeks=6),
    )
    assert [s.starts_at.astimezone(residence.tz).date() for s in sessions] == [
        first + dt.timedelta(weeks=n) for n in (0, 2, 4, 6)
    ]
    session.commit()
    # The room is taken on the third Tuesday: the series is refused, with that date.
    taken = first + dt.timedelta(weeks=2)
    services.create_activity(coord, _plan(residence, taken, 14, 15, room=room, title="Loto"))
    session.commit()
    with pytest.raises(services.RoomTakenOnDates) as refused:
        services.create_series(
            coord,
            _plan(residence, first, 14, 15, room=room),
            every=1,
            until=first + dt.timedelta(weeks=3),
        )
    assert refused.value.dates == [taken] and refused.value.field == "room"
    session.rollback()
    with pytest.raises(services.InvalidSeries):
        services.create_series(
            coord, _plan(residence, first, 14, 15), every=1, until=first + dt.timedelta(days=400)
        )
    with pytest.raises(services.InvalidSeries):
        services.create_series(coord, _plan(residence, first, 14, 15), every=5, until=first)


def test_postponing_a_session_keeps_everyone_and_moves_the_room(
    session, house, create_room, create_activity
):
    residence, coord, people = house
    room = create_room(residence, by=coord.user)
    activity = create_activity(
        residence, by=coord.user, room=room, place_kind=PlaceKind.ROOM, capacity=2, title="Jardin"
    )
    regs = [services.register(p, activity) for p in people[:3]]
    session.commit()
    thursday = today_in(residence) + dt.timedelta(days=3)
    new = local_period(
        residence,
        dt.datetime.combine(thursday, dt.time(10)),
        dt.datetime.combine(thursday, dt.time(12)),
    )
    services.postpone(coord, activity, new, "pluie")
    session.commit()
    assert (activity.starts_at, activity.ends_at) == (new.start, new.end)
    assert activity.is_postponed and activity.moved_reason == "pluie"
    for reg in regs:
        session.refresh(reg)
    assert [r.status for r in regs] == [CONFIRMED, CONFIRMED, WAITING]
    # The same booking of the room moved with it (nobody else can take that time).
    [held] = session.scalars(
        sa.select(Booking).where(
            Booking.room_id == room.id, Booking.status != BookingStatus.CANCELLED
        )
    ).all()
    assert (held.origin_id, held.start_at, held.end_at) == (activity.id, new.start, new.end)
    # Everyone registered is told, the waiting one too, with the reason and the new date.
    for person in people[:3]:
        [told] = _messages_of(session, person)
        assert told.subject == "Nouvelle date : Jardin"
        assert "Raison : pluie" in told.body and "Votre inscription est gardée" in told.body
    assert _messages_of(session, people[3]) == []
    # A date in the past, or a cancelled session, is refused.
    with pytest.raises(services.NotAhead):
        services.postpone(
            coord,
            activity,
            local_period(residence, *[dt.datetime(2020, 1, 1, h) for h in (9, 10)]),
            "",
        )
    with pytest.raises(NotAllowed):
        services.postpone(people[0], activity, new, "")


def test_changing_a_series_from_a_date_on(session, house, create_room):
    residence, coord, people = house
    room = create_room(residence, by=coord.user)
    first = today_in(residence) + dt.timedelta(days=1)
    series, sessions = services.create_series(
        coord,
        _plan(residence, first, 10, 11, room=room),
        every=1,
        until=first + dt.timedelta(weeks=3),
    )
    services.register(people[0], sessions[2])
    session.commit()
    third = sessions[2].starts_at.astimezone(residence.tz).date()
    changed = services.update_activity(
        coord,
        sessions[2],
        _plan(residence, third, 15, 16, room=room, title="Gym douce (nouvel horaire)", capacity=12),
        following=True,
    )
    session.commit()
    assert changed == sessions[2:]
    assert [_local_hours(residence, s)[1:] for s in sessions] == [
        (10, 11),
        (10, 11),
        (15, 16),
        (15, 16),
    ]
    assert [s.title for s in sessions[:2]] == ["Gym douce"] * 2
    assert {s.capacity for s in sessions[2:]} == {12}
    held = session.scalars(
        sa.select(Booking)
        .where(Booking.room_id == room.id, Booking.status != BookingStatus.CANCELLED)
        .order_by(Booking.start_at)
    ).all()
    assert [b.start_at for b in held] == [s.starts_at for s in sessions]
    [told] = _messages_of(session, people[0])
    assert "aura lieu le" in told.body and "Raison" not in told.body
    # One session only.
    services.update_activity(coord, sessions[0], _plan(residence, first, 9, 10, room=room))
    session.commit()
    assert _local_hours(residence, sessions[0])[1:] == (9, 10)
    assert _local_hours(residence, sessions[1])[1:] == (10, 11)


def test_calendars_are_told_of_each_change_by_the_sequence(session, house, create_activity):
    """Phones keep an activity's event until its SEQUENCE goes up: a change of time, place or
    title, a postponement, a cancellation raise it; more places or a sign-up do not."""
    residence, coord, people = house
    activity = create_activity(residence, by=coord.user, capacity=1)
    other = create_activity(residence, by=coord.user, title="Loto")
    assert activity.sequence == 0
    services.register(people[0], activity)
    services.change_places(coord, activity, capacity=3, helper_places=0)
    session.commit()
    assert activity.sequence == 0
    day = today_in(residence) + dt.timedelta(days=2)
    services.update_activity(coord, activity, _plan(residence, day, 15, 16, title="Gym"))
    session.commit()
    assert activity.sequence == 1
    thursday = day + dt.timedelta(days=1)
    new = local_period(
        residence,
        dt.datetime.combine(thursday, dt.time(10)),
        dt.datetime.combine(thursday, dt.time(11)),
    )
    services.postpone(coord, activity, new, "pluie")
    session.commit()
    assert activity.sequence == 2
    services.cancel_activity(coord, activity, "grippe")
    services.cancel_activity(coord, activity, "grippe")  # already cancelled: no change
    session.commit()
    assert activity.sequence == 3
    assert other.sequence == 0


# ---------------------------------------------------------------------------------------
# Residents' ideas.


def test_an_idea_approved_becomes_an_activity_its_proposer_organises(session, house):
    residence, coord, people = house
    idea = services.propose(
        people[0], title=" Atelier  tricot ", idea="On apporte sa laine.", when="le samedi"
    )
    assert (idea.title, idea.is_pending) == ("Atelier tricot", True)
    with pytest.raises(NotAllowed):  # a resident cannot approve
        services.approve_proposal(
            people[1], idea, _plan(residence, today_in(residence) + dt.timedelta(days=5), 14, 16)
        )
    day = today_in(residence) + dt.timedelta(days=5)
    activity = services.approve_proposal(
        coord, idea, _plan(residence, day, 14, 16, title="Atelier tricot")
    )
    session.commit()
    assert activity.organiser_kind == OrganiserKind.RESIDENT
    assert activity.organiser_id == people[0].id
    assert (idea.status.value, idea.activity_id) == ("approved", activity.id)
    [told] = _messages_of(session, people[0])
    assert told.subject == "Votre idée est au programme : Atelier tricot"
    assert "C'est vous qui l'organisez" in told.body
    # Answered once: a second answer is refused.
    with pytest.raises(services.ProposalAnswered):
        services.decline_proposal(coord, idea, "trop tard")


def test_an_idea_declined_says_why_to_its_proposer(session, house):
    residence, coord, people = house
    idea = services.propose(people[1], title="Sortie à la mer", idea="", when="en été")
    with pytest.raises(services.ActivityRefused) as refused:
        services.decline_proposal(coord, idea, "   ")
    assert refused.value.field == "answer"
    services.decline_proposal(coord, idea, "Le car coûte trop cher cette année.")
    session.commit()
    assert idea.status.value == "declined"
    [told] = _messages_of(session, people[1])
    assert "Pourquoi : Le car coûte trop cher cette année." in told.body
    assert [p.title for p in services.proposals_of(residence.id, member=people[1])] == [
        "Sortie à la mer"
    ]
    assert services.proposals_of(residence.id, member=people[0]) == []


def test_the_coordinator_may_take_a_booked_room_with_a_reason_told_to_the_resident(
    session, house, create_room, create_booking
):
    residence, coord, people = house
    room = create_room(residence, by=coord.user)
    day = today_in(residence) + dt.timedelta(days=2)
    booking = create_booking(
        people[0].user,
        room,
        dt.datetime.combine(day, dt.time(14)),
        dt.datetime.combine(day, dt.time(16)),
        purpose="Goûter",
    )
    session.commit()
    plan = _plan(residence, day, 15, 17, room=room, title="Loto de Noël")
    # Without a reason: refused, and what is in the way is said (a resident's: overridable).
    with pytest.raises(services.RoomNotFree) as refused:
        services.create_activity(coord, plan)
    assert [b.id for b in refused.value.clashes] == [booking.id]
    assert refused.value.overridable
    session.rollback()
    plan.room_override = "Loto de Noël de la résidence, prévu de longue date"
    activity = services.create_activity(coord, plan)
    session.commit()
    session.refresh(booking)
    assert booking.status == BookingStatus.CANCELLED
    held = session.scalars(
        sa.select(Booking).where(Booking.origin_id == activity.id, Booking.room_id == room.id)
    ).all()
    assert len(held) == 1 and held[0].status == BookingStatus.CONFIRMED
    [told] = _messages_of(session, people[0])
    assert "Loto de Noël de la résidence, prévu de longue date" in told.body
    assert session.scalar(
        sa.select(AuditEvent.id).where(AuditEvent.action == "activity.room_override")
    )
    # Another activity is never pushed out, reason or not.
    other = _plan(residence, day, 16, 17, room=room, title="Chorale")
    other.room_override = "urgent"
    with pytest.raises(services.RoomNotFree) as refused:
        services.create_activity(coord, other)
    assert not refused.value.overridable


def test_places_say_the_persons_own_registration_in_the_same_query(session, house, create_activity):
    residence, coord, people = house
    gym = create_activity(residence, by=coord.user, capacity=1, helper_places=1)
    loto = create_activity(residence, by=coord.user, title="Loto")
    services.register(people[1], gym)
    services.register(people[0], gym)  # waiting, second in the line
    services.register(people[2], gym, as_helper=True)
    services.register(people[2], loto)
    session.commit()
    places = services.places_of([gym, loto], people[0])
    mine = places[gym.id].mine
    assert (mine.role, mine.status) == (RegistrationRole.PARTICIPANT, WAITING)
    assert services.waiting_position(mine) == 1
    assert places[loto.id].mine is None
    assert (places[gym.id].confirmed, places[gym.id].waiting, places[gym.id].helpers) == (1, 1, 1)
    helper = services.places_of([gym, loto], people[2])
    assert (helper[gym.id].mine.role, helper[gym.id].mine.status) == (
        RegistrationRole.HELPER,
        CONFIRMED,
    )
    assert helper[loto.id].mine.status == CONFIRMED
    services.leave(people[0], gym)
    session.commit()
    assert services.places_of([gym], people[0])[gym.id].mine is None  # left: none
    assert services.places_of([gym])[gym.id].mine is None  # nobody asked


def test_people_of_an_activity_for_the_coordinator(session, house, create_activity):
    """Everyone registered in the order of active_registrations, with their home and who
    registered them; then the active members who are not, by name."""
    residence, coord, people = house
    people[3].home = Home(residence=residence, label="B12")
    activity = create_activity(residence, by=coord.user, capacity=2, helper_places=1)
    services.register(people[0], activity)
    services.register(coord, activity, for_member=people[1])
    services.register(people[2], activity)  # waiting
    services.register(people[3], activity, as_helper=True)
    services.register(people[4], activity)
    services.leave(people[4], activity)
    people[2].deactivated_at = utcnow()  # gone, but still on the list until removed
    people[5].deactivated_at = utcnow()
    session.commit()
    registered, others = services.people_of(activity)
    assert [p.membership_id for p in registered] == [
        r.membership_id for r in services.active_registrations(activity)
    ]
    assert [(p.name, p.home, p.role, p.status, p.on_behalf) for p in registered] == [
        (people[3].user.full_name, "B12", RegistrationRole.HELPER, CONFIRMED, False),
        (people[0].user.full_name, None, RegistrationRole.PARTICIPANT, CONFIRMED, False),
        (people[1].user.full_name, None, RegistrationRole.PARTICIPANT, CONFIRMED, True),
        (people[2].user.full_name, None, RegistrationRole.PARTICIPANT, WAITING, False),
    ]
    assert [p.membership_id for p in others] == sorted(
        [coord.id, people[4].id], key=lambda i: session.get(Membership, i).user.full_name.lower()
    )
    assert all(p.status is None and p.on_behalf is None for p in others)
