"""Calendar feeds through HTTP (DESIGN §5): the personal feed of a secret address, read back
with ``icalendar`` as a phone would, and the profile page that offers it."""

from __future__ import annotations

import datetime as dt

import pytest
from icalendar import Calendar

from app.bookings import services
from app.rooms.models import BookingMode
from tests.conftest import page
from tests.factories import EVERY_DAY, member, today_in


@pytest.fixture
def day(two_residences):
    """A day three days from now in the residence's time zone."""
    return today_in(two_residences[0]) + dt.timedelta(days=3)


def at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour))


@pytest.fixture
def rooms(two_residences, create_room):
    arm, _bezu, people = two_residences
    common = create_room(
        arm, by=people["arm_coord"], name="Salle commune", capacity=40, openings=EVERY_DAY
    )
    guest = create_room(
        arm,
        by=people["arm_coord"],
        name="Chambre d'amis",
        mode=BookingMode.NIGHTS,
        min_nights=1,
        max_nights=3,
        requires_approval=True,
        openings=[],
    )
    return {"common": common, "guest": guest}


@pytest.fixture
def resident(client, auth, two_residences):
    auth.login("res.arm")
    return client


def test_calendar_feed(app, client, rooms, day, session, two_residences, create_booking):
    people = two_residences[2]
    me = people["arm_res"]
    common, guest = rooms["common"], rooms["guest"]
    kept = create_booking(me, common, at(day, 14), at(day, 16), purpose="Goûter")
    asked = create_booking(
        me,
        guest,
        dt.datetime.combine(day, guest.checkin_time),
        dt.datetime.combine(day + dt.timedelta(days=1), guest.checkout_time),
    )
    gone = create_booking(me, common, at(day, 9), at(day, 10))
    services.cancel(member(me), gone)
    create_booking(people["arm_committee"], common, at(day, 18), at(day, 19))
    session.commit()

    response = client.get(f"/calendar/{me.calendar_token}.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert "Content-Disposition" not in response.headers
    calendar = Calendar.from_ical(response.data)
    events = {str(e["uid"]): e for e in calendar.walk("VEVENT")}
    assert len(events) == 2
    event = next(e for e in events.values() if "Salle commune" in str(e["summary"]))
    assert str(event["summary"]) == "Salle commune – Goûter"
    assert str(event["status"]) == "CONFIRMED"
    assert event.decoded("dtstart") == kept.start_at
    assert event.decoded("dtstart").utcoffset() == dt.timedelta(0)
    assert event.decoded("dtend") == kept.end_at
    assert b"DTSTART:" in response.data and "Z\r\n" in response.get_data(as_text=True)
    pending = next(e for e in events.values() if "Chambre" in str(e["summary"]))
    assert str(pending["status"]) == "TENTATIVE"
    assert f"booking-{asked.id}@" in str(pending["uid"])

    download = client.get(f"/calendar/{me.calendar_token}.ics?download=1")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert client.get("/calendar/not-a-real-token.ics").status_code == 404


def test_profile_offers_subscribe_and_download_separately(resident, two_residences):
    token = two_residences[2]["arm_res"].calendar_token
    html = page(resident.get("/me"))
    assert f'href="webcal://localhost/calendar/{token}.ics">S\'abonner</a>' in html
    assert f'href="/calendar/{token}.ics?download=1">Télécharger</a>' in html
    assert "se met à jour tout seul" in html and "ne se met pas à jour" in html
    assert "Bientôt : l'adresse de votre calendrier" not in html
