"""Proxies and the voting desk through HTTP: the pages, 303 after each action, refusals
409/422 with the page saying why (never a 5xx), another residence's vote or person (404),
CSRF, and roles (a resident cannot use the desk)."""

from __future__ import annotations

import sqlalchemy as sa

from app.core.audit import AuditEvent
from app.core.db import utcnow
from app.core.permissions import Role
from app.votes import proxies, services
from app.votes.models import Electorate, Participation, Proxy
from tests.conftest import Auth, page
from tests.factories import member
from tests.votes import test_services as base

# The residence and the votes of the votes' service tests.
house = base.house
make_vote = base.make_vote


def _post(client, url, **data):
    return client.post(url, data={"csrf_token": Auth(client).csrf(), **data})


# -- giving and revoking -------------------------------------------------------------------


def test_the_proxies_page_gives_and_revokes(client, auth, session, house, make_vote):
    residence, coord, committee, people = house
    vote = make_vote(electorate=Electorate.RESIDENTS)
    auth.login("habitant0")
    body = page(client.get("/votes/proxies"))
    assert "Donner ma procuration" in body and people[2].user.full_name in body
    assert "Heures calmes" in body and "Si vous votez vous-même avant elle" in body
    response = _post(client, "/votes/proxies", holder=str(people[2].id), scope=f"vote-{vote.id}")
    assert response.status_code == 303 and response.headers["Location"] == "/votes/proxies"
    body = page(client.get("/votes/proxies"))
    assert "C'est fait" in body and "Retirer la procuration" in body
    proxy = session.scalar(sa.select(Proxy))
    assert (proxy.principal_id, proxy.holder_id, proxy.vote_id) == (
        people[0].id,
        people[2].id,
        vote.id,
    )
    response = _post(client, f"/votes/proxies/{proxy.id}/revoke")
    assert response.status_code == 303
    session.refresh(proxy)
    assert proxy.revoked_at is not None
    assert "ne peut plus voter à votre place" in page(client.get("/votes/proxies"))


def test_a_period_proxy_from_the_form(client, auth, session, house):
    residence, coord, committee, people = house
    auth.login("habitant0")
    today = utcnow().astimezone(residence.tz).date()
    response = _post(
        client,
        "/votes/proxies",
        holder=str(people[2].id),
        scope="period",
        first_day=today.isoformat(),
        last_day=(today.replace(day=1) + base.dt.timedelta(days=40)).isoformat(),
    )
    assert response.status_code == 303
    proxy = session.scalar(sa.select(Proxy))
    assert proxy.vote_id is None and proxy.valid_until > proxy.valid_from


def test_refusals_say_why_on_the_page(client, auth, session, house, make_vote):
    residence, coord, committee, people = house
    vote = make_vote(electorate=Electorate.RESIDENTS)
    residence.proxy_limit = 1
    session.commit()
    proxies.give_proxy(people[1], people[2], vote=vote, now=utcnow())
    session.commit()
    auth.login("habitant0")
    response = _post(client, "/votes/proxies", holder=str(people[2].id), scope=f"vote-{vote.id}")
    assert response.status_code == 409
    assert "le plus permis" in page(response)
    # Missing dates for a period, no person: 422 with the form's errors.
    response = _post(client, "/votes/proxies", holder="", scope="period")
    assert response.status_code == 422
    body = page(response)
    assert "Indiquez le premier jour." in body and "Choisissez la personne" in body


def test_another_residences_person_or_vote_is_not_found(
    client, auth, session, house, make_vote, create_residence, create_user
):
    residence, coord, committee, people = house
    vote = make_vote(electorate=Electorate.RESIDENTS)
    other = create_residence("Hirson")
    stranger = member(create_user("loin", residence=other), other)
    auth.login("habitant0")
    response = _post(client, "/votes/proxies", holder=str(stranger.id), scope=f"vote-{vote.id}")
    assert response.status_code == 422  # not in the list
    assert session.scalar(sa.select(sa.func.count()).select_from(Proxy)) == 0
    assert client.get(f"/votes/{vote.id}/proxy/{stranger.id}").status_code == 404
    assert client.get(f"/votes/{vote.id + 1000}/proxy/{people[1].id}").status_code == 404
    assert client.get(f"/votes/{vote.id}/desk").status_code == 403


def test_posts_need_the_csrf_token(client, auth, house, make_vote):
    residence, coord, committee, people = house
    vote = make_vote()
    auth.login("comite")
    for url in ("/votes/proxies", f"/votes/{vote.id}/desk/batch", f"/votes/{vote.id}/desk/ballot"):
        assert client.post(url, data={"holder": str(people[2].id)}).status_code == 400


# -- voting for someone --------------------------------------------------------------------


