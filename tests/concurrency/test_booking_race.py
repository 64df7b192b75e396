"""50 residents tap "Confirmer" on the same slot at the same moment, against a real server.

gunicorn runs 4 sync worker processes on the test database (SQLite by default, PostgreSQL with
TEST_DATABASE_URL): the database alone must settle the race. Expected: as many bookings as
the room has units, a clear 409 page for everyone else, never a 5xx, never a double booking.
"""

from __future__ import annotations

import datetime as dt
import html
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from app.bookings.models import Booking, BookingStatus
from app.core.permissions import Role
from app.core.timeutils import to_local, to_utc
from tests.conftest import PASSWORD, csrf_from

# The server is another process: it must see the data, so it is really committed.
pytestmark = [pytest.mark.concurrency, pytest.mark.committed]

CLIENTS = 50
# Seconds a request may wait: on SQLite the writes queue one after the other, and CI runs
# both suites at once on two CPUs, so 200 requests at once can take half a minute there.
TIMEOUT = 120
TAKEN = "vient d'être réservé"


@pytest.fixture
def race_room(session, create_residence, create_user, create_room):
    """A residence, its coordinator, a room open 08:00–22:00 every day without household
    limits, and 50 residents each in their own home. Returns (room id, slot, usernames)."""

    def _arrange(unit_names: list[str] | None = None):
        residence = create_residence("Résidence de la course")
        coordinator = create_user("coord.course", residence=residence, role=Role.COORDINATOR)
        room = create_room(residence, by=coordinator, unit_names=unit_names)
        usernames = [f"habitant{n:02d}" for n in range(CLIENTS)]
        for n, username in enumerate(usernames):
            create_user(username, residence=residence, home=f"A{n:02d}")
        # A few days ahead, in the residence's local time.
        today = to_local(dt.datetime.now(dt.UTC), residence.tz).date()
        day = today + dt.timedelta(days=4)
        start = dt.datetime.combine(day, dt.time(14))
        end = dt.datetime.combine(day, dt.time(16))
        slot = (start, end, to_utc(start, residence.tz), to_utc(end, residence.tz))
        room_id = room.id
        session.commit()  # hold nothing open while the server works
        return room_id, slot, usernames

    return _arrange


def _log_in_and_review(client, server, username: str, room_id: int, query: dict) -> str:
    """Log in through the real endpoint, open the review page; return its CSRF token."""
    base = server.url
    response = client.get(f"{base}/login", timeout=TIMEOUT)
    assert response.status_code == 200, _failure("login page", response, server)
    response = client.post(
        f"{base}/login",
        data={"username": username, "password": PASSWORD, "csrf_token": csrf_from(response.text)},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert response.status_code == 303, _failure(f"login of {username}", response, server)
    response = client.get(f"{base}/rooms/{room_id}/book", params=query, timeout=TIMEOUT)
    assert response.status_code == 200, _failure("review page", response, server)
    return csrf_from(response.text)


def _failure(what: str, response, server) -> str:
    message = f"{what}: {response.status_code} for {response.request.method} {response.url}"
    if response.status_code >= 500:
        message += "\n--- gunicorn's log:\n" + server.log()[-10000:]
    return message


def _race(gunicorn_server, room_id: int, slot, usernames: list[str]):
    """Log everyone in, then release all the POSTs at once. Returns [(status, body)]."""
    import requests

    start, end = slot[0], slot[1]
    form = {"start": start.isoformat(timespec="minutes"), "end": end.isoformat(timespec="minutes")}
    base = gunicorn_server.url
    clients = [requests.Session() for _ in usernames]
    try:
        with ThreadPoolExecutor(max_workers=10) as pool:
            futures = [
                pool.submit(_log_in_and_review, client, gunicorn_server, name, room_id, form)
                for client, name in zip(clients, usernames, strict=True)
            ]
            tokens = [future.result() for future in futures]
        barrier = threading.Barrier(len(clients))
        results: list[tuple[int | None, str]] = [(None, "no answer")] * len(clients)

        def confirm(n: int) -> None:
            try:
                barrier.wait(timeout=TIMEOUT)
                response = clients[n].post(
                    f"{base}/rooms/{room_id}/book",
                    data={**form, "csrf_token": tokens[n]},
                    allow_redirects=False,
                    timeout=TIMEOUT,
                )
                results[n] = (response.status_code, response.text)
            except Exception as error:  # reported with the others below
                results[n] = (None, repr(error))

        threads = [threading.Thread(target=confirm, args=(n,)) for n in range(len(clients))]
        began = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=TIMEOUT + 5)
        print(f"{len(clients)} simultaneous POSTs answered in {time.monotonic() - began:.2f} s")
        return results
    finally:
        for client in clients:
            client.close()


def _check(gunicorn_server, results, winners: int) -> None:
    statuses = Counter(status for status, _ in results)
    explained = [body for status, body in results if status == 409 and TAKEN in html.unescape(body)]
    unexpected = [
        (n, status, body) for n, (status, body) in enumerate(results) if status not in (303, 409)
    ]
    unexplained = [
        (n, status, body)
        for n, (status, body) in enumerate(results)
        if status == 409 and TAKEN not in html.unescape(body)
    ]
    report = f"statuses: {dict(statuses)}"
    for n, status, body in (unexpected + unexplained)[:5]:
        report += f"\n--- client {n}: {status}\n{body[:3000]}"
    if unexpected or unexplained or statuses[303] != winners:
        report += "\n--- gunicorn's log (last 20000 characters):\n" + gunicorn_server.log()[-20000:]
        print(report)
    errors = [status for status in statuses if status is None or status >= 500]
    assert not errors, report
    assert statuses[303] == winners, report
    assert len(explained) == CLIENTS - winners, report


def _bookings(session, room_id: int) -> list[Booking]:
    session.expire_all()
    return list(session.scalars(sa.select(Booking).where(Booking.room_id == room_id)))


def test_fifty_residents_race_for_one_slot_exactly_one_wins(gunicorn_server, race_room, session):
    room_id, slot, usernames = race_room()

    results = _race(gunicorn_server, room_id, slot, usernames)

    _check(gunicorn_server, results, winners=1)
    bookings = _bookings(session, room_id)
    assert [(b.status, b.start_at, b.end_at) for b in bookings] == [
        (BookingStatus.CONFIRMED, slot[2], slot[3])
    ]


def test_two_identical_units_go_to_two_residents_and_no_more(gunicorn_server, race_room, session):
    room_id, slot, usernames = race_room(unit_names=["Lave-linge 1", "Lave-linge 2"])

    results = _race(gunicorn_server, room_id, slot, usernames)

    _check(gunicorn_server, results, winners=2)
    bookings = _bookings(session, room_id)
    assert [(b.status, b.start_at, b.end_at) for b in bookings] == [
        (BookingStatus.CONFIRMED, slot[2], slot[3])
    ] * 2
    assert len({b.unit_id for b in bookings}) == 2
    assert len({b.user_id for b in bookings}) == 2
