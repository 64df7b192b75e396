"""The residents' side of rooms through HTTP: what's free, review, book (DESIGN §5),
my bookings, cancel, change the time, on behalf, the week view."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from babel.dates import format_date

from app.bookings.models import Booking, BookingStatus
from app.core.timeutils import to_local
from app.rooms.models import BookingMode
from tests.conftest import Auth, csrf_from, page
from tests.factories import EVERY_DAY, today_in

PARIS = "Europe/Paris"


@pytest.fixture
def day(two_residences):
    """A day three days from now in the residence's time zone (any weekday will do)."""
    return today_in(two_residences[0]) + dt.timedelta(days=3)


def at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour))


def iso(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="minutes")


def words(day: dt.date, pattern: str = "EEEE d MMMM") -> str:
    """How the page writes a day (with the year when it is not this year, in the
    residence's time zone: not the machine's)."""
    this_year = dt.datetime.now(ZoneInfo(PARIS)).year
    if day.year != this_year and "y" not in pattern and "MMMM" in pattern:
        pattern += " y"
    text = format_date(day, pattern, locale="fr")
    return text.replace(" 1 ", " 1er ", 1) if day.day == 1 and "d" in pattern else text


@pytest.fixture
def rooms(two_residences, create_room):
    arm, bezu, people = two_residences
    coordinator = people["arm_coord"]
    common = create_room(
        arm,
        by=coordinator,
        name="Salle commune",
        description="Grande salle avec cuisine.",
        capacity=40,
        accessibility="De plain-pied, boucle magnétique.",
        slot_minutes=60,
        min_minutes=60,
        max_minutes=180,
        cancel_hours=24,
        openings=EVERY_DAY,
    )
    guest = create_room(
        arm,
        by=coordinator,
        name="Chambre d'amis",
        mode=BookingMode.NIGHTS,
        min_nights=1,
        max_nights=3,
        requires_approval=True,
        openings=[],
    )
    laundry = create_room(
        arm,
        by=coordinator,
        name="Laverie",
        slot_minutes=60,
        min_minutes=60,
        max_minutes=120,
        openings=EVERY_DAY,
        unit_names=["Lave-linge 1", "Lave-linge 2"],
    )
    elsewhere = create_room(bezu, by=people["bezu_coord"], name="Salle de Bézu")
    return {"common": common, "guest": guest, "laundry": laundry, "bezu": elsewhere}


@pytest.fixture
def resident(client, auth, two_residences):
    auth.login("res.arm")
    return client


def other_client(app, username: str):
    client = app.test_client()
    Auth(client).login(username)
    return client


def post_booking(client, room, start, end, **fields):
    """Open the review page (as a person would) and confirm it."""
    review = client.get(
        f"/rooms/{room.id}/book", query_string={"start": iso(start), "end": iso(end)}
    )
    data = {
        "start": iso(start),
        "end": iso(end),
        "purpose": "",
        "csrf_token": csrf_from(review.get_data(as_text=True)),
        **fields,
    }
    return client.post(f"/rooms/{room.id}/book", data=data)


def bookings(session) -> list[Booking]:
    session.expire_all()
    return list(session.scalars(sa.select(Booking).order_by(Booking.id)))


# ---------------------------------------------------------------------------------------
# Rooms and what is free.


def test_rooms_page_shows_cards_with_what_a_resident_needs(resident, rooms):
    html = page(resident.get("/rooms"))
    assert "Salle commune" in html and "Grande salle avec cuisine." in html
    assert "Jusqu'à 40 personnes." in html
    assert "Accessibilité : De plain-pied, boucle magnétique." in html
    assert "Au choix : Lave-linge 1, Lave-linge 2." in html
    assert f'href="/rooms/{rooms["common"].id}"' in html
    assert 'href="/bookings"' in html and "Mes réservations" in html
    assert "Salle de Bézu" not in html
    assert "Gérer les salles" not in html and "Demandes à valider" not in html


def test_coordinator_gets_the_management_links_once_they_exist(app, client, auth, rooms):
    auth.login("coord.arm")
    html = page(client.get("/rooms"))
    assert ("Gérer les salles" in html) == ("rooms.manage" in app.view_functions)
    assert "Demandes à valider" in html and "bookings.queue" in app.view_functions