def test_the_holder_votes_for_the_principal_review_then_receipt(
    client, auth, session, house, make_vote
):
    residence, coord, committee, people = house
    vote = make_vote(electorate=Electorate.RESIDENTS)
    proxies.give_proxy(people[0], people[2], vote=vote, now=utcnow())
    session.commit()
    name = people[0].user.full_name
    auth.login("habitant2")
    body = page(client.get("/votes/proxies"))
    url = f"/votes/{vote.id}/proxy/{people[0].id}"
    assert f'href="{url}"' in body and f"Voter pour {name}" in body
    body = page(client.get(url))
    assert f"Vous votez pour {name}" in body and 'value="pour"' in body
    body = page(client.get(url + "/ballot?choice=contre"))
    assert f"Vous votez « Contre » pour {name}. Confirmer ?" in body
    assert client.get(url + "/ballot?choice=peut-etre").status_code == 422
    response = _post(client, url + "/ballot", choice="contre")
    assert response.status_code == 303 and response.headers["Location"] == url + "/receipt"
    body = page(client.get(url + "/receipt"))
    assert f"Le vote de {name} est enregistré" in body
    assert services.counts(vote)["contre"] == 1
    # The principal sees it has served (and no revoke button any more).
    client.post("/logout", data={"csrf_token": Auth(client).csrf()})
    auth.login("habitant0")
    body = page(client.get("/votes/proxies"))
    assert "a voté pour vous avec cette procuration" in body and "Retirer" not in body
    client.post("/logout", data={"csrf_token": Auth(client).csrf()})
    auth.login("habitant2")
    # Again: a secret ballot is final.
    response = _post(client, url + "/ballot", choice="pour")
    assert response.status_code == 409 and f"Vous avez déjà voté pour {name}" in page(response)
    assert services.counts(vote) == {"pour": 0, "contre": 1, "abstention": 0}


def test_the_holder_sees_that_the_principal_voted_herself(client, auth, session, house, make_vote):
    residence, coord, committee, people = house
    vote = make_vote(electorate=Electorate.RESIDENTS)
    proxies.give_proxy(people[0], people[2], vote=vote, now=utcnow())
    services.cast(people[0], vote, "pour", now=utcnow())
    session.commit()
    auth.login("habitant2")
    name = people[0].user.full_name
    assert f"{name} a déjà voté en personne" in page(client.get("/votes/proxies"))
    url = f"/votes/{vote.id}/proxy/{people[0].id}"
    assert f"{name} a déjà voté en personne" in page(client.get(url))
    response = _post(client, url + "/ballot", choice="contre")
    assert response.status_code == 409
    assert f"{name} a déjà voté en personne" in page(response)


def test_without_a_proxy_the_page_says_so(client, auth, session, house, make_vote):
    residence, coord, committee, people = house
    vote = make_vote(electorate=Electorate.RESIDENTS)
    auth.login("habitant2")
    url = f"/votes/{vote.id}/proxy/{people[0].id}"
    assert "pas (ou plus) de procuration" in page(client.get(url))
    response = _post(client, url + "/ballot", choice="pour")
    assert response.status_code == 409
    assert session.scalar(sa.select(sa.func.count()).select_from(Participation)) == 0


# -- the desk ------------------------------------------------------------------------------


def test_a_resident_cannot_use_the_desk(client, auth, house, make_vote):
    residence, coord, committee, people = house
    vote = make_vote()
    auth.login("habitant0")
    assert client.get(f"/votes/{vote.id}/desk").status_code == 403
    assert (
        _post(client, f"/votes/{vote.id}/desk/batch", people=str(people[0].id)).status_code == 403
    )


def test_the_desk_records_a_secret_batch(client, auth, session, house, make_vote):
    residence, coord, committee, people = house
    vote = make_vote(electorate=Electorate.RESIDENTS)
    services.cast(people[4], vote, "pour", now=utcnow())
    session.commit()
    auth.login("coord")
    body = page(client.get(f"/votes/{vote.id}/desk"))
    assert "Bureau de vote" in body and "a voté en ligne" in body
    assert f'value="{people[0].id}"' in body and f'value="{people[4].id}"' not in body
    url = f"/votes/{vote.id}/desk/batch"
    # Counts that do not add up: 422, nothing recorded.
    response = client.post(
        url,
        data={
            "csrf_token": Auth(client).csrf(),
            "channel": "paper",
            "count_pour": "1",
            "count_contre": "0",
            "count_abstention": "0",
            "people": [str(people[0].id), str(people[1].id)],
        },
    )
    assert response.status_code == 422 and "Recomptez" in page(response)
    response = client.post(
        url,
        data={
            "csrf_token": Auth(client).csrf(),
            "channel": "room",
            "count_pour": "1",
            "count_contre": "1",
            "count_abstention": "0",
            "people": [str(people[0].id), str(people[1].id)],
        },
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"/votes/{vote.id}/desk?channel=room"
    body = page(client.get(response.headers["Location"]))
    assert "Enregistré : 2 bulletins (à main levée)" in body
    assert "3 habitants sur 7 ont voté" in body and "Dont : 1 en ligne et 2 à main levée." in body
    # The way chosen last stays chosen for the next batch.
    assert (
        '<input checked id="channel-1" name="channel" required type="radio" value="room">' in body
    )
    assert services.counts(vote) == {"pour": 2, "contre": 1, "abstention": 0}
    # Someone already counted: the whole batch is refused with who.
    response = client.post(
        url,
        data={
            "csrf_token": Auth(client).csrf(),
            "channel": "paper",
            "count_pour": "2",
            "people": [str(people[0].id), str(people[2].id)],
        },
    )
    assert response.status_code == 409
    assert "Rien n'est enregistré" in page(response)
    assert services.result(vote).participation == 3
    (event,) = session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "vote.desk_batch")
    ).all()
    assert event.details == "channel=room; people=2"


