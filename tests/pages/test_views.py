"""The home page: the coordinator's day, and the residents' home (their next bookings, today's and
tomorrow's activities, the votes to cast)."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
import sqlalchemy as sa
from flask import current_app

from app.activities import services as activities
from app.core.db import utcnow
from app.core.timeutils import Period
from app.extensions import db
from app.residents import services as residents
from app.rooms.models import BookingMode
from app.rooms.services import add_closure
from app.votes import services as votes
from tests.conftest import Auth, page
from tests.factories import local_period, member, today_in
from tests.votes import test_views as vote_tests

make_vote = vote_tests.make_vote


def at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour))


@pytest.fixture
def place(two_residences, create_room):
    arm, bezu, people = two_residences
    coordinator = people["arm_coord"]
    rooms = {
        "common": create_room(arm, by=coordinator, name="Salle commune"),
        "laundry": create_room(
            arm, by=coordinator, name="Laverie", unit_names=["Lave-linge 1", "Lave-linge 2"]
        ),
        "guest": create_room(
            arm,
            by=coordinator,
            name="Chambre d'amis",
            mode=BookingMode.NIGHTS,
            requires_approval=True,
        ),
    }
    today = today_in(arm)
    # Local midnight today: bookings of the whole day can be made at any hour of the run.
    return arm, people, rooms, today, Period.days(today, today, arm.tz).start


def stay(create_booking, user, guest, first: dt.date, nights: int, now):
    return create_booking(
        user,
        guest,
        dt.datetime.combine(first, guest.checkin_time),
        dt.datetime.combine(first + dt.timedelta(days=nights), guest.checkout_time),
        now=now,
    )


@pytest.fixture
def coordinator(client, auth, two_residences):
    auth.login("coord.arm")
    return client


def test_an_empty_day(coordinator, place):
    html = page(coordinator.get("/"))
    assert "Aucune demande à valider" in html
    assert "Les demandes de réservation à accepter ou refuser s'afficheront ici." in html
    today = place[3]
    assert "Aujourd'hui, " in html and "Demain, " in html
    assert html.count("Aucune réservation ni fermeture.") == 2
    assert "Aucune invitation en attente" in html
    assert "0 personne" not in html and "Bientôt ici" not in html
    assert f"{today.day}" in html


def test_requests_to_answer_with_who_which_room_and_when(
    coordinator, place, create_booking, create_user
):
    arm, people, rooms, today, now = place
    guest = rooms["guest"]
    people_ = [people["arm_res"]] + [create_user(residence=arm) for _ in range(4)]
    asked = [
        stay(create_booking, person, guest, today + dt.timedelta(days=3 + 2 * n), 1, now)
        for n, person in enumerate(people_)
    ]
    html = page(coordinator.get("/"))
    assert "5 demandes à valider" in html
    first = asked[0]
    assert f'href="/bookings/queue#request-{first.id}"' in html
    assert f"{people['arm_res'].full_name} (logement A01)" in html
    assert "Chambre d'amis" in html and "(1 nuit)" in html
    assert f"#request-{asked[2].id}" in html and f"#request-{asked[3].id}" not in html
    assert "Et 2 autres demandes." in html
    assert 'href="/bookings/queue">Répondre aux demandes</a>' in html


def test_one_request(coordinator, place, create_booking):
    arm, people, rooms, today, now = place
    stay(create_booking, people["arm_res"], rooms["guest"], today + dt.timedelta(days=3), 2, now)
    html = page(coordinator.get("/"))
    assert "1 demande à valider" in html and "Et " not in html.split("1 demande")[1][:400]


def test_todays_and_tomorrows_bookings_and_closures(coordinator, place, create_booking, session):
    arm, people, rooms, today, now = place
    tomorrow = today + dt.timedelta(days=1)
    common, laundry = rooms["common"], rooms["laundry"]
    coordinator_member = member(people["arm_coord"], arm)
    birthday = create_booking(
        people["arm_res"], common, at(today, 14), at(today, 16), purpose="Anniversaire", now=now
    )
    create_booking(people["arm_committee"], laundry, at(tomorrow, 10), at(tomorrow, 11), now=now)
    add_closure(
        coordinator_member,
        common,
        local_period(arm, at(tomorrow, 0), at(tomorrow + dt.timedelta(days=1), 0)),
        "travaux de peinture",
    )
    add_closure(coordinator_member, laundry, local_period(arm, at(today, 8), at(today, 12)))
    stay(create_booking, people["arm_res"], rooms["guest"], today, 1, now)
    after_tomorrow = today + dt.timedelta(days=2)
    later = create_booking(
        people["arm_res"], common, at(after_tomorrow, 9), at(after_tomorrow, 11), now=now
    )
    session.commit()
    html = page(coordinator.get("/"))
    today_part = html[html.index("Aujourd'hui, ") : html.index("Demain, ")]
    tomorrow_part = html[html.index("Demain, ") : html.index("invitation")]
    assert f'href="/bookings/{birthday.id}">De 14 h à 16 h</a>' in today_part
    assert f"{people['arm_res'].full_name} (logement A01)" in today_part
    assert "Anniversaire" in today_part
    assert "Fermeture de 8 h à 12 h" in today_part
    assert "À partir de 15 h" in today_part  # the guest arrives
    assert "En attente de validation" in today_part
    assert "Jusqu'à 11 h" in tomorrow_part  # and leaves
    assert "Fermeture toute la journée : travaux de peinture" in tomorrow_part
    assert "Lave-linge" in tomorrow_part and people["arm_committee"].full_name in tomorrow_part
    assert f'href="/bookings/{later.id}"' not in html


def test_invitations_waiting_with_a_correct_plural(coordinator, place, session):
    arm, people, _rooms, _today, _now = place
    coordinator_user = people["arm_coord"]

    def add(name: str):
        membership, invitation, _code = residents.create_resident(
            coordinator_user, arm, full_name=name, home_label="C3"
        )
        session.commit()
        return membership, invitation

    assert "Aucune invitation en attente" in page(coordinator.get("/"))
    first, _ = add("Paulette Durand")
    html = page(coordinator.get("/"))
    assert "1 invitation en attente" in html
    assert "Cette personne n'a pas encore utilisé sa feuille d'invitation." in html
    assert f'href="/residents/{first.id}">Paulette Durand</a>' in html
    assert "logement C3" in html and "Valable jusqu'au " in html
    _second, expired = add("Louis Martin")
    add("Anne Petit")
    expired.expires_at = utcnow() - dt.timedelta(days=1)
    session.commit()
    html = page(coordinator.get("/"))
    assert "3 invitations en attente" in html
    assert "Expirée" in html and "préparez une nouvelle feuille" in html
    assert html.index("Louis Martin") < html.index("Anne Petit") < html.index("Paulette Durand")


def test_the_coordinators_home_in_english(client, auth, place, session):
    place[1]["arm_coord"].locale = "en"
    session.commit()
    auth.login("coord.arm")
    html = page(client.get("/"))
    assert "No requests to answer" in html and "No invitations waiting" in html
    assert "Today, " in html and "Tomorrow, " in html and "No bookings or closures." in html


def test_the_residents_home_has_no_coordination(client, auth, place):
    auth.login("res.arm")
    html = page(client.get("/"))
    assert "Vos prochaines réservations" in html
    assert "demande à valider" not in html and "invitation en attente" not in html
    assert "Aujourd'hui, " not in html and "Bientôt" not in html
    assert "Pas d'activité aujourd'hui ni demain." in html and "Votes en cours" not in html


def test_the_residents_home_shows_the_next_two_days_activities_and_their_place(
    client, auth, place, create_activity, session
):
    arm, people, rooms, today, now = place
    coordinator = people["arm_coord"]
    gym = create_activity(arm, by=coordinator, start=at(today + dt.timedelta(days=1), 10))
    create_activity(
        arm, by=coordinator, title="Sortie au marché", start=at(today + dt.timedelta(days=1), 8)
    )
    create_activity(arm, by=coordinator, title="Jardin", start=at(today + dt.timedelta(days=2), 10))
    activities.register(member(people["arm_res"], arm), gym, now=utcnow())
    session.commit()
    auth.login("res.arm")
    html = page(client.get("/"))
    assert "Activités d'aujourd'hui et de demain" in html
    assert html.index("Sortie au marché") < html.index("Gym douce")
    assert f'href="/activities/{gym.id}"' in html and "Vous êtes inscrit" in html
    assert "Jardin" not in html  # the day after tomorrow is for the programme
    assert "Voir tout le programme" in html


def test_the_residents_home_lists_the_open_votes_they_take_part_in(
    client, auth, make_vote, session
):
    hours = dt.timedelta(hours=1)
    quiet = make_vote("Heures calmes")
    make_vote("Budget du comité", electorate=votes.Electorate.COMMITTEE)
    make_vote("Les vélos", opens_at=utcnow() + hours, closes_at=utcnow() + 48 * hours)
    auth.login("res.arm")
    html = page(client.get("/"))
    assert "Votes en cours" in html and f'href="/votes/{quiet.id}"' in html
    assert "À voter avant le" in html
    assert "Budget du comité" not in html and "Les vélos" not in html

    client.post(
        f"/votes/{quiet.id}/ballot", data={"choice": "pour", "csrf_token": Auth(client).csrf()}
    )
    html = page(client.get("/"))
    assert "Vous avez voté" in html and "À voter avant le" not in html

    quiet.closes_at = utcnow() - hours  # over, even if nobody has read it since
    session.commit()
    assert "Heures calmes" not in page(client.get("/"))


def test_the_coordinators_home_lists_the_open_votes_with_the_voting_desk(
    coordinator, make_vote, session
):
    quiet = make_vote("Heures calmes")
    make_vote("Budget du comité", electorate=votes.Electorate.COMMITTEE)
    html = page(coordinator.get("/"))
    assert "2 votes en cours" in html
    assert html.index("Heures calmes") < html.index("Budget du comité")
    assert f'href="/votes/{quiet.id}/desk"' in html and "Clôture le" in html


@contextlib.contextmanager
def counted():
    """The SQL queries run inside (not the test's savepoints), pages rendered each time:
    what a view costs, not a page kept in memory (``core.pagecache``)."""
    statements: list[str] = []
    kept = current_app.extensions.pop("page_cache", None)

    def count(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
        if kept is not None:
            current_app.extensions["page_cache"] = kept


def test_the_number_of_queries_does_not_grow_with_the_day(
    coordinator, place, create_booking, create_user, session
):
    arm, people, rooms, today, now = place
    tomorrow = today + dt.timedelta(days=1)
    create_booking(people["arm_res"], rooms["common"], at(today, 9), at(today, 11), now=now)
    stay(create_booking, people["arm_res"], rooms["guest"], today + dt.timedelta(days=3), 1, now)
    residents.create_resident(people["arm_coord"], arm, full_name="Une Personne")
    add_closure(
        member(people["arm_coord"], arm),
        rooms["common"],
        local_period(arm, at(today, 12), at(today, 13)),
    )
    session.commit()
    coordinator.get("/")
    with counted() as few:
        assert coordinator.get("/").status_code == 200

    for n in range(6):
        person = create_user(residence=arm, home=f"D{n}")
        create_booking(person, rooms["laundry"], at(today, 8 + n), at(today, 9 + n), now=now)
        create_booking(person, rooms["laundry"], at(tomorrow, 8 + n), at(tomorrow, 9 + n), now=now)
        stay(create_booking, person, rooms["guest"], today + dt.timedelta(days=5 + 2 * n), 1, now)
        residents.create_resident(people["arm_coord"], arm, full_name=f"Personne {n}")
        add_closure(
            member(people["arm_coord"], arm),
            rooms["laundry"],
            local_period(arm, at(today, 20), at(today, 21)),
        )
    session.commit()
    with counted() as many:
        html = page(coordinator.get("/"))
    assert "7 demandes à valider" in html and "7 invitations en attente" in html
    assert len(many) == len(few), "\n".join(many)