def test_free_slots_are_big_buttons_in_plain_words(resident, rooms, day):
    room = rooms["common"]
    response = resident.get(f"/rooms/{room.id}", query_string={"when": "date", "date": day})
    assert response.status_code == 200
    html = page(response)
    # What's free first; the rules are on the page too (and again on the review step).
    assert html.index("Libre de 8 h à 22 h") < html.index("Les règles de cette salle")
    assert "Tous les jours, de 8 h à 22 h" in html
    assert "Une réservation dure de 1 heure à 3 heures." in html
    assert "Vous pouvez annuler ou changer l'horaire en ligne jusqu'à 1 jour avant" in html
    # One heading for the day, its parts, then a button per start time, leading to the review.
    assert f'<h2 id="free-title">{words(day)}</h2>' in html
    assert html.index('id="part-morning">Le matin') < html.index('id="part-afternoon">L')
    assert html.index('id="part-afternoon">L') < html.index('id="part-evening">Le soir')
    # The button says "14 h"; a screen reader also hears the day and the hours.
    assert f'<span class="visually-hidden">{words(day)}, de 14 h à 15 h : </span>14 h</a>' in html
    href = f'href="/rooms/{room.id}/book?start={iso(at(day, 14))}&end={iso(at(day, 15))}&unit='
    assert href in html
    assert ">21 h</a>" in html and ">22 h</a>" not in html
    assert f'href="/rooms/{room.id}/week"' in html


def test_the_choice_today_week_or_date(resident, rooms, day):
    room = rooms["common"]
    week = page(resident.get(f"/rooms/{room.id}"))
    # Today + 3 is within "this week": a line per day with its free time, one tap away from
    # its start times (no start times on this page).
    line = week[week.index(f'id="day-{day.isoformat()}"') :]
    line = line[: line.index("</li>")]
    assert f'href="/rooms/{room.id}?when=date&date={day.isoformat()}"' in line
    # The month is said once, like a calendar ("jeudi 26" after "mercredi 25 novembre"), so
    # that a day and its free time fit on one line of a phone.
    before = day - dt.timedelta(days=1)
    label = words(day) if day.month != before.month else words(day, "EEEE d")
    assert f"<strong>{label} :</strong>" in line and "libre de 8 h à 22 h" in line
    assert ">14 h</a>" not in week
    assert '<h2 id="free-title">Quand voulez-vous venir ?</h2>' in week
    assert f'id="day-{(day - dt.timedelta(days=3)).isoformat()}"' in week  # today comes first
    later = day + dt.timedelta(days=10)
    one_day = page(resident.get(f"/rooms/{room.id}?when=date&date={later}"))
    assert f'<h2 id="free-title">{words(later)}</h2>' in one_day and words(day) not in one_day
    # One part of the day only: its start times, and a way to the other parts.
    afternoon = f"/rooms/{room.id}?when=date&date={day.isoformat()}&part=afternoon"
    part = page(resident.get(afternoon))
    assert ">14 h</a>" in part and ">9 h</a>" not in part and ">19 h</a>" not in part
    assert "Un autre moment de la journée" in part and "part=morning" in part
    response = resident.get(f"/rooms/{room.id}?when=date&date=demain")
    assert response.status_code == 422
    assert "Choisissez une date dans le calendrier" in page(response)
    too_far = day + dt.timedelta(days=400)
    response = resident.get(f"/rooms/{room.id}?when=date&date={too_far}")
    assert response.status_code == 422
    assert "On ne peut pas encore réserver ce jour-là" in page(response)
    assert "Les prochains créneaux libres" in page(response)


def test_a_nights_room_offers_nights(resident, rooms, day):
    room = rooms["guest"]
    html = page(resident.get(f"/rooms/{room.id}?when=date&date={day}"))
    after = day + dt.timedelta(days=1)
    first = words(day, "EEEE d") if day.month == after.month else words(day)
    assert f"du {first} au {words(after)} (1 nuit)" in html
    assert "Arrivée à partir de 15 h, départ avant 11 h." in html
    assert "La coordination doit accepter chaque demande" in html


def test_the_slot_chooser_answers_htmx_with_the_fragment(resident, rooms, day):
    room = rooms["common"]
    url = f"/rooms/{room.id}?when=date&date={day}"
    full = resident.get(url)
    assert "<html" in full.get_data(as_text=True)
    assert "HX-Request" in full.headers["Vary"]
    partial = resident.get(url, headers={"HX-Request": "true"})
    fragment = page(partial)
    assert partial.status_code == 200
    assert "<html" not in fragment and "<h1>" not in fragment
    assert fragment.lstrip().startswith('<section id="slots"')
    assert f'<h2 id="free-title">{words(day)}</h2>' in fragment
    assert "HX-Request" in partial.headers["Vary"]


