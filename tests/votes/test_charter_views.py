"""Proposals and the charter through HTTP: drafting (303 to the proposal), editing a draft,
comments, the committee's steps, before / after, the charter linking each article to the
vote that adopted it (DESIGN §5), an article's history, the printed charter, the minutes;
another residence's ids give 404, and every POST needs its CSRF token."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from app.core.db import utcnow
from app.votes import charter_services as charter
from app.votes import services
from app.votes.models import (
    Article,
    ChangeKind,
    Electorate,
    Proposal,
    ProposalComment,
    ProposalStatus,
)
from tests.conftest import Auth, page
from tests.factories import member

HOUR = dt.timedelta(hours=1)


@pytest.fixture
def house(two_residences, session):
    arm, bezu, people = two_residences
    quiet = Article(
        residence_id=arm.id, number=1, title="Heures calmes", text="Silence de 22 h à 7 h."
    )
    session.add(quiet)
    session.commit()
    return arm, bezu, people, quiet


def _post(client, url, **data):
    return client.post(url, data={"csrf_token": Auth(client).csrf(), **data})


def _proposal(people, arm, **kw):
    kw.setdefault("title", "Vélos")
    kw.setdefault("rule_text", "Les vélos dans le local.")
    return services.create_proposal(member(people["arm_res"], arm), **kw)


def test_a_resident_drafts_a_proposal_and_edits_it(client, auth, house, session):
    arm, _bezu, people, quiet = house
    auth.login("res.arm")
    body = page(client.get("/proposals/new"))
    assert "Proposer une règle" in body and "Article 1 : Heures calmes" in body
    response = _post(
        client,
        "/proposals/new",
        title="Heures calmes",
        change="change",
        article=str(quiet.id),
        rule_text="Silence de 23 h à 7 h.",
        summary="Une heure de plus le soir",
        why="Les jeunes rentrent tard.",
    )
    proposal = session.scalar(sa.select(Proposal))
    assert response.status_code == 303
    assert response.headers["Location"] == f"/proposals/{proposal.id}"
    body = page(client.get(response.headers["Location"]))
    assert "enregistrée comme brouillon" in body
    assert "Avant" in body and "Silence de 22 h à 7 h." in body
    assert "Après" in body and "Silence de 23 h à 7 h." in body
    assert "Brouillon : le comité" in body and "Modifier mon brouillon" in body
    assert "Ouvrir la discussion" not in body  # the committee's
    response = _post(
        client,
        f"/proposals/{proposal.id}/edit",
        title="Heures calmes",
        change="change",
        article=str(quiet.id),
        rule_text="Silence de 22 h 30 à 7 h.",
    )
    assert response.status_code == 303
    session.refresh(proposal)
    assert proposal.rule_text == "Silence de 22 h 30 à 7 h."


def test_a_proposal_form_with_errors_answers_422(client, auth, house, session):
    auth.login("res.arm")
    response = _post(client, "/proposals/new", title="", change="repeal", rule_text="")
    assert response.status_code == 422
    body = page(response)
    assert "Écrivez un titre en quelques mots." in body
    assert "Choisissez l'article de la charte à changer ou à supprimer." in body
    response = _post(client, "/proposals/new", title="Vélos", change="create", rule_text="")
    assert response.status_code == 422 and "Écrivez le texte de la règle." in page(response)
    assert session.scalar(sa.select(sa.func.count(Proposal.id))) == 0


def test_only_the_author_edits_and_only_a_draft(client, auth, house, session):
    arm, _bezu, people, _quiet = house
    proposal = _proposal(people, arm)
    session.commit()
    auth.login("comite.arm")
    assert client.get(f"/proposals/{proposal.id}/edit").status_code == 403


def test_comments_and_the_committees_steps(client, auth, house, session):
    arm, _bezu, people, _quiet = house
    proposal = _proposal(people, arm)
    session.commit()
    url = f"/proposals/{proposal.id}"
    auth.login("comite.arm")
    body = page(client.get(url))
    assert "Ouvrir la discussion : les habitants pourront commenter" in body
    assert f'href="/votes/new?proposal={proposal.id}"' in body
    response = _post(client, url + "/status", status="discussion")
    assert response.status_code == 303 and response.headers["Location"] == url
    assert "La discussion est ouverte" in page(client.get(url))
    response = _post(client, url + "/comments", text="Bonne idée, et les trottinettes ?")
    comment = session.scalar(sa.select(ProposalComment))
    assert response.status_code == 303
    assert response.headers["Location"] == f"{url}#comment-{comment.id}"
    body = page(client.get(url))
    assert "Bonne idée, et les trottinettes ?" in body and "1 commentaire" in body
    assert _post(client, url + "/comments", text="  ").status_code == 422
    # Once discussed, it cannot go back to discussion: 409 with the page saying why.
    response = _post(client, url + "/status", status="discussion")
    assert response.status_code == 409
    assert "ne peut pas passer à cet état" in page(response)
    response = _post(client, url + "/status", status="withdrawn")
    assert response.status_code == 303
    session.refresh(proposal)
    assert proposal.status == ProposalStatus.WITHDRAWN
    body = page(client.get(url))
    assert "La discussion est close." in body
    assert _post(client, url + "/comments", text="Trop tard").status_code == 409


def test_the_committee_hides_a_comment_and_everyone_reads_the_reason(client, auth, house, session):
    arm, _bezu, people, _quiet = house
    proposal = _proposal(people, arm)
    services.move_proposal(
        member(people["arm_committee"], arm), proposal, ProposalStatus.DISCUSSION
    )
    rude = charter.add_comment(member(people["arm_res"], arm), proposal, "Quelle idée stupide.")
    session.commit()
    url = f"/proposals/{proposal.id}"
    hide = f"{url}/comments/{rude.id}/hide"
    auth.login("res.arm")
    assert "Masquer ce commentaire" not in page(client.get(url))
    assert client.get(hide).status_code == 403
    assert _post(client, hide, reason="x").status_code == 403
    auth.logout()

    auth.login("comite.arm")
    assert f'href="{hide}"' in page(client.get(url))
    body = page(client.get(hide))
    assert "Quelle idée stupide." in body and "Son auteur reçoit un message" in body
    response = _post(client, hide, reason="")
    assert response.status_code == 422 and "Écrivez pourquoi" in page(response)
    response = _post(client, hide, reason="Propos blessants.")
    assert response.status_code == 303
    assert response.headers["Location"] == f"{url}#comment-{rude.id}"
    body = page(client.get(url))
    assert "Le commentaire est masqué." in body  # the flash
    assert "Quelle idée stupide." not in body
    assert "masqué par le comité des résidents. La raison donnée : Propos blessants." in body
    assert "1 commentaire" in body
    # A comment of another proposal, or an unknown one: not found.
    other = _proposal(people, arm, title="Autre")
    session.commit()
    assert client.get(f"/proposals/{other.id}/comments/{rude.id}/hide").status_code == 404
    assert client.get(f"{url}/comments/999999/hide").status_code == 404
    auth.logout()

    auth.login("coord.bezu")  # another residence
    assert client.get(hide).status_code == 404


def test_the_committee_shows_a_hidden_comment_again(client, auth, house, session):
    arm, _bezu, people, _quiet = house
    committee = member(people["arm_committee"], arm)
    proposal = _proposal(people, arm)
    services.move_proposal(committee, proposal, ProposalStatus.DISCUSSION)
    comment = charter.add_comment(member(people["arm_res"], arm), proposal, "Un avis franc.")
    charter.hide_comment(committee, comment, "Par erreur")
    session.commit()
    url = f"/proposals/{proposal.id}"
    show = f"{url}/comments/{comment.id}/show"
    auth.login("res.arm")
    assert "Rendre visible" not in page(client.get(url))
    assert _post(client, show).status_code == 403
    auth.logout()

    auth.login("comite.arm")
    body = page(client.get(url))
    assert f'action="{show}"' in body and "son auteur reçoit un message" in body
    response = _post(client, show)
    assert response.status_code == 303
    assert response.headers["Location"] == f"{url}#comment-{comment.id}"
    body = page(client.get(url))
    assert "Le commentaire est de nouveau visible." in body and "Un avis franc." in body
    assert "La raison donnée" not in body and f'action="{show}"' not in body
    assert _post(client, show).status_code == 303  # a second tap changes nothing
    auth.logout()
    auth.login("coord.bezu")  # another residence
    assert _post(client, show).status_code == 404


def test_residents_cannot_move_a_proposal(client, auth, house, session):
    arm, _bezu, people, _quiet = house
    proposal = _proposal(people, arm)
    session.commit()
    auth.login("res.arm")
    assert _post(client, f"/proposals/{proposal.id}/status", status="discussion").status_code == 403


def test_every_post_needs_its_csrf_token(client, auth, house, session):
    arm, _bezu, people, _quiet = house
    proposal = _proposal(people, arm)
    session.commit()
    auth.login("comite.arm")
    for url, data in [
        ("/proposals/new", {"title": "x", "change": "create", "rule_text": "y"}),
        (f"/proposals/{proposal.id}/comments", {"text": "Bonjour"}),
        (f"/proposals/{proposal.id}/status", {"status": "discussion"}),
        (f"/proposals/{proposal.id}/edit", {"title": "x", "change": "create", "rule_text": "y"}),
    ]:
        assert client.post(url, data=data).status_code == 400, url
    assert session.scalar(sa.select(sa.func.count(ProposalComment.id))) == 0


def _adopted(session, people, arm, quiet):
    proposal = _proposal(
        people,
        arm,
        title="Heures calmes",
        rule_text="Silence de 23 h à 7 h.",
        change=ChangeKind.CHANGE,
        article=quiet,
    )
    now = utcnow()
    vote = services.create_vote(
        member(people["arm_committee"], arm),
        proposal,
        services.Settings(
            opens_at=now - 48 * HOUR,
            closes_at=now - HOUR,
            electorate=Electorate.RESIDENTS,
            quorum_percent=0,
        ),
    )
    services.cast(member(people["arm_res"], arm), vote, "pour", now=now - 2 * HOUR)
    session.commit()
    return proposal, vote


def test_the_charter_links_each_article_to_the_vote_that_adopted_it(client, auth, house, session):
    arm, _bezu, people, quiet = house
    proposal, vote = _adopted(session, people, arm, quiet)
    auth.login("res.arm")
    # The vote's closing time has passed: reading the charter closes it and changes it.
    body = page(client.get("/charter"))
    assert "Article 1 : Heures calmes" in body and "Silence de 23 h à 7 h." in body
    assert f'href="/votes/{vote.id}"' in body
    assert f'href="/charter/articles/{quiet.id}"' in body
    session.refresh(vote)
    assert vote.closed_at is not None and vote.adopted
    history = page(client.get(f"/charter/articles/{quiet.id}"))
    assert "Dans la charte fondatrice, du" in history and "Changé le" in history
    assert "Silence de 22 h à 7 h." in history and "Silence de 23 h à 7 h." in history
    assert f'href="/charter/minutes/{vote.id}"' in history
    printed = page(client.get("/charter/print"))
    assert "Adopté par le vote des habitants le" in printed and "print-page" in printed
    minutes = page(client.get(f"/charter/minutes/{vote.id}"))
    assert "Procès-verbal du vote : Heures calmes" in minutes
    assert "Adopté : 1 pour, 0 contre, 0 abstention" in minutes
    assert "1 dans l'application" in minutes and "La charte a changé le" in minutes
    assert "ce procès-verbal ne donne que des totaux" in minutes
    body = page(client.get(f"/proposals/{proposal.id}"))
    assert "Adoptée : elle est dans la charte." in body and "Le procès-verbal" in body


def test_no_minutes_before_the_close(client, auth, house, session):
    arm, _bezu, people, quiet = house
    proposal = _proposal(people, arm)
    now = utcnow()
    vote = services.create_vote(
        member(people["arm_committee"], arm),
        proposal,
        services.Settings(opens_at=now - HOUR, closes_at=now + HOUR),
    )
    session.commit()
    auth.login("res.arm")
    assert client.get(f"/charter/minutes/{vote.id}").status_code == 404
    assert "Vote ouvert jusqu'au" in page(client.get(f"/proposals/{proposal.id}"))


def test_a_repealed_article_says_so(client, auth, house, session):
    arm, _bezu, people, quiet = house
    proposal = _proposal(
        people, arm, title="Heures calmes", rule_text="", change=ChangeKind.REPEAL, article=quiet
    )
    now = utcnow()
    vote = services.create_vote(
        member(people["arm_committee"], arm),
        proposal,
        services.Settings(
            opens_at=now - 48 * HOUR,
            closes_at=now - HOUR,
            electorate=Electorate.RESIDENTS,
            quorum_percent=0,
        ),
    )
    services.cast(member(people["arm_res"], arm), vote, "pour", now=now - 2 * HOUR)
    session.commit()
    auth.login("res.arm")
    assert "Heures calmes" not in page(client.get("/charter"))
    body = page(client.get(f"/charter/articles/{quiet.id}"))
    assert "Article abrogé" in body and "Abrogé le" in body


def test_the_list_by_status(client, auth, house, session):
    arm, _bezu, people, _quiet = house
    _proposal(people, arm, title="Vélos")
    discussed = _proposal(people, arm, title="Jardin")
    discussed.status = ProposalStatus.DISCUSSION
    session.commit()
    auth.login("res.arm")
    body = page(client.get("/proposals"))
    assert body.index("En discussion") < body.index("Jardin") < body.index("Brouillons")
    assert body.index("Brouillons") < body.index("Vélos")
    assert 'href="/proposals/new"' in body


@pytest.mark.parametrize("who", ["res.bezu", "coord.bezu"])
def test_another_residences_ids_give_404(client, auth, house, session, who):
    arm, _bezu, people, quiet = house
    proposal, vote = _adopted(session, people, arm, quiet)
    auth.login(who)
    for url in [
        f"/proposals/{proposal.id}",
        f"/proposals/{proposal.id}/edit",
        f"/charter/articles/{quiet.id}",
        f"/charter/minutes/{vote.id}",
    ]:
        assert client.get(url).status_code == 404, url
    for url, data in [
        (f"/proposals/{proposal.id}/comments", {"text": "Bonjour"}),
        (f"/proposals/{proposal.id}/status", {"status": "withdrawn"}),
    ]:
        assert _post(client, url, **data).status_code in (403, 404), url
    assert "Heures calmes" not in page(client.get("/charter"))
    assert "Heures calmes" not in page(client.get("/proposals"))


def test_a_logged_out_visitor_is_sent_to_the_login(client, house):
    for url in ["/proposals", "/charter", "/charter/print"]:
        response = client.get(url)
        assert response.status_code in (302, 303) and "/login" in response.headers["Location"]


def test_with_htmx_a_comment_brings_back_the_discussion_and_the_announcement(
    client, auth, house, session
):
    arm, _bezu, people, _quiet = house
    proposal = _proposal(people, arm)
    proposal.status = ProposalStatus.DISCUSSION
    session.commit()
    auth.login("res.arm")
    url = f"/proposals/{proposal.id}"
    htmx = {"HX-Request": "true"}
    response = client.post(
        url + "/comments", data={"csrf_token": Auth(client).csrf(), "text": "Oui"}, headers=htmx
    )
    assert response.status_code == 303
    partial = client.get(url, headers=htmx)
    body = page(partial)
    assert body.lstrip().startswith('<section aria-labelledby="comments-title" id="comments">')
    assert "<h1>" not in body and "Oui" in body
    assert 'hx-swap-oob="innerHTML">' in body and "Votre commentaire est publié.</div>" in body
    assert "HX-Request" in partial.headers["Vary"]
    refused = client.post(
        url + "/comments", data={"csrf_token": Auth(client).csrf(), "text": ""}, headers=htmx
    )
    assert refused.status_code == 422 and "<h1>" not in page(refused)
    assert "Écrivez votre commentaire." in page(refused)


def test_without_articles_a_proposal_can_only_add_one(client, auth, two_residences):
    auth.login("res.arm")
    body = page(client.get("/proposals/new"))
    assert "Ajouter un nouvel article" in body
    assert "Changer un article" not in body and "Supprimer un article" not in body
    response = _post(client, "/proposals/new", title="Vélos", change="repeal", rule_text="x")
    assert response.status_code == 422
