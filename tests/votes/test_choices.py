"""Questions with several choices (issue 9, point 2) without HTTP: the choices' words kept
with the vote, the most votes wins among the choices (abstentions aside), a tie at the top
or a missed quorum decides nothing, the secret counters per choice, the desk and proxies,
the charter untouched, the sentence, the settings and the minutes."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.core.db import utcnow
from app.core.timewords import words
from app.votes import charter_services, proxies, services
from app.votes.models import (
    Article,
    Ballot,
    ChangeKind,
    Channel,
    Electorate,
    Majority,
    Participation,
    ProposalStatus,
    VoteTally,
)
from tests.votes import test_services as base

house = base.house
DAYS = ("Mardi", "Jeudi", "Samedi")


def _question(people, title="Quel jour pour la sortie au marché ?"):
    return services.create_proposal(
        people[0], title, "", why="Pour y aller ensemble.", change=ChangeKind.QUESTION
    )


@pytest.fixture
def make_question(session, house):
    """A question put to the vote by the committee: Mardi / Jeudi / Samedi, with
    "Je m'abstiens", one voice per resident, open from an hour ago for a day."""

    def _make(labels=DAYS, *, abstention=True, **settings):
        residence, coord, committee, people = house
        now = utcnow()
        keys = tuple(f"c{n}" for n in range(1, len(labels) + 1))
        settings.setdefault("opens_at", now - base.HOUR)
        settings.setdefault("closes_at", now + 24 * base.HOUR)
        settings.setdefault("electorate", Electorate.RESIDENTS)
        settings.setdefault("majority", Majority.PLURALITY)
        vote = services.create_vote(
            committee,
            _question(people),
            services.Settings(
                labels=tuple(labels),
                options=(*keys, "abstention") if abstention else keys,
                **settings,
            ),
        )
        session.commit()
        return vote

    return _make


def _close(vote):
    return base._close(vote, utcnow())


# -- the settings ----------------------------------------------------------------------


def test_the_choices_words_are_kept_with_the_vote(session, make_question):
    vote = make_question()
    session.expire_all()
    assert vote.option_keys == ["c1", "c2", "c3", "abstention"]
    assert vote.labels == list(DAYS) and vote.is_question
    assert vote.choice_words == {"c1": "Mardi", "c2": "Jeudi", "c3": "Samedi"}
    assert vote.abstentions_cast is False


@pytest.mark.parametrize(
    ("labels", "options"),
    [
        (("Mardi",), ("c1",)),  # one choice is no question
        (tuple(f"Jour {n}" for n in range(7)), tuple(f"c{n}" for n in range(1, 8))),
        (("Mardi", "mardi "), ("c1", "c2")),  # the same choice twice
        (("Mardi", "   "), ("c1", "c2")),
        (("Mardi", "x" * 81), ("c1", "c2")),
        (("Mardi", "Jeudi"), ("c1", "c3")),  # keys out of order
        (("Mardi", "Jeudi"), ("pour", "contre")),
    ],
)
def test_a_question_needs_two_to_six_distinct_choices(session, house, labels, options):
    residence, coord, committee, people = house
    now = utcnow()
    with pytest.raises(services.InvalidSettings) as refused:
        services.create_vote(
            committee,
            _question(people),
            services.Settings(
                opens_at=now,
                closes_at=now + base.HOUR,
                majority=Majority.PLURALITY,
                labels=labels,
                options=options,
            ),
        )
    assert refused.value.status_code == 422


def test_the_majorities_of_pour_and_contre_are_refused_for_a_question(session, house):
    residence, coord, committee, people = house
    now = utcnow()
    for majority in (Majority.MORE_FOR_THAN_AGAINST, Majority.TWO_THIRDS_OF_CAST):
        with pytest.raises(services.InvalidSettings, match="plus de voix"):
            services.create_vote(
                committee,
                _question(people),
                services.Settings(
                    opens_at=now,
                    closes_at=now + base.HOUR,
                    majority=majority,
                    labels=DAYS,
                    options=("c1", "c2", "c3"),
                ),
            )


def test_a_rule_of_the_charter_keeps_pour_and_contre(session, house):
    residence, coord, committee, people = house
    now = utcnow()
    proposal = services.create_proposal(people[0], "Heures calmes", "Silence de 22 h à 7 h.")
    for settings in (
        {"labels": DAYS, "options": ("c1", "c2", "c3"), "majority": Majority.PLURALITY},
        {"majority": Majority.PLURALITY},
    ):
        with pytest.raises(services.InvalidSettings):
            services.create_vote(
                committee,
                proposal,
                services.Settings(opens_at=now, closes_at=now + base.HOUR, **settings),
            )


# -- casting and counting ----------------------------------------------------------------


def test_the_choice_with_the_most_votes_wins_and_the_charter_is_untouched(
    session, house, make_question
):
    residence, coord, committee, people = house
    before = session.scalar(sa.select(sa.func.count()).select_from(Article))
    vote = make_question(quorum_percent=50)
    base._cast_all(
        vote,
        [
            (people[0], "c2"),
            (people[1], "c2"),
            (people[2], "c1"),
            (people[3], "abstention"),
            (people[4], "abstention"),
            (committee, "abstention"),
        ],
        utcnow(),
    )
    outcome = _close(vote)
    # Three abstentions outnumber Jeudi's two: they do not count for any choice.
    assert outcome.counts == {"c1": 1, "c2": 2, "c3": 0, "abstention": 3}
    assert outcome.winner == "c2" and outcome.adopted and outcome.cast == 3
    assert vote.adopted is True
    assert vote.proposal.status == ProposalStatus.ADOPTED
    assert vote.proposal.article is None
    assert session.scalar(sa.select(sa.func.count()).select_from(Article)) == before
    assert services.summary(words("fr"), outcome) == (
        "Choix retenu : Jeudi, 2 voix sur 3 ; Mardi 1, Samedi 0 ; 3 abstentions ; "
        "6 habitants sur 7 ont voté, le quorum de 4 est atteint ; "
        "le choix qui a le plus de voix l'emporte"
    )
    assert services.summary(words("en"), outcome) == (
        "Chosen: Jeudi, 2 votes out of 3; Mardi 1, Samedi 0; 3 abstentions; "
        "6 residents out of 7 voted, the quorum of 4 is reached; "
        "the choice with the most votes wins"
    )


def test_a_tie_at_the_top_means_no_choice_wins(session, house, make_question):
    residence, coord, committee, people = house
    vote = make_question()
    base._cast_all(
        vote,
        [(people[0], "c1"), (people[2], "c2"), (people[3], "c3")],
        utcnow(),
    )
    outcome = _close(vote)
    assert outcome.tie and outcome.winner is None and not outcome.adopted
    assert vote.proposal.status == ProposalStatus.REJECTED
    text = services.summary(words("fr"), outcome)
    assert text.startswith("Égalité : aucun choix ne l'emporte : Mardi 1, Jeudi 1, Samedi 1 ;")
    assert services.summary(words("en"), outcome).startswith("A tie: no choice wins: Mardi 1")


def test_a_tie_below_the_top_does_not_matter(session, house, make_question):
    residence, coord, committee, people = house
    vote = make_question()
    base._cast_all(
        vote,
        [(people[0], "c3"), (people[1], "c3"), (people[2], "c1"), (people[3], "c2")],
        utcnow(),
    )
    outcome = _close(vote)
    assert outcome.winner == "c3" and not outcome.tie


def test_no_choice_wins_without_the_quorum(session, house, make_question):
    residence, coord, committee, people = house
    vote = make_question(quorum_percent=50)
    base._cast_all(vote, [(people[0], "c1"), (people[1], "c1")], utcnow())
    outcome = _close(vote)
    assert not outcome.quorum_met and outcome.winner is None
    assert vote.proposal.status == ProposalStatus.REJECTED
    text = services.summary(words("fr"), outcome)
    assert text.startswith("Aucun choix retenu : Mardi 2, Jeudi 0, Samedi 0 ;")
    assert "le quorum de 4 n'est pas atteint" in text


def test_only_abstentions_win_nothing(session, house, make_question):
    residence, coord, committee, people = house
    vote = make_question()
    services.cast(people[0], vote, "abstention", now=utcnow())
    outcome = _close(vote)
    assert outcome.winner is None and not outcome.tie and not outcome.adopted


def test_unknown_or_absent_choices_are_refused(session, house, make_question):
    residence, coord, committee, people = house
    vote = make_question(abstention=False)
    for choice in ("c4", "pour", "abstention", "Mardi"):
        with pytest.raises(services.UnknownChoice):
            services.cast(people[0], vote, choice, now=utcnow())
    assert services.result(vote).participation == 0


def test_secret_counters_one_per_choice_every_one_rewritten(session, house, make_question):
    residence, coord, committee, people = house
    vote = make_question()
    rows = session.execute(
        sa.select(VoteTally.option, VoteTally.count).where(VoteTally.vote_id == vote.id)
    ).all()
    assert sorted(rows) == [("abstention", 0), ("c1", 0), ("c2", 0), ("c3", 0)]
    services.cast(people[0], vote, "c3", now=utcnow())
    with pytest.raises(services.AlreadyVoted):
        services.cast(people[0], vote, "c1", now=utcnow())
    assert services.counts(vote) == {"c1": 0, "c2": 0, "c3": 1, "abstention": 0}


def test_a_public_question_ballot_changes_until_the_close(session, house, make_question):
    residence, coord, committee, people = house
    vote = make_question(secret=False, results_hidden=False)
    services.cast(people[0], vote, "c1", now=utcnow())
    services.cast(people[0], vote, "c2", now=utcnow())
    assert services.counts(vote) == {"c1": 0, "c2": 1, "c3": 0, "abstention": 0}


# -- the desk and proxies ------------------------------------------------------------------


def test_the_desk_counts_choices_by_batch_and_by_name(session, house, make_question):
    residence, coord, committee, people = house
    secret = make_question()
    proxies.record_desk_batch(
        committee,
        secret,
        [people[0], people[1], people[2]],
        {"c1": 2, "abstention": 1},
        channel=Channel.PAPER,
        now=utcnow(),
    )
    with pytest.raises(services.AlreadyVoted):
        services.cast(people[0], secret, "c2", now=utcnow())
    assert services.counts(secret) == {"c1": 2, "c2": 0, "c3": 0, "abstention": 1}
    with pytest.raises(proxies.DeskRefused):
        proxies.record_desk_batch(
            committee, secret, [people[3]], {"pour": 1}, channel=Channel.PAPER, now=utcnow()
        )

    public = make_question(secret=False, results_hidden=False)
    proxies.record_desk_ballot(
        committee, public, people[3], "c3", channel=Channel.ROOM, now=utcnow()
    )
    assert services.counts(public)["c3"] == 1
    with pytest.raises(services.UnknownChoice):
        proxies.record_desk_ballot(
            committee, public, people[4], "pour", channel=Channel.ROOM, now=utcnow()
        )


def test_a_proxy_votes_a_choice_and_the_principal_is_told_its_words(session, house, make_question):
    residence, coord, committee, people = house
    vote = make_question(secret=False, results_hidden=False)
    proxies.give_proxy(people[0], people[2], vote=vote, now=utcnow())
    proxies.cast_by_proxy(people[2], vote, people[0], "c2", now=utcnow())
    assert services.counts(vote)["c2"] == 1
    assert proxies.choice_label(words("fr").gettext, "c2", vote) == "Jeudi"
    with pytest.raises(services.VotedByProxy):
        services.cast(people[0], vote, "c1", now=utcnow())


# -- words -------------------------------------------------------------------------------


def test_the_settings_and_the_minutes_say_the_rule(session, house, make_question):
    residence, coord, committee, people = house
    vote = make_question()
    said = services.settings_words(words("fr"), vote)
    assert "Le choix qui a le plus de voix l'emporte." in said
    assert not any("Pour que la règle soit adoptée" in line for line in said)
    services.cast(people[0], vote, "c2", now=utcnow())
    _close(vote)
    minutes = charter_services.minutes(words("fr"), vote, now=utcnow())
    assert "Les choix proposés : Mardi, Jeudi, Samedi." in minutes.settings
    assert minutes.charter_changed is None
    assert minutes.summary.startswith("Choix retenu : Jeudi, 1 voix sur 1 ;")
    assert charter_services.change_of(vote.proposal).article is None


def test_secrecy_a_questions_participations_hold_no_choice(session, house, make_question):
    residence, coord, committee, people = house
    vote = make_question()
    chosen = ["c1", "c2", "c2", "abstention", "c3", "c2"]
    base._cast_all(vote, zip([*people, committee], chosen, strict=True), utcnow())
    session.commit()
    rows = session.execute(
        sa.select(VoteTally.option, VoteTally.count).where(VoteTally.vote_id == vote.id)
    ).all()
    assert sorted(rows) == [("abstention", 1), ("c1", 1), ("c2", 3), ("c3", 1)]
    keys = {"c1", "c2", "c3", "abstention", *DAYS}
    for row in session.scalars(sa.select(Participation).where(Participation.vote_id == vote.id)):
        values = {str(getattr(row, c.key)) for c in sa.inspect(Participation).columns}
        assert not values & keys
    assert session.scalar(sa.select(sa.func.count()).select_from(Ballot)) == 0
