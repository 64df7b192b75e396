"""Logging in and out, session versions, passwords, throttling, language and display."""

from __future__ import annotations

import uuid

import pytest
import redis

from app.core.permissions import Role
from app.residences.models import Membership
from tests.conftest import PASSWORD, csrf_from, page


def _post_login(client, username, password=PASSWORD, **extra):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token, **extra}
    )


def test_login_by_username_or_email_in_any_case(client, create_user):
    create_user("jeanne.martin", email="Jeanne@Example.org")
    assert _post_login(client, "JEANNE.MARTIN").status_code == 303
    client.delete_cookie("session")
    assert _post_login(client, "jeanne@example.org").status_code == 303


@pytest.mark.parametrize("username", ["jeanne", "nobody"])
def test_wrong_credentials_get_one_clear_message_next_to_the_field(client, create_user, username):
    create_user("jeanne")
    response = _post_login(client, username, "not the right password")
    assert response.status_code == 422
    html = page(response)
    assert "Identifiant ou mot de passe incorrect." in html
    assert 'aria-invalid="true"' in html
    assert 'value="' + username + '"' in html  # what was typed is kept


def test_passwords_are_stored_as_argon2id(session, create_user):
    user = create_user("jeanne")
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_a_safe_next_page_is_followed_but_not_another_site(client, create_user):
    create_user("jeanne")
    response = _post_login(client, "jeanne", next="/me")
    assert response.headers["Location"] == "/me"
    client.delete_cookie("session")
    response = _post_login(client, "jeanne", next="//evil.example/")
    assert response.headers["Location"] == "/"


def test_logout_makes_the_old_cookie_useless(app, client, auth, create_user):
    create_user("jeanne")
    auth.login("jeanne")
    stolen = client.get_cookie("session").value
    auth.logout()
    assert client.get("/").status_code == 302
    replay = app.test_client()
    replay.set_cookie("session", stolen)
    assert replay.get("/").status_code == 302


def test_changing_password_logs_out_other_devices_but_not_this_one(app, client, auth, create_user):
    create_user("jeanne")
    other = app.test_client()
    _post_login(other, "jeanne")
    assert other.get("/").status_code == 200
    auth.login("jeanne")
    token = auth.csrf("/me/password")
    new_password = "a brand new long password"
    response = client.post(
        "/me/password",
        data={
            "csrf_token": token,
            "current_password": PASSWORD,
            "password": new_password,
            "confirm": new_password,
        },
    )
    assert response.status_code == 303
    assert "Vos autres appareils sont déconnectés" in client.get("/me").get_data(as_text=True)
    assert other.get("/").status_code == 302
    client.delete_cookie("session")
    assert _post_login(client, "jeanne").status_code == 422
    assert _post_login(client, "jeanne", new_password).status_code == 303


def test_change_password_errors_are_shown_next_to_fields(client, auth, create_user):
    create_user("jeanne")
    auth.login("jeanne")
    token = auth.csrf("/me/password")
    response = client.post(
        "/me/password",
        data={
            "csrf_token": token,
            "current_password": "wrong",
            "password": "short",
            "confirm": "other",
        },
    )
    assert response.status_code == 422
    html = page(response)
    assert "Au moins 12 caractères." in html
    assert "Les deux mots de passe ne sont pas identiques." in html
    # All at once: the wrong current password too, cleared and said so.
    assert "Par sécurité, il a été effacé : tapez-le de nouveau." in html
    assert 'value="wrong"' not in html
    # A right current password is kept while the new one is fixed.
    response = client.post(
        "/me/password",
        data={
            "csrf_token": token,
            "current_password": PASSWORD,
            "password": "short",
            "confirm": "short",
        },
    )
    assert response.status_code == 422
    assert f'value="{PASSWORD}"' in page(response)
    response = client.post(
        "/me/password",
        data={
            "csrf_token": token,
            "current_password": "wrong password!",
            "password": "long enough password",
            "confirm": "long enough password",
        },
    )
    assert "Le mot de passe actuel n'est pas le bon." in page(response)


