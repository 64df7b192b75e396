"""Proxies without HTTP: who may give and hold one, the holder's limit (and the residence's
own), one vote or a period, revocation, precedence both ways, votes per home, secrecy of a
proxy ballot, the messages and the audit log."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from app.core.audit import AuditEvent
from app.core.db import utcnow
from app.core.permissions import Role
from app.extensions import db
from app.messages.models import Message
from app.votes import proxies, services
from app.votes.models import Ballot, Channel, Electorate, Participation, Proxy
from tests.factories import member
from tests.votes import test_services as base

# The residence and the votes of the votes' service tests.
house = base.house
make_vote = base.make_vote

HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


def _give(principal, holder, vote=None, period=None, now=None):
    proxy = proxies.give_proxy(principal, holder, vote=vote, period=period, now=now or utcnow())
    db.session.commit()
    return proxy


def _messages(member_):
    return db.session.scalars(
        sa.select(Message).where(Message.membership_id == member_.id).order_by(Message.id)
    ).all()


# -- giving ------------------------------------------------------------------------------


def test_a_proxy_for_one_vote_lets_the_holder_vote_for_the_principal(session, house, make_vote):
    residence, coord, committee, people = house
    vote = make_vote(electorate=Electorate.RESIDENTS)
    jeanne, karim = people[0], people[2]
    proxy = _give(jeanne, karim, vote)
    now = utcnow()
    assert [p.id for p in proxies.proxies_held(karim, vote, now)] == [proxy.id]
    proxies.cast_by_proxy(karim, vote, jeanne, "pour", now=now)
    services.cast(karim, vote, "contre", now=now)  # and his own vote, separately
    row = session.scalar(
        sa.select(Participation).where(Participation.voter_key == f"member:{jeanne.id}")
    )
    assert (row.membership_id, row.cast_by_id, row.channel) == (jeanne.id, karim.id, Channel.PROXY)
    assert services.counts(vote) == {"pour": 1, "contre": 1, "abstention": 0}
    assert services.has_voted(jeanne, vote)
    states = proxies.proxy_states(karim, vote, now)
    assert [(s.principal.id, s.counted, s.by_me) for s in states] == [(jeanne.id, True, True)]


@pytest.mark.parametrize(
    "who, error",
    [
        ("self", "vous-même"),
        ("other_residence", "liste"),
        ("departed", "ne peut pas voter"),
        ("landlord", "ne peut pas voter"),
        ("not_committee", "ne fait pas partie"),
    ],
)
def test_the_holder_must_be_eligible(
    session, house, make_vote, create_user, create_residence, who, error
):
    residence, coord, committee, people = house
    vote = make_vote(
        electorate=Electorate.COMMITTEE if who == "not_committee" else Electorate.HOMES
    )
    principal = committee if who == "not_committee" else people[0]
    holder = {
        "self": lambda: principal,
        "other_residence": lambda: member(create_user("loin", residence=create_residence("Bézu"))),
        "departed": lambda: people[3],
        "landlord": lambda: member(
            create_user("bailleur", residence=residence, role=Role.LANDLORD_ADMIN), residence
        ),
        "not_committee": lambda: people[2],
    }[who]()
    if who == "departed":
        holder.deactivated_at = utcnow()
    with pytest.raises(proxies.ProxyRefused) as refused:
        proxies.give_proxy(principal, holder, vote=vote, now=utcnow())
    assert error in str(refused.value.message)
    assert refused.value.field == "holder"
    assert session.scalar(sa.select(sa.func.count()).select_from(Proxy)) == 0


def test_the_principal_must_be_in_the_vote(session, house, make_vote):
    residence, coord, committee, people = house
    vote = make_vote(electorate=Electorate.COMMITTEE)
    with pytest.raises(services.NotInElectorate):
        proxies.give_proxy(people[0], committee, vote=vote, now=utcnow())


def test_not_for_a_closed_vote(session, house, make_vote):
    residence, coord, committee, people = house
    now = utcnow()
    vote = make_vote(opens_at=now - 3 * DAY, closes_at=now - DAY)
    with pytest.raises(proxies.ProxyConflict) as refused:
        proxies.give_proxy(people[0], people[2], vote=vote, now=now)
    assert "clos" in str(refused.value.message)


def test_a_holder_carries_at_most_two_by_default(session, house, make_vote):
    residence, coord, committee, people = house
    vote = make_vote(electorate=Electorate.RESIDENTS)
    holder = people[2]
    _give(people[0], holder, vote)
    _give(people[1], holder, vote)
    with pytest.raises(proxies.ProxyConflict) as refused:
        proxies.give_proxy(people[3], holder, vote=vote, now=utcnow())
    assert "2 procurations" in str(refused.value.message)
    # A period overlapping the vote counts too.
    now = utcnow()
    with pytest.raises(proxies.ProxyConflict):
        proxies.give_proxy(people[3], holder, period=(now, now + 3 * DAY), now=now)
    # Another holder is fine.
    _give(people[3], people[4], vote)


def test_the_residence_sets_its_own_limit(session, house, make_vote):
    residence, coord, committee, people = house
    residence.proxy_limit = 1
    session.commit()
    vote = make_vote(electorate=Electorate.RESIDENTS)
    _give(people[0], people[2], vote)
    with pytest.raises(proxies.ProxyConflict) as refused:
        proxies.give_proxy(people[1], people[2], vote=vote, now=utcnow())
    assert "1 procurations" in str(refused.value.message) or "1 " in str(refused.value.message)
    residence.proxy_limit = 0
    session.commit()
    with pytest.raises(proxies.ProxyRefused) as refused:
        proxies.give_proxy(people[3], people[4], vote=vote, now=utcnow())
    assert "pas donner de procuration" in str(refused.value.message)
    residence.proxy_limit = 3
    session.commit()
    _give(people[1], people[2], vote)
    _give(people[3], people[2], vote)


def test_a_revoked_proxy_frees_a_place_and_stops_the_holder(session, house, make_vote):
    residence, coord, committee, people = house
    vote = make_vote(electorate=Electorate.RESIDENTS)
    first = _give(people[0], people[2], vote)
    _give(people[1], people[2], vote)
    proxies.revoke_proxy(people[0], first, now=utcnow())
    session.commit()
    assert first.revoked_at is not None
    with pytest.raises(proxies.NoSuchProxy):
        proxies.cast_by_proxy(people[2], vote, people[0], "pour", now=utcnow())
    _give(people[3], people[2], vote)  # the place is free again
    # Jeanne votes herself.
    services.cast(people[0], vote, "contre", now=utcnow())


def test_only_the_principal_revokes(session, house, make_vote):
    residence, coord, committee, people = house
    vote = make_vote(electorate=Electorate.RESIDENTS)
    proxy = _give(people[0], people[2], vote)
    for other in (people[2], coord):
        with pytest.raises(proxies.ProxyRefused):
            proxies.revoke_proxy(other, proxy, now=utcnow())


def test_a_used_proxy_for_one_vote_cannot_be_revoked(session, house, make_vote):
    residence, coord, committee, people = house
    vote = make_vote(electorate=Electorate.RESIDENTS)
    proxy = _give(people[0], people[2], vote)
    proxies.cast_by_proxy(people[2], vote, people[0], "pour", now=utcnow())
    with pytest.raises(proxies.ProxyConflict) as refused:
        proxies.revoke_proxy(people[0], proxy, now=utcnow())
    assert "déjà voté pour vous" in str(refused.value.message)


def test_one_proxy_at_a_time_per_principal(session, house, make_vote):
    residence, coord, committee, people = house
    vote = make_vote(electorate=Electorate.RESIDENTS)
    _give(people[0], people[2], vote)
    now = utcnow()
    with pytest.raises(proxies.ProxyConflict) as refused:
        proxies.give_proxy(people[0], people[3], period=(now, now + 2 * DAY), now=now)
    assert "retirez-la" in str(refused.value.message)


# -- a period --------------------------------------------------------------------------


def test_a_period_covers_votes_while_it_lasts(session, house, make_vote):
    residence, coord, committee, people = house
    now = utcnow()
    vote = make_vote(now, electorate=Electorate.RESIDENTS, closes_at=now + 10 * DAY)
    proxy = _give(people[0], people[2], period=(now + DAY, now + 3 * DAY), now=now)
    # Not yet: the period starts tomorrow.
    assert proxies.proxies_held(people[2], vote, now) == []
    with pytest.raises(proxies.NoSuchProxy):
        proxies.cast_by_proxy(people[2], vote, people[0], "pour", now=now)
    during = now + 2 * DAY
    assert [p.id for p in proxies.proxies_held(people[2], vote, during)] == [proxy.id]
    # Over after it ends.
    assert proxies.proxies_held(people[2], vote, now + 4 * DAY) == []
    proxies.cast_by_proxy(people[2], vote, people[0], "abstention", now=during)
    assert services.counts(vote)["abstention"] == 1


def test_a_period_must_end_after_it_starts_and_last_at_most_a_year(session, house):
    residence, coord, committee, people = house
    now = utcnow()
    with pytest.raises(proxies.ProxyRefused):
        proxies.give_proxy(people[0], people[2], period=(now, now - DAY), now=now)
    with pytest.raises(proxies.ProxyRefused):
        proxies.give_proxy(people[0], people[2], period=(now - 3 * DAY, now - DAY), now=now)
    with pytest.raises(proxies.ProxyRefused):
        proxies.give_proxy(people[0], people[2], period=(now, now + 400 * DAY), now=now)
    with pytest.raises(proxies.ProxyRefused):
        proxies.give_proxy(people[0], people[2], now=now)  # neither a vote nor a period


def test_periods_that_do_not_overlap_do_not_add_up(session, house):
    residence, coord, committee, people = house
    now = utcnow()
    holder = people[2]
    _give(people[0], holder, period=(now, now + DAY), now=now)
    _give(people[1], holder, period=(now, now + DAY), now=now)
    _give(people[3], holder, period=(now + 2 * DAY, now + 3 * DAY), now=now)
    with pytest.raises(proxies.ProxyConflict):
        proxies.give_proxy(people[4], holder, period=(now + HOUR, now + 2 * HOUR), now=now)


def test_proxies_for_different_votes_do_not_add_up(session, house, make_vote):
    residence, coord, committee, people = house
    first, second = make_vote(), make_vote()
    holder = people[2]
    _give(people[0], holder, first)
    _give(people[1], holder, first)
    _give(people[0], holder, second)
    _give(people[1], holder, second)
    with pytest.raises(proxies.ProxyConflict):
        proxies.give_proxy(people[3], holder, vote=second, now=utcnow())
    now = utcnow()
    # A period over both votes would make three in each.
    with pytest.raises(proxies.ProxyConflict):
        proxies.give_proxy(people[3], holder, period=(now, now + DAY), now=now)


def test_the_holder_must_be_in_the_vote_when_using_a_period(session, house, make_vote):
    residence, coord, committee, people = house
    vote = make_vote(electorate=Electorate.COMMITTEE)
    now = utcnow()
    # A committee member gives a period's proxy to a resident: not usable in a committee vote.
    _give(committee, people[2], period=(now - HOUR, now + DAY), now=now - HOUR)
    with pytest.raises(services.NotInElectorate):
        proxies.cast_by_proxy(people[2], vote, committee, "pour", now=now)


# -- precedence --------------------------------------------------------------------------


def test_the_principal_voting_first_takes_precedence(session, house, make_vote):
    residence, coord, committee, people = house
    vote = make_vote(electorate=Electorate.RESIDENTS)
    jeanne, karim = people[0], people[2]
    _give(jeanne, karim, vote)
    services.cast(jeanne, vote, "contre", now=utcnow())
    with pytest.raises(proxies.ProxyConflict) as refused:
        proxies.cast_by_proxy(karim, vote, jeanne, "pour", now=utcnow())
    assert refused.value.status_code == 409
    assert "a déjà voté en personne" in str(refused.value.message)
    assert services.counts(vote) == {"pour": 0, "contre": 1, "abstention": 0}
    (state,) = proxies.proxy_states(karim, vote, utcnow())
    assert state.counted and not state.by_me


def test_once_the_holder_voted_the_principal_cannot(session, house, make_vote):
    residence, coord, committee, people = house
    for secret in (True, False):
        vote = make_vote(electorate=Electorate.RESIDENTS, secret=secret, results_hidden=secret)
        jeanne, karim = people[0], people[2]
        _give(jeanne, karim, vote)
        proxies.cast_by_proxy(karim, vote, jeanne, "pour", now=utcnow())
        with pytest.raises(services.VotedByProxy) as refused:
            services.cast(jeanne, vote, "contre", now=utcnow())
        assert karim.user.full_name in str(refused.value.message)
        assert services.counts(vote) == {"pour": 1, "contre": 0, "abstention": 0}
        session.commit()


def test_a_public_proxy_ballot_may_be_changed_by_its_holder_a_secret_one_not(
    session, house, make_vote
):
    residence, coord, committee, people = house
    public = make_vote(electorate=Electorate.RESIDENTS, secret=False, results_hidden=False)
    _give(people[0], people[2], public)
    proxies.cast_by_proxy(people[2], public, people[0], "pour", now=utcnow())
    proxies.cast_by_proxy(people[2], public, people[0], "contre", now=utcnow())
    ballot = session.scalar(sa.select(Ballot).where(Ballot.vote_id == public.id))
    assert (ballot.membership_id, ballot.option) == (people[0].id, "contre")
    assert services.counts(public)["contre"] == 1

    secret = make_vote(electorate=Electorate.RESIDENTS)
    _give(people[1], people[3], secret)
    proxies.cast_by_proxy(people[3], secret, people[1], "pour", now=utcnow())
    with pytest.raises(proxies.ProxyConflict) as refused:
        proxies.cast_by_proxy(people[3], secret, people[1], "contre", now=utcnow())
    assert "secret" in str(refused.value.message)
    assert services.counts(secret) == {"pour": 1, "contre": 0, "abstention": 0}


def test_a_race_with_the_principal_is_settled_by_the_database(
    session, house, make_vote, monkeypatch
):
    residence, coord, committee, people = house
    vote = make_vote(electorate=Electorate.RESIDENTS)
    jeanne, karim = people[0], people[2]
    _give(jeanne, karim, vote)
    # Jeanne's own ballot lands between the holder's check and his insert.
    services.cast(jeanne, vote, "contre", now=utcnow())
    monkeypatch.setattr(proxies, "_participation", lambda vote, key: None)
    with pytest.raises(proxies.ProxyConflict):
        proxies.cast_by_proxy(karim, vote, jeanne, "pour", now=utcnow())
    assert services.counts(vote) == {"pour": 0, "contre": 1, "abstention": 0}


# -- a vote per home ---------------------------------------------------------------------


def test_in_a_vote_per_home_a_proxy_carries_the_home_voice(session, house, make_vote):
    residence, coord, committee, people = house
    vote = make_vote(electorate=Electorate.HOMES)
    # people[0] and people[1] share A01.
    with pytest.raises(proxies.ProxyRefused) as refused:
        proxies.give_proxy(people[0], people[1], vote=vote, now=utcnow())
    assert "foyer" in str(refused.value.message)
    _give(people[0], people[2], vote)
    proxies.cast_by_proxy(people[2], vote, people[0], "pour", now=utcnow())
    row = session.scalar(sa.select(Participation).where(Participation.vote_id == vote.id))
    assert row.voter_key == f"home:{people[0].home_id}"
    with pytest.raises(services.HomeAlreadyVoted):
        services.cast(people[1], vote, "contre", now=utcnow())


def test_a_home_that_voted_stops_its_proxy(session, house, make_vote):
    residence, coord, committee, people = house
    vote = make_vote(electorate=Electorate.HOMES)
    _give(people[0], people[2], vote)
    services.cast(people[1], vote, "contre", now=utcnow())
    with pytest.raises(proxies.ProxyConflict) as refused:
        proxies.cast_by_proxy(people[2], vote, people[0], "pour", now=utcnow())
    assert "foyer" in str(refused.value.message)


# -- secrecy, messages, audit --------------------------------------------------------------


def test_a_secret_proxy_ballot_is_not_linked_to_its_choice(session, house, make_vote):
    residence, coord, committee, people = house
    vote = make_vote(electorate=Electorate.RESIDENTS)
    _give(people[0], people[2], vote)
    proxies.cast_by_proxy(people[2], vote, people[0], "contre", now=utcnow())
    session.commit()
    events = session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "vote.proxy")).all()
    assert len(events) == 1 and "contre" not in events[0].details
    (message,) = [m for m in _messages(people[0]) if "a voté pour vous" in m.subject]
    assert "contre" not in message.body.lower() and "secret" in message.body
    assert session.scalars(sa.select(Ballot)).all() == []


def test_messages_and_audit_when_given_revoked_used(session, house, make_vote):
    residence, coord, committee, people = house
    vote = make_vote(electorate=Electorate.RESIDENTS, secret=False, results_hidden=False)
    jeanne, karim = people[0], people[2]
    proxy = _give(jeanne, karim, vote)
    proxies.cast_by_proxy(karim, vote, jeanne, "pour", now=utcnow())
    session.commit()
    subjects = [m.subject for m in _messages(karim)]
    assert any("vous donne sa procuration" in s for s in subjects)
    body = [m.body for m in _messages(jeanne) if "a voté pour vous" in m.subject][0]
    assert "« Pour »" in body  # a public vote: the principal is told the choice
    other = make_vote(electorate=Electorate.RESIDENTS)
    second = _give(people[1], karim, other)
    proxies.revoke_proxy(people[1], second, now=utcnow())
    session.commit()
    assert any("a retiré sa procuration" in m.subject for m in _messages(karim))
    assert any("Vous avez retiré" in m.subject for m in _messages(people[1]))
    actions = session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert {"proxy.give", "vote.proxy", "proxy.revoke"} <= set(actions)
    assert proxies.proxy_cast_at(karim, vote, jeanne) is not None
    assert proxy.id


def test_lists_of_proxies_given_and_held(session, house, make_vote):
    residence, coord, committee, people = house
    now = utcnow()
    vote = make_vote(electorate=Electorate.RESIDENTS)
    given = _give(people[0], people[2], vote)
    period = _give(people[1], people[2], period=(now, now + DAY), now=now)
    assert [p.id for p in proxies.proxies_given(people[0], now)] == [given.id]
    assert {p.id for p in proxies.proxies_holding(people[2], now)} == {given.id, period.id}
    # Over: neither listed any more.
    assert proxies.proxies_holding(people[2], now + 30 * DAY) == []
