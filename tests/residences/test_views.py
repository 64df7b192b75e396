"""The coordination's contact details through HTTP: the page that sets them, and every page
that tells a person to contact the coordination."""

from __future__ import annotations

import pytest
from flask import abort

from app.extensions import db
from app.residences.services import set_contact
from tests.conftest import csrf_from, page
from tests.factories import member

PHONE_LINK = '<a class="contact-phone" href="tel:0353012460">03 53 01 24 60</a>'
NO_CONTACT = "Adressez-vous à la coordination de la résidence."
ON_THE_SHEET = "Les coordonnées de la coordination sont écrites sur votre feuille d'invitation."


@pytest.fixture
def with_contact(two_residences, session):
    arm, _bezu, people = two_residences
    set_contact(
        member(people["arm_coord"], arm),
        phone="03 53 01 24 60",
        hours="le mardi et le jeudi, de 9 h à 17 h",
        place="Bureau au rez-de-chaussée",
    )
    session.commit()
    return arm


def _post(client, **fields):
    token = csrf_from(client.get("/residence/contact").get_data(as_text=True))
    data = {"contact_phone": "", "contact_hours": "", "contact_place": "", **fields}
    return client.post("/residence/contact", data={**data, "csrf_token": token})


def test_the_coordinator_sets_the_contact_and_sees_what_residents_see(
    client, auth, two_residences, session
):
    arm = two_residences[0]
    auth.login("coord.arm")
    html = page(client.get("/residence/contact"))
    assert "<h1>Coordonnées de la coordination</h1>" in html
    assert 'type="tel"' in html and NO_CONTACT in html
    response = _post(
        client,
        contact_phone="03 53 01 24 60",
        contact_hours="le mardi et le jeudi, de 9 h à 17 h",
        contact_place="Bureau au rez-de-chaussée",
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/residence/contact"
    db.session.refresh(arm)
    assert arm.contact_phone == "03 53 01 24 60"
    html = page(client.get("/residence/contact"))
    assert "Les coordonnées de la coordination sont enregistrées." in html
    assert 'value="03 53 01 24 60"' in html  # the form shows what is saved
    assert PHONE_LINK in html
    assert "le mardi et le jeudi, de 9 h à 17 h" in html and "Bureau au rez-de-chaussée" in html


def test_a_wrong_number_is_refused_next_to_its_field_and_nothing_changes(
    client, auth, with_contact
):
    auth.login("coord.arm")
    response = _post(client, contact_phone="Sophie 03 53", contact_hours="le lundi")
    assert response.status_code == 422
    html = page(response)
    assert '<p class="error" id="contact_phone-error">Ce numéro ne semble pas valable.' in html
    assert 'aria-invalid="true"' in html and 'value="Sophie 03 53"' in html
    db.session.refresh(with_contact)
    assert with_contact.contact_hours == "le mardi et le jeudi, de 9 h à 17 h"


def test_too_long_texts_are_refused_by_the_form(client, auth, two_residences):
    auth.login("coord.arm")
    response = _post(client, contact_hours="x" * 201, contact_place="y" * 201)
    assert response.status_code == 422
    html = page(response)
    assert '<p class="error" id="contact_hours-error">200 caractères au plus.</p>' in html
    assert '<p class="error" id="contact_place-error">200 caractères au plus.</p>' in html
    assert "Le formulaire contient 2 erreurs" in html


@pytest.mark.parametrize("username", ["res.arm", "comite.arm"])
def test_residents_may_not_set_it(client, auth, two_residences, username):
    auth.login(username)
    assert client.get("/residence/contact").status_code == 403
    token = csrf_from(client.get("/me").get_data(as_text=True))
    response = client.post(
        "/residence/contact", data={"contact_phone": "0600000000", "csrf_token": token}
    )
    assert response.status_code == 403
    assert not two_residences[0].has_contact


def test_anonymous_people_are_sent_to_log_in(client):
    response = client.get("/residence/contact")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_coordinator_reaches_it_from_home_and_from_me(client, auth, two_residences):
    auth.login("coord.arm")
    assert 'href="/residence/contact"' in page(client.get("/"))
    assert 'href="/residence/contact"' in page(client.get("/me"))


def test_each_residence_shows_its_own_contact(client, auth, with_contact, two_residences):
    auth.login("res.bezu")
    html = page(client.get("/me"))
    assert "03 53 01 24 60" not in html and NO_CONTACT in html


# -- Wherever the app says to contact the coordination --------------------------------


def test_me_says_how_to_reach_the_coordination(client, auth, with_contact):
    auth.login("res.arm")
    html = page(client.get("/me"))
    assert "Joindre la coordination" in html and PHONE_LINK in html
    assert 'href="/residence/contact"' not in html


def test_without_contact_details_residents_are_told_to_ask_the_coordination(
    client, auth, two_residences
):
    auth.login("res.arm")
    html = page(client.get("/me"))
    assert NO_CONTACT in html and "tel:" not in html


@pytest.mark.own_app
def test_the_error_page_says_how(app, client, auth, with_contact):
    @app.get("/_boom")
    def boom():
        raise RuntimeError("boom")

    auth.login("res.arm")
    response = client.get("/_boom")
    assert response.status_code == 500
    html = page(response)
    assert "prévenez la coordination" in html and PHONE_LINK in html
    assert "Bureau au rez-de-chaussée" in html


@pytest.mark.own_app
def test_other_error_pages_do_not(app, client, auth, with_contact):
    @app.get("/_forbidden")
    def forbidden():
        abort(403)

    auth.login("res.arm")
    assert PHONE_LINK not in page(client.get("/_forbidden"))
    assert PHONE_LINK not in page(client.get("/nowhere"))


def test_login_page_points_to_the_invitation_sheet(client, with_contact):
    """Before logging in, nobody knows which residence the person lives in: the contact
    details are on the sheet the coordination handed over."""
    html = page(client.get("/login"))
    assert "Mot de passe oublié ?" in html and ON_THE_SHEET in html
    assert "03 53 01 24 60" not in html


def test_a_wrong_code_points_to_the_invitation_sheet(client, with_contact):
    response = client.get("/activate/NOPE234567")
    assert response.status_code == 404
    assert ON_THE_SHEET in page(response)
    token = csrf_from(client.get("/activate").get_data(as_text=True))
    assert ON_THE_SHEET not in page(client.get("/activate"))
    response = client.post("/activate", data={"code": "NOPE234567", "csrf_token": token})
    assert response.status_code == 422
    assert ON_THE_SHEET in page(response)


def test_english_readers_get_it_in_english(client, auth, with_contact, two_residences):
    two_residences[2]["arm_res"].locale = "en"
    db.session.commit()
    auth.login("res.arm")
    html = page(client.get("/me"))
    assert "Contact the coordinator" in html and "To reach the coordinator:" in html
    assert "<dt>Phone</dt>" in html and "<dt>When</dt>" in html and "<dt>Where</dt>" in html


def test_a_deadline_to_come_says_how_to_reach_the_coordination(
    client, auth, with_contact, two_residences, create_room, create_booking
):
    """ "Ensuite, prévenez la coordination": how, on the booking's page, while it is ahead."""
    import datetime as dt

    from tests.factories import today_in

    arm, _bezu, people = two_residences
    room = create_room(arm, by=people["arm_coord"], cancel_hours=48)
    day = today_in(arm) + dt.timedelta(days=10)
    booking = create_booking(
        people["arm_res"],
        room,
        dt.datetime.combine(day, dt.time(14)),
        dt.datetime.combine(day, dt.time(16)),
    )
    auth.login("res.arm")
    body = " ".join(page(client.get(f"/bookings/{booking.id}")).split())
    assert "Ensuite, prévenez la coordination." in body
    assert 'Coordination : <a href="tel:0353012460">03 53 01 24 60</a>' in body
    assert "le mardi et le jeudi, de 9 h à 17 h – Bureau au rez-de-chaussée" in body


def test_english_readers_get_the_contact_in_english_or_else_in_french(
    client, auth, two_residences, session
):
    arm, _bezu, people = two_residences
    set_contact(
        member(people["arm_coord"], arm),
        phone="03 53 01 24 60",
        hours="le mardi et le jeudi, de 9 h à 17 h",
        place="Bureau au rez-de-chaussée",
        hours_en="Tuesdays and Thursdays, 9 am to 5 pm",
    )
    session.commit()
    auth.login("res.arm")
    english = page(client.get("/me?lang=en"))
    assert "Tuesdays and Thursdays, 9 am to 5 pm" in english
    assert "le mardi et le jeudi" not in english
    assert "Bureau au rez-de-chaussée" in english  # no English place: the French one
    french = page(client.get("/me?lang=fr"))
    assert "le mardi et le jeudi, de 9 h à 17 h" in french and "Tuesdays" not in french


def test_the_coordinator_writes_the_contact_in_english_too(client, auth, two_residences):
    auth.login("coord.arm")
    form = page(client.get("/residence/contact"))
    response = client.post(
        "/residence/contact",
        data={
            "csrf_token": csrf_from(form),
            "contact_phone": "03 53 01 24 60",
            "contact_hours": "le lundi",
            "contact_place": "Bureau",
            "contact_hours_en": "Mondays",
            "contact_place_en": "x" * 201,
        },
    )
    assert response.status_code == 422
    assert "200 caractères au plus." in page(response)