def test_log_out_everywhere(app, client, auth, create_user):
    create_user("jeanne")
    other = app.test_client()
    _post_login(other, "jeanne")
    auth.login("jeanne")
    response = client.post("/me/logout-everywhere", data={"csrf_token": auth.csrf("/me")})
    assert response.status_code == 303
    assert client.get("/").status_code == 302
    assert other.get("/").status_code == 302


def test_a_deactivated_person_cannot_log_in_and_is_logged_out(
    app, client, auth, session, create_user, create_residence
):
    residence = create_residence()
    create_user("coord", residence=residence, role=Role.COORDINATOR)
    jeanne = create_user("jeanne", residence=residence)
    other = app.test_client()
    _post_login(other, "jeanne")
    membership = session.query(Membership).filter_by(user_id=jeanne.id).one()
    auth.login("coord")
    response = client.post(
        f"/residents/{membership.id}/active",
        data={"csrf_token": auth.csrf("/me"), "active": "0"},
    )
    assert response.status_code == 303
    assert other.get("/").status_code == 302
    response = _post_login(app.test_client(), "jeanne")
    assert response.status_code == 422


@pytest.mark.app_config(RATELIMIT_ENABLED=True)
def test_login_is_throttled_per_account(client, create_user):
    create_user("jeanne")
    create_user("lucas")
    for _ in range(5):
        assert _post_login(client, "jeanne", "wrong password!").status_code == 422
    blocked = _post_login(client, "jeanne")  # even the right password now waits
    assert blocked.status_code == 429
    assert "Trop d'essais" in page(blocked)
    # Someone else behind the same IP (the residence's box) can still log in.
    assert _post_login(client, "lucas").status_code == 303


@pytest.mark.app_config(RATELIMIT_ENABLED=True, LOGIN_LIMIT_IP="3 per minute")
def test_login_is_throttled_per_ip(client, create_user):
    for name in ("a.one", "b.two", "c.three"):
        assert _post_login(client, name, "wrong password!").status_code == 422
    assert _post_login(client, "d.four", "wrong password!").status_code == 429


@pytest.mark.app_config(RATELIMIT_ENABLED=True, LOGIN_LIMIT_ACCOUNT="2 per minute")
def test_successful_logins_do_not_count(client, auth, create_user):
    create_user("jeanne")
    for _ in range(4):
        assert _post_login(client, "jeanne").status_code == 303
        auth.logout()


def _redis_available() -> bool:
    try:
        return redis.Redis.from_url("redis://127.0.0.1:6379/0", socket_timeout=0.5).ping()
    except redis.RedisError:
        return False


@pytest.mark.skipif(not _redis_available(), reason="Redis is not running on 127.0.0.1:6379")
@pytest.mark.app_config(
    RATELIMIT_ENABLED=True,
    RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/0",
    RATELIMIT_KEY_PREFIX=f"mc-test-{uuid.uuid4().hex}",
)
def test_throttling_counts_in_redis_shared_by_all_servers(app, client, other_app, create_user):
    create_user("jeanne")
    for _ in range(5):
        assert _post_login(client, "jeanne", "wrong password!").status_code == 422
    # A second app server sharing the Redis storage sees the same count.
    other_server = other_app(
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/0",
        RATELIMIT_KEY_PREFIX=app.config["RATELIMIT_KEY_PREFIX"],
    )
    assert _post_login(other_server.test_client(), "jeanne").status_code == 429


def test_french_is_the_default_and_lang_switches_and_is_remembered(client):
    assert "Se connecter" in client.get("/login").get_data(as_text=True)
    body = client.get("/login?lang=en").get_data(as_text=True)
    assert '<html lang="en"' in body and "Log in" in body
    # The shared layout and form macros too, not only the page itself.
    assert "Display: text size and contrast" in body and "Show the password" in body
    assert "Affichage" not in body and "Afficher le mot de passe" not in body
    assert '<html lang="en"' in client.get("/login").get_data(as_text=True)
    assert '<html lang="fr"' in client.get("/login?lang=fr").get_data(as_text=True)


def test_the_language_chosen_before_logging_in_is_kept_after(client, create_user):
    create_user("jeanne", locale="fr")
    client.get("/login?lang=en")
    _post_login(client, "jeanne")
    assert '<html lang="en"' in client.get("/").get_data(as_text=True)


