"""Votes through HTTP (DESIGN §5): the list, a vote's page with its settings in plain words,
the review step, casting (303 to the receipt), refusals (409/422 with the page saying why,
never a 5xx, never a second count), another residence's vote (404), CSRF, a vote closed
when read, and the committee putting a proposal to the vote."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from app.core.db import utcnow
from app.votes import services
from app.votes.models import Ballot, Participation, ProposalStatus, Vote, VoteTally
from tests.conftest import Auth, page
from tests.factories import member

HOUR = dt.timedelta(hours=1)


def _post(client, url, **data):
    return client.post(url, data={"csrf_token": Auth(client).csrf(), **data})


@pytest.fixture
def make_vote(session, two_residences):
    """A proposal of Armentières put to the vote by its committee (open from an hour ago
    for a day unless told otherwise)."""
    arm, _bezu, people = two_residences
    committee = member(people["arm_committee"], arm)

    def _make(title="Heures calmes", **settings):
        now = utcnow()
        proposal = services.create_proposal(
            committee,
            title,
            "Silence de 22 h à 7 h.",
            why="Pour dormir.",
            summary="Pas de bruit la nuit.",
        )
        settings.setdefault("opens_at", now - HOUR)
        settings.setdefault("closes_at", now + 24 * HOUR)
        settings.setdefault("electorate", services.Electorate.RESIDENTS)
        vote = services.create_vote(committee, proposal, services.Settings(**settings))
        session.commit()
        return vote

    return _make


def _counted(session, vote) -> tuple[int, int]:
    participations = session.scalar(
        sa.select(sa.func.count()).where(Participation.vote_id == vote.id)
    )
    tallies = session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(VoteTally.count), 0)).where(
            VoteTally.vote_id == vote.id
        )
    )
    ballots = session.scalar(sa.select(sa.func.count()).where(Ballot.vote_id == vote.id))
    return participations, tallies + ballots


def test_the_list_says_what_to_do_and_links_to_the_vote(client, auth, make_vote):
    vote = make_vote()
    auth.login("res.arm")
    body = page(client.get("/votes"))
    assert "Heures calmes" in body and f'href="/votes/{vote.id}"' in body
    assert "À voter avant le" in body and "Bientôt disponible" not in body


def test_the_page_says_the_settings_before_the_buttons(client, auth, make_vote):
    vote = make_vote()
    auth.login("res.arm")
    body = page(client.get(f"/votes/{vote.id}"))
    assert "Pas de bruit la nuit." in body and "Silence de 22 h à 7 h." in body
    assert "Le vote est secret" in body and "Chaque habitant a une voix." in body
    assert "Comment on vote" in body
    settings_at, buttons_at = body.index("Le vote est secret"), body.index('id="choice-pour"')
    assert settings_at < buttons_at
    assert ">Pour</button>" in body and ">Je m'abstiens</button>" in body
    assert 'method="get"' in body and f'action="/votes/{vote.id}/ballot"' in body
    # Four possible voters: the page warns that secrecy is weak.
    assert 'id="weak-secrecy"' in body


def test_review_then_cast_then_receipt_then_no_second_count(client, auth, make_vote, session):
    vote = make_vote()
    auth.login("res.arm")
    review = client.get(f"/votes/{vote.id}/ballot?choice=pour")
    assert review.status_code == 200
    body = page(review)
    assert "Vous votez Pour. Confirmer ?" in body and "vous ne pourrez plus changer" in body
    assert session.scalar(sa.select(sa.func.count()).select_from(Participation)) == 0
    response = _post(client, f"/votes/{vote.id}/ballot", choice="pour")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/votes/{vote.id}/receipt"
    receipt = page(client.get(f"/votes/{vote.id}/receipt"))
    assert "Votre vote est enregistré" in receipt and "Le " in receipt
    assert "Pour" not in receipt.split('id="ballot"')[1].split("</section>")[0]  # secret
    # A second ballot: 409, the page says why, nothing counted twice.
    again = _post(client, f"/votes/{vote.id}/ballot", choice="contre")
    assert again.status_code == 409
    assert "Vous avez déjà voté" in page(again)
    assert _counted(session, vote) == (1, 1)
    # The review step already says so.
    assert client.get(f"/votes/{vote.id}/ballot?choice=contre").status_code == 409
    detail = page(client.get(f"/votes/{vote.id}"))
    assert "Vous avez voté." in detail and 'id="choice-pour"' not in detail
    assert "Vous avez voté" in page(client.get("/votes"))


def test_a_public_ballot_can_be_changed_and_the_receipt_says_it(client, auth, make_vote, session):
    vote = make_vote(secret=False, results_hidden=False)
    auth.login("res.arm")
    review = page(client.get(f"/votes/{vote.id}/ballot?choice=contre"))
    assert "vous pourrez changer jusqu'au" in review
    assert _post(client, f"/votes/{vote.id}/ballot", choice="contre").status_code == 303
    assert "Vous avez voté : Contre." in page(client.get(f"/votes/{vote.id}/receipt"))
    assert _post(client, f"/votes/{vote.id}/ballot", choice="pour").status_code == 303
    assert _counted(session, vote) == (1, 1)
    detail = page(client.get(f"/votes/{vote.id}"))
    assert "Vous avez voté : Pour." in detail and "Résultats provisoires" in detail


def test_refusals_say_why_and_count_nothing(client, auth, make_vote, session):
    now = utcnow()
    later = make_vote("Le jardin", opens_at=now + HOUR, closes_at=now + 48 * HOUR)
    committee_only = make_vote("Le budget", electorate=services.Electorate.COMMITTEE)
    auth.login("res.arm")
    response = _post(client, f"/votes/{later.id}/ballot", choice="pour")
    assert response.status_code == 409 and "n'est pas encore ouvert" in page(response)
    over = make_vote("La cour", opens_at=now - 48 * HOUR, closes_at=now - HOUR)
    response = _post(client, f"/votes/{over.id}/ballot", choice="pour")
    assert response.status_code == 409 and "Ce vote est terminé" in page(response)
    response = _post(client, f"/votes/{committee_only.id}/ballot", choice="pour")
    assert response.status_code == 422
    assert "Vous ne faites pas partie des votants" in page(response)
    assert "seuls les membres du comité votent" in page(client.get(f"/votes/{committee_only.id}"))
    response = _post(client, f"/votes/{committee_only.id}/ballot", choice="peut-être")
    assert response.status_code == 422
    vote = make_vote("Les animaux")
    response = _post(client, f"/votes/{vote.id}/ballot", choice="peut-être")
    assert response.status_code == 422 and "Choisissez une des réponses" in page(response)
    assert client.get(f"/votes/{vote.id}/ballot?choice=peut-être").status_code == 422
    response = _post(client, f"/votes/{vote.id}/ballot")
    assert response.status_code == 422 and "Choisissez une des réponses" in page(response)
    assert "None" not in page(response)
    assert session.scalar(sa.select(sa.func.count()).select_from(Participation)) == 0


def test_without_the_csrf_token_nothing_is_counted(client, auth, make_vote, session):
    vote = make_vote()
    auth.login("res.arm")
    response = client.post(f"/votes/{vote.id}/ballot", data={"choice": "pour"})
    assert response.status_code == 400
    assert session.scalar(sa.select(sa.func.count()).select_from(Participation)) == 0


def test_another_residences_vote_is_not_found(client, auth, make_vote):
    vote = make_vote()
    auth.login("res.bezu")
    assert client.get(f"/votes/{vote.id}").status_code == 404
    assert client.get(f"/votes/{vote.id}/ballot?choice=pour").status_code == 404
    assert _post(client, f"/votes/{vote.id}/ballot", choice="pour").status_code == 404
    assert client.get(f"/votes/{vote.id}/receipt").status_code == 404
    assert "Heures calmes" not in page(client.get("/votes"))


def test_a_vote_past_its_close_is_closed_when_read_and_shows_its_result(
    client, auth, make_vote, session, two_residences
):
    arm, _bezu, people = two_residences
    now = utcnow()
    vote = make_vote(opens_at=now - 3 * HOUR, closes_at=now + HOUR, quorum_percent=0)
    services.cast(member(people["arm_res"], arm), vote, "pour", now=now)
    vote.closes_at = now - HOUR  # time has passed; no job ran
    session.commit()
    auth.login("res.arm")
    body = page(client.get(f"/votes/{vote.id}"))
    assert "Adopté : 1 pour, 0 contre, 0 abstention" in body
    assert "<svg" in body and "1 a voté sur" in body
    assert "Comment le vote s'est passé" in body and "Comment on vote" not in body
    session.expire_all()
    assert session.get(Vote, vote.id).closed_at is not None
    assert session.get(Vote, vote.id).proposal.status == ProposalStatus.ADOPTED
    listing = page(client.get("/votes"))
    assert "Votes terminés" in listing and "Adopté : 1 pour" in listing
    response = _post(client, f"/votes/{vote.id}/ballot", choice="contre")
    assert response.status_code == 409


def test_htmx_swaps_the_ballot_part_with_focus_and_announcement(client, auth, make_vote):
    vote = make_vote()
    auth.login("res.arm")
    partial = page(
        client.get(f"/votes/{vote.id}/ballot?choice=pour", headers={"HX-Request": "true"})
    )
    assert '<section id="ballot"' in partial and "<h1>" not in partial
    assert 'id="confirm-vote"' in partial and "autofocus" in partial
    assert 'id="live-status" hx-swap-oob="innerHTML"' in partial
    response = client.get(f"/votes/{vote.id}")
    assert "HX-Request" in response.headers["Vary"]


def test_the_committee_puts_a_proposal_to_the_vote(client, auth, session, two_residences):
    arm, _bezu, people = two_residences
    committee = member(people["arm_committee"], arm)
    proposal = services.create_proposal(committee, "Les vélos", "Vélos au local.")
    services.move_proposal(committee, proposal, ProposalStatus.DISCUSSION)
    session.commit()
    auth.login("comite.arm")
    listing = page(client.get("/votes"))
    assert "Propositions prêtes pour un vote" in listing and "Les vélos" in listing
    form = page(client.get(f"/votes/new?proposal={proposal.id}&preset=association"))
    assert "Charte de la résidence" in form and "Conseil de la vie sociale" in form
    tomorrow = (dt.datetime.now() + dt.timedelta(days=1)).date()
    data = {
        "preset": "association",
        "electorate": "residents",
        "opens_day": tomorrow.isoformat(),
        "opens_time": "09:00",
        "closes_day": (tomorrow + dt.timedelta(days=7)).isoformat(),
        "closes_time": "18:00",
        "quorum_percent": "25",
        "majority": "more_for_than_against",
        "secret": "public",
    }
    review = _post(client, f"/votes/new?proposal={proposal.id}", **data)
    assert review.status_code == 200
    body = page(review)
    assert "voici ce que les votants liront" in body and "Le vote est public" in body
    assert session.scalar(sa.select(sa.func.count()).select_from(Vote)) == 0
    done = _post(client, f"/votes/new?proposal={proposal.id}", confirmed="1", **data)
    assert done.status_code == 303
    vote = session.scalars(sa.select(Vote)).one()
    assert done.headers["Location"] == f"/votes/{vote.id}"
    assert not vote.secret and vote.quorum_percent == 25
    # Not open yet: the committee may open it now, then close it early.
    assert _post(client, f"/votes/{vote.id}/open").status_code == 303
    assert "Êtes-vous pour cette proposition ?" in page(client.get(f"/votes/{vote.id}"))
    assert _post(client, f"/votes/{vote.id}/close").status_code == 303
    assert "Rejeté" in page(client.get(f"/votes/{vote.id}"))


def test_residents_cannot_set_up_open_or_close_a_vote(client, auth, make_vote):
    vote = make_vote()
    auth.login("res.arm")
    assert client.get(f"/votes/new?proposal={vote.proposal_id}").status_code == 403
    assert _post(client, f"/votes/{vote.id}/close").status_code == 403


def test_invalid_settings_answer_422(client, auth, session, two_residences):
    arm, _bezu, people = two_residences
    committee = member(people["arm_committee"], arm)
    proposal = services.create_proposal(committee, "Les vélos", "Vélos au local.")
    session.commit()
    auth.login("comite.arm")
    response = _post(client, f"/votes/new?proposal={proposal.id}", quorum_percent="150")
    assert response.status_code == 422
    assert "Le formulaire contient" in page(response)


def test_the_number_of_queries_does_not_grow_with_the_votes(
    client, auth, make_vote, session, two_residences, create_user
):
    from tests.pages.test_views import counted

    arm, _bezu, people = two_residences
    now = utcnow()

    def closed_vote(title, voters, *, secret=True):
        vote = make_vote(
            title,
            opens_at=now - 3 * HOUR,
            closes_at=now + HOUR,
            secret=secret,
            results_hidden=secret,
        )
        for n, voter in enumerate(voters):
            services.cast(voter, vote, ("pour", "contre", "abstention")[n % 3], now=now)
        services.close_vote(member(people["arm_committee"], arm), vote, now=now)
        session.commit()
        return vote

    open_vote = make_vote("Heures calmes")
    closed_vote("Les animaux", [member(people["arm_res"], arm)])
    auth.login("res.arm")
    client.get("/votes")
    client.get(f"/votes/{open_vote.id}")
    with counted() as few_list:
        assert client.get("/votes").status_code == 200
    with counted() as few_page:
        assert client.get(f"/votes/{open_vote.id}").status_code == 200

    voters = [member(create_user(residence=arm, home=f"C{n}"), arm) for n in range(8)]
    for n in range(6):
        closed_vote(f"Règle {n}", voters, secret=n % 2 == 0)
    for voter in voters:
        services.cast(voter, open_vote, "pour", now=now)
    session.commit()
    with counted() as many_list:
        body = page(client.get("/votes"))
    with counted() as many_page:
        assert client.get(f"/votes/{open_vote.id}").status_code == 200
    assert body.count("Adopté") + body.count("Rejeté") == 7
    assert len(many_list) == len(few_list), "\n".join(many_list)
    assert len(many_page) == len(few_page), "\n".join(many_page)


def test_one_voice_per_home_says_the_home_has_voted(
    client, auth, make_vote, session, two_residences, create_user
):
    arm, _bezu, people = two_residences
    create_user("voisin.a01", residence=arm, home="A01")
    vote = make_vote(electorate=services.Electorate.HOMES)
    services.cast(member(people["arm_res"], arm), vote, "pour", now=utcnow())
    session.commit()
    auth.login("voisin.a01")
    assert "Votre foyer a déjà voté." in page(client.get(f"/votes/{vote.id}"))
    response = _post(client, f"/votes/{vote.id}/ballot", choice="contre")
    assert response.status_code == 409 and "Votre foyer a déjà voté" in page(response)
    assert _counted(session, vote) == (1, 1)
    assert "Chaque foyer a une voix" in page(client.get(f"/votes/{vote.id}"))


def test_the_list_alone_closes_a_vote_past_its_close(client, auth, make_vote, session):
    now = utcnow()
    vote = make_vote(opens_at=now - 3 * HOUR, closes_at=now + HOUR)
    vote.closes_at = now - HOUR
    session.commit()
    auth.login("res.arm")
    body = page(client.get("/votes"))
    assert "Votes terminés" in body and "Rejeté : 0 pour" in body and "À voter" not in body
    session.expire_all()
    assert session.get(Vote, vote.id).closed_at is not None
    assert session.get(Vote, vote.id).proposal.status == ProposalStatus.REJECTED
