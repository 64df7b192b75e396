"""Activities through HTTP (DESIGN §5): the programme, an activity's page, joining (303 to
the page: registered or waiting), a repeated join, leaving, refusals (409/422 with the page,
never a 5xx), another residence's activity (404), the coordinator's planning."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from app.activities.models import ActivityProposal, Registration, RegistrationStatus
from app.activities.services import cancel_activity
from app.bookings.models import Booking
from app.core.audit import AuditEvent
from tests.conftest import Auth, page
from tests.factories import member, today_in


@pytest.fixture
def gym(two_residences, create_activity):
    arm, _bezu, people = two_residences
    return create_activity(arm, by=people["arm_coord"], title="Gym douce", capacity=1)


def _post(client, url, **data):
    return client.post(url, data={"csrf_token": Auth(client).csrf(), **data})


def test_the_programme_lists_the_activity_with_its_places(client, auth, gym):
    auth.login("res.arm")
    body = page(client.get("/activities"))
    assert "Gym douce" in body and "1 place libre" in body
    assert f'href="/activities/{gym.id}"' in body
    assert "Bientôt disponible" not in body


def test_join_then_join_again_then_leave(client, auth, gym, session):
    auth.login("res.arm")
    url = f"/activities/{gym.id}"
    response = _post(client, url + "/register")
    assert response.status_code == 303 and response.headers["Location"] == url
    body = page(client.get(url))
    assert "C'est noté : vous êtes inscrit." in body and "Vous êtes inscrit." in body
    assert _post(client, url + "/register").status_code == 303  # changes nothing
    assert session.scalar(sa.select(sa.func.count(Registration.id))) == 1
    # With htmx, the page's "your place" part and the announcement come back.
    partial = page(client.get(url, headers={"HX-Request": "true"}))
    assert partial.startswith('<section id="my-place"') or '<section id="my-place"' in partial
    assert "<h1>" not in partial and 'id="leave-button"' in partial and "autofocus" in partial
    response = _post(client, url + "/leave")
    assert response.status_code == 303 and response.headers["Location"] == url
    assert "M'inscrire" in page(client.get(url))


def test_a_full_activity_says_the_waiting_list_before_joining(
    client, auth, gym, create_user, two_residences
):
    arm = two_residences[0]
    create_user("voisine", residence=arm)
    auth.login("voisine")
    _post(client, f"/activities/{gym.id}/register")
    auth.logout()
    auth.login("res.arm")
    before = page(client.get(f"/activities/{gym.id}"))
    assert "Vous serez n° 1 sur la liste d'attente" in before
    assert "M'inscrire sur la liste d'attente" in before
    _post(client, f"/activities/{gym.id}/register")
    after = page(client.get(f"/activities/{gym.id}"))
    assert "en position 1" in after and "Liste d'attente, n° 1." in after


def test_a_cancelled_activity_refuses_with_409_and_says_why(
    client, auth, gym, two_residences, session
):
    arm, _bezu, people = two_residences
    cancel_activity(member(people["arm_coord"], arm), gym, "pluie")
    session.commit()
    auth.login("res.arm")
    response = _post(client, f"/activities/{gym.id}/register")
    assert response.status_code == 409
    body = page(response)
    assert "Cette activité est annulée" in body and "pluie" in body


def test_a_started_activity_refuses_with_422(client, auth, two_residences, create_activity):
    arm, _bezu, people = two_residences
    today = today_in(arm)
    started = create_activity(
        arm,
        by=people["arm_coord"],
        start=dt.datetime.combine(today, dt.time(0, 1)),
        end=dt.datetime.combine(today, dt.time(23, 59)),
    )
    auth.login("res.arm")
    response = _post(client, f"/activities/{started.id}/register")
    assert response.status_code == 422
    assert "les inscriptions en ligne sont closes" in page(response)


def test_another_residences_activity_is_not_found(client, auth, gym):
    auth.login("res.bezu")
    assert client.get(f"/activities/{gym.id}").status_code == 404
    assert _post(client, f"/activities/{gym.id}/register").status_code == 404
    assert "Gym douce" not in page(client.get("/activities"))


def test_a_resident_cannot_register_a_neighbour(client, auth, gym, two_residences):
    _arm, _bezu, people = two_residences
    auth.login("res.arm")
    neighbour = member(people["arm_committee"])
    response = _post(client, f"/activities/{gym.id}/register", for_member=neighbour.id)
    assert response.status_code == 422
    assert not page(client.get(f"/activities/{gym.id}")).count("inscrit par la coordination")


def test_the_coordinator_registers_someone_sees_the_list_and_adds_places(
    client, auth, gym, two_residences, session
):
    arm, _bezu, people = two_residences
    auth.login("coord.arm")
    resident = member(people["arm_res"], arm)
    committee = member(people["arm_committee"], arm)
    url = f"/activities/{gym.id}"
    assert _post(client, url + "/register", for_member=resident.id).status_code == 303
    assert _post(client, url + "/register", for_member=committee.id).status_code == 303
    body = page(client.get(url))
    assert "Qui vient" in body and "Liste d'attente, dans l'ordre" in body
    assert "inscrit par la coordination" in body
    response = _post(client, url + "/places", capacity="2", helper_places="0")
    assert response.status_code == 303
    assert "1 personne de la liste d'attente a reçu une place" in page(client.get(url))
    statuses = session.scalars(sa.select(Registration.status)).all()
    assert statuses == [RegistrationStatus.CONFIRMED, RegistrationStatus.CONFIRMED]
    # Bad numbers: said next to the field, nothing changed.
    response = _post(client, url + "/places", capacity="0", helper_places="x")
    assert response.status_code == 422
    assert "Indiquez un nombre entre 1 et 500." in page(response)


def test_residents_cannot_plan_or_cancel(client, auth, gym):
    auth.login("res.arm")
    assert client.get("/activities/new").status_code == 403
    assert _post(client, f"/activities/{gym.id}/cancel", reason="non").status_code == 403


def test_the_coordinator_plans_an_activity_with_errors_shown_first(
    client, auth, two_residences, session
):
    auth.login("coord.arm")
    tomorrow = (today_in(two_residences[0]) + dt.timedelta(days=1)).isoformat()
    form = {
        "title": "Atelier cuisine",
        "category": "workshop",
        "day": tomorrow,
        "start_time": "15:00",
        "end_time": "14:00",
        "place_kind": "outside",
        "address": "",
        "capacity": "10",
        "helper_places": "3",
        "organiser_kind": "coordination",
        "effort": "0",
    }
    response = _post(client, "/activities/new", **form)
    assert response.status_code == 422
    assert "L'heure de fin doit être après l'heure de début." in page(response)
    form.update(end_time="17:00", address="Marché couvert, place du Général-de-Gaulle")
    response = _post(client, "/activities/new", **form)
    assert response.status_code == 303
    body = page(client.get(response.headers["Location"]))
    assert "Atelier cuisine" in body and "Sortie : Marché couvert" in body
    assert "Venir aider" in body and "de 15 h à 17 h" in body
    assert "accessible sans marche et effort doux" not in body  # not ticked
    assert "Accessibilité effort doux" in " ".join(body.split()).replace("</dt><dd>", " ")
    assert session.scalar(sa.select(AuditEvent.id).where(AuditEvent.action == "activity.created"))


def test_an_activity_in_a_taken_room_is_refused_on_the_room_field(
    client, auth, two_residences, create_room, session
):
    arm, _bezu, people = two_residences
    room = create_room(arm, by=people["arm_coord"], name="Salle commune")
    auth.login("coord.arm")
    tomorrow = (today_in(arm) + dt.timedelta(days=1)).isoformat()
    form = {
        "title": "Gym douce",
        "category": "animation",
        "day": tomorrow,
        "start_time": "10:00",
        "end_time": "11:00",
        "place_kind": "room",
        "room": str(room.id),
        "capacity": "12",
        "helper_places": "0",
        "organiser_kind": "coordination",
        "effort": "0",
    }
    assert _post(client, "/activities/new", **form).status_code == 303
    form["title"] = "Loto"
    response = _post(client, "/activities/new", **form)
    assert response.status_code == 422
    body = page(response)
    assert 'id="room-error"' in body and "La salle est déjà prise à ce moment-là." in body
    # The room's week shows it as held (the activity's booking).
    titles = session.scalars(sa.select(Booking.purpose).where(Booking.room_id == room.id)).all()
    assert titles == ["Gym douce"]


def test_the_rooms_week_shows_the_activity_to_everyone(
    client, auth, two_residences, create_room, create_activity
):
    arm, _bezu, people = two_residences
    room = create_room(arm, by=people["arm_coord"], name="Salle commune")
    gym = create_activity(arm, by=people["arm_coord"], room=room, title="Gym douce")
    auth.login("res.arm")
    start = (today_in(arm) + dt.timedelta(days=1)).isoformat()
    body = page(client.get(f"/rooms/{room.id}/week?start={start}"))
    assert f'<a href="/activities/{gym.id}">Activité : Gym douce</a>' in body


def test_the_coordinators_day_lists_todays_and_tomorrows_activities(
    client, auth, two_residences, create_activity, create_user
):
    arm, _bezu, people = two_residences
    gym = create_activity(arm, by=people["arm_coord"], title="Gym douce", capacity=1)
    later = create_activity(
        arm,
        by=people["arm_coord"],
        title="Loto",
        start=dt.datetime.combine(today_in(arm) + dt.timedelta(days=5), dt.time(15)),
    )
    from app.activities.services import register

    for username in ("a.un", "a.deux"):
        register(member(create_user(username, residence=arm), arm), gym)
    auth.login("coord.arm")
    body = " ".join(page(client.get("/")).split())
    assert "1 activité aujourd'hui et demain" in body
    assert f'href="/activities/{gym.id}">Gym douce</a>' in body
    assert "1 inscrit / 1 place – 1 en attente" in body
    assert later.title not in body


def test_the_weeks_programme_prints_one_line_per_session(
    client, auth, two_residences, create_activity
):
    arm, _bezu, people = two_residences
    monday = today_in(arm) - dt.timedelta(days=today_in(arm).weekday()) + dt.timedelta(days=7)
    create_activity(
        arm,
        by=people["arm_coord"],
        title="Gym douce",
        start=dt.datetime.combine(monday + dt.timedelta(days=1), dt.time(10)),
        end=dt.datetime.combine(monday + dt.timedelta(days=1), dt.time(11)),
        step_free=True,
        seated=True,
    )
    auth.login("res.arm")
    body = " ".join(page(client.get(f"/activities/print?week={monday.isoformat()}")).split())
    assert "Programme de la semaine du lundi" in body and "Armentières" in body
    assert "de 10 h à 11 h" in body and "Gym douce" in body
    assert "♫</span> Animation" in body  # a pictogram, with its word
    assert "♿ sans marche · assis" in body
    # Nonsense in the URL: this week, not an error.
    assert client.get("/activities/print?week=1999-99-99").status_code == 200
    # In English the day keeps its month's capital ("Tuesday 8 December", not "december").
    english = page(client.get(f"/activities/print?week={monday.isoformat()}&lang=en"))
    tuesday = monday + dt.timedelta(days=1)
    assert f"<h2>Tuesday {tuesday.day} {tuesday.strftime('%B')}" in english


def test_the_sign_up_sheet_has_the_names_blank_lines_and_a_qr_code(
    client, auth, two_residences, create_activity
):
    arm, _bezu, people = two_residences
    gym = create_activity(arm, by=people["arm_coord"], title="Gym douce", capacity=3)
    from app.activities.services import register

    register(member(people["arm_res"], arm), gym)
    auth.login("res.arm")
    assert client.get(f"/activities/{gym.id}/sheet").status_code == 403
    auth.logout()
    auth.login("coord.arm")
    body = page(client.get(f"/activities/{gym.id}/sheet"))
    assert people["arm_res"].full_name in body
    assert body.count('<li class="blank">') == 2 + 5  # the free places, then waiting lines
    assert "<svg" in body and f"/activities/{gym.id}" in body


# -- Series, changes, postponing -----------------------------------------------------------


def _series_form(day: dt.date, room, **extra):
    form = {
        "title": "Gym douce",
        "category": "animation",
        "day": day.isoformat(),
        "start_time": "10:00",
        "end_time": "11:00",
        "repeat": "1",
        "until": (day + dt.timedelta(weeks=3)).isoformat(),
        "place_kind": "room",
        "room": str(room.id),
        "capacity": "12",
        "helper_places": "0",
        "organiser_kind": "coordination",
        "effort": "0",
    }
    form.update(extra)
    return form


def test_the_coordinator_plans_a_weekly_series(client, auth, two_residences, create_room, session):
    arm, _bezu, people = two_residences
    room = create_room(arm, by=people["arm_coord"], name="Salle commune")
    auth.login("coord.arm")
    first = today_in(arm) + dt.timedelta(days=1)
    # The last date is asked for a series.
    response = _post(client, "/activities/new", **_series_form(first, room, until=""))
    assert response.status_code == 422
    assert "Indiquez la date de la dernière séance." in page(response)
    # The room is taken for the third session: nothing is created, that date is said.
    taken = first + dt.timedelta(weeks=2)
    loto = _series_form(taken, room, title="Loto", repeat="0", until="")
    assert _post(client, "/activities/new", **loto).status_code == 303
    response = _post(client, "/activities/new", **_series_form(first, room))
    assert response.status_code == 422
    body = page(response)
    assert "La salle est déjà prise ce jour-là, à cette heure :" in body
    assert f"{taken.day} " in body.split('id="clashes"')[1].split("</ul>")[0]
    assert "Rien n'est encore enregistré." in body
    # At another hour, four sessions.
    response = _post(
        client, "/activities/new", **_series_form(first, room, start_time="15:00", end_time="16:00")
    )
    assert response.status_code == 303
    body = page(client.get(response.headers["Location"]))
    assert "La série est au programme." in body
    assert "Revient" in body and "jusqu'au" in body
    programme = page(client.get("/activities"))
    assert programme.count(">Gym douce</strong>") == 4


def test_postponing_a_session_says_it_everywhere(
    client, auth, two_residences, create_room, create_activity, session
):
    arm, _bezu, people = two_residences
    room = create_room(arm, by=people["arm_coord"], name="Salle commune")
    activity = create_activity(
        arm, by=people["arm_coord"], room=room, place_kind="room", title="Jardinage"
    )
    auth.login("res.arm")
    _post(client, f"/activities/{activity.id}/register")
    auth.logout()
    auth.login("coord.arm")
    url = f"/activities/{activity.id}/postpone"
    form = page(client.get(url))
    # The consequence is said before: the person keeps the place and is told.
    assert "La personne inscrite garde sa place et reçoit un message" in form
    assert "La salle est réservée à la nouvelle heure" in form
    thursday = today_in(arm) + dt.timedelta(days=3)
    response = _post(client, url, day=thursday.isoformat(), start_time="10:00", end_time="12:00")
    assert response.status_code == 422
    assert "Écrivez la raison : les inscrits la liront." in page(response)
    past = (today_in(arm) - dt.timedelta(days=3)).isoformat()
    response = _post(client, url, day=past, start_time="10:00", end_time="12:00", reason="pluie")
    assert response.status_code == 422 and "Choisissez une date et une heure à venir." in page(
        response
    )
    response = _post(
        client, url, day=thursday.isoformat(), start_time="10:00", end_time="12:00", reason="pluie"
    )
    assert response.status_code == 303
    body = page(client.get(response.headers["Location"]))
    assert "La séance est reportée." in body and "Reportée" in body and "Raison : pluie" in body
    assert "de 10 h à 12 h" in body
    assert "Reportée" in page(client.get("/activities"))
    auth.logout()
    auth.login("res.arm")
    inbox = page(client.get("/messages"))
    assert "Nouvelle date : Jardinage" in inbox and "Raison : pluie" in inbox
    assert "Vous êtes inscrit" in page(client.get(f"/activities/{activity.id}"))
    # Residents cannot postpone; another residence gets 404.
    assert client.get(url).status_code == 403
    auth.logout()
    auth.login("coord.bezu")
    assert client.get(url).status_code == 404


def test_changing_one_session_or_the_following_ones(
    client, auth, two_residences, create_room, session
):
    arm, _bezu, people = two_residences
    room = create_room(arm, by=people["arm_coord"], name="Salle commune")
    auth.login("coord.arm")
    first = today_in(arm) + dt.timedelta(days=1)
    response = _post(client, "/activities/new", **_series_form(first, room))
    first_id = int(response.headers["Location"].rsplit("/", 1)[1])
    second_id = first_id + 1
    edit = page(client.get(f"/activities/{second_id}/edit"))
    assert "Seulement cette séance" in edit and 'value="Gym douce"' in edit
    assert 'value="10:00"' in edit
    second_day = (first + dt.timedelta(weeks=1)).isoformat()
    form = _series_form(
        first + dt.timedelta(weeks=1),
        room,
        title="Gym du matin",
        start_time="09:00",
        end_time="10:00",
    )
    form.pop("repeat"), form.pop("until")
    response = _post(client, f"/activities/{second_id}/edit", scope="following", **form)
    assert response.status_code == 303
    assert "C'est changé pour 3 séances." in page(client.get(response.headers["Location"]))
    programme = page(client.get("/activities"))
    assert (
        programme.count(">Gym du matin</strong>") == 3
        and programme.count(">Gym douce</strong>") == 1
    )
    form.update(title="Gym douce spéciale", day=second_day)
    response = _post(client, f"/activities/{second_id}/edit", scope="one", **form)
    assert "C'est changé." in page(client.get(response.headers["Location"]))
    programme = page(client.get("/activities"))
    assert programme.count(">Gym du matin</strong>") == 2


# -- Residents' ideas ----------------------------------------------------------------------


def test_a_resident_proposes_and_the_coordinator_puts_it_on_the_programme(
    client, auth, two_residences, session
):
    arm, _bezu, people = two_residences
    auth.login("res.arm")
    assert "Proposer une activité" in page(client.get("/activities"))
    response = _post(client, "/activities/ideas", title="", idea="", when="")
    assert response.status_code == 422
    assert "Écrivez votre idée en quelques mots." in page(response)
    response = _post(
        client, "/activities/ideas", title="Atelier tricot", idea="Avec ma laine", when="samedi"
    )
    assert response.status_code == 303
    body = page(client.get(response.headers["Location"]))
    assert "Merci ! Votre idée est envoyée" in body and "En attente de réponse" in body
    idea_id = session.scalar(sa.select(ActivityProposal.id))
    assert client.get(f"/activities/ideas/{idea_id}").status_code == 403
    auth.logout()
    auth.login("coord.bezu")
    assert client.get(f"/activities/ideas/{idea_id}").status_code == 404
    auth.logout()
    auth.login("coord.arm")
    listing = page(client.get("/activities/ideas"))
    assert "Atelier tricot" in listing and "Proposée par" in listing
    prepared = page(client.get(f"/activities/new?proposal={idea_id}"))
    assert 'value="Atelier tricot"' in prepared and "Avec ma laine" in prepared
    assert "l'organisera et recevra" in prepared
    day = (today_in(arm) + dt.timedelta(days=4)).isoformat()
    response = _post(
        client,
        f"/activities/new?proposal={idea_id}",
        title="Atelier tricot",
        category="workshop",
        day=day,
        start_time="14:00",
        end_time="16:00",
        place_kind="garden",
        capacity="8",
        helper_places="0",
        organiser_kind="coordination",
        effort="0",
    )
    assert response.status_code == 303
    body = page(client.get(response.headers["Location"]))
    assert "L'idée est au programme." in body
    assert people["arm_res"].full_name in body  # the proposer organises it
    auth.logout()
    auth.login("res.arm")
    assert "Votre idée est au programme : Atelier tricot" in page(client.get("/messages"))
    assert "Au programme" in page(client.get("/activities/ideas"))


def test_the_coordinator_answers_why_not(client, auth, two_residences, session):
    auth.login("res.arm")
    _post(client, "/activities/ideas", title="Sortie à la mer", idea="", when="")
    idea_id = session.scalar(sa.select(ActivityProposal.id))
    auth.logout()
    auth.login("coord.arm")
    response = _post(client, f"/activities/ideas/{idea_id}", answer="")
    assert response.status_code == 422
    assert "Écrivez pourquoi : la personne le lira." in page(response)
    response = _post(client, f"/activities/ideas/{idea_id}", answer="Le car coûte trop cher.")
    assert response.status_code == 303
    auth.logout()
    auth.login("res.arm")
    assert "Pas pour l'instant : Le car coûte trop cher." in page(client.get("/activities/ideas"))


def test_a_booked_room_is_shown_before_saving_and_may_be_taken_with_a_reason(
    client, auth, two_residences, create_room, create_booking, session
):
    arm, _bezu, people = two_residences
    room = create_room(arm, by=people["arm_coord"], name="Salle commune")
    day = today_in(arm) + dt.timedelta(days=2)
    create_booking(
        people["arm_res"],
        room,
        dt.datetime.combine(day, dt.time(14)),
        dt.datetime.combine(day, dt.time(16)),
        purpose="Goûter",
    )
    session.commit()
    auth.login("coord.arm")
    form = _series_form(day, room, repeat="0", until="", start_time="15:00", end_time="17:00")
    response = _post(client, "/activities/new", **form)
    assert response.status_code == 422
    body = page(response)
    assert "Ce qui occupe la salle à ce moment-là :" in body
    assert people["arm_res"].full_name in body and "Goûter" in body
    assert "Prendre la salle quand même : pourquoi ?" in body
    response = _post(client, "/activities/new", room_override="Gym avancée à la demande", **form)
    assert response.status_code == 303
    auth.logout()
    auth.login("res.arm")
    inbox = page(client.get("/messages"))
    assert "Réservation annulée" in inbox and "Gym avancée à la demande" in inbox


def test_postponing_into_a_booked_room_shows_it_and_may_take_it(
    client, auth, two_residences, create_room, create_booking, create_activity, session
):
    arm, _bezu, people = two_residences
    room = create_room(arm, by=people["arm_coord"], name="Salle commune")
    activity = create_activity(
        arm, by=people["arm_coord"], room=room, place_kind="room", title="Chorale"
    )
    day = today_in(arm) + dt.timedelta(days=3)
    create_booking(
        people["arm_res"],
        room,
        dt.datetime.combine(day, dt.time(10)),
        dt.datetime.combine(day, dt.time(12)),
        purpose="Réunion de famille",
    )
    session.commit()
    auth.login("coord.arm")
    url = f"/activities/{activity.id}/postpone"
    form = dict(day=day.isoformat(), start_time="10:00", end_time="11:00", reason="chef malade")
    response = _post(client, url, **form)
    assert response.status_code == 422
    body = page(response)
    assert "Réunion de famille" in body and "Prendre la salle quand même" in body
    response = _post(client, url, room_override="Seule date possible pour la chorale", **form)
    assert response.status_code == 303
    auth.logout()
    auth.login("res.arm")
    assert "Seule date possible pour la chorale" in page(client.get("/messages"))
