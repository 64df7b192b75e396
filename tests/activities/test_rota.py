"""The garden's watering rota without HTTP: the coordinator's season (made once, whatever
the number of times it is sent), claiming a slot (two claims of one slot: the database
gives it to one), giving it back, the hand-over (offered, accepted by a neighbour, both
told in their language), slots that have started, and the slots nobody will water soon."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from app.activities import services
from app.activities.models import WateringSlot, short_name
from app.core.audit import AuditEvent
from app.core.db import utcnow
from app.core.errors import NotAllowed
from app.core.permissions import Role
from app.core.timeutils import to_utc
from app.messages.models import Message
from tests.conftest import at_once
from tests.factories import member, today_in

MORNING = (dt.time(8), dt.time(8, 30))
EVENING = (dt.time(19), dt.time(19, 30))


@pytest.fixture
def garden(create_residence, create_user):
    """Armentières, its coordinator, and three residents (Jeanne reads in English)."""
    residence = create_residence("Armentières")
    coord = create_user("coord", residence=residence, role=Role.COORDINATOR)
    names = [("Marie Dupont", "fr"), ("Jeanne Martin", "en"), ("Karim Haddad", "fr")]
    people = [
        create_user(f"habitant{n}", residence=residence, full_name=name, locale=locale)
        for n, (name, locale) in enumerate(names)
    ]
    return residence, member(coord, residence), [member(p, residence) for p in people]


def _season(session, residence, coord, days=3, hours=(MORNING, EVENING)):
    """Slots from tomorrow on, for ``days`` days: what the tests work on."""
    tomorrow = today_in(residence) + dt.timedelta(days=1)
    services.create_slots(
        coord, tomorrow, tomorrow + dt.timedelta(days=days - 1), list(hours), note="Abri"
    )
    session.commit()
    return services.rota(residence, tomorrow, tomorrow + dt.timedelta(days=days - 1))


def _messages_of(session, membership):
    return list(
        session.scalars(
            sa.select(Message).where(Message.membership_id == membership.id).order_by(Message.id)
        )
    )


def _started(slot):
    return to_utc(slot.local_start(), slot.residence.tz) + dt.timedelta(minutes=1)


# -- the season ---------------------------------------------------------------------------


def test_the_season_is_made_in_one_go_and_twice_makes_nothing_twice(session, garden):
    residence, coord, people = garden
    tomorrow = today_in(residence) + dt.timedelta(days=1)
    last = tomorrow + dt.timedelta(days=9)
    season = services.create_slots(coord, tomorrow, last, [MORNING, EVENING])
    assert (season.created, season.existing) == (20, 0)
    slots = services.rota(residence, tomorrow, last)
    assert [(s.day, s.starts, s.ends) for s in slots[:3]] == [
        (tomorrow, dt.time(8), dt.time(8, 30)),
        (tomorrow, dt.time(19), dt.time(19, 30)),
        (tomorrow + dt.timedelta(days=1), dt.time(8), dt.time(8, 30)),
    ]
    assert all(s.is_free for s in slots)
    services.claim(people[0], slots[0])
    # Sent again (a double tap), or again with a longer season: nothing twice, and the
    # slot already taken keeps its holder.
    again = services.create_slots(coord, tomorrow, last + dt.timedelta(days=1), [MORNING, EVENING])
    assert (again.created, again.existing) == (2, 20)
    assert len(services.rota(residence, tomorrow, last + dt.timedelta(days=1))) == 22
    session.refresh(slots[0])
    assert slots[0].holder_id == people[0].id
    events = session.scalars(
        sa.select(AuditEvent.details).where(AuditEvent.action == "rota.season")
    )
    assert list(events)[-1].endswith("2 new, 20 kept")


def test_the_database_refuses_a_second_slot_at_the_same_time(session, garden):
    residence, coord, _people = garden
    (slot, *_rest) = _season(session, residence, coord, days=1)
    session.add(
        WateringSlot(
            residence_id=residence.id,
            day=slot.day,
            starts=slot.starts,
            ends=dt.time(9),
            created_by_id=coord.user_id,
        )
    )
    with pytest.raises(sa.exc.IntegrityError):
        session.flush()
    session.rollback()


def test_only_the_coordination_makes_the_season(session, garden):
    residence, coord, people = garden
    tomorrow = today_in(residence) + dt.timedelta(days=1)
    with pytest.raises(NotAllowed):
        services.create_slots(people[0], tomorrow, tomorrow, [EVENING])
    assert services.rota(residence, tomorrow, tomorrow) == []


def test_a_season_that_does_not_hold_together_is_refused_with_its_field(session, garden):
    residence, coord, _people = garden
    today = today_in(residence)
    tomorrow = today + dt.timedelta(days=1)
    cases = [
        ((tomorrow, today, [EVENING]), services.InvalidSeason, "last_day"),
        ((today - dt.timedelta(days=1), tomorrow, [EVENING]), services.NotAhead, "first_day"),
        (
            (tomorrow, tomorrow + dt.timedelta(days=200), [EVENING]),
            services.SeasonTooLong,
            "last_day",
        ),
        ((tomorrow, tomorrow, []), services.NoHours, "hours"),
        (
            (tomorrow, tomorrow, [MORNING, EVENING, (dt.time(12), dt.time(13))]),
            services.NoHours,
            "hours",
        ),
        (
            (tomorrow, tomorrow, [MORNING, (dt.time(19), dt.time(18))]),
            services.InvalidHours,
            "hours_1",
        ),
    ]
    for args, error, field in cases:
        with pytest.raises(error) as refused:
            services.create_slots(coord, *args)
        assert refused.value.status_code == 422
        assert refused.value.field == field
    assert services.rota(residence, today, tomorrow + dt.timedelta(days=200)) == []


def test_slots_of_today_already_begun_are_not_made(session, garden):
    residence, coord, _people = garden
    today = today_in(residence)
    noon = to_utc(dt.datetime.combine(today, dt.time(12)), residence.tz)
    season = services.create_slots(coord, today, today, [MORNING, EVENING], now=noon)
    assert (season.created, season.existing) == (1, 0)
    assert [s.starts for s in services.rota(residence, today, today)] == [dt.time(19)]


# -- claiming and giving back -------------------------------------------------------------


def test_a_resident_claims_a_free_slot_and_a_second_tap_changes_nothing(session, garden):
    residence, coord, people = garden
    slot, *_ = _season(session, residence, coord, days=1)
    assert services.claim(people[0], slot).holder_id == people[0].id
    assert services.claim(people[0], slot).holder_id == people[0].id
    claimed = session.scalar(
        sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action == "rota.claimed")
    )
    assert claimed == 1
    with pytest.raises(services.SlotAlreadyTaken) as refused:
        services.claim(people[1], slot)
    assert refused.value.status_code == 409
    assert "Un voisin vient de prendre ce créneau" in str(refused.value.message)


def test_two_claims_of_one_slot_the_database_gives_it_to_one(session, garden):
    """The second person's page still showed the slot free: the service does not trust
    what it was given, the UPDATE ... WHERE holder IS NULL finds nothing to change."""
    residence, coord, people = garden
    slot, *_ = _season(session, residence, coord, days=1)
    # Karim's request read the slot while it was free…
    assert slot.holder_id is None
    # …and Marie's claim went through first (another request, straight in the database).
    session.execute(
        sa.update(WateringSlot)
        .where(WateringSlot.id == slot.id)
        .values(holder_id=people[0].id)
        .execution_options(synchronize_session=False)
    )
    assert slot.holder_id is None  # Karim's copy is out of date
    with pytest.raises(services.SlotAlreadyTaken):
        services.claim(people[2], slot)
    assert slot.holder_id == people[0].id
    holders = session.scalars(sa.select(WateringSlot.holder_id).where(WateringSlot.id == slot.id))
    assert list(holders) == [people[0].id]


def test_the_holder_gives_the_slot_back_and_nobody_is_told(session, garden):
    residence, coord, people = garden
    slot, *_ = _season(session, residence, coord, days=1)
    services.claim(people[0], slot)
    with pytest.raises(services.NotYourSlot):
        services.release(people[1], slot)  # not theirs to give back
    services.release(people[0], slot)
    assert slot.is_free and slot.offered_at is None
    services.release(people[0], slot)  # a second tap: nothing
    assert _messages_of(session, people[0]) == []
    assert services.claim(people[1], slot).holder_id == people[1].id


def test_a_slot_held_by_someone_who_left_the_residence_is_free(session, garden):
    residence, coord, people = garden
    slot, *_ = _season(session, residence, coord, days=1)
    services.claim(people[0], slot)
    people[0].deactivated_at = utcnow()
    session.flush()
    assert slot.is_free and slot.state_for(people[1]) == "free"
    assert slot in services.empty_soon(residence, slot.day)
    assert services.claim(people[1], slot).holder_id == people[1].id


# -- the hand-over ------------------------------------------------------------------------


def test_offered_then_accepted_by_a_neighbour_both_are_told_in_their_language(session, garden):
    residence, coord, people = garden
    marie, jeanne, _karim = people
    slot = _season(session, residence, coord, days=1)[1]  # tomorrow evening
    services.claim(marie, slot)
    services.offer(marie, slot)
    # Offered, it is still Marie's until someone takes it.
    assert slot.holder_id == marie.id and slot.is_offered
    assert slot.state_for(marie) == "mine_offered" and slot.state_for(jeanne) == "offered"
    services.offer(marie, slot)  # a second tap: nothing
    services.accept(jeanne, slot)
    session.commit()
    assert slot.holder_id == jeanne.id and not slot.is_offered
    (to_marie,) = _messages_of(session, marie)
    assert to_marie.subject == "Arrosage : Jeanne M. vous remplace"
    assert "Jeanne M. arrosera le jardin à votre place le " in to_marie.body
    assert "de 19 h à 19 h 30" in to_marie.body.replace("\u00a0", " ")
    (to_jeanne,) = _messages_of(session, jeanne)
    assert to_jeanne.subject == "Watering: you are standing in for Marie D."
    assert "7\u00a0pm" in to_jeanne.body and "Abri" in to_jeanne.body
    assert to_marie.target == ("activities.garden", {"_anchor": f"slot-{slot.id}"})
    handed = session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "rota.handed_over"))
    assert handed.actor_id == jeanne.user_id and handed.details == f"from user {marie.user_id}"
    # A second tap of Jeanne's changes nothing and tells nobody again.
    services.accept(jeanne, slot)
    assert len(_messages_of(session, marie)) == 1


def test_an_offer_taken_by_someone_quicker_or_withdrawn_is_said(session, garden):
    residence, coord, people = garden
    marie, jeanne, karim = people
    slot = _season(session, residence, coord, days=1)[0]
    with pytest.raises(services.NotYourSlot):
        services.offer(marie, slot)  # not hers
    services.claim(marie, slot)
    with pytest.raises(services.NotOffered):
        services.accept(jeanne, slot)  # Marie has not offered it
    services.offer(marie, slot)
    with pytest.raises(services.OwnSlot):
        services.accept(marie, slot)
    services.accept(jeanne, slot)
    with pytest.raises(services.NotOffered) as refused:
        services.accept(karim, slot)  # Jeanne was quicker
    assert refused.value.status_code == 409
    with pytest.raises(services.NotYourSlot):
        services.withdraw_offer(marie, slot)  # too late: Jeanne has it
    # Jeanne offers it in turn, then goes after all.
    services.offer(jeanne, slot)
    services.withdraw_offer(jeanne, slot)
    assert slot.holder_id == jeanne.id and not slot.is_offered
    with pytest.raises(services.NotOffered):
        services.accept(karim, slot)


def test_an_offered_slot_given_back_meanwhile_is_simply_taken(session, garden):
    residence, coord, people = garden
    marie, jeanne, _karim = people
    slot = _season(session, residence, coord, days=1)[0]
    services.claim(marie, slot)
    services.offer(marie, slot)
    services.release(marie, slot)
    services.accept(jeanne, slot)  # her page still said "Marie D. ne peut pas y aller"
    assert slot.holder_id == jeanne.id
    assert _messages_of(session, marie) == [] and _messages_of(session, jeanne) == []


# -- time and place -----------------------------------------------------------------------


def test_a_slot_that_has_begun_cannot_change(session, garden):
    residence, coord, people = garden
    free, held = _season(session, residence, coord, days=1)
    services.claim(people[0], held)
    services.offer(people[0], held)
    late = _started(held)
    for call, slot, who in [
        (services.claim, free, people[1]),
        (services.release, held, people[0]),
        (services.offer, held, people[0]),
        (services.withdraw_offer, held, people[0]),
        (services.accept, held, people[1]),
    ]:
        with pytest.raises(services.SlotPast) as refused:
            call(who, slot, now=late)
        assert refused.value.status_code == 422
    assert held.holder_id == people[0].id and free.is_free


def test_another_residences_people_cannot_touch_the_slots(
    session, garden, create_residence, create_user
):
    residence, coord, _people = garden
    slot, *_ = _season(session, residence, coord, days=1)
    elsewhere = create_residence("Bézu")
    stranger = member(create_user("marcel", residence=elsewhere))
    other_coord = member(create_user("coord.bezu", residence=elsewhere, role=Role.COORDINATOR))
    for who in (stranger, other_coord):
        with pytest.raises(NotAllowed):
            services.claim(who, slot)
    assert slot.is_free


def test_the_coordinator_is_warned_of_the_slots_nobody_will_water(session, garden):
    residence, coord, people = garden
    slots = _season(session, residence, coord, days=5)
    for slot in slots:
        services.claim(people[2], slot)
    first_day = slots[0].day
    # Tomorrow evening is given back, the day after's morning offered and not taken, the
    # fourth day's empty (beyond the three days).
    services.release(people[2], slots[1])
    services.offer(people[2], slots[2])
    services.release(people[2], slots[6])
    empty = services.empty_soon(residence, first_day)
    assert empty == [slots[1], slots[2]]
    assert [s.needs_someone for s in empty] == [True, True]
    # Once a slot has begun it is too late to find someone: it leaves the list.
    assert services.empty_soon(residence, first_day, now=_started(slots[1])) == [slots[2]]
    # Taken over: nothing left to warn about.
    services.accept(people[0], slots[2])
    services.claim(people[1], slots[1])
    assert services.empty_soon(residence, first_day) == []


def test_short_names_say_who_without_the_whole_name():
    assert short_name("Marie Dupont") == "Marie D."
    assert short_name("Jean-Pierre de la Fontaine") == "Jean-Pierre F."
    assert short_name("Odette") == "Odette"


# -- the coordination puts someone on a slot ------------------------------------------------


def test_the_coordination_puts_a_neighbour_on_a_free_slot_who_is_told(session, garden):
    residence, coord, people = garden
    marie, _jeanne, _karim = people
    slot = _season(session, residence, coord, days=1)[0]
    services.assign(coord, slot, marie)
    session.commit()
    assert slot.holder_id == marie.id and not slot.needs_someone
    (told,) = _messages_of(session, marie)
    assert told.subject == "Arrosage : la coordination vous a inscrit"
    assert "C'est noté : vous arrosez le jardin le " in told.body and "Abri" in told.body
    assigned = session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "rota.assigned"))
    assert assigned.actor_id == coord.user_id and assigned.details == f"for user {marie.user_id}"
    # The same person again: nothing changes, nobody is told twice.
    services.assign(coord, slot, marie)
    assert len(_messages_of(session, marie)) == 1


def test_an_offered_slot_put_on_someone_else_tells_both(session, garden):
    residence, coord, people = garden
    marie, jeanne, _karim = people
    slot = _season(session, residence, coord, days=1)[0]
    services.claim(marie, slot)
    services.offer(marie, slot)
    services.assign(coord, slot, jeanne)
    session.commit()
    assert slot.holder_id == jeanne.id and not slot.is_offered
    (to_marie,) = _messages_of(session, marie)
    assert to_marie.subject == "Arrosage : Jeanne M. vous remplace"
    (to_jeanne,) = _messages_of(session, jeanne)
    assert to_jeanne.subject == "Watering: the coordination has put you down"


def test_the_coordination_cannot_put_someone_on_a_held_or_begun_slot(
    session, garden, create_residence, create_user
):
    residence, coord, people = garden
    marie, jeanne, karim = people
    held, free = _season(session, residence, coord, days=1)
    services.claim(marie, held)
    with pytest.raises(services.SlotAlreadyTaken) as refused:
        services.assign(coord, held, jeanne)  # Marie goes: ask her first
    assert refused.value.status_code == 409 and held.holder_id == marie.id
    with pytest.raises(services.SlotPast):
        services.assign(coord, free, jeanne, now=_started(free))
    with pytest.raises(NotAllowed):
        services.assign(karim, free, jeanne)  # a resident cannot put a neighbour down
    elsewhere = create_residence("Bézu")
    stranger = member(create_user("marcel", residence=elsewhere))
    with pytest.raises(NotAllowed):
        services.assign(coord, free, stranger)  # not of this residence
    assert free.is_free and _messages_of(session, jeanne) == []


# -- the coordination removes a slot ---------------------------------------------------------


def _gone(session, slot_id) -> bool:
    return session.get(WateringSlot, slot_id) is None


def test_a_removed_slot_is_gone_and_its_holder_is_told_with_the_reason(session, garden):
    residence, coord, people = garden
    marie, jeanne, _karim = people
    held, free, offered = _season(session, residence, coord, days=2)[:3]
    services.claim(marie, held)
    services.claim(jeanne, offered)
    services.offer(jeanne, offered)
    ids = held.id, free.id, offered.id
    assert services.remove_slot(coord, held, reason="  Pluie   annoncée ") == marie
    assert services.remove_slot(coord, free) is None
    assert services.remove_slot(coord, offered) == jeanne  # offered, not taken: still hers
    session.commit()
    assert all(_gone(session, slot_id) for slot_id in ids)
    (to_marie,) = _messages_of(session, marie)
    assert to_marie.subject == "Arrosage : votre créneau est annulé"
    assert "vous n'avez pas à y aller" in to_marie.body
    assert to_marie.body.endswith("La raison : Pluie annoncée")
    (to_jeanne,) = _messages_of(session, jeanne)  # in English, and without a reason
    assert to_jeanne.subject == "Watering: your turn is cancelled"
    assert "reason" not in to_jeanne.body
    removed = session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "rota.removed").order_by(AuditEvent.id)
    ).all()
    assert len(removed) == 3 and f"held by user {marie.user_id}" in removed[0].details
    assert removed[0].actor_id == coord.user_id


def test_only_the_coordination_removes_a_slot_and_not_once_begun(session, garden):
    residence, coord, people = garden
    marie, _jeanne, karim = people
    slot = _season(session, residence, coord, days=1)[0]
    services.claim(marie, slot)
    with pytest.raises(NotAllowed):
        services.remove_slot(karim, slot)
    with pytest.raises(services.SlotPast):
        services.remove_slot(coord, slot, now=_started(slot))
    session.commit()
    assert not _gone(session, slot.id) and slot.holder_id == marie.id
    assert _messages_of(session, marie) == []


def test_a_tap_on_a_slot_removed_meanwhile_is_told_not_an_error(session, garden):
    """The page was loaded before the coordination removed the slot: every tap on it, and
    the coordination's own forms, say it is gone (409), never a server error."""
    residence, coord, people = garden
    marie, jeanne, _karim = people
    slots = _season(session, residence, coord, days=2)
    services.claim(jeanne, slots[1])
    services.offer(jeanne, slots[1])
    session.commit()
    for slot in slots[:2]:
        session.execute(
            sa.delete(WateringSlot)
            .where(WateringSlot.id == slot.id)
            .execution_options(synchronize_session=False)
        )
    for tap in (services.claim, services.release, services.offer, services.accept):
        with pytest.raises(services.SlotGone) as told:
            tap(marie, slots[0])
        assert told.value.status_code == 409
    with pytest.raises(services.SlotGone):
        services.withdraw_offer(jeanne, slots[1])
    with pytest.raises(services.SlotGone):
        services.assign(coord, slots[0], marie)
    with pytest.raises(services.SlotGone):
        services.remove_slot(coord, slots[1])
    assert _messages_of(session, marie) == _messages_of(session, jeanne) == []


