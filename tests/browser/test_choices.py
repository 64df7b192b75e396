"""A question with several choices in a browser (issue 9, point 2): one big button per
choice in the committee's words, the review quoting it, the receipt, by touch at 390 px
(and 320 px with a long choice), by keyboard in English and without JavaScript; a closed
question's result names the choice that won, with one bar per choice."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.core.db import utcnow
from app.extensions import db
from app.residences.models import Membership
from app.users.models import User
from app.votes import services
from app.votes.models import ChangeKind
from tests.browser.conftest import log_in, make_resident

VOTERS = ("choix.tactile", "choix.clavier", "choix.sans.script")
DAYS = ("Mardi", "Jeudi après-midi, après la sieste et avant le goûter", "Samedi")


@pytest.fixture(scope="module")
def questions(live_app):
    """An open secret question (one voice per person) and a closed public one."""
    for username in VOTERS:
        make_resident(live_app, username, username[:20])
    with live_app.app_context():
        committee = db.session.scalar(
            sa.select(Membership).join(Membership.user).where(User.username == "comite.armentieres")
        )
        now = utcnow()

        def ask(title, opens_at, closes_at, **settings):
            proposal = services.create_proposal(
                committee, title, "", summary="On y va ensemble.", change=ChangeKind.QUESTION
            )
            return services.create_vote(
                committee,
                proposal,
                services.Settings(
                    opens_at=opens_at,
                    closes_at=closes_at,
                    electorate=services.Electorate.RESIDENTS,
                    majority=services.Majority.PLURALITY,
                    labels=DAYS,
                    options=("c1", "c2", "c3", "abstention"),
                    **settings,
                ),
            )

        open_vote = ask(
            "Quel jour pour la sortie au marché ?",
            now - dt.timedelta(hours=1),
            now + dt.timedelta(days=3),
        )
        closed = ask(
            "Quel jour pour le loto ?",
            now - dt.timedelta(days=3),
            now + dt.timedelta(hours=1),
            secret=False,
            results_hidden=False,
        )
        voters = db.session.scalars(
            sa.select(Membership)
            .join(Membership.user)
            .where(User.username.in_(["jeanne.martin", "lucas.bernard", "odette.leroy"]))
        ).all()
        for voter, choice in zip(voters, ["c3", "c3", "c1"], strict=True):
            services.cast(voter, closed, choice, now=now - dt.timedelta(days=1))
        services.close_vote(committee, closed, now=now)
        db.session.commit()
        return {"open": open_vote.id, "closed": closed.id}


def test_a_choice_by_touch_review_then_receipt(page, server, questions):
    log_in(page, server, "choix.tactile")
    page.goto(f"{server.url}/votes/{questions['open']}")
    text = page.inner_text("main")
    assert "Quel est votre choix ?" in text and "Le choix qui a le plus de voix l'emporte." in text
    page.wait_for_selector("form[data-htmx-powered] #choice-c2", state="attached")
    assert page.inner_text("#choice-c1") == "Mardi"
    for key in ("c1", "c2", "c3", "abstention"):
        box = page.locator(f"#choice-{key}").bounding_box()
        assert box["height"] >= 44 and box["width"] >= 300
    # A long choice wraps inside its button: nothing wider than a small phone.
    page.set_viewport_size({"width": 320, "height": 700})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    page.set_viewport_size({"width": 390, "height": 844})
    page.tap("#choice-c2")
    expect(page.locator("#live-status")).to_have_text(f"Vous votez « {DAYS[1]} ». Confirmer ?")
    expect(page.locator("#confirm-vote")).to_be_focused()
    page.wait_for_selector("form[data-htmx-powered] #confirm-vote", state="attached")
    page.tap("#confirm-vote")
    expect(page.locator("#live-status")).to_have_text("Votre vote est enregistré.")
    expect(page.locator("#back-to-votes")).to_be_focused()
    assert "Jeudi" not in page.inner_text("#ballot")  # secret: the receipt does not say it
    page.goto(f"{server.url}/votes/{questions['open']}")
    assert "Vous avez voté." in page.inner_text("#ballot")
    assert page.locator("#choice-c1").count() == 0


def test_a_choice_by_keyboard_in_english(page, server, questions):
    log_in(page, server, "choix.clavier")
    page.goto(f"{server.url}/votes/{questions['open']}?lang=en")
    assert "What is your choice?" in page.inner_text("#ballot")
    page.wait_for_selector("form[data-htmx-powered] #choice-c3", state="attached")
    assert page.inner_text("#choice-abstention") == "I abstain"
    page.focus("#choice-c3")
    page.keyboard.press("Enter")
    expect(page.locator("#live-status")).to_have_text("You are voting “Samedi”. Confirm?")
    expect(page.locator("#confirm-vote")).to_be_focused()
    page.wait_for_selector("form[data-htmx-powered] #confirm-vote", state="attached")
    page.keyboard.press("Enter")
    expect(page.locator("#live-status")).to_have_text("Your vote is recorded.")
    page.goto(f"{server.url}/?lang=fr")


def test_a_choice_without_javascript(context_factory, server, questions):
    page = context_factory(java_script_enabled=False).new_page()
    log_in(page, server, "choix.sans.script")
    page.goto(f"{server.url}/votes/{questions['open']}")
    page.click("#choice-c1")
    page.wait_for_url(f"**/votes/{questions['open']}/ballot?choice=c1")
    assert "Vous votez « Mardi ». Confirmer ?" in page.inner_text("h2#ballot-title")
    assert page.inner_text("#confirm-vote") == "Confirmer : je vote « Mardi »"
    page.click("#confirm-vote")
    page.wait_for_url(f"**/votes/{questions['open']}/receipt")
    assert "Votre vote est enregistré" in page.inner_text("#ballot")


def test_the_result_of_a_closed_question(page, server, questions):
    log_in(page, server, "jeanne.martin")
    page.goto(f"{server.url}/votes/{questions['closed']}")
    verdict = page.inner_text("#verdict")
    assert verdict.startswith("Choix retenu : Samedi, 2 voix sur 3 ; Mardi 1,")
    assert "le choix qui a le plus de voix l'emporte" in verdict
    # Participation, three choices and the abstentions.
    assert page.locator("#ballot svg.bar").count() == 5
    bars = page.inner_text(".option-bars")
    assert "Samedi : 2 voix" in bars and f"{DAYS[1]} : 0 voix" in bars
