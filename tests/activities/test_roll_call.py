"""The roll call without HTTP: only the coordination marks who came, only once the session
has started and never for a cancelled one; someone who came without a registration is
added; and the month-by-month participation (sessions, people, attendances, hours)."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from app.activities import services
from app.activities.models import RegistrationRole, RegistrationStatus
from app.core.audit import AuditEvent
from app.core.errors import NotAllowed
from app.core.permissions import Role
from app.core.timeutils import to_utc
from tests.factories import member, today_in


@pytest.fixture
def house(create_residence, create_user):
    residence = create_residence("Armentières")
    coord = create_user("coord", residence=residence, role=Role.COORDINATOR)
    people = [
        create_user(f"habitant{n}", residence=residence, full_name=name)
        for n, name in enumerate(["Odette Leroy", "Jeanne Martin", "Karim Haddad", "Lucas Bernard"])
    ]
    return residence, member(coord, residence), [member(p, residence) for p in people]


def _started(create_activity, residence, coord, **fields):
    """A session of today that started at 0 h 05 (it is running, whatever the hour)."""
    today = today_in(residence)
    return create_activity(
        residence,
        by=coord.user,
        start=dt.datetime.combine(today, dt.time(0, 5)),
        end=dt.datetime.combine(today, dt.time(23, 55)),
        **fields,
    )


def _join_before(person, activity, **kw):
    """Register ``person`` as if it were a minute before the session started."""
    return services.register(
        person, activity, now=activity.starts_at - dt.timedelta(minutes=1), **kw
    )


def test_the_roll_call_opens_when_the_session_starts(session, house, create_activity):
    residence, coord, people = house
    coming = create_activity(residence, by=coord.user)
    services.register(people[0], coming)
    with pytest.raises(services.RollCallNotYet) as refused:
        services.mark_attendance(coord, coming, people[0], True)
    assert refused.value.status_code == 422
    assert "pas encore commencé" in str(refused.value.message)
    # At the start time it is open.
    registration = services.mark_attendance(coord, coming, people[0], True, now=coming.starts_at)
    assert registration.attended is True


def test_a_cancelled_session_has_no_roll_call(session, house, create_activity):
    residence, coord, people = house
    activity = _started(create_activity, residence, coord)
    _join_before(people[0], activity)
    services.cancel_activity(coord, activity, "animatrice malade")
    with pytest.raises(services.RollCallCancelled) as refused:
        services.mark_attendance(coord, activity, people[0], True)
    assert refused.value.status_code == 409


def test_only_the_coordination_of_the_residence_marks(
    session, house, create_activity, create_residence, create_user
):
    residence, coord, people = house
    activity = _started(create_activity, residence, coord)
    _join_before(people[0], activity)
    with pytest.raises(NotAllowed):
        services.mark_attendance(people[1], activity, people[0], True)
    committee = member(create_user("comite", residence=residence, role=Role.COMMITTEE), residence)
    with pytest.raises(NotAllowed):
        services.mark_attendance(committee, activity, people[0], True)
    elsewhere = create_residence("Bézu")
    other_coord = member(create_user("coord.bezu", residence=elsewhere, role=Role.COORDINATOR))
    stranger = member(create_user("marcel", residence=elsewhere))
    with pytest.raises(NotAllowed):
        services.mark_attendance(other_coord, activity, people[0], True)
    with pytest.raises(NotAllowed):
        services.mark_attendance(coord, activity, stranger, True)
    # Landlord staff are coordinators too (roles are cumulative).
    landlord = member(
        create_user("bailleur", residence=residence, role=Role.LANDLORD_ADMIN), residence
    )
    assert services.mark_attendance(landlord, activity, people[0], True).attended is True


def test_marking_twice_changes_nothing_and_each_change_is_recorded(session, house, create_activity):
    residence, coord, people = house
    activity = _started(create_activity, residence, coord)
    registration = _join_before(people[0], activity)
    assert registration.attended is None  # not marked yet
    services.mark_attendance(coord, activity, people[0], True)
    services.mark_attendance(coord, activity, people[0], True)  # a double tap
    assert registration.attended is True
    services.mark_attendance(coord, activity, people[0], False)  # a mistake, corrected
    assert registration.attended is False
    events = list(
        session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.action == "activity.attendance")
            .order_by(AuditEvent.id)
        )
    )
    assert [e.details for e in events] == [
        f"user {people[0].user_id} came",
        f"user {people[0].user_id} did not come",
    ]
    assert all(e.actor_id == coord.user_id and e.target_id == activity.id for e in events)


def test_someone_who_came_without_a_place_counts(session, house, create_activity):
    residence, coord, people = house
    activity = _started(create_activity, residence, coord, capacity=1)
    _join_before(people[0], activity)
    waiting = _join_before(people[1], activity)
    assert waiting.status == RegistrationStatus.WAITING
    # On the waiting list, came anyway: marked, still on the list.
    services.mark_attendance(coord, activity, people[1], True)
    assert waiting.attended is True and waiting.status == RegistrationStatus.WAITING
    # Not registered at all: "did not come" changes nothing; "came" adds them.
    assert services.mark_attendance(coord, activity, people[2], False) is None
    added = services.mark_attendance(coord, activity, people[2], True)
    assert added.status == RegistrationStatus.CONFIRMED
    assert added.role == RegistrationRole.PARTICIPANT
    assert added.attended is True and added.registered_by_id == coord.user_id
    event = session.scalar(
        sa.select(AuditEvent)
        .where(AuditEvent.action == "activity.attendance")
        .order_by(AuditEvent.id.desc())
    )
    assert event.details == f"user {people[2].user_id} came (not registered)"
    # The roll call: places by name, then the waiting list.
    names = [r.membership.user.full_name for r in services.roll_call(activity)]
    assert names == ["Karim Haddad", "Odette Leroy", "Jeanne Martin"]


def test_a_person_who_left_and_came_anyway_gets_a_place_back(session, house, create_activity):
    residence, coord, people = house
    activity = _started(create_activity, residence, coord)
    before = activity.starts_at - dt.timedelta(minutes=5)
    services.register(people[0], activity, now=before)
    left = services.leave(people[0], activity, now=before)
    assert left.status == RegistrationStatus.LEFT
    back = services.mark_attendance(coord, activity, people[0], True)
    assert back.id == left.id
    assert back.status == RegistrationStatus.CONFIRMED and back.attended is True


# ---------------------------------------------------------------------------------------
# Month by month


def _session(create_activity, residence, coord, start, minutes, **fields):
    return create_activity(
        residence,
        by=coord.user,
        start=start,
        end=start + dt.timedelta(minutes=minutes),
        **fields,
    )


def _came(coord, activity, present, absent=(), helpers=()):
    """Register everyone before the start, then take the roll call after it."""
    for person in (*present, *absent):
        _join_before(person, activity)
    for person in helpers:
        _join_before(person, activity, as_helper=True)
    after = activity.starts_at + dt.timedelta(minutes=10)
    for person in (*present, *helpers):
        services.mark_attendance(coord, activity, person, True, now=after)
    for person in absent:
        services.mark_attendance(coord, activity, person, False, now=after)


def test_participation_month_by_month(session, house, create_activity, create_user):
    residence, coord, people = house
    odette, jeanne, karim, lucas = people
    student = member(create_user("etudiante", residence=residence), residence)
    local = dt.datetime
    # February: two sessions. 3 came (1 did not) for 1 h 30; 1 + a helper for 2 h.
    gym = _session(create_activity, residence, coord, local(2025, 2, 10, 14), 90)
    _came(coord, gym, present=[odette, jeanne, karim], absent=[lucas])
    cooking = _session(
        create_activity, residence, coord, local(2025, 2, 20, 10), 120, helper_places=2
    )
    _came(coord, cooking, present=[odette], helpers=[student])
    # Cancelled after the roll call: not a session held.
    rain = _session(create_activity, residence, coord, local(2025, 2, 25, 10), 60)
    _came(coord, rain, present=[lucas])
    services.cancel_activity(coord, rain, "pluie")
    # 00:30 on 1 March in France is still 28 February in UTC: it is March's.
    stars = _session(create_activity, residence, coord, local(2025, 3, 1, 0, 30), 60)
    _came(coord, stars, present=[lucas])
    # A session nobody was marked for still counts as held.
    _session(create_activity, residence, coord, local(2025, 3, 12, 10), 60)
    # Another year, and a session after "now": not counted.
    _came(coord, _session(create_activity, residence, coord, local(2024, 12, 3, 10), 60), [jeanne])
    later = _session(create_activity, residence, coord, local(2025, 4, 20, 10), 60)
    services.register(karim, later, now=later.starts_at - dt.timedelta(days=1))
    session.commit()

    now = to_utc(local(2025, 4, 15, 12), residence.tz)
    months, total = services.monthly_counts(residence.id, 2025, now=now)
    assert [m.month for m in months] == [1, 2, 3, 4]  # up to this month
    january, february, march, april = months
    assert (january.sessions, january.participants, january.attendances) == (0, 0, 0)
    assert (february.sessions, february.participants, february.attendances) == (2, 4, 5)
    assert february.minutes == 3 * 90 + 2 * 120 and february.hours == 8.5
    assert (march.sessions, march.participants, march.attendances, march.hours) == (2, 1, 1, 1)
    assert (april.sessions, april.attendances) == (0, 0)
    # The year: people counted once, however many months they came.
    assert (total.sessions, total.participants, total.attendances) == (4, 5, 6)
    assert total.minutes == february.minutes + 60

    # A past year has its twelve months; a year to come has none yet.
    months, total = services.monthly_counts(residence.id, 2024, now=now)
    assert len(months) == 12 and months[11].attendances == 1 and total.participants == 1
    assert services.monthly_counts(residence.id, 2026, now=now) == (
        [],
        services.Participation(None),
    )


def test_participation_is_the_residences_own(
    session, house, create_activity, create_residence, create_user
):
    residence, coord, people = house
    elsewhere = create_residence("Bézu")
    other = member(create_user("coord.bezu", residence=elsewhere, role=Role.COORDINATOR))
    marcel = member(create_user("marcel", residence=elsewhere))
    start = dt.datetime(2025, 6, 3, 10)
    _came(coord, _session(create_activity, residence, coord, start, 60), [people[0]])
    _came(other, _session(create_activity, elsewhere, other, start, 60), [marcel])
    now = to_utc(dt.datetime(2025, 12, 31, 12), residence.tz)
    _months, total = services.monthly_counts(residence.id, 2025, now=now)
    assert (total.sessions, total.participants, total.attendances) == (1, 1, 1)
