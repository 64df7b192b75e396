"""What a person notices: keyboard use, text size, touch targets, no JavaScript, htmx swaps."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.extensions import db
from app.residences.models import Residence
from app.residents import services as residents
from app.users.models import User
from tests.browser.conftest import log_in


def _new_invitation(live_app, name: str) -> str:
    with live_app.app_context(), live_app.test_request_context():
        residence = db.session.scalar(sa.select(Residence).where(Residence.name.like("%Armenti%")))
        coordinator = db.session.scalar(
            sa.select(User).where(User.username == "coordination.armentieres")
        )
        _m, _i, code = residents.create_resident(coordinator, residence, full_name=name)
        db.session.commit()
        return code


def test_redeem_an_invitation_and_log_in_by_keyboard_only(page, server, live_app):
    code = _new_invitation(live_app, "Gaston Clavier")
    page.goto(server.url + "/login")
    # The first Tab reaches the skip link, which takes the reader to the content.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    # From the login page to "I have an invitation code" by Tab alone.
    for _ in range(12):
        page.keyboard.press("Tab")
        if (
            page.evaluate("document.activeElement.textContent.trim()")
            == "J'ai un code d'invitation"
        ):
            break
    else:
        pytest.fail("the invitation link cannot be reached by keyboard")
    page.keyboard.press("Enter")
    page.wait_for_url("**/activate")
    page.keyboard.press("Tab")  # skip link
    page.keyboard.press("Tab")  # brand
    while page.evaluate("document.activeElement.id") != "code":
        page.keyboard.press("Tab")
    page.keyboard.type(code.lower())
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/activate/[A-Z0-9]+$"))
    while page.evaluate("document.activeElement.id") != "username":
        page.keyboard.press("Tab")
    page.keyboard.type("gaston")
    page.keyboard.press("Tab")
    page.keyboard.type("un mot de passe long")
    page.keyboard.press("Tab")  # the show-password box
    assert page.evaluate("document.activeElement.dataset.showPassword") == "password"
    page.keyboard.press("Space")
    assert page.get_attribute("#password", "type") == "text"
    page.keyboard.press("Tab")
    page.keyboard.type("un mot de passe long")
    page.keyboard.press("Enter")
    page.wait_for_url(server.url + "/")
    assert "Votre compte est prêt" in page.inner_text("main")
    assert "Bonjour Gaston Clavier" in page.inner_text("h1")


def test_text_size_control_has_three_steps_and_is_remembered(page, server, context_factory):
    log_in(page, server, "odette.leroy")

    def base_size():
        page.wait_for_load_state("load")
        return page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")

    assert base_size() >= 18
    page.goto(server.url + "/display?next=/")
    sizes = []
    try:
        for step in ("1", "2"):
            page.click(f"#text-size-{step}")
            expect(page.locator(f"#text-size-{step}")).to_have_attribute("aria-pressed", "true")
            sizes.append(base_size())
        assert sizes[0] > 18 and sizes[1] > sizes[0]
        # Remembered on the account: another page, another browser.
        page.goto(server.url + "/me")
        assert base_size() == sizes[1]
        other = context_factory().new_page()
        log_in(other, server, "odette.leroy")
        assert other.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") == sizes[1]
        # Nothing is cut off at the largest size on a phone.
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= 390
    finally:
        page.goto(server.url + "/display?next=/")
        page.click("#text-size-0")
        expect(page.locator("#text-size-0")).to_have_attribute("aria-pressed", "true")
    assert base_size() == 18


def test_touch_targets_are_at_least_44_px(page, server):
    log_in(page, server, "coordination.armentieres")
    for path in [
        "/",
        "/me",
        "/residents",
        "/rooms",
        "/rooms/1",
        "/rooms/1/week",
        "/bookings",
        "/rooms/manage",
        "/bookings/queue",
    ]:
        page.goto(server.url + path)
        small = page.evaluate(
            """() => [...document.querySelectorAll('a, button, input, select')]
                .filter(e => e.offsetParent !== null && e.type !== 'hidden')
                .map(e => [e.outerHTML.slice(0, 80), e.getBoundingClientRect()])
                .filter(([, r]) => r.height < 44 || r.width < 44)
                .map(([h, r]) => h + ' ' + Math.round(r.width) + 'x' + Math.round(r.height))"""
        )
        # Links inside running text are exempt (WCAG 2.5.8 "inline"); we have none there.
        assert small == [], (path, small)


def test_everything_works_without_javascript(context_factory, server, live_app):
    page = context_factory(java_script_enabled=False).new_page()
    log_in(page, server, "coordination.armentieres")
    page.goto(server.url + "/residents/new")
    # The show-password box needs JavaScript, so it stays hidden.
    page.goto(server.url + "/me/password")
    assert not page.is_visible("[data-show-password]")
    page.goto(server.url + "/residents/new")
    page.fill("#full_name", "Sans Script")
    page.fill("#home_label", "B40")
    page.click("main form button[type=submit]")
    assert "La fiche de Sans Script est créée" in page.inner_text("main")
    assert page.is_visible(".sheet-code")
    page.click("text=Retour à la fiche de Sans Script")
    page.click("#active-button")
    assert "n'a plus accès à l'application" in page.inner_text("main")
    page.click("#active-button")
    assert "a de nouveau accès" in page.inner_text("main")
    page.goto(server.url + "/residents?q=sans")
    assert "Sans Script" in page.inner_text("#results")


def test_htmx_swap_keeps_focus_and_announces_the_change(page, server, live_app):
    _new_invitation(live_app, "Focus Partagé")
    log_in(page, server, "coordination.armentieres")
    page.goto(server.url + "/residents?q=focus")
    page.click("#results a")
    url = page.url
    # htmx has taken the form over (it loads deferred; pressing too early posts normally).
    page.wait_for_selector("form[data-htmx-powered] #active-button", state="attached")
    page.focus("#active-button")
    page.keyboard.press("Enter")
    expect(page.locator("#live-status")).to_contain_text("plus accès")
    assert page.url == url  # swapped in place, no reload
    assert page.evaluate("document.activeElement.id") == "active-button"
    assert page.inner_text("#active-button") == "Réactiver le compte"
    page.wait_for_selector("form[data-htmx-powered] #active-button", state="attached")
    page.keyboard.press("Enter")
    expect(page.locator("#live-status")).to_contain_text("de nouveau accès")
    assert page.evaluate("document.activeElement.id") == "active-button"


def test_live_search_updates_the_results_as_you_type(page, server):
    log_in(page, server, "coordination.armentieres")
    page.goto(server.url + "/residents")
    page.wait_for_selector("form[data-htmx-powered] #q", state="attached")
    page.fill("#q", "odette")
    expect(page.locator("#results h2")).to_have_text("1 personne")
    assert "Odette Leroy" in page.inner_text("#results")
    assert page.evaluate("document.activeElement.id") == "q"


def test_no_content_security_policy_violation(page, server):
    messages = []
    page.on("console", lambda message: messages.append(message.text))
    log_in(page, server, "coordination.armentieres")
    for path in ["/", "/residents", "/me"]:
        page.goto(server.url + path)
    page.fill("#q", "x") if page.url.endswith("/residents") else None
    assert not [m for m in messages if "Content Security Policy" in m], messages