def test_the_desk_records_public_ballots_by_name(client, auth, session, house, make_vote):
    residence, coord, committee, people = house
    vote = make_vote(electorate=Electorate.RESIDENTS, secret=False, results_hidden=False)
    services.cast(people[4], vote, "pour", now=utcnow())
    session.commit()
    auth.login("comite")
    url = f"/votes/{vote.id}/desk/ballot"
    response = _post(client, url, person=str(people[0].id), choice="contre", channel="paper")
    assert response.status_code == 303
    name = people[0].user.full_name
    assert f"Enregistré : {name}, Contre (sur papier)." in page(
        client.get(f"/votes/{vote.id}/desk")
    )
    response = _post(client, url, person=str(people[4].id), choice="contre", channel="paper")
    assert response.status_code == 409 and "a déjà voté en ligne" in page(response)
    response = _post(client, url, person=str(people[1].id), choice="ailleurs", channel="paper")
    assert response.status_code == 422
    assert services.counts(vote) == {"pour": 1, "contre": 1, "abstention": 0}


def test_the_desk_404s_for_another_residence(
    client, auth, session, house, make_vote, create_residence, create_user
):
    residence, coord, committee, people = house
    vote = make_vote(electorate=Electorate.RESIDENTS, secret=False, results_hidden=False)
    other = create_residence("Hirson")
    create_user("coord.hirson", residence=other, role=Role.COORDINATOR)
    stranger = member(create_user("loin", residence=other), other)
    auth.login("coord.hirson")
    assert client.get(f"/votes/{vote.id}/desk").status_code == 404
    assert _post(client, f"/votes/{vote.id}/desk/ballot", person="1").status_code == 404
    Auth(client).logout()
    auth.login("comite")
    response = _post(
        client, f"/votes/{vote.id}/desk/ballot", person=str(stranger.id), choice="pour"
    )
    assert response.status_code == 404


def test_the_residence_sets_its_proxy_limit(client, auth, session, house):
    residence, coord, committee, people = house
    auth.login("coord")
    assert "Procurations qu'une personne peut avoir" in page(client.get("/residence/contact"))
    response = _post(client, "/residence/contact", proxy_limit="3")
    assert response.status_code == 303
    session.refresh(residence)
    assert residence.proxy_limit == 3
    assert _post(client, "/residence/contact", proxy_limit="11").status_code == 422


# -- the vote's page leads to proxies and the desk -----------------------------------------


def test_the_vote_page_leads_to_proxies_and_the_desk(client, auth, session, house, make_vote):
    residence, coord, committee, people = house
    vote = make_vote(electorate=Electorate.RESIDENTS)
    proxies.give_proxy(people[0], people[2], vote=vote, now=utcnow())
    session.commit()
    name = people[0].user.full_name
    auth.login("habitant2")
    body = page(client.get(f"/votes/{vote.id}"))
    assert f"Voter pour {name}" in body
    assert f'href="/votes/{vote.id}/proxy/{people[0].id}"' in body
    assert "Donner ma procuration à un voisin" in body  # habitant2 has not voted yet
    assert "Bureau de vote" not in body  # a resident has no desk
    response = _post(client, f"/votes/{vote.id}/proxy/{people[0].id}/ballot", choice="pour")
    assert response.status_code == 303
    body = page(client.get(f"/votes/{vote.id}"))
    assert f"{name} : sa voix est comptée." in body and f"Voter pour {name}" not in body
    auth.logout()
    auth.login("comite")
    assert f'href="/votes/{vote.id}/desk"' in page(client.get(f"/votes/{vote.id}"))


def test_a_period_reaching_the_end_of_the_calendar_is_refused_next_to_the_field(
    client, auth, session, house
):
    residence, coord, committee, people = house
    auth.login("habitant0")
    today = utcnow().astimezone(residence.tz).date()
    for first, last in ((today.isoformat(), "9999-12-31"), ("0001-01-01", today.isoformat())):
        response = _post(
            client,
            "/votes/proxies",
            holder=str(people[2].id),
            scope="period",
            first_day=first,
            last_day=last,
        )
        assert response.status_code == 422, (first, last)
    assert session.scalar(sa.select(sa.func.count(Proxy.id))) == 0
