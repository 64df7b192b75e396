"""The voting desk without HTTP: paper ballots and a show of hands, by name for a public
vote, as a batch (counts + who took part) for a secret one; nobody counted twice across
channels; the audit log (never a secret choice)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.core.audit import AuditEvent
from app.core.db import utcnow
from app.core.errors import NotAllowed
from app.votes import proxies, services
from app.votes.models import Ballot, Channel, Electorate, Participation
from tests.votes import test_services as base

# The residence and the votes of the votes' service tests.
house = base.house
make_vote = base.make_vote

PAPER, ROOM = Channel.PAPER, Channel.ROOM


def _public(make_vote, **kw):
    return make_vote(electorate=Electorate.RESIDENTS, secret=False, results_hidden=False, **kw)


def _participations(session, vote):
    return session.scalar(sa.select(sa.func.count()).where(Participation.vote_id == vote.id))


def _audit(session, action):
    return session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)).all()


# -- who may keep the desk -----------------------------------------------------------------


def test_only_the_committee_or_the_coordinator_keeps_the_desk(session, house, make_vote):
    residence, coord, committee, people = house
    vote = _public(make_vote)
    with pytest.raises(NotAllowed):
        proxies.record_desk_ballot(people[0], vote, people[1], "pour", channel=PAPER, now=utcnow())
    proxies.record_desk_ballot(committee, vote, people[1], "pour", channel=PAPER, now=utcnow())
    proxies.record_desk_ballot(coord, vote, people[2], "contre", channel=ROOM, now=utcnow())
    assert services.counts(vote) == {"pour": 1, "contre": 1, "abstention": 0}


def test_only_while_the_vote_is_open(session, house, make_vote):
    residence, coord, committee, people = house
    now = utcnow()
    vote = _public(make_vote, opens_at=now + services.dt.timedelta(hours=1))
    with pytest.raises(services.VoteNotOpen):
        proxies.record_desk_ballot(committee, vote, people[0], "pour", channel=PAPER, now=now)


# -- a public vote, by name -----------------------------------------------------------------


def test_a_public_paper_ballot_by_name(session, house, make_vote):
    residence, coord, committee, people = house
    vote = _public(make_vote)
    row = proxies.record_desk_ballot(
        committee, vote, people[0], "pour", channel=PAPER, now=utcnow()
    )
    assert (row.membership_id, row.channel, row.cast_by_id) == (people[0].id, PAPER, committee.id)
    ballot = session.scalar(sa.select(Ballot).where(Ballot.vote_id == vote.id))
    assert (ballot.membership_id, ballot.option) == (people[0].id, "pour")
    (event,) = _audit(session, "vote.desk_ballot")
    assert f"member={people[0].id}" in event.details and "channel=paper" in event.details


def test_the_desk_corrects_its_own_entry_but_not_the_person_online(session, house, make_vote):
    residence, coord, committee, people = house
    vote = _public(make_vote)
    proxies.record_desk_ballot(committee, vote, people[0], "pour", channel=PAPER, now=utcnow())
    proxies.record_desk_ballot(committee, vote, people[0], "contre", channel=ROOM, now=utcnow())
    assert services.counts(vote) == {"pour": 0, "contre": 1, "abstention": 0}
    assert _participations(session, vote) == 1
    assert len(_audit(session, "vote.desk_correct")) == 1
    # Online, the person is told to see the desk.
    with pytest.raises(services.CountedAtDesk):
        services.cast(people[0], vote, "pour", now=utcnow())


@pytest.mark.parametrize("first", ["online", "proxy", "home"])
def test_someone_counted_another_way_is_refused_with_the_reason(session, house, make_vote, first):
    residence, coord, committee, people = house
    electorate = Electorate.HOMES if first == "home" else Electorate.RESIDENTS
    vote = make_vote(electorate=electorate, secret=False, results_hidden=False)
    person = people[0]
    if first == "online":
        services.cast(person, vote, "pour", now=utcnow())
        said = "a déjà voté en ligne"
    elif first == "proxy":
        proxies.give_proxy(person, people[2], vote=vote, now=utcnow())
        proxies.cast_by_proxy(people[2], vote, person, "pour", now=utcnow())
        said = "a déjà voté par procuration"
    else:
        services.cast(people[1], vote, "pour", now=utcnow())  # same home A01
        said = "foyer"
    with pytest.raises(proxies.ProxyConflict) as refused:
        proxies.record_desk_ballot(committee, vote, person, "contre", channel=PAPER, now=utcnow())
    assert said in str(refused.value.message)
    assert refused.value.status_code == 409
    assert services.counts(vote)["contre"] == 0
    assert _participations(session, vote) == 1


def test_paper_then_online_is_refused_for_a_secret_vote_too(session, house, make_vote):
    residence, coord, committee, people = house
    vote = make_vote(electorate=Electorate.RESIDENTS)
    proxies.record_desk_batch(
        committee, vote, [people[0]], {"pour": 1}, channel=PAPER, now=utcnow()
    )
    with pytest.raises(services.AlreadyVoted):
        services.cast(people[0], vote, "contre", now=utcnow())
    assert services.counts(vote) == {"pour": 1, "contre": 0, "abstention": 0}
    assert services.result(vote).participation == 1


def test_public_desk_refuses_a_batch_and_secret_refuses_by_name(session, house, make_vote):
    residence, coord, committee, people = house
    public, secret = _public(make_vote), make_vote()
    with pytest.raises(proxies.DeskRefused):
        proxies.record_desk_batch(
            committee, public, [people[0]], {"pour": 1}, channel=PAPER, now=utcnow()
        )
    with pytest.raises(proxies.DeskRefused):
        proxies.record_desk_ballot(
            committee, secret, people[0], "pour", channel=PAPER, now=utcnow()
        )


def test_not_in_the_electorate(session, house, make_vote):
    residence, coord, committee, people = house
    vote = make_vote(electorate=Electorate.COMMITTEE, secret=False, results_hidden=False)
    with pytest.raises(proxies.DeskRefused) as refused:
        proxies.record_desk_ballot(committee, vote, people[0], "pour", channel=PAPER, now=utcnow())
    assert "ne fait pas partie" in str(refused.value.message)


# -- a secret vote, by batch ----------------------------------------------------------------


def test_a_secret_batch_counts_and_lists_who_took_part(session, house, make_vote):
    residence, coord, committee, people = house
    vote = make_vote(electorate=Electorate.RESIDENTS)
    services.cast(people[4], vote, "pour", now=utcnow())
    batch = proxies.record_desk_batch(
        coord,
        vote,
        people[:3],
        {"pour": 2, "contre": 0, "abstention": 1},
        channel=ROOM,
        now=utcnow(),
    )
    assert (batch.size, batch.channel) == (3, ROOM)
    assert services.counts(vote) == {"pour": 3, "contre": 0, "abstention": 1}
    assert services.result(vote).participation == 4
    channels = session.scalars(
        sa.select(Participation.channel).where(Participation.cast_by_id == coord.id)
    ).all()
    assert channels == [ROOM] * 3
    (event,) = _audit(session, "vote.desk_batch")
    assert event.details == "channel=room; people=3"  # the size, never the counts


@pytest.mark.parametrize(
    "counts, ticked",
    [({"pour": 2}, 3), ({"pour": 3, "contre": 1}, 3), ({}, 0), ({"pour": -1, "contre": 4}, 3)],
)
def test_a_batch_must_add_up(session, house, make_vote, counts, ticked):
    residence, coord, committee, people = house
    vote = make_vote(electorate=Electorate.RESIDENTS)
    with pytest.raises(proxies.DeskRefused):
        proxies.record_desk_batch(
            committee, vote, people[:ticked], counts, channel=PAPER, now=utcnow()
        )
    assert _participations(session, vote) == 0
    assert sum(services.counts(vote).values()) == 0


def test_a_batch_with_someone_already_counted_is_refused_whole(session, house, make_vote):
    residence, coord, committee, people = house
    vote = make_vote(electorate=Electorate.RESIDENTS)
    services.cast(people[1], vote, "contre", now=utcnow())
    with pytest.raises(proxies.ProxyConflict) as refused:
        proxies.record_desk_batch(
            committee, vote, people[:3], {"pour": 3}, channel=PAPER, now=utcnow()
        )
    message = str(refused.value.message)
    assert people[1].user.full_name in message and "Rien n'est enregistré" in message
    assert services.counts(vote) == {"pour": 0, "contre": 1, "abstention": 0}
    assert _participations(session, vote) == 1


def test_a_batch_that_loses_a_race_is_refused_whole(session, house, make_vote, monkeypatch):
    residence, coord, committee, people = house
    vote = make_vote(electorate=Electorate.RESIDENTS)
    services.cast(people[1], vote, "contre", now=utcnow())
    calls = []

    real = proxies._refuse_counted

    def blind_first(vote, keys):  # the check before the insert sees nothing yet
        calls.append(1)
        if len(calls) > 1:
            real(vote, keys)

    monkeypatch.setattr(proxies, "_refuse_counted", blind_first)
    with pytest.raises(proxies.ProxyConflict) as refused:
        proxies.record_desk_batch(
            committee, vote, people[:3], {"pour": 3}, channel=PAPER, now=utcnow()
        )
    assert people[1].user.full_name in str(refused.value.message)
    assert services.counts(vote) == {"pour": 0, "contre": 1, "abstention": 0}
    assert _participations(session, vote) == 1


def test_two_of_one_home_in_a_batch_are_refused(session, house, make_vote):
    residence, coord, committee, people = house
    vote = make_vote(electorate=Electorate.HOMES)
    with pytest.raises(proxies.DeskRefused) as refused:
        proxies.record_desk_batch(
            committee, vote, people[:2], {"pour": 2}, channel=PAPER, now=utcnow()
        )
    assert "même foyer" in str(refused.value.message)


def test_the_desk_list_says_how_each_was_counted(session, house, make_vote):
    residence, coord, committee, people = house
    vote = make_vote(electorate=Electorate.HOMES)
    services.cast(people[0], vote, "pour", now=utcnow())
    proxies.record_desk_batch(
        committee, vote, [people[2]], {"contre": 1}, channel=PAPER, now=utcnow()
    )
    listed = {p.member.id: p for p in proxies.desk_people(vote)}
    assert proxies.counted_words(listed[people[0].id]) == "a voté en ligne"
    assert proxies.counted_words(listed[people[1].id]) == "son foyer a déjà voté"
    assert proxies.counted_words(listed[people[2].id]) == "a voté sur papier"
    assert listed[people[3].id].counted is None
    assert listed[people[2].id].at_desk
