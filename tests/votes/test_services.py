"""Votes without HTTP: the electorate, quorum, each majority rule, abstentions, ties, secret
ballots final and public ones changeable, the close when read, the charter changed by an
adopted proposal, and secrecy: nothing in the database joins a voter to a choice."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from app.core.audit import AuditEvent
from app.core.db import utcnow
from app.core.errors import NotAllowed
from app.core.permissions import Role
from app.core.timewords import words
from app.extensions import db
from app.votes import services
from app.votes.models import (
    Article,
    ChangeKind,
    Electorate,
    Majority,
    Participation,
    ProposalStatus,
    VoteTally,
)
from tests.factories import member

HOUR = dt.timedelta(hours=1)


@pytest.fixture
def house(create_residence, create_user):
    """A residence with a coordinator, a committee member and residents in homes A01–A04
    (two in A01)."""
    residence = create_residence("Armentières")
    coord = create_user("coord", residence=residence, role=Role.COORDINATOR)
    committee = create_user("comite", residence=residence, role=Role.COMMITTEE, home="A05")
    homes = ["A01", "A01", "A02", "A03", "A04"]
    people = [create_user(f"habitant{n}", residence=residence, home=h) for n, h in enumerate(homes)]
    return (
        residence,
        member(coord, residence),
        member(committee, residence),
        [member(p, residence) for p in people],
    )


@pytest.fixture
def make_vote(session, house):
    """A proposal put to the vote by the committee, open from an hour ago for a day."""

    def _make(now=None, *, proposal=None, **settings):
        residence, coord, committee, people = house
        now = now or utcnow()
        if proposal is None:
            proposal = services.create_proposal(
                people[0], "Heures calmes", "Silence de 22 h à 7 h.", why="Pour dormir."
            )
        settings.setdefault("opens_at", now - HOUR)
        settings.setdefault("closes_at", now + 24 * HOUR)
        vote = services.create_vote(committee, proposal, services.Settings(**settings))
        session.commit()
        return vote

    return _make


def _cast_all(vote, voters_and_choices, now):
    for voter, choice in voters_and_choices:
        services.cast(voter, vote, choice, now=now)


def _close(vote, now):
    services.refresh_status(vote, vote.closes_at + dt.timedelta(seconds=1))
    return services.result(vote)


# -- electorate ------------------------------------------------------------------------


def test_all_residents_each_vote_and_landlord_staff_do_not(
    session, house, make_vote, add_membership, create_user
):
    residence, coord, committee, people = house
    vote = make_vote(electorate=Electorate.RESIDENTS)
    landlord = create_user("bailleur", residence=residence, role=Role.LANDLORD_ADMIN)
    now = utcnow()
    for person in [*people, committee, coord]:
        services.cast(person, vote, "pour", now=now)
    with pytest.raises(services.NotInElectorate):
        services.cast(member(landlord, residence), vote, "pour", now=now)
    assert services.electorate_size(vote) == 7
    assert services.result(vote).participation == 7


def test_one_per_home_the_second_of_a_home_is_refused(session, house, make_vote):
    residence, coord, committee, people = house
    vote = make_vote(electorate=Electorate.HOMES)
    now = utcnow()
    services.cast(people[0], vote, "pour", now=now)
    with pytest.raises(services.HomeAlreadyVoted) as refused:
        services.cast(people[1], vote, "contre", now=now)
    assert refused.value.status_code == 409
    assert "foyer" in str(refused.value.message)
    # A01 … A05, and the coordinator without a home counts as a home of their own.
    assert services.electorate_size(vote) == 6
    assert services.result(vote).participation == 1
    assert services.counts(vote) == {"pour": 1, "contre": 0, "abstention": 0}


def test_committee_vote_only_the_committee(session, house, make_vote):
    residence, coord, committee, people = house
    vote = make_vote(electorate=Electorate.COMMITTEE, secret=False, results_hidden=False)
    now = utcnow()
    with pytest.raises(services.NotInElectorate):
        services.cast(people[0], vote, "pour", now=now)
    services.cast(committee, vote, "pour", now=now)
    assert services.electorate_size(vote) == 1


def test_other_residences_and_departed_members_do_not_vote(
    session, house, make_vote, create_user, create_residence
):
    residence, coord, committee, people = house
    vote = make_vote(electorate=Electorate.RESIDENTS)
    stranger = create_user("ailleurs", residence=create_residence("Bézu"))
    people[4].deactivated_at = utcnow()
    session.commit()
    for who in (member(stranger), people[4]):
        with pytest.raises(services.NotInElectorate):
            services.cast(who, vote, "pour", now=utcnow())
    assert services.electorate_size(vote) == 6


def test_only_the_committee_puts_a_proposal_to_the_vote(session, house, make_vote):
    residence, coord, committee, people = house
    proposal = services.create_proposal(people[0], "Animaux", "Les chiens en laisse.")
    now = utcnow()
    with pytest.raises(NotAllowed):
        services.create_vote(
            people[1], proposal, services.Settings(opens_at=now, closes_at=now + HOUR)
        )
    with pytest.raises(services.InvalidSettings):
        services.create_vote(committee, proposal, services.Settings(opens_at=now, closes_at=now))
    vote = services.create_vote(committee, proposal, services.preset("charte", now))
    assert proposal.status == ProposalStatus.VOTING
    assert vote.secret and vote.results_hidden and vote.electorate == Electorate.HOMES
    assert vote.closes_at - vote.opens_at == dt.timedelta(days=14)


def test_a_secret_vote_always_hides_its_counts_until_the_close(session, make_vote):
    vote = make_vote(secret=True, results_hidden=False)
    assert vote.results_hidden
    assert not services.results_visible(vote, utcnow())
    assert services.results_visible(vote, vote.closes_at)


# -- opening times ---------------------------------------------------------------------


def test_casting_only_while_open(session, house, make_vote):
    residence, coord, committee, people = house
    now = utcnow()
    vote = make_vote(opens_at=now + HOUR, closes_at=now + 2 * HOUR)
    with pytest.raises(services.VoteNotOpen) as early:
        services.cast(people[0], vote, "pour", now=now)
    assert early.value.status_code == 409
    services.open_vote(committee, vote, now=now)
    services.cast(people[0], vote, "pour", now=now)
    with pytest.raises(services.VoteNotOpen):
        services.cast(people[2], vote, "pour", now=now + 2 * HOUR)


def test_unknown_choice_is_refused(session, house, make_vote):
    vote = make_vote()
    with pytest.raises(services.UnknownChoice):
        services.cast(house[3][0], vote, "peut-être", now=utcnow())
    assert services.result(vote).participation == 0


# -- secret and public ballots ---------------------------------------------------------


def test_a_secret_ballot_is_final_and_counted_once(session, house, make_vote):
    residence, coord, committee, people = house
    vote = make_vote(secret=True)
    now = utcnow()
    services.cast(people[0], vote, "pour", now=now)
    with pytest.raises(services.AlreadyVoted) as again:
        services.cast(people[0], vote, "contre", now=now)
    assert again.value.status_code == 409
    assert services.counts(vote) == {"pour": 1, "contre": 0, "abstention": 0}
    assert services.has_voted(people[0], vote)


def test_the_database_refuses_a_second_participation(session, house, make_vote):
    """Two ballots sent at once pass the service's check together: the unique constraint
    settles it."""
    residence, coord, committee, people = house
    vote = make_vote(secret=True)
    services.cast(people[0], vote, "pour", now=utcnow())
    session.commit()
    with pytest.raises(sa.exc.IntegrityError), session.begin_nested():
        session.add(
            Participation(
                vote_id=vote.id,
                voter_key=services.voter_key(people[1], vote),  # the same home
                membership_id=people[1].id,
            )
        )
        session.flush()


def test_the_service_turns_a_lost_race_into_a_conflict(session, house, make_vote, monkeypatch):
    residence, coord, committee, people = house
    vote = make_vote(secret=True)
    services.cast(people[0], vote, "pour", now=utcnow())
    monkeypatch.setattr(services, "_participation", lambda vote, key: None)
    with pytest.raises(services.AlreadyVoted):
        services.cast(people[0], vote, "contre", now=utcnow())
    assert services.counts(vote) == {"pour": 1, "contre": 0, "abstention": 0}


def test_a_public_ballot_changes_until_the_close(session, house, make_vote):
    residence, coord, committee, people = house
    vote = make_vote(secret=False, results_hidden=False, electorate=Electorate.HOMES)
    now = utcnow()
    services.cast(people[0], vote, "pour", now=now)
    services.cast(people[0], vote, "contre", now=now)
    with pytest.raises(services.HomeAlreadyVoted):
        services.cast(people[1], vote, "pour", now=now)
    assert services.counts(vote) == {"pour": 0, "contre": 1, "abstention": 0}
    assert services.result(vote).participation == 1
    with pytest.raises(services.VoteNotOpen):
        services.cast(people[0], vote, "pour", now=vote.closes_at)


# -- closing, quorum, majorities -------------------------------------------------------


def test_closed_when_read_after_the_closing_time(session, house, make_vote):
    residence, coord, committee, people = house
    vote = make_vote(electorate=Electorate.RESIDENTS)
    now = utcnow()
    services.cast(people[0], vote, "pour", now=now)
    services.refresh_status(vote, now)
    assert vote.closed_at is None
    services.refresh_status(vote, vote.closes_at)
    assert vote.closed_at == vote.closes_at and vote.electorate_size == 7
    assert vote.proposal.status == ProposalStatus.ADOPTED
    # Read again: nothing moves, the charter is changed once.
    services.refresh_status(vote, vote.closes_at + HOUR)
    assert session.scalar(sa.select(sa.func.count()).select_from(Article)) == 1
    closed = session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "vote.closed"))
    assert len(list(closed)) == 1


def test_closing_early(session, house, make_vote):
    residence, coord, committee, people = house
    vote = make_vote()
    now = utcnow()
    services.cast(people[0], vote, "contre", now=now)
    services.close_vote(committee, vote, now=now)
    assert vote.closed_at is not None and vote.adopted is False
    assert vote.proposal.status == ProposalStatus.REJECTED
    with pytest.raises(services.VoteNotOpen):
        services.cast(people[2], vote, "pour", now=now)


def test_quorum_met_and_not_met(session, house, make_vote):
    residence, coord, committee, people = house
    now = utcnow()
    # 6 homes, 50 %: 3 must vote.
    vote = make_vote(electorate=Electorate.HOMES, quorum_percent=50)
    _cast_all(vote, [(people[0], "pour"), (people[2], "pour")], now)
    outcome = services.result(vote)
    assert (outcome.quorum, outcome.quorum_met, outcome.adopted) == (3, False, False)
    services.cast(people[3], vote, "abstention", now=now)
    outcome = services.result(vote)
    assert outcome.quorum_met and outcome.adopted


@pytest.mark.parametrize(
    ("majority", "abstentions_cast", "choices", "adopted"),
    [
        (Majority.MORE_FOR_THAN_AGAINST, False, ["pour", "pour", "contre", "abstention"], True),
        (Majority.MORE_FOR_THAN_AGAINST, False, ["pour", "contre", "abstention"], False),  # tie
        (Majority.MORE_FOR_THAN_AGAINST, True, ["pour", "pour", "contre", "abstention"], False),
        (Majority.MORE_FOR_THAN_AGAINST, True, ["pour", "pour", "contre"], True),
        (Majority.TWO_THIRDS_OF_CAST, False, ["pour", "pour", "contre", "abstention"], True),
        (Majority.TWO_THIRDS_OF_CAST, True, ["pour", "pour", "contre", "abstention"], False),
        (Majority.TWO_THIRDS_OF_CAST, False, ["pour", "contre"], False),
        (Majority.TWO_THIRDS_OF_CAST, False, ["abstention"], False),  # nothing cast
        # 7 residents: 4 "pour" needed, whatever the others did.
        (Majority.MAJORITY_OF_ELECTORATE, False, ["pour"] * 3, False),
        (Majority.MAJORITY_OF_ELECTORATE, False, ["pour"] * 4 + ["contre"], True),
    ],
)
def test_majority_rules(session, house, make_vote, majority, abstentions_cast, choices, adopted):
    residence, coord, committee, people = house
    vote = make_vote(
        electorate=Electorate.RESIDENTS, majority=majority, abstentions_cast=abstentions_cast
    )
    voters = [*people, committee, coord]
    _cast_all(vote, zip(voters, choices, strict=False), utcnow())
    assert _close(vote, utcnow()).adopted is adopted
    assert vote.adopted is adopted


# -- the sentence ----------------------------------------------------------------------


def test_the_result_in_one_sentence(session, house, make_vote):
    residence, coord, committee, people = house
    vote = make_vote(electorate=Electorate.HOMES, quorum_percent=50)
    _cast_all(
        vote,
        [
            (people[0], "pour"),
            (people[2], "pour"),
            (people[3], "contre"),
            (committee, "abstention"),
        ],
        utcnow(),
    )
    outcome = _close(vote, utcnow())
    assert services.summary(words("fr"), outcome) == (
        "Adopté : 2 pour, 1 contre, 1 abstention ; 4 foyers sur 6 ont voté, le quorum de 3 "
        "est atteint ; il fallait plus de pour que de contre"
    )
    assert services.summary(words("en"), outcome) == (
        "Adopted: 2 for, 1 against, 1 abstention; 4 homes out of 6 voted, the quorum of 3 "
        "is reached; more for than against was needed"
    )


def test_a_rejected_sentence_says_why(session, house, make_vote):
    residence, coord, committee, people = house
    vote = make_vote(electorate=Electorate.RESIDENTS, quorum_percent=100)
    services.cast(people[0], vote, "pour", now=utcnow())
    outcome = _close(vote, utcnow())
    text = services.summary(words("fr"), outcome)
    assert text.startswith("Rejeté : 1 pour, 0 contre, 0 abstention")
    assert "; 1 habitant sur 7 a voté" in text
    assert "le quorum de 7 n'est pas atteint" in text


def test_the_settings_in_plain_words(session, house, make_vote):
    vote = make_vote(electorate=Electorate.HOMES, quorum_percent=50, secret=True)
    said = services.settings_words(words("fr"), vote)
    assert said[1] == "Il faut qu'au moins 3 foyers sur 6 votent."
    assert said[2] == "Pour que la règle soit adoptée, il faut plus de pour que de contre."
    assert "secret" in said[3] and said[4] == "Les résultats seront connus à la clôture."
    english = services.settings_words(words("en"), vote)
    assert english[1] == "At least 3 homes out of 6 must vote."


# -- the charter -----------------------------------------------------------------------


def test_adoption_creates_changes_and_repeals_articles(session, house, make_vote):
    residence, coord, committee, people = house
    now = utcnow()
    first = make_vote(electorate=Electorate.RESIDENTS)
    services.cast(people[0], first, "pour", now=now)
    _close(first, now)
    (article,) = services.charter(residence.id)
    assert (article.number, article.title, article.text) == (
        1,
        "Heures calmes",
        "Silence de 22 h à 7 h.",
    )
    assert first.proposal.article_id == article.id

    change = services.create_proposal(
        people[2],
        "Heures calmes",
        "Silence de 21 h à 8 h.",
        change=ChangeKind.CHANGE,
        article=article,
    )
    second = make_vote(proposal=change, electorate=Electorate.RESIDENTS)
    services.cast(people[2], second, "pour", now=now)
    _close(second, now)
    assert article.text == "Silence de 21 h à 8 h."
    assert change.previous_text == "Silence de 22 h à 7 h."

    repeal = services.create_proposal(
        people[3], "Plus d'heures calmes", "", change=ChangeKind.REPEAL, article=article
    )
    third = make_vote(proposal=repeal, electorate=Electorate.RESIDENTS)
    services.cast(people[3], third, "pour", now=now)
    _close(third, now)
    assert services.charter(residence.id) == [] and not article.in_force


def test_a_rejected_proposal_leaves_the_charter_alone(session, house, make_vote):
    residence, coord, committee, people = house
    vote = make_vote(electorate=Electorate.RESIDENTS)
    services.cast(people[0], vote, "contre", now=utcnow())
    _close(vote, utcnow())
    assert services.charter(residence.id) == []
    assert vote.proposal.status == ProposalStatus.REJECTED


def test_proposals_move_through_discussion_or_are_withdrawn(session, house):
    residence, coord, committee, people = house
    proposal = services.create_proposal(people[0], "Jardin", "Pas d'arrosage à midi.")
    with pytest.raises(NotAllowed):
        services.move_proposal(people[0], proposal, ProposalStatus.DISCUSSION)
    services.move_proposal(committee, proposal, ProposalStatus.DISCUSSION)
    services.move_proposal(committee, proposal, ProposalStatus.WITHDRAWN)
    with pytest.raises(services.ProposalNotReady):
        services.move_proposal(committee, proposal, ProposalStatus.DISCUSSION)


def test_weak_secrecy_under_seven_voters_or_unanimous(session, house, make_vote, create_user):
    residence, coord, committee, people = house
    vote = make_vote(electorate=Electorate.RESIDENTS, secret=True)
    now = utcnow()
    services.cast(people[0], vote, "pour", now=now)
    assert services.secrecy_is_weak(vote, services.result(vote))  # 7 voters, unanimous
    services.cast(people[2], vote, "contre", now=now)
    assert not services.secrecy_is_weak(vote, services.result(vote))
    small = make_vote(electorate=Electorate.COMMITTEE, secret=True)
    assert services.secrecy_is_weak(small, services.result(small))  # one member
    public = make_vote(electorate=Electorate.COMMITTEE, secret=False, results_hidden=False)
    assert not services.secrecy_is_weak(public, services.result(public))


# -- secrecy ---------------------------------------------------------------------------

VOTER_COLUMNS = {"membership_id", "home_id", "voter_key", "user_id", "actor_id", "author_id"}
CHOICE_COLUMNS = {"option", "choice"}


def test_secrecy_nothing_joins_a_voter_to_a_choice(session, house, make_vote):
    residence, coord, committee, people = house
    vote = make_vote(electorate=Electorate.RESIDENTS, secret=True)
    choices = ["pour", "contre", "pour", "abstention", "contre", "pour"]
    _cast_all(vote, zip([*people, committee], choices, strict=True), utcnow())
    session.commit()

    inspector = sa.inspect(db.engine if session.bind is None else session.bind)
    for table in inspector.get_table_names():
        columns = {c["name"] for c in inspector.get_columns(table)}
        assert not (columns & VOTER_COLUMNS and columns & CHOICE_COLUMNS) or table == "ballot", (
            table
        )
    # Participation: who, and nothing that orders or dates it besides the key.
    participation = {c["name"] for c in inspector.get_columns("participation")}
    # (cast_by_id: who recorded it for someone, a proxy's holder or the desk: also a "who".)
    assert participation == {
        "id",
        "vote_id",
        "voter_key",
        "membership_id",
        "home_id",
        "channel",
        "cast_by_id",
    }
    # The tally: counters only, one row per option, no key or time to line up.
    assert {c["name"] for c in inspector.get_columns("vote_tally")} == {
        "vote_id",
        "option",
        "count",
    }
    rows = session.execute(
        sa.select(VoteTally.option, VoteTally.count).where(VoteTally.vote_id == vote.id)
    ).all()
    assert sorted(rows) == [("abstention", 1), ("contre", 2), ("pour", 3)]
    # No public ballot row, and the audit log says nothing of the casting.
    assert (
        session.scalar(sa.text("SELECT count(*) FROM ballot WHERE vote_id = :v"), {"v": vote.id})
        == 0
    )
    actions = set(session.scalars(sa.select(AuditEvent.action)))
    assert not any("cast" in a or "ballot" in a for a in actions)
    # The participation rows hold no trace of the choice.
    dump = session.execute(
        sa.select(Participation).where(Participation.vote_id == vote.id)
    ).scalars()
    for row in dump:
        values = {str(getattr(row, c)) for c in participation}
        assert not values & {"pour", "contre", "abstention"}