# -- the reminder the day before ------------------------------------------------------------


def _starts(slot):
    return to_utc(slot.local_start(), slot.residence.tz)


def test_each_holder_is_reminded_once_the_day_before(session, garden):
    residence, coord, people = garden
    marie, jeanne, karim = people
    morning, evening, free, _free_evening = _season(session, residence, coord, days=2)
    services.claim(marie, morning)
    services.claim(jeanne, evening)
    services.offer(jeanne, evening)  # offered, nobody has taken it: still hers
    session.commit()
    # Two days ahead: nothing yet.
    assert services.remind_holders(now=_starts(morning) - dt.timedelta(hours=30)) == 0
    # 20 hours before the morning turn, and 9 before the evening one: both reminded.
    now = _starts(morning) - dt.timedelta(hours=20)
    assert services.remind_holders(now=now) == 1  # the evening is 31 h away: not yet
    now = _starts(evening) - dt.timedelta(hours=9)
    assert services.remind_holders(now=now) == 1
    (to_marie,) = _messages_of(session, marie)
    assert to_marie.subject.startswith("Rappel : vous arrosez le jardin le ")
    assert "de 8 h à 8 h 30" in to_marie.subject.replace("\u00a0", " ")
    assert "proposez le créneau sur la page de l'arrosage" in to_marie.body
    assert "Abri" in to_marie.body
    assert to_marie.target == ("activities.garden", {"_anchor": f"slot-{morning.id}"})
    (to_jeanne,) = _messages_of(session, jeanne)  # in English, and her offer is said
    assert to_jeanne.subject.startswith("Reminder: you water the garden on ")
    assert "nobody has taken it yet: it is still yours" in to_jeanne.body
    # Run again (cron every hour): nobody is told twice; free turns tell nobody.
    assert services.remind_holders(now=now + dt.timedelta(hours=1)) == 0
    assert _messages_of(session, karim) == [] and free.is_free


