"""Proposals as residents discuss them, the committee's steps, before / after, the charter
and each article's history, the minutes, and the reminders the day before a vote closes
(sent once, none to those who voted, safe when two servers run them at once)."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from app.core.db import utcnow
from app.core.errors import NotAllowed
from app.core.permissions import Role
from app.core.timewords import words
from app.messages.models import Message
from app.votes import charter_services as charter
from app.votes import services
from app.votes.models import (
    Article,
    ChangeKind,
    Channel,
    Electorate,
    ProposalStatus,
    VoteReminder,
)
from tests.conftest import at_once
from tests.factories import member

HOUR = dt.timedelta(hours=1)
FR = words("fr", "Europe/Paris")


@pytest.fixture
def house(create_residence, create_user):
    residence = create_residence("Armentières")
    coord = create_user("coord", residence=residence, role=Role.COORDINATOR)
    committee = create_user("comite", residence=residence, role=Role.COMMITTEE, home="A05")
    homes = ["A01", "A01", "A02", "A03"]
    people = [create_user(f"habitant{n}", residence=residence, home=h) for n, h in enumerate(homes)]
    return (
        residence,
        member(coord, residence),
        member(committee, residence),
        [member(p, residence) for p in people],
    )


def _article(session, residence, number, title, text):
    article = Article(residence_id=residence.id, number=number, title=title, text=text)
    session.add(article)
    session.flush()
    return article


def _vote(committee, proposal, now, **settings):
    settings.setdefault("opens_at", now - HOUR)
    settings.setdefault("closes_at", now + 12 * HOUR)
    return services.create_vote(committee, proposal, services.Settings(**settings))


# -- proposals and comments ---------------------------------------------------------------


def test_residents_comment_and_read_the_discussion_in_order(session, house):
    residence, coord, committee, people = house
    proposal = services.create_proposal(people[0], "Heures calmes", "Silence de 22 h à 7 h.")
    now = utcnow()
    charter.add_comment(people[1], proposal, "  D'accord, mais 23 h ?  ", now=now)
    charter.add_comment(committee, proposal, "On en parle jeudi.", now=now + HOUR)
    said = charter.comments_of(proposal)
    assert [c.text for c in said] == ["D'accord, mais 23 h ?", "On en parle jeudi."]
    assert said[0].author.id == people[1].id
    with pytest.raises(charter.EmptyComment):
        charter.add_comment(people[2], proposal, "   ")


def test_comments_stay_in_the_residence_and_close_with_the_proposal(
    session, house, create_user, create_residence
):
    residence, coord, committee, people = house
    proposal = services.create_proposal(people[0], "Animaux", "Les chiens en laisse.")
    stranger = member(create_user("ailleurs", residence=create_residence("Bézu")))
    with pytest.raises(NotAllowed):
        charter.add_comment(stranger, proposal, "Bonjour")
    services.move_proposal(committee, proposal, ProposalStatus.WITHDRAWN)
    assert not charter.can_comment(people[1], proposal)
    with pytest.raises(charter.CommentsClosed) as refused:
        charter.add_comment(people[1], proposal, "Dommage")
    assert refused.value.status_code == 409


def test_the_committee_hides_a_comment_with_a_reason_and_its_author_is_told(
    session, house, create_user, create_residence
):
    residence, coord, committee, people = house
    proposal = services.create_proposal(people[0], "Heures calmes", "Silence de 22 h à 7 h.")
    rude = charter.add_comment(people[1], proposal, "Les vieux n'ont qu'à se coucher tôt.")
    kept = charter.add_comment(people[2], proposal, "23 h en été ?")
    elsewhere = create_residence("Bézu")
    other_committee = member(create_user("comite.bezu", residence=elsewhere, role=Role.COMMITTEE))
    for who in (people[2], other_committee):  # a resident, another residence's committee
        with pytest.raises(NotAllowed):
            charter.hide_comment(who, rude, "Blessant")
    with pytest.raises(charter.NoReason) as refused:
        charter.hide_comment(committee, rude, "   ")
    assert refused.value.field == "reason" and not rude.is_hidden
    charter.hide_comment(committee, rude, "  Propos blessants   envers des voisins. ")
    assert rude.is_hidden and rude.hidden_reason == "Propos blessants envers des voisins."
    assert rude.hidden_by_id == committee.user_id and not kept.is_hidden
    assert rude.text == "Les vieux n'ont qu'à se coucher tôt."  # kept, never shown
    (told,) = session.scalars(sa.select(Message).where(Message.membership_id == people[1].id)).all()
    assert told.subject == "Votre commentaire a été masqué"
    assert "« Heures calmes »" in told.body and "Propos blessants envers des voisins." in told.body
    # Hidden again, by the coordination this time: nothing changes, nobody is told twice.
    charter.hide_comment(coord, rude, "Autre raison")
    assert rude.hidden_reason == "Propos blessants envers des voisins."
    assert session.scalar(sa.select(sa.func.count(Message.id))) == 1
    # Shown again (hidden by mistake): read by everyone, its author told; twice is once.
    with pytest.raises(NotAllowed):
        charter.show_comment(people[2], rude)
    charter.show_comment(committee, rude)
    charter.show_comment(coord, rude)
    assert not rude.is_hidden and rude.hidden_reason == "" and rude.hidden_by_id is None
    subjects = session.scalars(
        sa.select(Message.subject).where(Message.membership_id == people[1].id).order_by(Message.id)
    ).all()
    assert subjects == [
        "Votre commentaire a été masqué",
        "Votre commentaire est de nouveau visible",
    ]


def test_the_author_edits_their_draft_and_nobody_else_and_not_after(session, house):
    residence, coord, committee, people = house
    quiet = _article(session, residence, 1, "Heures calmes", "Silence de 22 h à 7 h.")
    proposal = services.create_proposal(people[0], "Jardin", "Arrosage le soir.")
    assert charter.can_edit(people[0], proposal) and not charter.can_edit(people[1], proposal)
    charter.edit_proposal(
        people[0], proposal, "Heures calmes", "Silence de 23 h à 7 h.",
        summary="Une heure de plus le soir", change=ChangeKind.CHANGE, article=quiet,
    )  # fmt: skip
    assert proposal.article_id == quiet.id and proposal.summary == "Une heure de plus le soir"
    with pytest.raises(NotAllowed):
        charter.edit_proposal(committee, proposal, "Autre", "Autre")
    with pytest.raises(services.VoteRefused):
        charter.edit_proposal(people[0], proposal, "Sans article", "x", change=ChangeKind.REPEAL)
    services.move_proposal(committee, proposal, ProposalStatus.DISCUSSION)
    assert not charter.can_edit(people[0], proposal)
    with pytest.raises(charter.ProposalNotEditable):
        charter.edit_proposal(people[0], proposal, "Trop tard", "x")


@pytest.mark.parametrize(
    ("start", "to", "allowed"),
    [
        (ProposalStatus.DRAFT, ProposalStatus.DISCUSSION, True),
        (ProposalStatus.DRAFT, ProposalStatus.WITHDRAWN, True),
        (ProposalStatus.DISCUSSION, ProposalStatus.WITHDRAWN, True),
        (ProposalStatus.DISCUSSION, ProposalStatus.DISCUSSION, False),
        (ProposalStatus.DISCUSSION, ProposalStatus.ADOPTED, False),
        (ProposalStatus.VOTING, ProposalStatus.WITHDRAWN, False),
        (ProposalStatus.ADOPTED, ProposalStatus.DISCUSSION, False),
        (ProposalStatus.WITHDRAWN, ProposalStatus.DISCUSSION, False),
    ],
)
def test_transitions_allowed_and_refused(session, house, start, to, allowed):
    residence, coord, committee, people = house
    proposal = services.create_proposal(people[0], "Vélos", "Les vélos dans le local.")
    proposal.status = start
    if allowed:
        services.move_proposal(committee, proposal, to)
        assert proposal.status == to
    else:
        with pytest.raises(services.ProposalNotReady):
            services.move_proposal(committee, proposal, to)
        assert proposal.status == start


def test_only_the_committee_moves_a_proposal(session, house):
    residence, coord, committee, people = house
    proposal = services.create_proposal(people[0], "Vélos", "Les vélos dans le local.")
    assert not charter.can_move(people[1], proposal) and charter.can_move(committee, proposal)
    with pytest.raises(NotAllowed):
        services.move_proposal(people[0], proposal, ProposalStatus.DISCUSSION)


def test_before_and_after_for_a_new_a_changed_and_a_repealed_article(session, house):
    residence, coord, committee, people = house
    quiet = _article(session, residence, 1, "Heures calmes", "Silence de 22 h à 7 h.")
    new = services.create_proposal(people[0], "Vélos", "Les vélos dans le local.")
    change = services.create_proposal(
        people[0],
        "Heures calmes",
        "Silence de 23 h à 7 h.",
        change=ChangeKind.CHANGE,
        article=quiet,
    )
    repeal = services.create_proposal(
        people[1], "Heures calmes", "", change=ChangeKind.REPEAL, article=quiet
    )
    assert charter.change_of(new) == charter.Change(ChangeKind.CREATE, None, None, new.rule_text)
    assert (charter.change_of(change).before, charter.change_of(change).after) == (
        "Silence de 22 h à 7 h.",
        "Silence de 23 h à 7 h.",
    )
    assert (charter.change_of(repeal).before, charter.change_of(repeal).after) == (
        "Silence de 22 h à 7 h.",
        None,
    )
    # Once adopted, "before" stays the text it replaced, though the article moved on.
    now = utcnow()
    vote = _vote(committee, change, now, electorate=Electorate.RESIDENTS, quorum_percent=0)
    services.cast(people[0], vote, "pour", now=now)
    services.refresh_status(vote, vote.closes_at)
    assert quiet.text == "Silence de 23 h à 7 h."
    assert charter.change_of(change).before == "Silence de 22 h à 7 h."


# -- the charter ------------------------------------------------------------------------


def _adopt(committee, voter, proposal, now):
    vote = _vote(committee, proposal, now, electorate=Electorate.RESIDENTS, quorum_percent=0)
    services.cast(voter, vote, "pour", now=now)
    services.refresh_status(vote, vote.closes_at)
    return vote


def test_the_charter_lists_articles_with_the_vote_that_adopted_them(session, house):
    residence, coord, committee, people = house
    founding = _article(session, residence, 1, "Respect", "On se dit bonjour.")
    now = utcnow() - 30 * 24 * HOUR
    created = _adopt(
        committee, people[0], services.create_proposal(people[0], "Vélos", "Au local."), now
    )
    articles = charter.charter_of(residence.id)
    assert [a.article.number for a in articles] == [1, 2]
    assert articles[0].article.id == founding.id and articles[0].adoption is None
    assert articles[1].adoption.vote.id == created.id


def test_an_articles_history_creation_change_then_repeal(session, house):
    residence, coord, committee, people = house
    start = utcnow() - 90 * 24 * HOUR
    first = _adopt(
        committee, people[0], services.create_proposal(people[0], "Vélos", "Au local."), start
    )
    article = first.proposal.article
    changed = services.create_proposal(
        people[1], "Vélos", "Au local, rangés.", change=ChangeKind.CHANGE, article=article
    )
    second = _adopt(committee, people[1], changed, start + 20 * 24 * HOUR)
    assert charter.charter_of(residence.id)[0].adoption.vote.id == second.id
    repeal = services.create_proposal(
        people[2], "Vélos", "", change=ChangeKind.REPEAL, article=article
    )
    third = _adopt(committee, people[2], repeal, start + 40 * 24 * HOUR)
    history = charter.article_history(article)
    assert [h.vote.id for h in history] == [first.id, second.id, third.id]
    assert [h.proposal.change for h in history] == [
        ChangeKind.CREATE,
        ChangeKind.CHANGE,
        ChangeKind.REPEAL,
    ]
    assert history[1].proposal.previous_text == "Au local."
    assert history[2].proposal.previous_text == "Au local, rangés."
    assert not article.in_force and charter.charter_of(residence.id) == []


def test_close_due_closes_passed_votes_when_a_page_is_read(session, house):
    residence, coord, committee, people = house
    now = utcnow()
    vote = _vote(
        committee,
        services.create_proposal(people[0], "Vélos", "Au local."),
        now - 48 * HOUR,
        electorate=Electorate.RESIDENTS,
        quorum_percent=0,
    )
    services.cast(people[0], vote, "pour", now=now - 47 * HOUR)
    assert charter.due_to_close(residence.id, now)
    assert charter.close_due(residence.id, now) == 1
    assert not charter.due_to_close(residence.id, now)
    assert [a.article.title for a in charter.charter_of(residence.id)] == ["Vélos"]


# -- minutes ----------------------------------------------------------------------------


def test_minutes_of_a_closed_secret_vote_give_totals_only(session, house):
    residence, coord, committee, people = house
    now = utcnow()
    proposal = services.create_proposal(people[0], "Animaux", "Les chiens en laisse.")
    vote = _vote(committee, proposal, now, electorate=Electorate.HOMES, quorum_percent=50)
    with pytest.raises(charter.VoteNotClosed):
        charter.minutes(FR, vote, now=now)
    services.cast(people[0], vote, "pour", now=now)
    services.cast(people[2], vote, "contre", now=now)
    services.cast(people[3], vote, "pour", now=now, channel=Channel.PAPER)
    said = charter.minutes(FR, vote, now=vote.closes_at)
    assert said.outcome.participation == 3 and said.outcome.electorate == 5
    assert said.channels == {Channel.ONLINE: 2, Channel.PAPER: 1}
    assert said.summary.startswith("Adopté : 2 pour, 1 contre, 0 abstention")
    assert said.rule == "il fallait plus de pour que de contre"
    assert said.charter_changed == vote.closed_at
    assert any("secret" in line for line in said.settings)


# -- reminders --------------------------------------------------------------------------


def _closing_soon(session, house, electorate=Electorate.RESIDENTS, closes_in=20 * HOUR):
    residence, coord, committee, people = house
    now = utcnow()
    proposal = services.create_proposal(people[0], "Heures calmes", "Silence de 22 h à 7 h.")
    vote = _vote(committee, proposal, now, electorate=electorate, closes_at=now + closes_in)
    session.commit()
    return vote, now


def _reminded(session):
    return sorted(
        session.scalars(
            sa.select(Message.membership_id).where(Message.subject.like("Vote :%"))
        ).all()
    )


def test_reminders_go_once_to_those_who_have_not_voted(session, house):
    residence, coord, committee, people = house
    vote, now = _closing_soon(session, house)
    services.cast(people[0], vote, "pour", now=now)
    services.cast(committee, vote, "contre", now=now)
    session.commit()
    done = charter.send_reminders(now=now)
    assert (done.votes, done.messages) == (1, 4)
    expected = sorted([coord.id, people[1].id, people[2].id, people[3].id])
    assert _reminded(session) == expected
    message = session.scalar(sa.select(Message).where(Message.membership_id == people[1].id))
    assert message.subject == "Vote : plus qu'un jour pour voter"
    assert "« Heures calmes »" in message.body and "Vous n'avez pas encore voté." in message.body
    assert message.target == ("charter.proposal", {"proposal_id": vote.proposal_id})
    # Run again (cron every hour): nothing more.
    assert charter.send_reminders(now=now + HOUR).messages == 0
    assert _reminded(session) == expected
    assert session.get(VoteReminder, vote.id).recipients == 4


def test_in_a_vote_per_home_the_homes_that_voted_get_nothing(session, house):
    residence, coord, committee, people = house
    vote, now = _closing_soon(session, house, electorate=Electorate.HOMES)
    services.cast(people[0], vote, "pour", now=now)  # home A01 (people 0 and 1)
    session.commit()
    charter.send_reminders(now=now)
    assert _reminded(session) == sorted([coord.id, committee.id, people[2].id, people[3].id])
    body = session.scalar(sa.select(Message.body).where(Message.membership_id == people[2].id))
    assert "Votre foyer n'a pas encore voté." in body


def test_no_reminder_too_early_nor_for_closed_or_future_votes(session, house):
    residence, coord, committee, people = house
    vote, now = _closing_soon(session, house, closes_in=30 * HOUR)
    assert charter.send_reminders(now=now).votes == 0
    assert charter.send_reminders(now=vote.closes_at + HOUR).votes == 0  # closed by then
    assert _reminded(session) == []
    assert charter.send_reminders(now=vote.closes_at - 2 * HOUR).votes == 1


def test_the_command_sends_them(app, session, house):
    vote, now = _closing_soon(session, house, closes_in=2 * HOUR)
    result = app.test_cli_runner().invoke(args=["vote-reminders"])
    assert result.exit_code == 0, result.output
    assert "1 vote" in result.output
    assert len(_reminded(session)) == 6


@pytest.mark.committed
def test_two_servers_sending_reminders_at_once_send_each_once(
    session, create_residence, create_user, other_app
):
    residence = create_residence("Armentières")
    committee = member(create_user("comite", residence=residence, role=Role.COMMITTEE), residence)
    people = [member(create_user(f"p{n}", residence=residence), residence) for n in range(20)]
    now = utcnow()
    for n in range(3):
        proposal = services.create_proposal(people[n], f"Règle {n}", "Texte.")
        _vote(committee, proposal, now, electorate=Electorate.RESIDENTS, closes_at=now + 3 * HOUR)
    session.commit()
    results = at_once([other_app(), other_app()], lambda: charter.send_reminders(now=now))
    assert sum(r.votes for r in results) == 3
    assert sum(r.messages for r in results) == 3 * 21
    session.expire_all()
    assert session.scalar(sa.select(sa.func.count(Message.id))) == 3 * 21
    assert session.scalar(sa.select(sa.func.count(VoteReminder.vote_id))) == 3


# -- the demo ---------------------------------------------------------------------------


def test_the_demo_charter_the_open_secret_vote_the_closed_one_and_a_discussion(app, session):
    from app.cli import load_demo
    from app.residences.models import Residence
    from app.users.models import User
    from app.votes.models import Proposal, ProposalComment, Vote

    now = utcnow()
    load_demo(now=now)
    load_demo(now=now)  # nothing twice
    residence = session.scalar(sa.select(Residence).where(Residence.name.like("%Armenti%")))
    articles = charter.charter_of(residence.id)
    assert [a.article.number for a in articles] == list(range(1, 9))
    assert sum(1 for a in articles if a.adoption is None) == 4  # founding, still as written
    assert all(a.adoption.vote.closed_at for a in articles if a.adoption)
    assert [p.title for p in articles[0].pending] == ["Heures calmes le dimanche"]
    pets = articles[3]
    assert "salle commune" in pets.article.text and pets.adoption.vote.adopted
    said = charter.minutes(FR, pets.adoption.vote, now=now)
    assert said.summary.startswith("Adopté : 3 pour, 1 contre, 1 abstention")
    market = session.scalar(
        sa.select(Vote).join(Proposal).where(Proposal.title.like("Quel jour pour la sortie%"))
    )
    assert market.is_question and market.proposal.article_id is None
    assert charter.minutes(FR, market, now=now).summary.startswith(
        "Choix retenu : Jeudi, 3 voix sur 4 ; Mardi 1, Samedi 0 ; 1 abstention ;"
    )
    (open_vote,) = session.scalars(sa.select(Vote).where(Vote.closed_at.is_(None))).all()
    assert open_vote.secret and open_vote.is_open(now)
    assert now + 3 * 24 * HOUR < open_vote.closes_at < now + 5 * 24 * HOUR
    assert "calme" in open_vote.proposal.title.lower()
    for username in (
        "jeanne.martin",
        "lucas.bernard",
        "odette.leroy",
        "karim.haddad",
        "comite.armentieres",
    ):
        user = session.scalar(sa.select(User).where(User.username == username))
        assert services.can_cast(member(user, residence), open_vote, now), username
    discussed = session.scalars(
        sa.select(Proposal).where(Proposal.status == ProposalStatus.DISCUSSION)
    ).all()
    assert [p.title for p in discussed] == ["Les vélos dans la cour"]
    assert (
        session.scalar(
            sa.select(sa.func.count(ProposalComment.id)).where(
                ProposalComment.proposal_id == discussed[0].id
            )
        )
        == 2
    )


def test_the_author_is_told_when_the_committee_moves_their_proposal(session, house):
    residence, coord, committee, people = house
    proposal = services.create_proposal(people[0], "Vélos", "Au local.")
    charter.move(committee, proposal, ProposalStatus.DISCUSSION)
    charter.move(committee, proposal, ProposalStatus.WITHDRAWN)
    subjects = session.scalars(
        sa.select(Message.subject).where(Message.membership_id == people[0].id).order_by(Message.id)
    ).all()
    assert subjects == [
        "Votre proposition « Vélos » est en discussion",
        "Votre proposition « Vélos » est retirée",
    ]


@pytest.mark.app_config(MAIL_SERVER="127.0.0.1")
def test_a_reminder_also_waits_to_go_by_email_to_those_with_an_address(
    app, session, create_residence, create_user
):
    from app.messages.models import MailState

    residence = create_residence("Armentières")
    committee = member(create_user("comite", residence=residence, role=Role.COMMITTEE), residence)
    with_mail = member(create_user("avec", residence=residence, email="a@example.org"), residence)
    without = member(create_user("sans", residence=residence), residence)
    now = utcnow()
    proposal = services.create_proposal(with_mail, "Vélos", "Au local.")
    _vote(committee, proposal, now, electorate=Electorate.RESIDENTS, closes_at=now + 2 * HOUR)
    session.commit()
    charter.send_reminders(now=now)
    states = dict(session.execute(sa.select(Message.membership_id, Message.mail_state)).all())
    assert states[with_mail.id] == MailState.PENDING and states[without.id] is None