# ---------------------------------------------------------------------------------------
# Review and book (DESIGN §5).


def test_review_page_shows_everything_before_committing(resident, rooms, day):
    room = rooms["common"]
    response = resident.get(
        f"/rooms/{room.id}/book",
        query_string={"start": iso(at(day, 14)), "end": iso(at(day, 15)), "unit": ""},
    )
    assert response.status_code == 200
    html = page(response)
    assert "Vérifiez votre réservation" in html
    assert f"{words(day)}, de 14 h à 15 h" in html
    assert "À savoir avant de confirmer" in html
    # A longer end can be chosen, on the grid, up to the longest booking.
    assert f'<option selected value="{iso(at(day, 15))}">15 h (1 heure)</option>' in html
    assert "16 h (2 heures)" in html and "17 h (3 heures)" in html
    assert "18 h (4 heures)" not in html
    assert 'name="purpose"' in html and "Pour quelle occasion ?" in html
    assert "Pour qui ?" not in html  # only the coordinator books for someone
    assert f'action="/rooms/{room.id}/book"' in html and "Confirmer la réservation" in html
    assert f'<input id="start" name="start" type="hidden" value="{iso(at(day, 14))}">' in html


def test_booking_answers_303_to_the_booking_page(resident, rooms, day, session):
    room = rooms["common"]
    response = post_booking(
        resident, room, at(day, 14), at(day, 16), purpose="Anniversaire de Paulette"
    )
    assert response.status_code == 303
    [booking] = bookings(session)
    assert response.headers["Location"] == f"/bookings/{booking.id}"
    assert booking.status is BookingStatus.CONFIRMED
    assert booking.purpose == "Anniversaire de Paulette"
    html = page(resident.get(response.headers["Location"]))
    assert "C'est réservé !" in html
    assert f"{words(day)}, de 14 h à 16 h" in html
    assert "Confirmée" in html and "Anniversaire de Paulette" in html
    # Changing comes first; cancelling is apart, under its own question, one step further.
    assert html.index("Changer l'horaire</a>") < html.index("Vous ne pouvez plus venir ?")
    assert f'href="/bookings/{booking.id}/cancel">Annuler la réservation</a>' in html


def test_the_contract_works_with_only_start_and_end(resident, rooms, day, session):
    """An outside tool POSTs just ``start`` and ``end`` (and the CSRF token)."""
    room = rooms["common"]
    token = csrf_from(resident.get("/rooms").get_data(as_text=True))
    response = resident.post(
        f"/rooms/{room.id}/book",
        data={"start": iso(at(day, 10)), "end": iso(at(day, 11)), "csrf_token": token},
    )
    assert response.status_code == 303
    assert len(bookings(session)) == 1


def test_same_slot_again_gets_409_with_the_next_free_slots(app, resident, rooms, day, session):
    room = rooms["common"]
    assert post_booking(resident, room, at(day, 14), at(day, 15)).status_code == 303
    neighbour = other_client(app, "comite.arm")
    response = post_booking(neighbour, room, at(day, 14), at(day, 15))
    assert response.status_code == 409
    html = page(response)
    assert "Ce créneau vient d'être réservé par quelqu'un d'autre." in html
    assert "Ces créneaux sont libres" in html
    links = re.findall(rf'href="(/rooms/{room.id}/book\?[^"]+)"', html)
    assert len(links) == 3
    first = parse_qs(urlsplit(links[0]).query)
    assert first["start"] == [iso(at(day, 15))] and first["end"] == [iso(at(day, 16))]
    assert f"{words(day)}, de 15 h à 16 h" in html
    assert len(bookings(session)) == 1


@pytest.mark.parametrize(
    ("start_hour", "end_hour", "message", "field"),
    [
        (14, 18, "Cette réservation est trop longue pour cette salle.", "end"),
        (6, 8, "La salle n'est pas ouverte à ce moment-là.", "when"),
    ],
)
def test_a_broken_rule_gets_422_with_the_reason_next_to_the_field(
    resident, rooms, day, session, start_hour, end_hour, message, field
):
    room = rooms["common"]
    response = post_booking(resident, room, at(day, start_hour), at(day, end_hour))
    assert response.status_code == 422
    html = page(response)
    assert re.search(rf'id="{field}-error"[^>]*>{re.escape(message)}', html), html
    assert "Vérifiez votre réservation" in html  # the review page, to try again
    assert bookings(session) == []


