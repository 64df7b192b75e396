"""The voting desk against proxy ballots for the same people, all at the same moment, on a
real server (gunicorn, 4 sync workers, on SQLite or on PostgreSQL with TEST_DATABASE_URL).

A secret vote; ten residents, each of whom gave a proxy to a neighbour (five holders, two
each). At once: the committee member records a batch of five paper ballots (residents 0–4),
the coordinator another of five (residents 3–7: two people in both), and the holders vote
for their ten principals. Whatever the order, the database settles it:

- nobody is counted twice (one participation per person);
- a batch is recorded whole or not at all (never part of its people);
- the counts equal the participations (the secret tally never drifts);
- every answer is 303 or 409 (never a 5xx).
"""

from __future__ import annotations

import threading
from collections import Counter

import pytest
import sqlalchemy as sa

from app.core.db import utcnow
from app.core.permissions import Role
from app.votes import proxies, services
from app.votes.models import Channel, Electorate, Participation, VoteTally
from tests.concurrency.test_booking_race import TIMEOUT, _failure
from tests.conftest import PASSWORD, csrf_from
from tests.factories import member

pytestmark = [pytest.mark.concurrency, pytest.mark.committed]

PEOPLE = 10
HOUR = services.dt.timedelta(hours=1)


@pytest.fixture
def ballot_box(session, create_residence, create_user):
    residence = create_residence("Résidence du scrutin")
    coord = member(create_user("coord.scrutin", residence=residence, role=Role.COORDINATOR))
    committee = member(
        create_user("comite.scrutin", residence=residence, role=Role.COMMITTEE, home="C00")
    )
    principals = [
        member(create_user(f"votant{n:02d}", residence=residence, home=f"V{n:02d}"))
        for n in range(PEOPLE)
    ]
    holders = [
        member(create_user(f"porteur{n:02d}", residence=residence, home=f"P{n:02d}"))
        for n in range(PEOPLE // 2)
    ]
    now = utcnow()
    proposal = services.create_proposal(principals[0], "Heures calmes", "Silence après 22 h.")
    vote = services.create_vote(
        committee,
        proposal,
        services.Settings(
            opens_at=now - HOUR, closes_at=now + 24 * HOUR, electorate=Electorate.RESIDENTS
        ),
    )
    for n, principal in enumerate(principals):
        proxies.give_proxy(principal, holders[n // 2], vote=vote, now=now)
    session.commit()
    return vote.id, coord, committee, principals, holders


def _log_in(client, server, username: str, page: str) -> str:
    base = server.url
    response = client.get(f"{base}/login", timeout=TIMEOUT)
    response = client.post(
        f"{base}/login",
        data={"username": username, "password": PASSWORD, "csrf_token": csrf_from(response.text)},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert response.status_code == 303, _failure(f"login of {username}", response, server)
    response = client.get(base + page, timeout=TIMEOUT)
    assert response.status_code == 200, _failure(page, response, server)
    return csrf_from(response.text)


def test_desk_batches_and_proxy_ballots_for_the_same_people(gunicorn_server, ballot_box, session):
    import requests

    vote_id, coord, committee, principals, holders = ballot_box
    desk = f"/votes/{vote_id}/desk"
    # (username, page to open first, url to post, data)
    posts = [
        (
            "comite.scrutin",
            desk,
            desk + "/batch",
            {"channel": "paper", "count_pour": "5", "people": [str(p.id) for p in principals[:5]]},
        ),
        (
            "coord.scrutin",
            desk,
            desk + "/batch",
            {
                "channel": "room",
                "count_contre": "5",
                "people": [str(p.id) for p in principals[3:8]],
            },
        ),
    ]
    for n, principal in enumerate(principals):
        holder = holders[n // 2]
        posts.append(
            (
                holder.user.username,
                "/votes/proxies",
                f"/votes/{vote_id}/proxy/{principal.id}/ballot",
                {"choice": "abstention"},
            )
        )
    clients = [requests.Session() for _ in posts]
    try:
        tokens = [
            _log_in(client, gunicorn_server, username, page)
            for client, (username, page, _url, _data) in zip(clients, posts, strict=True)
        ]
        barrier = threading.Barrier(len(posts))
        statuses: list[int | None] = [None] * len(posts)

        def post(n: int) -> None:
            _username, _page, url, data = posts[n]
            try:
                barrier.wait(timeout=TIMEOUT)
                response = clients[n].post(
                    gunicorn_server.url + url,
                    data={"csrf_token": tokens[n], **data},
                    allow_redirects=False,
                    timeout=TIMEOUT,
                )
                statuses[n] = response.status_code
                if response.status_code >= 500:
                    print(_failure("POST", response, gunicorn_server))
            except Exception as error:  # noqa: BLE001 - reported by the assertion below
                print(repr(error))

        threads = [threading.Thread(target=post, args=(n,)) for n in range(len(posts))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=TIMEOUT + 5)
    finally:
        for client in clients:
            client.close()

    assert set(statuses) <= {303, 409}, (statuses, gunicorn_server.log()[-5000:])
    session.expire_all()
    rows = session.scalars(sa.select(Participation).where(Participation.vote_id == vote_id)).all()
    keys = Counter(p.voter_key for p in rows)
    assert all(count == 1 for count in keys.values())
    tally = dict(
        session.execute(
            sa.select(VoteTally.option, VoteTally.count).where(VoteTally.vote_id == vote_id)
        ).all()
    )
    assert sum(tally.values()) == len(rows)
    # Each batch: all its people counted at the desk by its keeper, or none of them.
    for keeper, batch, status, option in (
        (committee, principals[:5], statuses[0], "pour"),
        (coord, principals[3:8], statuses[1], "contre"),
    ):
        by_keeper = {p.membership_id for p in rows if p.cast_by_id == keeper.id}
        if status == 303:
            assert by_keeper == {p.id for p in batch}
            assert tally[option] == 5
        else:
            assert by_keeper == set() and tally[option] == 0
    assert not (statuses[0] == 303 and statuses[1] == 303)  # they share two people
    by_proxy = [p for p in rows if p.channel == Channel.PROXY]
    assert len(by_proxy) == statuses[2:].count(303) == tally["abstention"]
    # Every principal is counted once, one way or another.
    assert len(rows) == PEOPLE


GIVERS = 6


@pytest.fixture
def one_holder(session, create_residence, create_user):
    residence = create_residence("Résidence des procurations")
    committee = member(
        create_user("comite.procu", residence=residence, role=Role.COMMITTEE, home="Q00")
    )
    holder = member(create_user("porteuse.procu", residence=residence, home="Q01"))
    givers = [
        create_user(f"donneur{n:02d}", residence=residence, home=f"D{n:02d}").username
        for n in range(GIVERS)
    ]
    now = utcnow()
    proposal = services.create_proposal(committee, "Jardin partagé", "Un carré chacun.")
    vote = services.create_vote(
        committee,
        proposal,
        services.Settings(
            opens_at=now - HOUR, closes_at=now + 24 * HOUR, electorate=Electorate.RESIDENTS
        ),
    )
    session.commit()
    return vote.id, holder.id, givers


def test_six_give_their_proxy_to_one_holder_at_once(gunicorn_server, one_holder, session):
    """The holder's limit (2) holds when six neighbours give her their proxy at once."""
    import requests

    from app.votes.models import Proxy

    vote_id, holder_id, givers = one_holder
    clients = [requests.Session() for _ in givers]
    try:
        tokens = [
            _log_in(client, gunicorn_server, username, "/votes/proxies")
            for client, username in zip(clients, givers, strict=True)
        ]
        barrier = threading.Barrier(len(givers))
        statuses: list[int | None] = [None] * len(givers)

        def post(n: int) -> None:
            try:
                barrier.wait(timeout=TIMEOUT)
                response = clients[n].post(
                    gunicorn_server.url + "/votes/proxies",
                    data={
                        "csrf_token": tokens[n],
                        "holder": str(holder_id),
                        "scope": f"vote-{vote_id}",
                    },
                    allow_redirects=False,
                    timeout=TIMEOUT,
                )
                statuses[n] = response.status_code
            except Exception as error:  # noqa: BLE001 - reported by the assertion below
                print(repr(error))

        threads = [threading.Thread(target=post, args=(n,)) for n in range(len(givers))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=TIMEOUT + 5)
    finally:
        for client in clients:
            client.close()
    assert Counter(statuses) == {303: 2, 409: GIVERS - 2}, gunicorn_server.log()[-5000:]
    session.expire_all()
    held = session.scalar(
        sa.select(sa.func.count()).select_from(Proxy).where(Proxy.holder_id == holder_id)
    )
    assert held == 2
