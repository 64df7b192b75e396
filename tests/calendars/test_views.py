"""Calendar feeds through HTTP (DESIGN §5): the personal feed of a secret address (bookings
and the activities joined), read back with ``icalendar`` as a phone would, and the profile
page that offers it; the programme feed of the whole residence."""

from __future__ import annotations

import datetime as dt

import pytest
from icalendar import Calendar

from app.activities import services as activities
from app.activities.models import PlaceKind
from app.bookings import services
from app.rooms.models import BookingMode
from app.users.services import new_calendar_address
from tests.conftest import PASSWORD, csrf_from, page
from tests.factories import EVERY_DAY, local_period, member, today_in


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


def feed(client, user, path: str = ".ics") -> dict:
    """The events of ``user``'s feed by UID, read back as an agenda would."""
    response = client.get(f"/calendar/{user.calendar_token}{path}")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    return {str(e["uid"]): e for e in Calendar.from_ical(response.data).walk("VEVENT")}


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
    # The programme too, each address with a line that says what it is.
    assert (
        f'href="webcal://localhost/calendar/{token}/programme.ics">S\'abonner au programme</a>'
        in html
    )
    assert f'href="/calendar/{token}/programme.ics?download=1">' in html
    assert (
        "Mes réservations et mes activités :"
        f' <span class="feed-url">http://localhost/calendar/{token}.ics</span>'
    ) in html
    assert (
        "Toutes les activités de la résidence :"
        f' <span class="feed-url">http://localhost/calendar/{token}/programme.ics</span>'
    ) in html


# ---------------------------------------------------------------------------------------
# Activities in the personal feed.


@pytest.fixture
def gym(two_residences, rooms, create_activity, day):
    arm, _bezu, people = two_residences
    return create_activity(
        arm,
        by=people["arm_coord"],
        title="Gym douce",
        capacity=1,
        room=rooms["common"],
        place_kind=PlaceKind.ROOM,
        start=at(day, 10),
        end=at(day, 11),
        description="Sur chaise.",
    )


def test_a_joined_activity_is_in_the_feed_and_follows_its_changes(
    client, session, two_residences, gym, day
):
    arm, _bezu, people = two_residences
    me = people["arm_res"]
    assert feed(client, me) == {}
    activities.register(member(me), gym)
    session.commit()

    [(uid, event)] = feed(client, me).items()
    assert uid == f"activity-{gym.id}@localhost"
    assert str(event["summary"]) == "Gym douce"
    assert str(event["status"]) == "CONFIRMED"
    assert event["sequence"] == 0
    assert event.decoded("dtstart") == gym.starts_at
    assert event.decoded("dtstart").utcoffset() == dt.timedelta(0)
    assert event.decoded("dtend") == gym.ends_at
    assert str(event["location"]) == "Salle commune, Armentières"
    assert str(event["description"]).startswith("Vous êtes inscrit\n\n")
    assert "Sur chaise." in str(event["description"])
    assert str(event["url"]) == f"http://localhost/activities/{gym.id}"

    # Postponed: the same event (same UID), a higher SEQUENCE, the new time.
    later = local_period(
        arm, at(day + dt.timedelta(days=1), 15), at(day + dt.timedelta(days=1), 16)
    )
    activities.postpone(member(people["arm_coord"]), gym, later, "pluie")
    session.commit()
    event = feed(client, me)[uid]
    assert event["sequence"] == 1
    assert event.decoded("dtstart") == later.start and event.decoded("dtend") == later.end
    assert "Reportée" in str(event["description"]) and "Raison : pluie" in str(event["description"])

    # Left: gone; back again: the same UID.
    activities.leave(member(me), gym)
    session.commit()
    assert feed(client, me) == {}
    activities.register(member(me), gym)
    session.commit()
    assert list(feed(client, me)) == [uid]

    # Cancelled: gone.
    activities.cancel_activity(member(people["arm_coord"]), gym, "grippe")
    session.commit()
    assert feed(client, me) == {}


def test_the_waiting_list_is_tentative_until_a_place_frees_up(client, session, two_residences, gym):
    people = two_residences[2]
    first, me = people["arm_committee"], people["arm_res"]
    activities.register(member(first), gym)
    activities.register(member(me), gym)
    session.commit()
    event = feed(client, me)[f"activity-{gym.id}@localhost"]
    assert str(event["summary"]) == "Gym douce (liste d'attente)"
    assert str(event["status"]) == "TENTATIVE"
    assert "Liste d'attente" in str(event["description"])
    # The first one leaves: the place is mine, the event says so.
    activities.leave(member(first), gym)
    session.commit()
    event = feed(client, me)[f"activity-{gym.id}@localhost"]
    assert str(event["summary"]) == "Gym douce" and str(event["status"]) == "CONFIRMED"
    assert feed(client, first) == {}
    # Leaving the waiting list takes it out as well.
    activities.register(member(first), gym)
    activities.leave(member(first), gym)
    session.commit()
    assert feed(client, first) == {}