def test_a_household_limit_is_explained(resident, rooms, day, session):
    room = rooms["common"]
    room.per_household_week = 1
    session.commit()
    assert post_booking(resident, room, at(day, 9), at(day, 10)).status_code == 303
    response = post_booking(resident, room, at(day, 14), at(day, 15))
    assert response.status_code == 422
    assert "Votre logement a déjà le nombre de réservations permis cette semaine" in page(response)


@pytest.mark.parametrize(
    "fields",
    [
        {"start": "n'importe quoi", "end": "2026-12-01T16:00"},
        {"start": "2026-12-01T14:00", "end": ""},
        {"start": "", "end": ""},
        {"start": "2026-13-45T99:00", "end": "2026-12-01T16:00"},
        {"start": "9999-12-31T23:00", "end": "9999-12-31T23:59"},
        {"start": "0001-01-01T00:00", "end": "0001-01-01T02:00"},
    ],
)
def test_garbage_times_get_422_never_500(resident, rooms, session, fields):
    room = rooms["common"]
    token = csrf_from(resident.get("/rooms").get_data(as_text=True))
    response = resident.post(f"/rooms/{room.id}/book", data={**fields, "csrf_token": token})
    assert response.status_code == 422
    assert "Ce créneau n'est pas valable" in page(response)
    review = resident.get(f"/rooms/{room.id}/book", query_string=fields)
    assert review.status_code == 422
    assert bookings(session) == []


def test_an_unknown_unit_gets_422(resident, rooms, day, session):
    room = rooms["laundry"]
    response = post_booking(resident, room, at(day, 10), at(day, 11), unit="999999")
    assert response.status_code == 422
    assert "Cet équipement n'existe pas dans cette salle." in page(response)


def test_identical_units_are_used_one_after_the_other(app, resident, rooms, day, session):
    room = rooms["laundry"]
    first, second = room.units
    # A machine is booked without being asked "for what occasion".
    html = review(resident, room, at(day, 10), at(day, 11))
    assert "Confirmer la réservation" in html and "Pour quelle occasion" not in html
    response = post_booking(resident, room, at(day, 10), at(day, 11), unit=str(first.id))
    assert response.status_code == 303
    detail = page(resident.get(response.headers["Location"]))
    assert "Laverie – Lave-linge 1" in detail
    neighbour = other_client(app, "comite.arm")
    assert post_booking(neighbour, room, at(day, 10), at(day, 11)).status_code == 303
    assert [b.unit_id for b in bookings(session)] == [first.id, second.id]
    coordinator = other_client(app, "coord.arm")
    assert post_booking(coordinator, room, at(day, 10), at(day, 11)).status_code == 409


def test_a_room_needing_approval_sends_a_request(resident, rooms, day, session):
    room = rooms["guest"]
    start = dt.datetime.combine(day, room.checkin_time)
    end = dt.datetime.combine(day + dt.timedelta(days=2), room.checkout_time)
    review = page(
        resident.get(f"/rooms/{room.id}/book", query_string={"start": iso(start), "end": iso(end)})
    )
    assert "Combien de nuits ?" in review and "2 nuits – départ le" in review
    assert "Envoyer la demande" in review
    response = post_booking(resident, room, start, end)
    assert response.status_code == 303
    [booking] = bookings(session)
    assert booking.status is BookingStatus.PENDING
    html = page(resident.get(response.headers["Location"]))
    assert "Demande envoyée : la coordination vous répondra." in html
    assert "En attente de validation" in html
    assert "(2 nuits)" in html
    # A stay is changed by its dates: no "horaire" for the guest room.
    assert "Changer les dates" in html and "changer les dates ou annuler" in html
    assert "horaire" not in html
    edit = page(resident.get(f"/bookings/{booking.id}/edit"))
    assert "<h1>Changer les dates</h1>" in edit and "Dates actuelles : " in edit
    rules = page(resident.get(f"/rooms/{room.id}"))
    assert "changer les dates en ligne jusqu'à" in rules and "l'arrivée" in rules


# ---------------------------------------------------------------------------------------
# On behalf.


