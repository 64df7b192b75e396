"""Personal data rights through the services: "Mes données", leaving and being forgotten,
retention. On SQLite and PostgreSQL (TEST_DATABASE_URL)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa

from app.activities import services as activities
from app.activities.models import Activity, Registration, RegistrationStatus
from app.bookings.models import Booking, BookingStatus
from app.core.audit import AuditEvent, AuditSummary, record
from app.core.db import utcnow
from app.core.errors import NotAllowed
from app.core.permissions import Role
from app.extensions import db
from app.messages.models import Message
from app.privacy import services as privacy
from app.privacy.registry import SECTIONS
from app.privacy.services import LeftReason
from app.residences.models import Membership
from app.residents import services as residents
from app.residents.models import Invitation
from app.users import services as users
from app.users.models import User
from app.votes.models import (
    Ballot,
    Electorate,
    Majority,
    Participation,
    Proposal,
    ProposalComment,
    ProposalStatus,
    Vote,
)
from tests.factories import PASSWORD, member, today_in

NAME = "Gisèle Vandermeersch"
USERNAME = "gisele.vdm"
EMAIL = "gisele.vdm@example.org"
PHONE = "06 12 34 56 78"


@pytest.fixture
def gisele(create_residence, create_user, create_room, create_booking, create_activity, session):
    """A resident with a past and a future: bookings (one past, one to come), an activity
    attended last week, one to come with a waiting list behind her, a watering turn to come,
    a message, a public and a secret vote taken part in, an invitation."""
    residence = create_residence("Armentières")
    coord = create_user("coord", residence=residence, role=Role.COORDINATOR)
    me = create_user(
        USERNAME,
        residence=residence,
        home="B12",
        full_name=NAME,
        email=EMAIL,
        phone=PHONE,
    )
    neighbour = create_user("voisin", residence=residence, home="B13")
    room = create_room(residence, by=coord, name="Salle commune")
    tomorrow = today_in(residence) + dt.timedelta(days=1)
    at = lambda day, hour: dt.datetime.combine(day, dt.time(hour))  # noqa: E731
    past = create_booking(
        me, room, at(tomorrow, 10), at(tomorrow, 11), purpose=f"Anniversaire {NAME}"
    )
    coming = create_booking(me, room, at(tomorrow, 15), at(tomorrow, 16), purpose="Thé")
    # The first one happened last week.
    week = dt.timedelta(days=7)
    session.execute(
        sa.update(Booking)
        .where(Booking.id == past.id)
        .values(
            start_at=past.start_at - week,
            end_at=past.end_at - week,
            block_end_at=past.block_end_at - week,
        )
    )
    held = create_activity(residence, by=coord, title="Gym douce")
    activities.register(member(me, residence), held)
    session.commit()
    session.execute(
        sa.update(Activity)
        .where(Activity.id == held.id)
        .values(starts_at=held.starts_at - week, ends_at=held.ends_at - week)
    )
    session.execute(
        sa.update(Registration).where(Registration.activity_id == held.id).values(attended=True)
    )
    full = create_activity(residence, by=coord, title="Sortie", capacity=1)
    activities.register(member(me, residence), full)
    activities.register(member(neighbour, residence), full)
    activities.create_slots(
        member(coord, residence), tomorrow, tomorrow, [(dt.time(8), dt.time(9))]
    )
    session.commit()
    from app.activities.models import WateringSlot

    slot = session.scalar(sa.select(WateringSlot).where(WateringSlot.residence_id == residence.id))
    activities.claim(member(me, residence), slot)
    proposal = Proposal(
        residence_id=residence.id,
        author_id=member(me, residence).id,
        title="Pas de bruit après 22 h",
        status=ProposalStatus.ADOPTED,
    )
    session.add(proposal)
    session.flush()
    session.add_all(
        [
            ProposalComment(proposal_id=proposal.id, author_id=proposal.author_id, text="Enfin !"),
            ProposalComment(
                proposal_id=proposal.id,
                author_id=proposal.author_id,
                text="Les jeunes, au lit !",
                hidden_at=utcnow(),
                hidden_reason="Propos blessants.",
            ),
        ]
    )
    votes = {}
    for secret in (True, False):
        vote = Vote(
            residence_id=residence.id,
            proposal_id=proposal.id,
            electorate=Electorate.RESIDENTS,
            opens_at=utcnow() - dt.timedelta(days=20),
            closes_at=utcnow() - dt.timedelta(days=10),
            majority=Majority.MORE_FOR_THAN_AGAINST,
            secret=secret,
            results_hidden=secret,
            created_by_id=coord.id,
        )
        session.add(vote)
        session.flush()
        for person in (me, neighbour):
            m = member(person, residence)
            key = f"member:{m.id}"
            session.add(Participation(vote_id=vote.id, voter_key=key, membership_id=m.id))
            if not secret:
                session.add(
                    Ballot(
                        vote_id=vote.id,
                        voter_key=key,
                        membership_id=m.id,
                        option="pour",
                        cast_at=utcnow() - dt.timedelta(days=15),
                    )
                )
        votes[secret] = vote
    residents.issue_invitation(coord, residence, member(me, residence))
    record("resident.updated", actor=coord, residence_id=residence.id, target=me)
    session.commit()
    db.session.expire_all()
    return {
        "residence": residence,
        "coord": coord,
        "me": me,
        "neighbour": neighbour,
        "room": room,
        "past": past,
        "coming": coming,
        "held": held,
        "full": full,
        "slot": slot,
        "votes": votes,
    }


def dump(session) -> str:
    """Every row of every table, as text."""
    rows = []
    for table in db.metadata.sorted_tables:
        for row in session.execute(sa.select(table)).all():
            rows.append(" | ".join(str(value) for value in row))
    return "\n".join(rows).casefold()


def counts(session, g) -> dict:
    residence = g["residence"]
    months, total = activities.monthly_counts(residence.id, utcnow().year)
    per_room = session.execute(
        sa.select(Booking.room_id, Booking.status, sa.func.count(Booking.id))
        .where(Booking.residence_id == residence.id, Booking.end_at <= utcnow())
        .group_by(Booking.room_id, Booking.status)
    ).all()
    participation = session.execute(
        sa.select(Participation.vote_id, sa.func.count(Participation.id)).group_by(
            Participation.vote_id
        )
    ).all()
    ballots = session.execute(
        sa.select(Ballot.vote_id, Ballot.option, sa.func.count(Ballot.id)).group_by(
            Ballot.vote_id, Ballot.option
        )
    ).all()
    audit = session.scalar(
        sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action != "privacy.erased")
    )
    return {
        "months": [(m.sessions, m.attendances, m.participants, m.minutes) for m in months],
        "total": (total.sessions, total.attendances, total.participants, total.minutes),
        "per_room": sorted(per_room),
        "participation": sorted(participation),
        "ballots": sorted(ballots),
        "audit_at_least": audit,
    }


# -- "Mes données" ------------------------------------------------------------------------


def test_my_data_covers_every_section_and_never_a_secret_choice(session, gisele):
    me = gisele["me"]
    scope = privacy.scope_for_self(me)
    data = json.loads(privacy.export_json(scope))["sections"]
    assert list(data) == [s.key for s in SECTIONS]
    assert data["account"][0]["email"] == EMAIL and data["account"][0]["phone"] == PHONE
    assert data["account"][0]["calendar_feed"] is True
    assert me.calendar_token not in privacy.export_json(scope)
    assert data["memberships"][0]["home"] == "B12"
    assert len(data["bookings"]) == 2
    assert {r["activity"]: r["status"] for r in data["signups"]} == {
        "Gym douce": "confirmed",
        "Sortie": "confirmed",
    }
    assert any(r["attended"] is True for r in data["signups"])
    assert len(data["watering"]) == 1
    votes = {r["secret"]: r for r in data["votes"]}
    assert votes[True]["choice"] is None  # only that she voted
    assert votes[False]["choice"] == "pour"
    assert data["proposals"][0]["title"] == "Pas de bruit après 22 h"
    comments = {r["text"]: r for r in data["comments"]}
    assert comments["Enfin !"]["hidden_reason"] is None
    assert comments["Les jeunes, au lit !"]["hidden_reason"] == "Propos blessants."
    assert len(data["invitations"]) == 1 and "code" not in data["invitations"][0]
    assert any(r["as"] == "target" for r in data["audit"])
    assert any(r["as"] == "actor" for r in data["audit"])


def test_the_waiting_list_rank_is_in_the_data(session, gisele):
    data = json.loads(privacy.export_json(privacy.scope_for_self(gisele["neighbour"])))
    waiting = [r for r in data["sections"]["signups"] if r["status"] == "waiting"]
    assert waiting and waiting[0]["waiting_position"] == 1


def test_the_coordinator_prints_a_residents_data_of_their_residence_only(
    session, gisele, create_residence, create_user
):
    residence, me = gisele["residence"], gisele["me"]
    coord = member(gisele["coord"], residence)
    scope = privacy.scope_for_coordinator(coord, member(me, residence))
    assert scope.memberships == [member(me, residence)]
    assert session.scalar(
        sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action == "privacy.data_printed")
    )
    elsewhere = create_residence("Bézu", organisation=residence.organisation)
    other = create_user("coord.bezu", residence=elsewhere, role=Role.COORDINATOR)
    with pytest.raises(NotAllowed):
        privacy.scope_for_coordinator(member(other, elsewhere), member(me, residence))
    with pytest.raises(NotAllowed):
        privacy.scope_for_coordinator(member(gisele["neighbour"], residence), member(me, residence))


# -- leaving and being forgotten ----------------------------------------------------------


def test_erasing_leaves_nothing_of_the_person_and_the_counts_unchanged(session, gisele):
    residence, me = gisele["residence"], gisele["me"]
    before = counts(session, gisele)
    text = dump(session)
    for value in (NAME, USERNAME, EMAIL, PHONE):
        assert value.casefold() in text
    old_token, old_version = me.calendar_token, me.session_version

    assert privacy.erase_member(
        member(gisele["coord"], residence), member(me, residence), LeftReason.MOVED_OUT
    )
    session.commit()

    text = dump(session)
    for value in (NAME, USERNAME, EMAIL, PHONE, old_token):
        assert value.casefold() not in text, value
    after = counts(session, gisele)
    assert after["months"] == before["months"] and after["total"] == before["total"]
    assert after["per_room"] == before["per_room"]
    assert after["participation"] == before["participation"]
    assert after["ballots"] == before["ballots"]
    assert after["audit_at_least"] >= before["audit_at_least"]

    me = session.get(User, me.id)
    assert me.is_erased and str(me.full_name) == "Ancien·ne résident·e"
    assert me.username is None and me.password_hash is None and not me.is_active
    assert me.session_version > old_version
    assert users.load_session_user(me.id, old_version) is None
    with pytest.raises(users.BadCredentials):
        users.authenticate(USERNAME, PASSWORD)
    gone = session.scalars(sa.select(Membership).where(Membership.user_id == me.id)).one()
    assert gone.left_reason == "moved_out" and gone.deactivated_at and gone.erased_at
    assert not session.scalar(
        sa.select(sa.func.count(Invitation.id)).where(Invitation.user_id == me.id)
    )
    assert not session.scalar(
        sa.select(sa.func.count(Message.id)).where(Message.membership_id == gone.id)
    )


def test_what_was_to_come_is_cancelled_through_the_domains(session, gisele):
    residence, me, neighbour = gisele["residence"], gisele["me"], gisele["neighbour"]
    privacy.erase_member(None, member(me, residence), LeftReason.RETENTION)
    session.commit()
    coming = session.get(Booking, gisele["coming"].id)
    past = session.get(Booking, gisele["past"].id)
    assert coming.status is BookingStatus.CANCELLED
    assert past.status is BookingStatus.CONFIRMED and past.purpose == ""
    # The neighbour waiting for the outing has the place now, and was told.
    mine = session.scalar(
        sa.select(Registration).where(
            Registration.activity_id == gisele["full"].id,
            Registration.membership_id == member(neighbour, residence).id,
        )
    )
    assert mine.status is RegistrationStatus.CONFIRMED
    told = session.scalars(
        sa.select(Message.subject).where(Message.membership_id == member(neighbour, residence).id)
    ).all()
    assert told
    # The past session keeps her attendance; the watering turn is free again.
    held = session.scalar(
        sa.select(Registration).where(Registration.activity_id == gisele["held"].id)
    )
    assert held.attended is True and held.status is RegistrationStatus.CONFIRMED
    slot = session.get(type(gisele["slot"]), gisele["slot"].id)
    assert slot.holder_id is None


def test_erasing_twice_erases_once(session, gisele):
    residence, me = gisele["residence"], gisele["me"]
    assert privacy.erase_member(None, member(me, residence), LeftReason.RETENTION)
    session.commit()
    assert not privacy.erase_member(None, member(me, residence), LeftReason.RETENTION)
    assert (
        session.scalar(
            sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action == "privacy.erased")
        )
        == 1
    )


def test_a_resident_closes_their_own_account_with_their_password(session, gisele):
    me = gisele["me"]
    with pytest.raises(privacy.WrongPassword):
        privacy.close_account(me, "not my password at all")
    session.rollback()
    assert not session.get(User, me.id).is_erased
    privacy.close_account(session.get(User, me.id), PASSWORD)
    session.commit()
    me = session.get(User, me.id)
    assert me.is_erased and me.memberships[0].left_reason == "closed"


def test_only_the_coordination_records_a_departure(session, gisele):
    residence = gisele["residence"]
    with pytest.raises(NotAllowed):
        privacy.record_departure(
            member(gisele["neighbour"], residence),
            member(gisele["me"], residence),
            LeftReason.DIED,
        )
    session.rollback()
    privacy.record_departure(
        member(gisele["coord"], residence), member(gisele["me"], residence), LeftReason.DIED
    )
    session.commit()
    assert session.get(User, gisele["me"].id).is_erased


def test_landlord_staff_leaving_one_residence_keep_their_account_for_the_others(
    session, create_residence, create_user, add_membership
):
    first = create_residence("Armentières")
    second = create_residence("Hirson", organisation=first.organisation)
    staff = create_user("bailleur", residence=first, role=Role.LANDLORD_ADMIN, full_name=NAME)
    add_membership(staff, second, Role.LANDLORD_ADMIN)
    privacy.erase_member(None, member(staff, first), LeftReason.MOVED_OUT)
    session.commit()
    staff = session.get(User, staff.id)
    assert not staff.is_erased and staff.full_name == NAME
    assert [m.residence_id for m in staff.active_memberships] == [second.id]
    privacy.erase_member(None, member(staff, second), LeftReason.MOVED_OUT)
    session.commit()
    assert session.get(User, staff.id).is_erased


def test_an_erased_person_shows_as_a_former_resident_in_the_readers_language(app, session, gisele):
    from flask_babel import force_locale

    privacy.erase_member(None, member(gisele["me"], gisele["residence"]), LeftReason.RETENTION)
    session.commit()
    me = session.get(User, gisele["me"].id)
    with force_locale("en"):
        assert str(me.full_name) == "Former resident"
    with force_locale("fr"):
        assert str(me.full_name) == "Ancien·ne résident·e"


# -- retention ----------------------------------------------------------------------------


def test_purge_erases_accounts_deactivated_longer_than_the_residence_keeps_them(
    session, gisele, create_user
):
    residence, me = gisele["residence"], gisele["me"]
    coord = gisele["coord"]
    residents.set_active(coord, residence, member(me, residence), False)
    session.commit()
    now = utcnow()
    assert privacy.purge(now=now + dt.timedelta(days=300)).erased == 0
    assert not session.get(User, me.id).is_erased
    report = privacy.purge(now=now + dt.timedelta(days=370))
    assert report.erased == 1
    assert session.get(User, me.id).is_erased
    assert privacy.purge(now=now + dt.timedelta(days=371)).erased == 0  # idempotent


def test_a_shorter_retention_period_is_followed(session, gisele):
    residence, me = gisele["residence"], gisele["me"]
    coord = member(gisele["coord"], residence)
    from app.residences.services import set_contact

    set_contact(coord, phone="", hours="", place="", retention_months=3)
    residents.set_active(gisele["coord"], residence, member(me, residence), False)
    session.commit()
    assert privacy.purge(now=utcnow() + dt.timedelta(days=95)).erased == 1


def test_purge_deletes_long_expired_invitations(session, gisele):
    invitation = session.scalar(sa.select(Invitation))
    expires = invitation.expires_at
    assert privacy.purge(now=expires + dt.timedelta(days=89)).invitations == 0
    assert privacy.purge(now=expires + dt.timedelta(days=91)).invitations == 1


def test_purge_reduces_old_audit_entries_to_counts(session, gisele):
    residence = gisele["residence"]
    old = utcnow() - dt.timedelta(days=400)
    for _ in range(3):
        session.add(
            AuditEvent(
                created_at=old,
                residence_id=residence.id,
                action="booking.created",
                actor_id=gisele["coord"].id,
            )
        )
    session.add(AuditEvent(created_at=old, residence_id=None, action="login.failed"))
    session.commit()
    kept = session.scalar(sa.select(sa.func.count(AuditEvent.id)))
    report = privacy.purge(batch=2)
    assert report.audit_entries == 4
    assert session.scalar(sa.select(sa.func.count(AuditEvent.id))) == kept - 4
    summary = {
        (s.residence_id, s.action): s.count for s in session.scalars(sa.select(AuditSummary))
    }
    assert summary == {(residence.id, "booking.created"): 3, (0, "login.failed"): 1}
    assert privacy.purge().audit_entries == 0  # idempotent
    session.add(AuditEvent(created_at=old, residence_id=residence.id, action="booking.created"))
    session.commit()
    privacy.purge()
    assert sum(s.count for s in session.scalars(sa.select(AuditSummary))) == 5


def test_months_before_keeps_the_day_or_the_months_last():
    at = dt.datetime(2026, 3, 31, 12, tzinfo=dt.UTC)
    assert privacy.months_before(at, 1) == dt.datetime(2026, 2, 28, 12, tzinfo=dt.UTC)
    assert privacy.months_before(at, 12) == dt.datetime(2025, 3, 31, 12, tzinfo=dt.UTC)
    assert privacy.months_before(at, 3) == dt.datetime(2025, 12, 31, 12, tzinfo=dt.UTC)


def test_the_purge_command_says_what_it_did(app, session, gisele):
    residence, me = gisele["residence"], gisele["me"]
    residents.set_active(gisele["coord"], residence, member(me, residence), False)
    session.execute(
        sa.update(Membership)
        .where(Membership.user_id == me.id)
        .values(deactivated_at=utcnow() - dt.timedelta(days=400))
    )
    session.commit()
    result = app.test_cli_runner().invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    assert "1 account(s) erased" in result.output
    again = app.test_cli_runner().invoke(args=["purge"])
    assert "0 account(s) erased" in again.output


@pytest.mark.parametrize("locale", ["fr", "en"])
def test_every_line_of_my_data_reads_in_plain_words(app, session, gisele, locale):
    from app.core.timewords import words

    tw = words(locale, gisele["residence"].timezone)
    lines = [
        section.line(tw, row)
        for section, rows in privacy.collect(privacy.scope_for_self(gisele["me"]))
        for row in rows
    ]
    text = "\n".join(lines)
    assert "Compte (resident.updated)" in text or "Account (resident.updated)" in text
    assert ("vous avez voté. Le vote est secret" in text) or (
        "you voted. The vote is secret" in text
    )
    assert "%(" not in text


def test_a_coordinator_who_leaves_keeps_the_rooms_of_their_activities_held(
    session, create_residence, create_user, create_room, create_activity
):
    from app.activities.models import PlaceKind
    from app.bookings.models import OriginKind

    residence = create_residence("Armentières")
    coord = create_user("coord", residence=residence, role=Role.COORDINATOR)
    create_user("coord2", residence=residence, role=Role.COORDINATOR)
    room = create_room(residence, by=coord)
    activity = create_activity(residence, by=coord, room=room, place_kind=PlaceKind.ROOM)
    held = session.scalars(
        sa.select(Booking).where(Booking.origin_kind == OriginKind.ACTIVITY)
    ).all()
    assert held
    privacy.erase_member(None, member(coord, residence), LeftReason.MOVED_OUT)
    session.commit()
    for booking in held:
        session.refresh(booking)
        assert booking.status is BookingStatus.CONFIRMED
    assert session.get(Activity, activity.id).status.value == "scheduled"
    data = json.loads(privacy.export_json(privacy.scope_for_self(coord)))
    assert data["about"]["bookings"]["kept"] == "anonymised"


def test_proxies_are_in_my_data_and_stop_when_their_holder_leaves(session, gisele):
    """A proxy Gisèle holds for a vote still open stops when she leaves, and the neighbour
    who gave it is told (without her name); a proxy of a closed vote stays: it explains a
    count."""
    from app.votes import proxies
    from app.votes.models import Proxy

    residence, me, neighbour = gisele["residence"], gisele["me"], gisele["neighbour"]
    closed = gisele["votes"][True]
    open_vote = Vote(
        residence_id=residence.id,
        proposal_id=closed.proposal_id,
        electorate=Electorate.RESIDENTS,
        opens_at=utcnow() - dt.timedelta(days=1),
        closes_at=utcnow() + dt.timedelta(days=6),
        majority=Majority.MORE_FOR_THAN_AGAINST,
        created_by_id=gisele["coord"].id,
    )
    session.add(open_vote)
    session.flush()
    theirs = proxies.give_proxy(
        member(neighbour, residence), member(me, residence), vote=open_vote, now=utcnow()
    )
    old = Proxy(
        residence_id=residence.id,
        principal_id=member(me, residence).id,
        holder_id=member(neighbour, residence).id,
        vote_id=closed.id,
    )
    session.add(old)
    session.commit()

    rows = json.loads(privacy.export_json(privacy.scope_for_self(me)))["sections"]["proxies"]
    assert {(r["given"], r["other"]) for r in rows} == {
        (False, neighbour.full_name),
        (True, neighbour.full_name),
    }

    privacy.erase_member(None, member(me, residence), LeftReason.MOVED_OUT)
    session.commit()
    assert session.get(Proxy, theirs.id).revoked_at is not None
    assert session.get(Proxy, old.id).revoked_at is None
    told = session.scalars(
        sa.select(Message).where(Message.membership_id == member(neighbour, residence).id)
    ).all()
    assert any("Votre procuration ne vaut plus" in m.subject for m in told)
    assert NAME.casefold() not in dump(session)
