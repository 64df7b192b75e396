"""20 residents tap "Je m'en occupe" on one watering slot at the same moment, against a real
server (gunicorn, 4 sync workers, on SQLite or on PostgreSQL with TEST_DATABASE_URL): the
database alone settles it. Then 10 tap "J'y vais à sa place" on the same offered slot.

Expected: one 303 and nineteen 409 ("Un voisin vient de prendre ce créneau"), one holder;
then one hand-over (two messages), nine 409.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from app.activities import services
from app.activities.models import WateringSlot
from app.core.permissions import Role
from app.messages.models import Message
from tests.concurrency.test_activity_race import _all_at_once
from tests.concurrency.test_booking_race import TIMEOUT, _failure
from tests.conftest import PASSWORD, csrf_from
from tests.factories import member, today_in

pytestmark = [pytest.mark.concurrency, pytest.mark.committed]

CLIENTS, RELAYS = 20, 10


@pytest.fixture
def slot(session, create_residence, create_user):
    residence = create_residence("Résidence du jardin")
    coordinator = create_user("coord.jardin", residence=residence, role=Role.COORDINATOR)
    usernames = [f"jardinier{n:02d}" for n in range(CLIENTS)]
    for n, username in enumerate(usernames):
        create_user(username, residence=residence, home=f"J{n:02d}")
    tomorrow = today_in(residence) + dt.timedelta(days=1)
    services.create_slots(
        member(coordinator, residence), tomorrow, tomorrow, [(dt.time(19), dt.time(19, 30))]
    )
    session.commit()
    (made,) = services.rota(residence, tomorrow, tomorrow)
    return made.id, usernames


def test_twenty_claim_one_slot_then_ten_take_it_over(gunicorn_server, slot, session):
    import requests

    slot_id, usernames = slot
    clients = [requests.Session() for _ in usernames]
    with ThreadPoolExecutor(max_workers=10) as pool:
        tokens = list(
            pool.map(
                lambda pair: _log_in(pair[0], gunicorn_server, pair[1]),
                zip(clients, usernames, strict=True),
            )
        )
    try:
        statuses = _all_at_once(
            gunicorn_server, clients, tokens, f"/activities/garden/{slot_id}/claim"
        )
        assert Counter(statuses) == {303: 1, 409: CLIENTS - 1}, gunicorn_server.log()[-5000:]
        session.expire_all()
        held = session.get(WateringSlot, slot_id)
        winner = usernames[statuses.index(303)]
        assert held.holder.user.username == winner

        # The winner cannot go after all; ten others tap "J'y vais à sa place" at once.
        services.offer(held.holder, held)
        session.commit()
        relays = [n for n, status in enumerate(statuses) if status == 409][:RELAYS]
        statuses = _all_at_once(
            gunicorn_server,
            [clients[n] for n in relays],
            [tokens[n] for n in relays],
            f"/activities/garden/{slot_id}/accept",
        )
        assert Counter(statuses) == {303: 1, 409: RELAYS - 1}, gunicorn_server.log()[-5000:]
        session.expire_all()
        held = session.get(WateringSlot, slot_id)
        relay = usernames[relays[statuses.index(303)]]
        assert held.holder.user.username == relay and held.offered_at is None
        told = session.scalar(sa.select(sa.func.count(Message.id)))
        assert told == 2  # the winner and the one who took over: once each
    finally:
        for client in clients:
            client.close()


def _log_in(client, server, username: str) -> str:
    """Log in and open the garden page (the taps come from it): its CSRF token."""
    base = server.url
    response = client.get(f"{base}/login", timeout=TIMEOUT)
    response = client.post(
        f"{base}/login",
        data={"username": username, "password": PASSWORD, "csrf_token": csrf_from(response.text)},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert response.status_code == 303, _failure(f"login of {username}", response, server)
    response = client.get(f"{base}/activities/garden", timeout=TIMEOUT)
    assert response.status_code == 200, _failure("garden page", response, server)
    return csrf_from(response.text)