def test_coordinator_books_on_behalf_and_the_resident_sees_it(
    app, client, auth, rooms, day, session, two_residences
):
    people = two_residences[2]
    resident_user = people["arm_res"]
    auth.login("coord.arm")
    room = rooms["common"]
    review = page(
        client.get(
            f"/rooms/{room.id}/book",
            query_string={"start": iso(at(day, 14)), "end": iso(at(day, 16))},
        )
    )
    assert "Pour qui ?" in review and "La résidence (moi)" in review
    assert f'<option value="{resident_user.id}">{resident_user.full_name} – logement A01' in review
    response = post_booking(client, room, at(day, 14), at(day, 16), for_user=str(resident_user.id))
    assert response.status_code == 303
    [booking] = bookings(session)
    assert booking.user_id == resident_user.id
    assert booking.created_by_id == people["arm_coord"].id
    assert f"C'est réservé pour {resident_user.full_name} !" in page(
        client.get(response.headers["Location"])
    )

    phone = other_client(app, "res.arm")
    mine = page(phone.get("/bookings"))
    assert "Salle commune" in mine and "réservé par la coordination" in mine
    assert f"{words(day)}, de 14 h à 16 h" in mine
    assert "la coordination, pour vous" in page(phone.get(f"/bookings/{booking.id}"))


def test_a_resident_cannot_book_for_someone_else(
    app, resident, rooms, day, session, two_residences
):
    people = two_residences[2]
    response = post_booking(
        resident, rooms["common"], at(day, 14), at(day, 15), for_user=str(people["arm_coord"].id)
    )
    assert response.status_code == 403
    response = post_booking(
        resident, rooms["common"], at(day, 14), at(day, 15), for_user=str(people["bezu_res"].id)
    )
    assert response.status_code == 422
    assert "Choisissez une personne de la liste." in page(response)
    assert bookings(session) == []


# ---------------------------------------------------------------------------------------
# Week view.


def test_week_view_hides_other_residents_names(
    app, resident, rooms, day, session, two_residences, create_booking
):
    arm, _bezu, people = two_residences
    room = rooms["common"]
    create_booking(people["arm_committee"], room, at(day, 14), at(day, 16))
    name = people["arm_committee"].full_name
    url = f"/rooms/{room.id}/week?start={day}"
    html = page(resident.get(url))
    assert f"{words(day)}" in html
    assert "de 14 h à 16 h" in html and "réservé" in html
    assert "de 8 h à 14 h" in html and "libre" in html
    assert name not in html
    assert "<table" not in html
    assert "Semaine précédente" in html and "Semaine suivante" in html

    coordinator = other_client(app, "coord.arm")
    assert f"réservé par {name}" in page(coordinator.get(url))

    arm.show_booker_names = True
    session.commit()
    assert f"réservé par {name}" in page(resident.get(url))


def test_week_view_shows_my_own_booking_and_closed_days(resident, rooms, day, session):
    room = rooms["common"]
    post_booking(resident, room, at(day, 10), at(day, 12))
    html = page(resident.get(f"/rooms/{room.id}/week?start={day}"))
    assert "votre réservation" in html
    for value in ("pas-une-date", "9999-12-31", "0001-01-01"):
        week = page(resident.get(f"/rooms/{room.id}/week?start={value}"))
        assert week.count('<h2 id="day-') == 7


# ---------------------------------------------------------------------------------------
# My bookings, cancel, change the time.