def test_a_turn_taken_within_the_hour_is_not_reminded(session, garden):
    residence, coord, people = garden
    slot = _season(session, residence, coord, days=1)[0]
    services.claim(people[0], slot)
    session.commit()
    assert services.remind_holders(now=_starts(slot) - dt.timedelta(minutes=40)) == 0
    assert _messages_of(session, people[0]) == []


def test_the_rota_reminder_command(app, session, garden):
    residence, coord, people = garden
    slot = _season(session, residence, coord, days=1)[0]
    services.claim(people[0], slot)
    session.commit()
    if not utcnow() + services.REMIND_LATE <= _starts(slot) <= utcnow() + services.REMIND_AHEAD:
        pytest.skip("tomorrow morning is not within the next 24 hours at this time of day")
    result = app.test_cli_runner().invoke(args=["rota-reminders"])
    assert result.exit_code == 0, result.output
    assert "1 watering reminder(s) left" in result.output
    assert len(_messages_of(session, people[0])) == 1


@pytest.mark.committed
def test_two_servers_sending_rota_reminders_at_once_send_each_once(
    session, create_residence, create_user, other_app
):
    residence = create_residence("Armentières")
    coord = member(create_user("coord", residence=residence, role=Role.COORDINATOR), residence)
    people = [member(create_user(f"p{n}", residence=residence), residence) for n in range(6)]
    slots = _season(session, residence, coord, days=3)
    for slot, person in zip(slots, people, strict=True):
        services.claim(person, slot)
    session.commit()
    now = _starts(slots[0]) - dt.timedelta(hours=12)  # the first two days' turns are due
    due = sum(
        1 for s in slots if now + services.REMIND_LATE <= _starts(s) <= now + services.REMIND_AHEAD
    )
    results = at_once([other_app(), other_app()], lambda: services.remind_holders(now=now))
    assert sum(results) == due == 2
    session.expire_all()
    assert session.scalar(sa.select(sa.func.count(Message.id))) == due