def test_accept_language_is_used_when_nothing_was_chosen(client):
    body = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="en"' in body.get_data(as_text=True)
    body = client.get("/login", headers={"Accept-Language": "de"})
    assert '<html lang="fr"' in body.get_data(as_text=True)


def test_the_language_choice_is_kept_on_the_account(app, client, auth, session, create_user):
    user = create_user("jeanne", locale="fr")
    auth.login("jeanne")
    client.get("/?lang=en")
    session.refresh(user)
    assert user.locale == "en"
    other = app.test_client()
    _post_login(other, "jeanne")
    assert '<html lang="en"' in other.get("/").get_data(as_text=True)


def test_text_size_and_contrast_are_remembered_per_user(app, client, auth, create_user):
    create_user("jeanne")
    auth.login("jeanne")
    token = auth.csrf("/me")
    response = client.post("/display", data={"csrf_token": token, "text_size": "2", "next": "/me"})
    assert response.headers["Location"] == "/me"
    client.post("/display", data={"csrf_token": token, "high_contrast": "1", "next": "/me"})
    other = app.test_client()
    _post_login(other, "jeanne")
    assert 'class="text-2 contrast"' in page(other.get("/"))
    assert "Contraste élevé activé." in page(client.get("/me"))


def test_the_display_page_leads_back_even_after_a_change_of_language(client):
    body = client.get("/display?next=/rooms/1%3Fwhen%3Dweek").get_data(as_text=True)
    assert 'id="display-back" href="/rooms/1?when=week"' in body
    # Switching the language on this page keeps where "Revenir" leads.
    assert 'href="?next=%2Frooms%2F1%3Fwhen%3Dweek&amp;lang=en"' in body
    english = client.get("/display?next=%2Frooms%2F1%3Fwhen%3Dweek&lang=en").get_data(as_text=True)
    assert 'id="display-back" href="/rooms/1?when=week"' in english
    assert "Back to the page I was on" in english
    # Another site is never where it leads.
    assert 'id="display-back" href="/"' in client.get("/display?next=//evil.example").get_data(
        as_text=True
    )


def test_display_choice_before_login_is_kept_in_the_session(client, auth):
    token = auth.csrf("/login")
    client.post("/display", data={"csrf_token": token, "text_size": "1", "next": "/login"})
    assert 'class="text-1"' in client.get("/login").get_data(as_text=True)
    response = client.post("/display", data={"csrf_token": token, "text_size": "9"})
    assert 'class="text-1"' in client.get("/login").get_data(as_text=True)
    assert response.status_code == 303


def test_the_calendar_address_can_be_changed_and_the_old_one_stops(
    client, auth, session, create_user
):
    user = create_user("jeanne")
    old = user.calendar_token
    assert client.get(f"/calendar/{old}.ics").status_code == 200
    auth.login("jeanne")
    response = client.post("/me/calendar-address", data={"csrf_token": auth.csrf("/me")})
    assert response.status_code == 303
    assert "nouvelle adresse" in page(client.get("/me"))
    session.refresh(user)
    assert user.calendar_token != old
    assert client.get(f"/calendar/{old}.ics").status_code == 404
    assert client.get(f"/calendar/{user.calendar_token}.ics").status_code == 200


def test_the_display_chosen_before_login_stays_after_it(app, client, auth, create_user):
    create_user("jeanne")
    token = auth.csrf("/login")
    client.post(
        "/display",
        data={"csrf_token": token, "text_size": "2", "high_contrast": "1", "next": "/login"},
    )
    auth.login("jeanne")
    assert 'class="text-2 contrast"' in page(client.get("/"))
    # Kept on the account: another device shows it too.
    other = app.test_client()
    _post_login(other, "jeanne")
    assert 'class="text-2 contrast"' in page(other.get("/"))


def test_the_welcome_is_in_the_persons_language(client, auth, create_user):
    create_user("margaret", locale="en")
    client.get("/login", headers={"Accept-Language": "fr"})
    auth.login("margaret")
    body = page(client.get("/"))
    assert "You are logged in" in body or "Logged in" in body
    assert "Connexion réussie" not in body
