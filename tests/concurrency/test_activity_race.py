"""50 residents tap "M'inscrire" on an activity with 10 places at the same moment, then 5 of
those with a place leave at the same moment, against a real server (gunicorn, 4 sync
workers, on SQLite or on PostgreSQL with TEST_DATABASE_URL): the database alone settles it.

Expected: exactly 10 places taken and 40 people waiting at positions 1 to 40 with no gap,
in the order the database gave; then the first 5 waiting get the freed places, in order.
"""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from app.activities.models import Registration, RegistrationStatus
from app.core.permissions import Role
from tests.concurrency.test_booking_race import TIMEOUT, _failure
from tests.conftest import PASSWORD, csrf_from

pytestmark = [pytest.mark.concurrency, pytest.mark.committed]

CLIENTS, PLACES, LEAVING = 50, 10, 5


@pytest.fixture
def activity(session, create_residence, create_user, create_activity):
    residence = create_residence("Résidence des ateliers")
    coordinator = create_user("coord.ateliers", residence=residence, role=Role.COORDINATOR)
    usernames = [f"atelier{n:02d}" for n in range(CLIENTS)]
    for n, username in enumerate(usernames):
        create_user(username, residence=residence, home=f"B{n:02d}")
    workshop = create_activity(residence, by=coordinator, capacity=PLACES, title="Atelier")
    activity_id = workshop.id
    session.commit()
    return activity_id, usernames


def _log_in(client, server, username: str, activity_id: int) -> str:
    base = server.url
    response = client.get(f"{base}/login", timeout=TIMEOUT)
    response = client.post(
        f"{base}/login",
        data={"username": username, "password": PASSWORD, "csrf_token": csrf_from(response.text)},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert response.status_code == 303, _failure(f"login of {username}", response, server)
    response = client.get(f"{base}/activities/{activity_id}", timeout=TIMEOUT)
    assert response.status_code == 200, _failure("activity page", response, server)
    return csrf_from(response.text)


def _all_at_once(server, clients, tokens, url: str) -> list[int | None]:
    barrier = threading.Barrier(len(clients))
    statuses: list[int | None] = [None] * len(clients)

    def post(n: int) -> None:
        try:
            barrier.wait(timeout=TIMEOUT)
            response = clients[n].post(
                server.url + url,
                data={"csrf_token": tokens[n]},
                allow_redirects=False,
                timeout=TIMEOUT,
            )
            statuses[n] = response.status_code
            if response.status_code >= 500:
                print(_failure("POST", response, server))
        except Exception as error:
            print(repr(error))

    threads = [threading.Thread(target=post, args=(n,)) for n in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=TIMEOUT + 5)
    return statuses


def _registrations(session, activity_id: int) -> list[Registration]:
    session.expire_all()
    return list(
        session.scalars(
            sa.select(Registration)
            .where(Registration.activity_id == activity_id)
            .order_by(Registration.queue_number)
        )
    )


def test_fifty_sign_up_for_ten_places_then_five_leave(gunicorn_server, activity, session):
    import requests

    activity_id, usernames = activity
    clients = [requests.Session() for _ in usernames]
    try:
        with ThreadPoolExecutor(max_workers=10) as pool:
            tokens = list(
                pool.map(
                    lambda pair: _log_in(pair[0], gunicorn_server, pair[1], activity_id),
                    zip(clients, usernames, strict=True),
                )
            )
        statuses = _all_at_once(
            gunicorn_server, clients, tokens, f"/activities/{activity_id}/register"
        )
        assert Counter(statuses) == {303: CLIENTS}, gunicorn_server.log()[-5000:]

        registrations = _registrations(session, activity_id)
        assert len(registrations) == CLIENTS
        assert [r.queue_number for r in registrations] == list(range(1, CLIENTS + 1))
        # The first ten in the database's order have the places, the others wait in order.
        assert [r.status for r in registrations] == (
            [RegistrationStatus.CONFIRMED] * PLACES
            + [RegistrationStatus.WAITING] * (CLIENTS - PLACES)
        )
        waiting_before = [r.membership_id for r in registrations[PLACES:]]

        # Five of those with a place leave at the same moment.
        confirmed_users = {r.membership_id for r in registrations[:LEAVING]}
        leavers = [
            n
            for n, name in enumerate(usernames)
            if _membership_id(session, name) in confirmed_users
        ]
        assert len(leavers) == LEAVING
        statuses = _all_at_once(
            gunicorn_server,
            [clients[n] for n in leavers],
            [tokens[n] for n in leavers],
            f"/activities/{activity_id}/leave",
        )
        assert Counter(statuses) == {303: LEAVING}, gunicorn_server.log()[-5000:]

        after = {r.membership_id: r for r in _registrations(session, activity_id)}
        assert all(after[m].status == RegistrationStatus.LEFT for m in confirmed_users)
        promoted = waiting_before[:LEAVING]
        assert all(after[m].status == RegistrationStatus.CONFIRMED for m in promoted)
        still_waiting = [m for m in waiting_before if after[m].status == RegistrationStatus.WAITING]
        assert still_waiting == waiting_before[LEAVING:]
        confirmed = [m for m, r in after.items() if r.status == RegistrationStatus.CONFIRMED]
        assert len(confirmed) == PLACES
    finally:
        for client in clients:
            client.close()


def _membership_id(session, username: str) -> int:
    from app.residences.models import Membership
    from app.users.models import User

    return session.scalar(
        sa.select(Membership.id).join(Membership.user).where(User.username == username)
    )