def test_helpers_see_they_come_to_help(client, session, two_residences, create_activity):
    arm, _bezu, people = two_residences
    cooking = create_activity(arm, by=people["arm_coord"], title="Cuisine", helper_places=1)
    activities.register(member(people["arm_res"]), cooking, as_helper=True)
    session.commit()
    [event] = feed(client, people["arm_res"]).values()
    assert str(event["description"]).startswith("Vous venez aider")
    assert str(event["location"]) == "Au jardin, Armentières"


def test_the_coordinators_feed_does_not_show_the_activitys_room_twice(
    client, session, two_residences, rooms, gym, create_booking, day
):
    coordinator = two_residences[2]["arm_coord"]
    # The room held for the activity is the coordinator's booking: not in their feed.
    assert feed(client, coordinator) == {}
    # Their own booking is; the activity is once they join it, once.
    own = create_booking(coordinator, rooms["common"], at(day, 18), at(day, 19))
    activities.register(member(coordinator), gym)
    session.commit()
    assert set(feed(client, coordinator)) == {
        f"booking-{own.id}@localhost",
        f"activity-{gym.id}@localhost",
    }


# ---------------------------------------------------------------------------------------
# The programme feed.


def test_the_programme_feed_is_the_residences_whole_programme(
    client, session, two_residences, create_activity, gym
):
    arm, bezu, people = two_residences
    coordinator = people["arm_coord"]
    today = today_in(arm)
    past = create_activity(
        arm, by=coordinator, title="Loto", start=at(today - dt.timedelta(days=10), 14)
    )
    create_activity(
        arm, by=coordinator, title="Trop tôt", start=at(today - dt.timedelta(days=60), 14)
    )
    create_activity(
        arm, by=coordinator, title="Trop loin", start=at(today + dt.timedelta(days=120), 14)
    )
    cancelled = create_activity(arm, by=coordinator, title="Sortie")
    activities.cancel_activity(member(coordinator), cancelled, "car en panne")
    elsewhere = create_activity(bezu, by=people["bezu_coord"], title="Jardin de Bézu")
    session.commit()

    response = client.get(f"/calendar/{people['arm_res'].calendar_token}/programme.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.data)
    assert str(calendar["x-wr-calname"]) == "Programme – Armentières"
    events = {str(e["uid"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {f"programme-{gym.id}@localhost", f"programme-{past.id}@localhost"}
    event = events[f"programme-{gym.id}@localhost"]
    assert str(event["summary"]) == "Gym douce" and event["sequence"] == 0
    assert event.decoded("dtstart") == gym.starts_at
    assert event.decoded("dtstart").utcoffset() == dt.timedelta(0)
    assert str(event["location"]) == "Salle commune, Armentières"
    # Joining changes nothing in the programme: it is everyone's.
    activities.register(member(people["arm_res"]), gym)
    session.commit()
    assert set(feed(client, people["arm_res"], "/programme.ics")) == set(events)
    # Bézu sees its own programme only.
    assert set(feed(client, people["bezu_res"], "/programme.ics")) == {
        f"programme-{elsewhere.id}@localhost"
    }
    download = client.get(f"/calendar/{people['arm_res'].calendar_token}/programme.ics?download=1")
    assert download.headers["Content-Disposition"] == 'attachment; filename="programme.ics"'


def test_unknown_or_changed_addresses_give_404(client, session, two_residences):
    me = two_residences[2]["arm_res"]
    assert client.get("/calendar/not-a-real-token/programme.ics").status_code == 404
    assert client.get("/calendar/not-a-real-token.ics").status_code == 404
    old = me.calendar_token
    new_calendar_address(me)
    session.commit()
    assert client.get(f"/calendar/{old}/programme.ics").status_code == 404
    assert client.get(f"/calendar/{me.calendar_token}/programme.ics").status_code == 200


def test_feeds_and_their_uids_use_the_configured_address_not_the_host_header(
    app, client, rooms, day, two_residences, create_booking, monkeypatch
):
    """Issue 10, point 12: whoever sends ``Host: evil.example`` gets the residence's own
    addresses back (PUBLIC_URL), in the feed's URLs and UIDs and on the profile page."""
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://maison.example.org/")
    me = two_residences[2]["arm_res"]
    booking = create_booking(me, rooms["common"], at(day, 14), at(day, 16))
    response = client.get(f"/calendar/{me.calendar_token}.ics", headers={"Host": "evil.example"})
    event = next(iter(Calendar.from_ical(response.data).walk("VEVENT")))
    assert str(event["uid"]) == f"booking-{booking.id}@maison.example.org"
    assert str(event["url"]) == f"https://maison.example.org/bookings/{booking.id}"
    assert b"evil.example" not in response.data
    evil = {"Host": "evil.example"}
    token = csrf_from(client.get("/login", headers=evil).get_data(as_text=True))
    login = {"username": "res.arm", "password": PASSWORD, "csrf_token": token}
    assert client.post("/login", data=login, headers=evil).status_code == 303
    html = page(client.get("/me", headers=evil))
    assert f"https://maison.example.org/calendar/{me.calendar_token}.ics" in html
    assert "evil.example" not in html