def test_my_bookings_lists_upcoming_then_cancelled_and_cancel_works(resident, rooms, day, session):
    room = rooms["common"]
    first = post_booking(resident, room, at(day, 9), at(day, 10))
    post_booking(resident, room, at(day, 15), at(day, 17))
    booking_id = int(first.headers["Location"].rsplit("/", 1)[1])
    html = page(resident.get("/bookings"))
    assert html.index("de 9 h à 10 h") < html.index("de 15 h à 17 h")
    assert html.count("Changer ou annuler</a>") == 2  # one way on, no cancel button here
    assert "Confirmée" in html

    # Cancelling asks first, with the booking in words; "Non" keeps it.
    question = page(resident.get(f"/bookings/{booking_id}/cancel"))
    assert f"Annuler la réservation du {words(day)} à 9 h ?" in question
    assert "Oui, annuler" in question
    assert f'id="cancel-no" href="/bookings/{booking_id}"' in question
    assert session.get(Booking, booking_id).status is BookingStatus.CONFIRMED

    response = resident.post(
        f"/bookings/{booking_id}/cancel", data={"csrf_token": csrf_from(question)}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/bookings"
    html = page(resident.get("/bookings"))
    assert f"Votre réservation du {words(day)}, de 9 h à 10 h est annulée." in html
    html = html[html.index("<h1>") :]
    assert html.index("À venir") < html.index("de 15 h à 17 h") < html.index("Annulées ou refusées")
    assert html.index("Annulées ou refusées") < html.index("de 9 h à 10 h")
    assert html.count("Changer ou annuler</a>") == 1
    session.expire_all()
    assert session.get(Booking, booking_id).status is BookingStatus.CANCELLED
    # The freed slot is offered again.
    assert f"start={iso(at(day, 9))}" in page(
        resident.get(f"/rooms/{room.id}?when=date&date={day}")
    )


def test_my_bookings_show_what_is_ahead_and_the_past_is_one_link_away(
    resident, rooms, day, two_residences, create_booking
):
    room = rooms["common"]
    person = two_residences[2]["arm_res"]
    last_week = day - dt.timedelta(days=10)
    long_ago = dt.datetime.combine(last_week - dt.timedelta(days=1), dt.time(9), dt.UTC)
    create_booking(person, room, at(last_week, 9), at(last_week, 10), now=long_ago)
    post_booking(resident, room, at(day, 15), at(day, 17))
    html = page(resident.get("/bookings"))
    assert "de 15 h à 17 h" in html and words(last_week) not in html
    assert 'href="/bookings/history"' in html
    history = page(resident.get("/bookings/history"))
    assert f"{words(last_week)}, de 9 h à 10 h" in history and "de 15 h à 17 h" not in history


def test_cancel_too_late_gets_422_with_an_explanation(resident, rooms, day, session):
    room = rooms["common"]
    room.cancel_hours = 24 * 10
    room.residence.contact_phone = "03 53 01 02 03"
    room.residence.contact_hours = "le mardi et le jeudi, de 9 h à 12 h"
    session.commit()
    review = page(
        resident.get(f"/rooms/{room.id}/book?start={iso(at(day, 9))}&end={iso(at(day, 10))}&unit=")
    )
    assert 'href="tel:0353010203"' in review  # "il faudra prévenir la coordination": how
    response = post_booking(resident, room, at(day, 9), at(day, 10))
    booking_id = int(response.headers["Location"].rsplit("/", 1)[1])
    html = page(resident.get(f"/bookings/{booking_id}"))
    assert "Il est trop tard pour annuler ou changer en ligne" in html
    assert "03 53 01 02 03" in html and "le mardi et le jeudi, de 9 h à 12 h" in html
    assert "03 53 01 02 03" in page(resident.get(f"/bookings/{booking_id}/edit"))
    assert "Annuler la réservation" not in html
    assert "Changer ou annuler" not in page(resident.get("/bookings"))
    # The question is not asked either: back to the booking's page, which says why.
    asked = resident.get(f"/bookings/{booking_id}/cancel")
    assert asked.status_code == 303 and asked.headers["Location"] == f"/bookings/{booking_id}"
    response = resident.post(f"/bookings/{booking_id}/cancel", data={"csrf_token": csrf_from(html)})
    assert response.status_code == 422
    assert "Il est trop tard pour annuler ou modifier en ligne. Prévenez la coordination." in page(
        response
    )
    assert session.get(Booking, booking_id).status is BookingStatus.CONFIRMED


def test_cancel_needs_the_csrf_token(resident, rooms, day, session):
    response = post_booking(resident, rooms["common"], at(day, 9), at(day, 10))
    booking_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert resident.post(f"/bookings/{booking_id}/cancel").status_code == 400
    assert session.get(Booking, booking_id).status is BookingStatus.CONFIRMED


def test_change_the_time(app, resident, rooms, day, session):
    room = rooms["common"]
    response = post_booking(resident, room, at(day, 9), at(day, 10))
    booking_id = int(response.headers["Location"].rsplit("/", 1)[1])
    edit_url = f"/bookings/{booking_id}/edit"

    # Step 1: the day's free slots, as links to the review of each.
    html = page(resident.get(edit_url))
    assert "Changer l'horaire" in html and f"{words(day)}, de 9 h à 10 h" in html
    assert f'href="{edit_url}?start={iso(at(day, 17))}&end={iso(at(day, 18))}"' in html
    # Step 2: review, with a longer end to choose.
    review = page(
        resident.get(edit_url, query_string={"start": iso(at(day, 17)), "end": iso(at(day, 18))})
    )
    assert "Nouvel horaire" in review and "19 h (2 heures)" in review
    # Step 3: confirm.
    response = resident.post(
        edit_url,
        data={"start": iso(at(day, 17)), "end": iso(at(day, 19)), "csrf_token": csrf_from(review)},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"/bookings/{booking_id}"
    html = page(resident.get(response.headers["Location"]))
    assert "Le nouvel horaire est enregistré." in html
    assert f"{words(day)}, de 17 h à 19 h" in html

    # Taken by someone else → 409 with other slots; a broken rule → 422.
    neighbour = other_client(app, "comite.arm")
    post_booking(neighbour, room, at(day, 12), at(day, 13))
    token = csrf_from(review)
    response = resident.post(
        edit_url, data={"start": iso(at(day, 12)), "end": iso(at(day, 13)), "csrf_token": token}
    )
    assert response.status_code == 409
    assert "Ces créneaux sont libres" in page(response)
    response = resident.post(
        edit_url, data={"start": iso(at(day, 12)), "end": iso(at(day, 20)), "csrf_token": token}
    )
    assert response.status_code == 422
    assert "Cette réservation est trop longue pour cette salle." in page(response)
    response = resident.post(
        edit_url, data={"start": "midi", "end": iso(at(day, 20)), "csrf_token": token}
    )
    assert response.status_code == 422
    booking = session.get(Booking, booking_id)
    session.refresh(booking)
    assert to_local(booking.start_at, room.residence.tz) == at(day, 17)


# ---------------------------------------------------------------------------------------
# Isolation: other residences and other residents.


def test_another_residence_gets_404(app, resident, rooms, day, session, two_residences):
    response = post_booking(resident, rooms["common"], at(day, 9), at(day, 10))
    booking_id = int(response.headers["Location"].rsplit("/", 1)[1])
    room_id = rooms["common"].id
    for username in ("res.bezu", "coord.bezu"):
        stranger = other_client(app, username)
        token = csrf_from(stranger.get("/rooms").get_data(as_text=True))
        assert stranger.get(f"/rooms/{room_id}").status_code == 404
        assert stranger.get(f"/rooms/{room_id}/week").status_code == 404
        assert (
            stranger.get(
                f"/rooms/{room_id}/book?start={iso(at(day, 14))}&end={iso(at(day, 15))}"
            ).status_code
            == 404
        )
        data = {"start": iso(at(day, 14)), "end": iso(at(day, 15)), "csrf_token": token}
        assert stranger.post(f"/rooms/{room_id}/book", data=data).status_code == 404
        assert stranger.get(f"/bookings/{booking_id}").status_code == 404
        assert stranger.get(f"/bookings/{booking_id}/edit").status_code == 404
        assert (
            stranger.post(f"/bookings/{booking_id}/cancel", data={"csrf_token": token}).status_code
            == 404
        )
    # In the same residence, another resident's booking does not exist for them either.
    neighbour = other_client(app, "comite.arm")
    token = csrf_from(neighbour.get("/rooms").get_data(as_text=True))
    assert neighbour.get(f"/bookings/{booking_id}").status_code == 404
    assert (
        neighbour.post(f"/bookings/{booking_id}/cancel", data={"csrf_token": token}).status_code
        == 404
    )
    assert session.get(Booking, booking_id).status is BookingStatus.CONFIRMED
    assert len(bookings(session)) == 1
    # Its coordinator may see and cancel it.
    coordinator = other_client(app, "coord.arm")
    assert coordinator.get(f"/bookings/{booking_id}").status_code == 200


# ---------------------------------------------------------------------------------------
# The home page (the calendar feed is in tests/calendars).


def test_home_page_shows_the_next_three_bookings(resident, rooms, day, session):
    room = rooms["laundry"]
    for hour in (8, 10, 12, 14):
        post_booking(resident, room, at(day, hour), at(day, hour + 1))
    first_id = bookings(session)[0].id
    html = page(resident.get("/"))
    assert "Vos prochaines réservations" in html
    assert f"{words(day)}, de 8 h à 9 h" in html
    assert "de 12 h à 13 h" in html and "de 14 h à 15 h" not in html
    assert f'href="/bookings/{first_id}"' in html
    assert "Activités d'aujourd'hui et de demain" in html and "Bientôt ici" not in html


def test_home_page_without_bookings_invites_to_book(resident, rooms):
    html = page(resident.get("/"))
    assert "Vous n'avez pas de réservation à venir." in html
    assert 'href="/rooms"' in html


# ---------------------------------------------------------------------------------------
# Said before committing: the cancellation deadline, the household's limits.


def review(client, room, start, end) -> str:
    return page(
        client.get(f"/rooms/{room.id}/book", query_string={"start": iso(start), "end": iso(end)})
    )


def test_the_review_says_until_when_it_can_be_cancelled_online(resident, rooms, day, session):
    room = rooms["common"]  # cancel up to 24 hours before
    html = review(resident, room, at(day, 14), at(day, 15))
    before = day - dt.timedelta(days=1)
    warning = f"Attention : vous ne pourrez plus annuler en ligne après le {words(before)} à 14 h."
    assert warning in html
    assert html.index(warning) < html.index("Confirmer la réservation")
    room.cancel_hours = 24 * 5  # the deadline is already past for this slot
    session.commit()
    html = review(resident, room, at(day, 14), at(day, 15))
    assert "Attention : vous ne pourrez pas l'annuler en ligne." in html
    assert html.index("pas l'annuler en ligne") < html.index("Confirmer la réservation")


def test_a_household_limit_is_shown_where_the_choice_is_made(
    resident, rooms, day, session, two_residences
):
    room = rooms["common"]
    room.per_household_week = 1
    session.commit()
    booked = post_booking(resident, room, at(day, 9), at(day, 10))
    booking_id = int(booked.headers["Location"].rsplit("/", 1)[1])
    week = page(resident.get(f"/rooms/{room.id}"))
    card = week[week.index(f'id="day-{day.isoformat()}"') :]
    card = card[: card.index("</li>\n")]
    # The week is named by its Monday: "cette semaine" would be wrong on next week's days.
    monday = day - dt.timedelta(days=day.weekday())
    number = "1er" if monday.day == 1 else str(monday.day)
    assert f"Votre logement a déjà réservé cette salle la semaine du lundi {number} " in card
    assert "c'est le plus permis (1 par semaine)" in card
    assert f'href="/bookings/{booking_id}"' in card and "part=" not in card
    # The review of another slot that week says it too, with no button to send.
    html = review(resident, room, at(day, 16), at(day, 17))
    assert "Votre logement a déjà réservé cette salle autant que permis" in html
    assert f'href="/bookings/{booking_id}"' in html
    assert "Confirmer la réservation" not in html


def test_when_the_coordinator_cancels_the_person_gets_a_message(
    app, resident, rooms, day, session, two_residences
):
    room = rooms["common"]
    booked = post_booking(resident, room, at(day, 9), at(day, 10))
    booking_id = int(booked.headers["Location"].rsplit("/", 1)[1])
    coordinator = other_client(app, "coord.arm")
    question = page(coordinator.get(f"/bookings/{booking_id}/cancel"))
    assert "Annuler la réservation de " in question and "Pourquoi ?" in question
    response = coordinator.post(
        f"/bookings/{booking_id}/cancel",
        data={"csrf_token": csrf_from(question), "reason": "Fuite d'eau au plafond"},
    )
    assert response.status_code == 303
    assert "Elle a reçu un message." in page(coordinator.get(response.headers["Location"]))
    home = page(resident.get("/"))
    assert '<span class="count">1<span class="visually-hidden"> non lu</span>' in home
    inbox = page(resident.get("/messages"))
    assert "Réservation annulée : Salle commune" in inbox and "Nouveau" in inbox
    assert "Raison : Fuite d'eau au plafond" in inbox
    assert f'href="/bookings/{booking_id}"' in inbox
    # Seen once: no longer new, the count is gone.
    again = page(resident.get("/messages"))
    assert "Nouveau" not in again and 'class="count"' not in again


def test_change_the_time_opens_without_any_error(
    client, auth, rooms, day, create_booking, two_residences
):
    """The page that lists the day's times has nothing to check yet (it said "2 erreurs")."""
    _arm, _bezu, people = two_residences
    booking = create_booking(people["arm_res"], rooms["common"], at(day, 14), at(day, 16))
    auth.login("res.arm")
    response = client.get(f"/bookings/{booking.id}/edit")
    assert response.status_code == 200
    body = page(response)
    assert "error-summary" not in body and "illisible" not in body
    # The review page without a time sends back to the room's times.
    response = client.get(f"/rooms/{rooms['common'].id}/book")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/rooms/{rooms['common'].id}"
