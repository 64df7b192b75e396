"""Personal data rights in a browser (issue 10): "Mes données" and "Fermer mon compte" by
touch at 390 px, by keyboard, and without JavaScript. Each test has residents of its own
(the demo's accounts are never closed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.extensions import db
from app.users.models import User
from tests.browser.conftest import DEMO_PASSWORD, log_in, make_resident

PEOPLE = {
    "touch": ("donnees.tactile", "D-T1"),
    "keyboard": ("donnees.clavier", "D-C1"),
    "noscript": ("donnees.sans.script", "D-S1"),
}


@pytest.fixture(scope="module")
def people(live_app):
    for username, home in PEOPLE.values():
        make_resident(live_app, username, home, email=f"{username}@example.org")
    return {how: username for how, (username, _home) in PEOPLE.items()}


def _erased(live_app, username_email: str) -> bool:
    with live_app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == username_email))
        return user is None


def _login_refused(page, server, username: str) -> None:
    page.goto(server.url + "/login")
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    page.click("main form button[type=submit]")
    expect(page.locator("main")).to_contain_text("Identifiant ou mot de passe incorrect")


def test_my_data_and_closing_by_touch(context_factory, server, people, live_app):
    username = people["touch"]
    page = context_factory().new_page()
    log_in(page, server, username)
    page.goto(server.url + "/me")
    link = page.locator("#my-data-link")
    box = link.bounding_box()
    assert box["height"] >= 44
    link.tap()
    page.wait_for_url("**/me/data")
    main = page.locator("main")
    expect(main.locator("h1")).to_have_text("Mes données")
    expect(main).to_contain_text("Vos réservations")
    expect(main).to_contain_text(f"Nom d'utilisateur : {username}")
    expect(main).to_contain_text("Logement D-T1")
    # The print button shows with JavaScript; the file downloads.
    expect(page.locator("[data-print]")).to_be_visible()
    with page.expect_download() as download:
        page.locator("a[href='/me/data.json']").tap()
    data = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert data["sections"]["account"][0]["username"] == username

    page.goto(server.url + "/me")
    page.locator("#close-account-link").tap()
    page.wait_for_url("**/me/close")
    expect(main).to_contain_text("Ce qui est effacé")
    expect(main).to_contain_text("Ce qui reste, sans votre nom")
    button = page.locator("#close-account")
    assert button.bounding_box()["height"] >= 44
    page.locator("#password").tap()
    page.keyboard.type("pas le bon mot de passe")
    button.tap()
    expect(page.locator("#password-error")).to_contain_text("Ce n'est pas votre mot de passe")
    page.fill("#password", DEMO_PASSWORD)
    page.locator("#close-account").tap()
    page.wait_for_url("**/account-closed")
    expect(main.locator("h1")).to_have_text("Votre compte est fermé")
    assert _erased(live_app, f"{username}@example.org")
    _login_refused(page, server, username)


def test_my_data_and_closing_by_keyboard(context_factory, server, people, live_app):
    username = people["keyboard"]
    page = context_factory().new_page()
    log_in(page, server, username)
    page.goto(server.url + "/me")
    page.focus("#my-data-link")
    page.keyboard.press("Enter")
    page.wait_for_url("**/me/data")
    expect(page.locator("main h1")).to_have_text("Mes données")
    # Back to "Moi" by the first link, then to closing.
    page.goto(server.url + "/me")
    page.focus("#close-account-link")
    page.keyboard.press("Enter")
    page.wait_for_url("**/me/close")
    page.focus("#password")
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Tab")
    expect(page.locator("#close-account")).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url("**/account-closed")
    expect(page.locator("main h1")).to_have_text("Votre compte est fermé")
    assert _erased(live_app, f"{username}@example.org")


def test_my_data_and_closing_without_javascript(context_factory, server, people, live_app):
    username = people["noscript"]
    page = context_factory(java_script_enabled=False).new_page()
    log_in(page, server, username)
    page.goto(server.url + "/me/data")
    expect(page.locator("main h1")).to_have_text("Mes données")
    expect(page.locator("[data-print]")).to_be_hidden()  # printing is the browser's menu
    page.goto(server.url + "/me/close")
    page.fill("#password", DEMO_PASSWORD)
    page.click("#close-account")
    page.wait_for_url("**/account-closed")
    expect(page.locator("main h1")).to_have_text("Votre compte est fermé")
    assert _erased(live_app, f"{username}@example.org")
    page.goto(server.url + "/me")
    page.wait_for_url("**/login**")
