"""Faults a probe of the running app found (issue 10, points 8, 9, 11 and 12): each test here
failed on the code before its fix."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from PIL import Image

from app.core.audit import AuditEvent
from tests.conftest import PASSWORD, csrf_from, page


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


def _from(address: str) -> dict:
    return {"environ_base": {"REMOTE_ADDR": address}}


@pytest.mark.app_config(RATELIMIT_ENABLED=True)
def test_someone_hammering_an_account_does_not_lock_its_owner_out(app, create_user):
    """Point 9: failed logins count per account and address; the owner, on their usual
    device, still gets in."""
    create_user("jeanne")
    attacker, tablet = app.test_client(), app.test_client()
    for _ in range(8):
        response = attacker.post(
            "/login",
            data={
                "username": "jeanne",
                "password": "wrong password!",
                "csrf_token": _csrf(attacker),
            },
            **_from("203.0.113.66"),
        )
        assert response.status_code in (422, 429)
    assert response.status_code == 429
    response = tablet.post(
        "/login",
        data={"username": "jeanne", "password": PASSWORD, "csrf_token": _csrf(tablet)},
        **_from("192.0.2.10"),
    )
    assert response.status_code == 303


@pytest.mark.app_config(RATELIMIT_ENABLED=True, LOGIN_LIMIT_IP="10 per minute")
def test_one_address_cannot_try_account_after_account(app, create_user):
    """Point 9: the per-address ceiling, whatever the accounts tried."""
    attacker = app.test_client()
    statuses = [
        attacker.post(
            "/login",
            data={
                "username": f"person{n}",
                "password": "wrong password!",
                "csrf_token": _csrf(attacker),
            },
            **_from("203.0.113.66"),
        ).status_code
        for n in range(11)
    ]
    assert statuses == [422] * 10 + [429]


def _csrf(client) -> str:
    from tests.conftest import csrf_token_for

    return csrf_token_for(client)


def _invitation_code(session, create_user):
    from app.core.permissions import Role
    from app.residents import services as residents

    person = create_user(password=None)
    membership = person.memberships[0]
    coordinator = create_user(residence=membership.residence, role=Role.COORDINATOR)
    _invitation, code = residents.issue_invitation(coordinator, membership.residence, membership)
    session.commit()
    return code


@pytest.mark.app_config(RATELIMIT_ENABLED=True, REDEEM_LIMIT_CODE="3 per minute")
def test_mismatched_passwords_while_activating_do_not_use_up_the_code(
    app, client, session, create_user
):
    """Point 9: a person's own mistakes do not burn their invitation."""
    code = _invitation_code(session, create_user)
    for _ in range(6):
        response = client.post(
            f"/activate/{code}",
            data={
                "username": "jeanne.martin",
                "password": "une phrase assez longue",
                "confirm": "une phrase assez longe",
                "csrf_token": _csrf(client),
            },
        )
        assert response.status_code == 422
    response = client.post(
        f"/activate/{code}",
        data={
            "username": "jeanne.martin",
            "password": "une phrase assez longue",
            "confirm": "une phrase assez longue",
            "csrf_token": _csrf(client),
        },
    )
    assert response.status_code == 303


@pytest.mark.app_config(RATELIMIT_ENABLED=True, REDEEM_LIMIT_IP="3 per minute")
def test_the_activation_page_is_throttled_for_code_guessing(app, client, session, create_user):
    """Point 12: the page of a code says whether it exists; guessing by GET is limited."""
    code = _invitation_code(session, create_user)
    for guess in ("AAAABBBCCC", "AAAABBBCCD", "AAAABBBCCE"):
        assert client.get(f"/activate/{guess}").status_code == 404
    assert client.get("/activate/AAAABBBCCF").status_code == 429
    assert client.get(f"/activate/{code}", **_from("192.0.2.10")).status_code == 200


@pytest.mark.parametrize(
    "password", ["aaaaaaaaaaaa", "azertyuiop123", "motdepasse123", "123456789012", "soleil soleil"]
)
def test_common_and_trivial_passwords_are_refused_kindly(client, auth, create_user, password):
    """Point 12: no common-password check; ``aaaaaaaaaaaa`` was accepted."""
    create_user("jeanne")
    auth.login("jeanne")
    response = client.post(
        "/me/password",
        data={
            "current_password": PASSWORD,
            "password": password,
            "confirm": password,
            "csrf_token": auth.csrf(),
        },
    )
    assert response.status_code == 422
    html = page(response)
    assert "Ce mot de passe est trop courant : il serait vite deviné." in html
    assert 'aria-invalid="true"' in html


def test_a_personal_phrase_is_accepted(client, auth, create_user):
    create_user("jeanne")
    auth.login("jeanne")
    response = client.post(
        "/me/password",
        data={
            "current_password": PASSWORD,
            "password": "les roses de Jeanne",
            "confirm": "les roses de Jeanne",
            "csrf_token": auth.csrf(),
        },
    )
    assert response.status_code == 303


def test_the_activation_refuses_a_common_password(client, session, create_user):
    code = _invitation_code(session, create_user)
    response = client.post(
        f"/activate/{code}",
        data={
            "username": "jeanne.martin",
            "password": "password1234",
            "confirm": "password1234",
            "csrf_token": _csrf(client),
        },
    )
    assert response.status_code == 422
    assert "trop courant" in page(response)
