"""100 residents each send their secret ballot twice at the same moment (200 POSTs, a
different answer each time) against a real server (gunicorn, 4 sync workers, on SQLite or
on PostgreSQL with TEST_DATABASE_URL): the database alone settles it.

Twice: a vote Pour / Contre / Je m'abstiens, and a question with three choices.

Expected: exactly 100 ballots counted (one 303 and one 409 per person, never a 5xx), 100
participations, and the counters add up to the participation.
"""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from app.core.db import utcnow
from app.core.permissions import Role
from app.votes import services
from app.votes.models import ChangeKind, Participation, VoteTally
from tests.concurrency.test_booking_race import TIMEOUT, _failure
from tests.conftest import PASSWORD, csrf_from
from tests.factories import member

pytestmark = [pytest.mark.concurrency, pytest.mark.committed]

VOTERS = 100


@pytest.fixture(params=["pour-contre", "question"])
def secret_vote(request, session, create_residence, create_user):
    """A secret vote of 100 residents: Pour / Contre / Je m'abstiens, or a question with
    three choices (its counters, one per choice, rewritten by every ballot the same way).
    With the three choices each ballot may send: the first, and two others."""
    import datetime as dt

    residence = create_residence("Résidence du vote")
    committee = create_user("comite.vote", residence=residence, role=Role.COMMITTEE, home="Z00")
    usernames = [f"votant{n:03d}" for n in range(VOTERS)]
    for n, username in enumerate(usernames):
        create_user(username, residence=residence, home=f"V{n:03d}")
    now = utcnow()
    question = request.param == "question"
    proposal = services.create_proposal(
        member(committee, residence),
        "Quel jour pour le marché ?" if question else "Heures calmes",
        "" if question else "22 h",
        change=ChangeKind.QUESTION if question else ChangeKind.CREATE,
    )
    extra = (
        {
            "majority": services.Majority.PLURALITY,
            "labels": ("Mardi", "Jeudi", "Samedi"),
            "options": ("c1", "c2", "c3"),
        }
        if question
        else {}
    )
    vote = services.create_vote(
        member(committee, residence),
        proposal,
        services.Settings(
            opens_at=now - dt.timedelta(hours=1),
            closes_at=now + dt.timedelta(days=1),
            electorate=services.Electorate.RESIDENTS,
            secret=True,
            **extra,
        ),
    )
    vote_id = vote.id
    session.commit()
    return (
        vote_id,
        usernames,
        (("c1", "c2", "c3") if question else ("pour", "contre", "abstention")),
    )


def _log_in(client, server, username: str, vote_id: int, choice: str) -> str:
    base = server.url
    response = client.get(f"{base}/login", timeout=TIMEOUT)
    response = client.post(
        f"{base}/login",
        data={"username": username, "password": PASSWORD, "csrf_token": csrf_from(response.text)},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert response.status_code == 303, _failure(f"login of {username}", response, server)
    response = client.get(f"{base}/votes/{vote_id}/ballot?choice={choice}", timeout=TIMEOUT)
    assert response.status_code == 200, _failure("review step", response, server)
    return csrf_from(response.text)


def test_a_hundred_residents_each_vote_twice_at_once(gunicorn_server, secret_vote, session):
    import requests

    vote_id, usernames, (first, *others) = secret_vote
    clients = [requests.Session() for _ in usernames]
    twins = [requests.Session() for _ in usernames]
    try:
        with ThreadPoolExecutor(max_workers=10) as pool:
            tokens = list(
                pool.map(
                    lambda pair: _log_in(pair[0], gunicorn_server, pair[1], vote_id, first),
                    zip(clients, usernames, strict=True),
                )
            )
        for client, twin in zip(clients, twins, strict=True):
            twin.cookies.update(client.cookies)  # the same person, a second tap
        sends = [
            (session_, tokens[n], choice)
            for n in range(VOTERS)
            for session_, choice in (
                (clients[n], first),
                (twins[n], others[n % 2]),
            )
        ]
        barrier = threading.Barrier(len(sends))
        statuses: list[int | None] = [None] * len(sends)
        url = f"{gunicorn_server.url}/votes/{vote_id}/ballot"

        def post(i: int) -> None:
            client, token, choice = sends[i]
            try:
                barrier.wait(timeout=TIMEOUT)
                response = client.post(
                    url,
                    data={"csrf_token": token, "choice": choice},
                    allow_redirects=False,
                    timeout=TIMEOUT,
                )
                statuses[i] = response.status_code
                if response.status_code >= 500:
                    print(_failure("POST", response, gunicorn_server))
            except Exception as error:
                print(repr(error))

        threads = [threading.Thread(target=post, args=(i,)) for i in range(len(sends))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=TIMEOUT + 5)

        assert Counter(statuses) == {303: VOTERS, 409: VOTERS}, gunicorn_server.log()[-5000:]
        for n in range(VOTERS):  # each person: one counted, one refused
            assert sorted([statuses[2 * n], statuses[2 * n + 1]]) == [303, 409]
        session.expire_all()
        participations = session.scalar(
            sa.select(sa.func.count()).where(Participation.vote_id == vote_id)
        )
        tallies = dict(
            session.execute(
                sa.select(VoteTally.option, VoteTally.count).where(VoteTally.vote_id == vote_id)
            ).all()
        )
        assert participations == VOTERS
        assert sum(tallies.values()) == participations
    finally:
        for client in clients + twins:
            client.close()
