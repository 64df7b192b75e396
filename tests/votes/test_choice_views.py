"""Questions with several choices through HTTP: a resident drafts a question, the committee
writes its choices on the vote's form (2 to 6, none twice, 80 characters at most, errors
next to the field, no majority of pour to pick), the vote's page has one button per choice
in the committee's words (escaped), the review step quotes them, the ballot contract is
the same (303 / 409 / 422, an unknown key refused), and the result, the bars and the
minutes name the choices."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
import sqlalchemy as sa

from app.core.db import utcnow
from app.votes import proxies, services
from app.votes.models import ChangeKind, Proposal, ProposalStatus, Vote
from tests.conftest import Auth, page
from tests.factories import member
from tests.votes import test_choices as choices

HOUR = dt.timedelta(hours=1)
# The residence of the votes' service tests, and a question put to its vote.
house = choices.house
make_house_question = choices.make_question


def page_of(raw: str) -> str:
    return html.unescape(raw).replace("\u00a0", " ")


DAYS = ("Mardi", "Jeudi", "Samedi")


def _post(client, url, **data):
    return client.post(url, data={"csrf_token": Auth(client).csrf(), **data})


def _question(committee, title="Quel jour pour la sortie au marché ?"):
    return services.create_proposal(
        committee, title, "", summary="On y va ensemble.", change=ChangeKind.QUESTION
    )


@pytest.fixture
def make_question(session, two_residences):
    arm, _bezu, people = two_residences
    committee = member(people["arm_committee"], arm)

    def _make(labels=DAYS, **settings):
        now = utcnow()
        keys = tuple(f"c{n}" for n in range(1, len(labels) + 1))
        settings.setdefault("opens_at", now - HOUR)
        settings.setdefault("closes_at", now + 24 * HOUR)
        settings.setdefault("electorate", services.Electorate.RESIDENTS)
        vote = services.create_vote(
            committee,
            _question(committee),
            services.Settings(
                majority=services.Majority.PLURALITY,
                labels=tuple(labels),
                options=(*keys, "abstention"),
                **settings,
            ),
        )
        session.commit()
        return vote

    return _make


def _settings(**choices):
    tomorrow = (dt.datetime.now() + dt.timedelta(days=1)).date()
    return {
        "preset": "association",
        "electorate": "residents",
        "opens_day": tomorrow.isoformat(),
        "opens_time": "09:00",
        "closes_day": (tomorrow + dt.timedelta(days=7)).isoformat(),
        "closes_time": "18:00",
        "quorum_percent": "25",
        "secret": "secret",
        **choices,
    }


def test_a_resident_drafts_a_question_without_an_article(client, auth, session, two_residences):
    auth.login("res.arm")
    body = page(client.get("/proposals/new"))
    assert "Poser une question à plusieurs choix" in body
    response = _post(
        client,
        "/proposals/new",
        title="Quel jour pour la sortie au marché ?",
        change="question",
        summary="On y va ensemble.",
    )
    assert response.status_code == 303
    proposal = session.scalar(sa.select(Proposal))
    assert proposal.change == ChangeKind.QUESTION and proposal.article_id is None
    body = page(client.get(response.headers["Location"]))
    assert "Une question à plusieurs choix" in body and "La charte ne change pas" in body
    assert "Avant" not in body


def test_the_committee_writes_the_choices(client, auth, session, two_residences):
    arm, _bezu, people = two_residences
    proposal = _question(member(people["arm_committee"], arm))
    proposal.status = ProposalStatus.DISCUSSION
    session.commit()
    auth.login("comite.arm")
    url = f"/votes/new?proposal={proposal.id}"
    form = page(client.get(url))
    assert 'name="choice_1"' in form and 'name="choice_6"' in form
    assert 'name="with_abstention"' in form and 'name="majority"' not in form
    data = _settings(choice_1=" Mardi ", choice_2="Jeudi", choice_4="Samedi", with_abstention="y")
    review = _post(client, url, **data)
    assert review.status_code == 200
    body = page(review)
    assert "Le choix qui a le plus de voix l'emporte." in body
    assert "<li>Mardi</li>" in body and "<li>Jeudi</li>" in body and "<li>Samedi</li>" in body
    done = _post(client, url, confirmed="1", **data)
    assert done.status_code == 303
    vote = session.scalars(sa.select(Vote)).one()
    assert vote.labels == ["Mardi", "Jeudi", "Samedi"]
    assert vote.option_keys == ["c1", "c2", "c3", "abstention"]
    assert vote.majority == services.Majority.PLURALITY and vote.secret


@pytest.mark.parametrize(
    ("choices", "field", "error"),
    [
        ({"choice_1": "Mardi"}, "choice_2", "Écrivez au moins deux choix."),
        ({"choice_1": "Mardi", "choice_2": "  "}, "choice_2", "Écrivez au moins deux choix."),
        ({"choice_1": "Mardi", "choice_2": "MARDI"}, "choice_2", "déjà proposé plus haut"),
        ({"choice_1": "Mardi", "choice_2": "x" * 81}, "choice_2", "80 caractères au plus."),
    ],
)
def test_wrong_choices_are_said_next_to_the_field(
    client, auth, session, two_residences, choices, field, error
):
    arm, _bezu, people = two_residences
    proposal = _question(member(people["arm_committee"], arm))
    session.commit()
    auth.login("comite.arm")
    response = _post(client, f"/votes/new?proposal={proposal.id}", **_settings(**choices))
    assert response.status_code == 422
    body = page(response)
    assert f'id="{field}-error"' in body and error in body
    assert session.scalar(sa.select(sa.func.count()).select_from(Vote)) == 0


def test_a_rule_of_the_charter_is_voted_pour_or_contre(client, auth, session, two_residences):
    arm, _bezu, people = two_residences
    proposal = services.create_proposal(member(people["arm_res"], arm), "Vélos", "Au local.")
    session.commit()
    auth.login("comite.arm")
    form = page(client.get(f"/votes/new?proposal={proposal.id}"))
    assert 'name="choice_1"' not in form and 'name="majority"' in form
    assert "le plus de voix" not in form
    data = _settings(majority="plurality", confirmed="1")
    response = _post(client, f"/votes/new?proposal={proposal.id}", **data)
    assert response.status_code == 422
    assert session.scalar(sa.select(sa.func.count()).select_from(Vote)) == 0


def test_one_button_per_choice_in_the_committees_words_escaped(client, auth, make_question):
    vote = make_question(labels=("Mardi", "<b>Jeudi</b> & co"))
    auth.login("res.arm")
    raw = client.get(f"/votes/{vote.id}").get_data(as_text=True)
    body = page_of(raw)
    assert "Quel est votre choix ?" in body
    assert (
        'id="choice-c1"' in body and 'id="choice-c2"' in body and 'id="choice-abstention"' in body
    )
    assert "&lt;b&gt;Jeudi&lt;/b&gt; &amp; co" in raw and "<b>Jeudi</b>" not in raw
    assert "Le choix qui a le plus de voix l'emporte." in body


def test_review_ballot_and_refusals(client, auth, session, make_question):
    vote = make_question()
    auth.login("res.arm")
    review = client.get(f"/votes/{vote.id}/ballot?choice=c2")
    assert review.status_code == 200
    assert "Vous votez « Jeudi ». Confirmer ?" in page(review)
    for wrong in ("c9", "pour", "Jeudi"):
        assert client.get(f"/votes/{vote.id}/ballot?choice={wrong}").status_code == 422
        response = _post(client, f"/votes/{vote.id}/ballot", choice=wrong)
        assert response.status_code == 422
        assert "Choisissez une des réponses proposées." in page(response)
    counted = _post(client, f"/votes/{vote.id}/ballot", choice="c2")
    assert counted.status_code == 303
    assert counted.headers["Location"] == f"/votes/{vote.id}/receipt"
    assert "Votre vote est enregistré" in page(client.get(counted.headers["Location"]))
    again = _post(client, f"/votes/{vote.id}/ballot", choice="c1")
    assert again.status_code == 409
    assert services.counts(vote) == {"c1": 0, "c2": 1, "c3": 0, "abstention": 0}


def test_a_public_questions_receipt_names_the_choice(client, auth, make_question):
    vote = make_question(secret=False, results_hidden=False)
    auth.login("res.arm")
    assert _post(client, f"/votes/{vote.id}/ballot", choice="c3").status_code == 303
    assert "Vous avez voté : Samedi." in page(client.get(f"/votes/{vote.id}/receipt"))


def test_the_result_bars_and_the_minutes_name_the_choices(
    client, auth, session, two_residences, make_question
):
    arm, _bezu, people = two_residences
    vote = make_question()
    now = utcnow()
    services.cast(member(people["arm_res"], arm), vote, "c2", now=now)
    services.cast(member(people["arm_committee"], arm), vote, "c1", now=now)
    services.cast(member(people["arm_coord"], arm), vote, "c2", now=now)
    services.close_vote(member(people["arm_committee"], arm), vote, now=now)
    session.commit()
    auth.login("res.arm")
    body = page(client.get(f"/votes/{vote.id}"))
    assert "Choix retenu : Jeudi, 2 voix sur 3" in body
    assert "<strong>Mardi</strong>" in body and "<strong>Samedi</strong>" in body
    # The winning choice's bar is marked, in words too; the others are not.
    winner = re.search(
        r'<li class="option-winner">\s*<span class="option-line">(.*?)</li>', body, re.S
    )
    assert winner and "<strong>Jeudi</strong>" in winner[1] and "Choix retenu</span>" in winner[1]
    assert body.count('class="option-winner"') == 1
    listing = page(client.get("/votes"))
    assert "Choix retenu : Jeudi" in listing
    minutes = page(client.get(f"/charter/minutes/{vote.id}"))
    assert "Les choix proposés : Mardi, Jeudi, Samedi." in minutes
    assert "La charte n'a pas changé." in minutes
    proposal = page(client.get(f"/proposals/{vote.proposal_id}"))
    assert "Décidée : un choix l'a emporté au vote" in proposal


# -- the desk and proxies --------------------------------------------------------------------


def test_the_desk_counts_a_question_by_choice(client, auth, session, house, make_house_question):
    residence, coord, committee, people = house
    secret = make_house_question()
    auth.login("coord")
    body = page(client.get(f"/votes/{secret.id}/desk"))
    assert 'name="count_c1"' in body and 'name="count_abstention"' in body
    assert "Mardi" in body and "Jeudi" in body and 'name="count_pour"' not in body
    response = client.post(
        f"/votes/{secret.id}/desk/batch",
        data={
            "csrf_token": Auth(client).csrf(),
            "channel": "paper",
            "count_c2": "2",
            "count_abstention": "1",
            "people": [str(people[0].id), str(people[2].id), str(people[3].id)],
        },
    )
    assert response.status_code == 303
    assert services.counts(secret) == {"c1": 0, "c2": 2, "c3": 0, "abstention": 1}

    public = make_house_question(secret=False, results_hidden=False)
    url = f"/votes/{public.id}/desk/ballot"
    response = _post(client, url, person=str(people[4].id), choice="c3", channel="room")
    assert response.status_code == 303
    name = people[4].user.full_name
    assert f"Enregistré : {name}, Samedi (à main levée)." in page(
        client.get(f"/votes/{public.id}/desk")
    )
    response = _post(client, url, person=str(people[0].id), choice="pour", channel="room")
    assert response.status_code == 422
    assert services.counts(public) == {"c1": 0, "c2": 0, "c3": 1, "abstention": 0}


def test_a_proxy_holder_votes_a_choice(client, auth, session, house, make_house_question):
    residence, coord, committee, people = house
    vote = make_house_question()
    proxies.give_proxy(people[0], people[2], vote=vote, now=utcnow())
    session.commit()
    name = people[0].user.full_name
    auth.login("habitant2")
    url = f"/votes/{vote.id}/proxy/{people[0].id}"
    body = page(client.get(url))
    assert 'value="c1"' in body and ">Jeudi<" in body
    assert f"Vous votez « Jeudi » pour {name}. Confirmer ?" in page(
        client.get(url + "/ballot?choice=c2")
    )
    assert client.get(url + "/ballot?choice=pour").status_code == 422
    response = _post(client, url + "/ballot", choice="c2")
    assert response.status_code == 303
    assert services.counts(vote)["c2"] == 1
