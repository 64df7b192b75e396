"""Hostile or absurd input gets a clear answer, never a 500, and never runs in the page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from app.core.timeutils import Period
from app.rooms.services import add_closure
from tests.conftest import csrf_from, page
from tests.factories import member, today_in


@pytest.fixture
def setup(two_residences, create_room):
    arm, _bezu, people = two_residences
    room = create_room(arm, by=people["arm_coord"], name="Salle commune", min_minutes=60)
    return arm, people, room


def test_user_text_in_a_lazy_message_is_escaped(client, auth, session, setup):
    arm, people, room = setup
    day = today_in(arm) + dt.timedelta(days=3)
    add_closure(
        member(people["arm_coord"]),
        room,
        Period.from_local(
            dt.datetime.combine(day, dt.time(0)), dt.datetime.combine(day, dt.time(23)), arm.tz
        ),
        '<form hx-post="/x" hx-trigger="load" id="evil"></form>Travaux',
    )
    session.commit()
    auth.login("res.arm")
    start = dt.datetime.combine(day, dt.time(14)).isoformat(timespec="minutes")
    end = dt.datetime.combine(day, dt.time(15)).isoformat(timespec="minutes")
    token = csrf_from(client.get(f"/rooms/{room.id}").get_data(as_text=True))
    response = client.post(
        f"/rooms/{room.id}/book", data={"start": start, "end": end, "csrf_token": token}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="evil"' not in html
    assert "&lt;form hx-post" in html and "Travaux" in html


@pytest.mark.parametrize(
    "url",
    [
        "/rooms/99999999999999999999",
        "/rooms/9223372036854775808/week",
        "/bookings/99999999999999999999",
        "/residents/99999999999999999999",
        "/series/99999999999999999999",
    ],
)
def test_huge_ids_are_not_found(client, auth, setup, url):
    auth.login("coord.arm")
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("odd", ["²", "99999999999999999999", "-1", "x", "0"])
def test_odd_unit_or_person_values_are_refused_clearly(client, auth, session, setup, odd):
    from app.bookings.models import Booking

    arm, _people, room = setup
    auth.login("coord.arm")
    day = today_in(arm) + dt.timedelta(days=3)
    slot = {"start": f"{day}T10:00", "end": f"{day}T11:00"}
    review = client.get(f"/rooms/{room.id}/book", query_string={**slot, "unit": odd})
    assert review.status_code == 422
    assert "Cet équipement n'existe pas dans cette salle." in page(review)
    token = csrf_from(client.get(f"/rooms/{room.id}").get_data(as_text=True))
    response = client.post(
        f"/rooms/{room.id}/book", data={**slot, "unit": odd, "csrf_token": token}
    )
    assert response.status_code == 422
    assert "Cet équipement n'existe pas dans cette salle." in page(response)
    response = client.post(
        f"/rooms/{room.id}/book", data={**slot, "for_user": odd, "csrf_token": token}
    )
    assert response.status_code == 422
    assert "Choisissez une personne de la liste." in page(response)
    assert session.scalar(sa.select(sa.func.count(Booking.id))) == 0


def test_a_line_break_in_next_is_ignored(client, create_user):
    create_user("jeanne")
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login",
        data={
            "username": "jeanne",
            "password": "correct horse battery",
            "csrf_token": token,
            "next": "/x\r\nSet-Cookie: a=b",
        },
    )
    assert response.status_code == 303 and response.headers["Location"] == "/"


def test_requests_too_big_are_refused_before_reading(client):
    response = client.post("/login", data={"big": "x" * (9 * 1024 * 1024)})
    assert response.status_code == 413


def test_coordinator_forms_refuse_absurd_dates_and_half_filled_days(client, auth, setup):
    _arm, _people, room = setup
    auth.login("coord.arm")
    token = csrf_from(client.get(f"/rooms/{room.id}/closures").get_data(as_text=True))
    response = client.post(
        f"/rooms/{room.id}/closures",
        data={
            "csrf_token": token,
            "start_date": "0001-01-01",
            "start_time": "00:00",
            "end_date": "0001-01-02",
            "end_time": "00:00",
            "reason": "x",
        },
    )
    assert response.status_code == 422
    assert "entre 1970 et 9000" in page(response)
    response = client.post(
        f"/rooms/{room.id}/series",
        data={
            "csrf_token": token,
            "purpose": "Club",
            "weekday": "1",
            "start_time": "14:00",
            "end_time": "16:00",
            "first_date": "9999-12-01",
            "until": "9999-12-31",
        },
    )
    assert response.status_code == 422


def test_uploads_have_a_default_folder(app):
    assert app.config["UPLOAD_FOLDER"].endswith("uploads")


def _form_values(html: str) -> dict[str, str]:
    """What the browser would send back for the settings form, as it is."""
    values = {}
    for tag in re.findall(r"<input[^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or 'type="file"' in tag:
            continue
        if 'type="checkbox"' in tag:
            if " checked" in tag:
                values[name.group(1)] = "y"
            continue
        value = re.search(r'value="([^"]*)"', tag)
        values[name.group(1)] = value.group(1) if value else ""
    for select in re.finditer(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(
            r'<option[^>]*selected[^>]*value="([^"]*)"', select.group(2)
        ) or re.search(r'<option[^>]*value="([^"]*)"', select.group(2))
        values[select.group(1)] = chosen.group(1)
    for area in re.finditer(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S):
        values[area.group(1)] = area.group(2).strip()
    return values


def test_an_open_day_without_closing_time_is_explained(client, auth, setup):
    _arm, _people, room = setup
    auth.login("coord.arm")
    data = _form_values(client.get(f"/rooms/{room.id}/settings").get_data(as_text=True))
    assert client.post(f"/rooms/{room.id}/settings", data=data).status_code == 303
    data = _form_values(client.get(f"/rooms/{room.id}/settings").get_data(as_text=True))
    data["openings-0-is_open"] = "y"
    data["openings-0-closes"] = ""
    response = client.post(f"/rooms/{room.id}/settings", data=data)
    assert response.status_code == 422
    assert "Indiquez l'heure d'ouverture et l'heure de fermeture." in page(response)


def test_a_nul_character_is_refused_not_crashing(client, auth, setup):
    auth.login("coord.arm")
    assert client.get("/residents?q=a%00b").status_code == 400


def test_servers_starting_at_once_share_one_whole_secret_key(tmp_path, monkeypatch):
    """Without SECRET_KEY (a first `make run`, gunicorn's workers, two test runs), the
    key kept in the instance folder is made once: everyone reads the same whole key."""
    import threading

    from app.config import _secret_key

    monkeypatch.delenv("SECRET_KEY", raising=False)
    start = threading.Barrier(8)
    keys = []

    def read():
        start.wait()
        keys.append(_secret_key(str(tmp_path)))

    threads = [threading.Thread(target=read) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(keys) == 8 and len(set(keys)) == 1 and len(keys[0]) == 64
    assert [path.name for path in tmp_path.iterdir()] == ["secret_key"]  # no draft left
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
