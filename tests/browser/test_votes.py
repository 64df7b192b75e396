"""Votes in a browser (issue 9): choose, review, confirm, receipt by touch at 390 px and by
keyboard, with the focus kept and the result announced after each htmx swap; the same
without JavaScript; a closed vote's result with its bars."""

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
from tests.browser.conftest import log_in, make_resident

VOTERS = ("votant.tactile", "votant.clavier", "votant.sans.script")


@pytest.fixture(scope="module")
def ballot_box(live_app):
    """An open secret vote of Armentières (one voice per person) and a closed public one
    with its result; residents of their own to vote."""
    for username in VOTERS:
        make_resident(live_app, username, username[:20])
    with live_app.app_context():
        committee = db.session.scalar(
            sa.select(Membership).join(Membership.user).where(User.username == "comite.armentieres")
        )
        now = utcnow()
        proposal = services.create_proposal(
            committee,
            "Le local à vélos",
            "Les vélos se rangent au local, pas dans le hall.",
            why="Le hall doit rester libre pour les fauteuils.",
            summary="Plus de vélos dans le hall.",
        )
        open_vote = services.create_vote(
            committee,
            proposal,
            services.Settings(
                opens_at=now - dt.timedelta(hours=1),
                closes_at=now + dt.timedelta(days=3),
                electorate=services.Electorate.RESIDENTS,
                quorum_percent=10,
            ),
        )
        other = services.create_proposal(committee, "Les plantes du hall", "On arrose le lundi.")
        closed = services.create_vote(
            committee,
            other,
            services.Settings(
                opens_at=now - dt.timedelta(days=3),
                closes_at=now + dt.timedelta(hours=1),
                electorate=services.Electorate.RESIDENTS,
                secret=False,
                results_hidden=False,
            ),
        )
        voters = db.session.scalars(
            sa.select(Membership)
            .join(Membership.user)
            .where(User.username.in_(["jeanne.martin", "lucas.bernard", "odette.leroy"]))
        ).all()
        for voter, choice in zip(voters, ["pour", "pour", "contre"], strict=True):
            services.cast(voter, closed, choice, now=now - dt.timedelta(days=1))
        services.close_vote(committee, closed, now=now)
        db.session.commit()
        return {"open": open_vote.id, "closed": closed.id}


def test_vote_by_touch_review_then_receipt_focus_and_announcement(page, server, ballot_box):
    log_in(page, server, "votant.tactile")
    page.goto(f"{server.url}/votes")
    page.tap("text=Le local à vélos")
    page.wait_for_url(f"**/votes/{ballot_box['open']}")
    text = page.inner_text("main")
    assert "Plus de vélos dans le hall." in text and "Le vote est secret" in text
    page.wait_for_selector("form[data-htmx-powered] #choice-pour", state="attached")
    box = page.locator("#choice-pour").bounding_box()
    assert box["height"] >= 44 and box["width"] >= 300
    page.tap("#choice-pour")
    expect(page.locator("#live-status")).to_have_text("Vous votez Pour. Confirmer ?")
    expect(page.locator("#confirm-vote")).to_be_focused()
    assert "vous ne pourrez plus changer" in page.inner_text("#ballot")
    page.wait_for_selector("form[data-htmx-powered] #confirm-vote", state="attached")
    page.tap("#confirm-vote")
    expect(page.locator("#live-status")).to_have_text("Votre vote est enregistré.")
    expect(page.locator("#back-to-votes")).to_be_focused()
    receipt = page.inner_text("#ballot")
    assert "Votre vote est enregistré" in receipt and "Pour" not in receipt
    page.goto(f"{server.url}/votes/{ballot_box['open']}")
    assert "Vous avez voté." in page.inner_text("#ballot")
    assert page.locator("#choice-pour").count() == 0


def test_vote_by_keyboard_in_english(page, server, ballot_box):
    log_in(page, server, "votant.clavier")
    page.goto(f"{server.url}/votes/{ballot_box['open']}?lang=en")
    page.wait_for_selector("form[data-htmx-powered] #choice-contre", state="attached")
    assert page.inner_text("#choice-abstention") == "I abstain"
    page.focus("#choice-contre")
    page.keyboard.press("Enter")
    expect(page.locator("#live-status")).to_have_text("You are voting Against. Confirm?")
    expect(page.locator("#confirm-vote")).to_be_focused()
    page.wait_for_selector("form[data-htmx-powered] #confirm-vote", state="attached")
    page.keyboard.press("Enter")
    expect(page.locator("#live-status")).to_have_text("Your vote is recorded.")
    expect(page.locator("#back-to-votes")).to_be_focused()
    page.goto(f"{server.url}/?lang=fr")


def test_vote_without_javascript(context_factory, server, ballot_box):
    page = context_factory(java_script_enabled=False).new_page()
    log_in(page, server, "votant.sans.script")
    page.goto(f"{server.url}/votes/{ballot_box['open']}")
    page.click("#choice-abstention")
    page.wait_for_url(f"**/votes/{ballot_box['open']}/ballot?choice=abstention")
    assert "Vous votez Je m'abstiens. Confirmer ?" in page.inner_text("h2#ballot-title")
    page.click("#confirm-vote")
    page.wait_for_url(f"**/votes/{ballot_box['open']}/receipt")
    assert "Votre vote est enregistré" in page.inner_text("#ballot")
    # Back to the review step: it now says why there is nothing more to confirm.
    page.go_back()
    page.wait_for_load_state()
    assert "Vous avez déjà voté" in page.inner_text("main")
    assert page.locator("#confirm-vote").count() == 0


def test_the_result_of_a_closed_vote(page, server, ballot_box):
    log_in(page, server, "jeanne.martin")
    page.goto(f"{server.url}/votes/{ballot_box['closed']}")
    verdict = page.inner_text("#verdict")
    assert verdict.startswith("Adopté : 2 pour, 1 contre, 0 abstention")
    assert page.locator("#ballot svg.bar").count() == 4  # participation and three options
    assert "2 voix" in page.inner_text(".option-bars")
    page.goto(f"{server.url}/votes")
    assert "Adopté : 2 pour" in page.inner_text("main")
