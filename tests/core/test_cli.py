"""Operator commands: demo data, and a new residence with its first coordinator."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.activities.models import Activity, Registration, RegistrationStatus
from app.bookings.models import Booking, OriginKind
from app.residences.models import Residence
from app.rooms.models import Room
from app.users.models import User
from tests.conftest import csrf_from


def test_demo_is_idempotent_and_prints_the_logins(app, session):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "maison-commune-demo" in first.output and "bailleur.admin" in first.output
    counts = (
        session.scalar(sa.select(sa.func.count(User.id))),
        session.scalar(sa.select(sa.func.count(Room.id))),
    )
    assert runner.invoke(args=["demo"]).exit_code == 0
    assert counts == (
        session.scalar(sa.select(sa.func.count(User.id))),
        session.scalar(sa.select(sa.func.count(Room.id))),
    )
    assert counts[1] == 4  # salle commune, chambre d'amis, lave-linge, sèche-linge
    # A month of activities: gym every Tuesday and the cooking workshop holding the salle
    # commune, the garden on Saturdays (one postponed), one outing full with a waiting list.
    titles = session.scalars(sa.select(Activity.title)).all()
    assert (titles.count("Gym douce"), titles.count("Jardin partagé"), len(titles)) == (5, 4, 11)
    held = session.scalars(
        sa.select(Booking.purpose).where(Booking.origin_kind == OriginKind.ACTIVITY)
    ).all()
    assert sorted(held) == ["Atelier cuisine : soupe d'hiver"] + ["Gym douce"] * 5
    postponed = session.scalars(sa.select(Activity).where(Activity.planned_start.is_not(None)))
    assert [(a.title, a.moved_reason) for a in postponed] == [("Jardin partagé", "pluie annoncée")]
    waiting = session.scalars(
        sa.select(Registration).where(Registration.status == RegistrationStatus.WAITING)
    ).all()
    assert [r.activity.title for r in waiting] == ["Sortie au marché"]


def test_create_residence_gives_the_first_coordinator_an_invitation(app, session, client):
    result = app.test_cli_runner().invoke(
        args=[
            "create-residence",
            "Béguinage de Liévin",
            "--organisation",
            "Pas-de-Calais habitat",
            "--coordinator",
            "Amélie Roux",
        ]
    )
    assert result.exit_code == 0, result.output
    code = re.search(r"code, valid until [0-9-]+: ([A-Z0-9-]+)", result.output).group(1)
    residence = session.scalar(sa.select(Residence).where(Residence.name == "Béguinage de Liévin"))
    assert residence.organisation.name == "Pas-de-Calais habitat"
    token = csrf_from(client.get("/activate").get_data(as_text=True))
    response = client.post("/activate", data={"code": code, "csrf_token": token})
    assert response.status_code == 303
    choose = client.get(response.headers["Location"]).get_data(as_text=True)
    response = client.post(
        response.headers["Location"],
        data={
            "username": "amelie.roux",
            "password": "une longue phrase secrète",
            "confirm": "une longue phrase secrète",
            "csrf_token": csrf_from(choose),
        },
    )
    assert response.status_code == 303
    assert client.get("/residents").status_code == 200  # she is the coordinator


def test_create_residence_refuses_an_unknown_time_zone(app):
    result = app.test_cli_runner().invoke(
        args=[
            "create-residence",
            "X",
            "--organisation",
            "Y",
            "--coordinator",
            "Z",
            "--timezone",
            "Mars/Olympus",
        ]
    )
    assert result.exit_code != 0 and "unknown time zone" in result.output


def test_demo_shows_how_to_reach_the_coordination(app, session):
    """Armentières and Bézu have contact details (fictional numbers); Hirson has none yet,
    and running the demo again keeps what a coordinator changed."""
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo"]).exit_code == 0
    residences = {r.name.split()[-1]: r for r in session.scalars(sa.select(Residence))}
    armentieres = residences["d'Armentières"]
    assert armentieres.contact_phone == "03 53 01 24 60"
    assert armentieres.contact_hours == "le mardi et le jeudi, de 9 h à 17 h"
    assert armentieres.contact_place.startswith("Bureau au rez-de-chaussée")
    assert residences["Bézu-Saint-Germain"].has_contact
    assert not residences["Sabine"].has_contact
    armentieres.contact_phone = "03 53 01 99 99"
    session.commit()
    assert runner.invoke(args=["demo"]).exit_code == 0
    session.refresh(armentieres)
    assert armentieres.contact_phone == "03 53 01 99 99"


def test_a_refusal_reads_in_french_in_a_command(app):
    """A ``flask`` command (the demo, retention) has no request: a domain error's message
    still reads, in French, where it used to fail with "working outside of request context"
    (the demo's weekly series skipped a date that, on some days, clashed)."""
    import threading

    from app.bookings.services import RoomClosed

    read = {}

    def command():  # a new thread: none of the test's request context, as in `flask demo`
        with app.app_context():
            read["message"] = str(RoomClosed().message)

    thread = threading.Thread(target=command)
    thread.start()
    thread.join()
    assert read == {"message": "La salle est fermée pendant cette période."}


@pytest.mark.parametrize("offset", range(7))
def test_the_demo_loads_whatever_the_day_of_the_week(app, session, offset):
    """The demo's bookings, series and activities are placed from today: no clash, whatever
    the weekday (a demo that fails on Wednesdays is a newcomer's first impression)."""
    import datetime as dt

    from app.cli import load_demo
    from app.core.db import utcnow

    load_demo(now=utcnow() + dt.timedelta(days=offset))
    assert session.scalar(sa.select(sa.func.count(Activity.id))) == 11


def test_the_demo_has_a_watering_rota_with_one_turn_offered_and_one_free_tomorrow(app, session):
    import datetime as dt

    from app.activities import services as activities
    from app.activities.models import WateringSlot
    from app.cli import load_demo
    from app.core.db import utcnow
    from app.core.timeutils import local_today

    now = utcnow()
    load_demo(now=now)
    load_demo(now=now)  # nothing twice
    residence = session.scalar(sa.select(Residence).where(Residence.name.like("%Armenti%")))
    assert session.scalar(sa.select(sa.func.count(WateringSlot.id))) == 14
    tomorrow = local_today(residence.tz, now) + dt.timedelta(days=1)
    empty = activities.empty_soon(residence, tomorrow - dt.timedelta(days=1), now=now)
    assert [(s.day, s.is_offered, s.holder_name) for s in empty] == [
        (tomorrow, False, ""),
        (tomorrow + dt.timedelta(days=1), True, "Odette L."),
    ]
