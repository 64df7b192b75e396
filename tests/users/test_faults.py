"""Faults a probe of the running app found (issue 10, points 8, 9, 11 and 12): each test here
failed on the code before its fix."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from PIL import Image

from app.core.audit import AuditEvent
from tests.conftest import PASSWORD, csrf_from


def _post_login(client, username, password=PASSWORD, **extra):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token, **extra}
    )


@pytest.fixture
def argon2_calls(monkeypatch):
    """How many times argon2 hashes and verifies (the cost of a login, without timing it)."""
    calls = {"hash": 0, "verify": 0}
    real_hash, real_verify = PasswordHasher.hash, PasswordHasher.verify

    def counting_hash(self, *args, **kwargs):
        calls["hash"] += 1
        return real_hash(self, *args, **kwargs)

    def counting_verify(self, *args, **kwargs):
        calls["verify"] += 1
        return real_verify(self, *args, **kwargs)

    monkeypatch.setattr(PasswordHasher, "hash", counting_hash)
    monkeypatch.setattr(PasswordHasher, "verify", counting_verify)
    return calls


def test_an_unknown_username_costs_as_much_as_a_real_one(client, create_user, argon2_calls):
    """Point 8: the dummy hash is made once, not on every login of an unknown name."""
    create_user("jeanne")
    _post_login(client, "nobody", "not the right password")  # the dummy hash may be made here
    costs = {}
    for name in ("nobody", "jeanne", "somebody.else"):
        argon2_calls.update(hash=0, verify=0)
        assert _post_login(client, name, "not the right password").status_code == 422
        costs[name] = dict(argon2_calls)
    assert costs["nobody"] == costs["jeanne"] == costs["somebody.else"] == {"hash": 0, "verify": 1}


@pytest.mark.parametrize(
    ("path", "action", "data"),
    [
        ("/me/calendar-address", "calendar.token_changed", {}),
        (
            "/me/password",
            "password.changed",
            {
                "current_password": PASSWORD,
                "password": "une toute nouvelle phrase",
                "confirm": "une toute nouvelle phrase",
            },
        ),
    ],
)
def test_the_audit_names_the_person_not_a_proxy(
    client, auth, session, create_user, path, action, data
):
    """Point 11: the audit row's target is the user, not Werkzeug's ``localproxy``."""
    user = create_user("jeanne")
    auth.login("jeanne")
    response = client.post(path, data={"csrf_token": auth.csrf(), **data})
    assert response.status_code == 303
    event = session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)).one()
    assert (event.target_type, event.target_id, event.actor_id) == ("user", user.id, user.id)


def test_lang_on_a_file_does_not_change_the_account(
    app, client, auth, session, create_user, create_room, tmp_path, monkeypatch
):
    """Point 12: ``?lang=`` on a room's photo or a stylesheet changes nothing in the
    database."""
    from app.core.permissions import Role
    from app.rooms import services as rooms
    from tests.factories import member

    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path))
    user = create_user("jeanne", locale="fr")
    residence = user.memberships[0].residence
    coordinator = create_user(residence=residence, role=Role.COORDINATOR)
    room = create_room(residence, by=coordinator)
    image = io.BytesIO()
    Image.new("RGB", (40, 30)).save(image, "PNG")
    image.seek(0)
    rooms.update_room(member(coordinator, residence), room, photo=image)
    session.commit()
    auth.login("jeanne")
    for url in ("/static/favicon.svg?lang=en", f"/rooms/{room.id}/photo?lang=en"):
        response = client.get(url)
        assert response.status_code == 200
        response.close()
        session.refresh(user)
        assert user.locale == "fr", url
    client.get("/?lang=en")  # a page still switches and remembers it
    session.refresh(user)
    assert user.locale == "en"
