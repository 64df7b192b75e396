"""The charter and proposals in a browser (issue 9, points 1 and 8): a resident drafts a
proposal by touch at 390 px and edits the draft, comments by keyboard, reads the charter, an
article's history and the minutes of a vote with JavaScript off; the printed charter is in
large print."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.extensions import db
from app.votes.models import Article, Proposal
from tests.browser.conftest import log_in, make_resident


@pytest.fixture(scope="module")
def demo(live_app):
    """Ids of the demo's proposal in discussion and of the article on pets."""
    with live_app.app_context():
        bikes = db.session.scalar(sa.select(Proposal).where(Proposal.title.like("%vélos%")))
        pets = db.session.scalar(sa.select(Article).where(Article.title == "Les animaux"))
        ids = {"discussed": bikes.id, "pets": pets.id}
    for username, home in (
        ("charte.tactile", "C01"),
        ("charte.clavier", "C02"),
        ("charte.sans.script", "C03"),
    ):
        make_resident(live_app, username, home)
    return ids


def test_draft_a_proposal_by_touch_then_edit_it(page, server, demo):
    log_in(page, server, "charte.tactile")
    page.goto(f"{server.url}/proposals")
    page.tap("#new-proposal")
    page.wait_for_url("**/proposals/new")
    page.tap("#title")
    page.fill("#title", "Heures calmes")
    page.tap("label[for=change-1]")  # Changer un article
    page.select_option("#article", label="Article 1 : Heures calmes")
    page.tap("#rule_text")
    page.fill("#rule_text", "De 22 h 30 à 7 h, on baisse le son.")
    page.fill("#summary", "Une demi-heure de plus le soir.")
    page.tap("#save-proposal")
    page.wait_for_url(re.compile(r".*/proposals/\d+$"))
    assert "Votre proposition est enregistrée comme brouillon." in page.inner_text(".flashes")
    main = page.inner_text("main")
    assert "Change l'article 1 : Heures calmes" in main
    assert "De 22 h à 7 h, on baisse le son" in main  # before
    assert "De 22 h 30 à 7 h, on baisse le son." in main  # after
    assert "Brouillon : le comité ne l'a pas encore ouverte à la discussion." in main
    page.tap("#edit-proposal")
    page.fill("#title", "Heures calmes le soir")
    page.tap("#save-proposal")
    page.wait_for_url(re.compile(r".*/proposals/\d+$"))
    assert "Votre brouillon est modifié." in page.inner_text(".flashes")
    expect(page.locator("h1")).to_have_text("Proposition : Heures calmes le soir")
    # No sideways scrolling at 390 px.
    width = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    assert page.evaluate(width) <= 0


def test_draft_a_proposal_by_keyboard(page, server, demo):
    log_in(page, server, "charte.clavier")
    page.goto(f"{server.url}/proposals/new?lang=en")
    page.focus("#title")
    page.keyboard.type("Quiet courtyard")
    page.keyboard.press("Tab")  # the first choice: a new article (checked)
    expect(page.locator("#change-0")).to_be_focused()
    page.keyboard.press("ArrowDown")  # change an article
    expect(page.locator("#change-1")).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.locator("#article")).to_be_focused()
    page.select_option("#article", label="Article 1: Heures calmes")
    page.keyboard.press("Tab")
    expect(page.locator("#rule_text")).to_be_focused()
    page.keyboard.type("No ball games in the courtyard after 8 pm.")
    page.keyboard.press("Tab")
    page.keyboard.type("Quieter evenings.")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.locator("#save-proposal")).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/proposals/\d+$"))
    assert "Your proposal is saved as a draft." in page.inner_text(".flashes")
    main = page.inner_text("main")
    assert "Changes article 1: Heures calmes" in main and "Before" in main and "After" in main
    page.goto(f"{server.url}/?lang=fr")


def test_comment_by_keyboard(page, server, demo):
    log_in(page, server, "charte.clavier")
    page.goto(f"{server.url}/proposals/{demo['discussed']}")
    assert "En discussion : chacun peut donner son avis" in page.inner_text("main")
    page.wait_for_selector("form[data-htmx-powered] #comment-button", state="attached")
    page.focus("#text")
    page.keyboard.press("Enter")  # a new line, not a submit
    page.keyboard.press("Tab")
    expect(page.locator("#comment-button")).to_be_focused()
    page.keyboard.press("Enter")  # empty: the error, said, and nothing posted
    expect(page.locator("#text-error")).to_have_text("Écrivez votre commentaire.")
    page.focus("#text")
    page.keyboard.type("Je range mon vélo au local depuis longtemps, c'est pratique.")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    # With htmx the discussion is swapped in place, the result announced, the focus kept.
    expect(page.locator("#live-status")).to_have_text("Votre commentaire est publié.")
    expect(page.locator("#comments")).to_contain_text("Je range mon vélo au local depuis longtemps")
    assert "Charte Clavier" in page.inner_text("#comments")
    expect(page.locator("#comment-button")).to_be_focused()
    assert page.input_value("#text") == ""


def test_read_the_charter_its_history_and_minutes_and_comment_without_javascript(
    context_factory, server, demo
):
    page = context_factory(java_script_enabled=False).new_page()
    log_in(page, server, "charte.sans.script")
    page.goto(f"{server.url}/charter")
    assert page.locator(".charter-article").count() >= 8
    article = page.locator("#article-4")
    assert "Ils peuvent venir dans la salle commune" in article.inner_text()
    assert article.locator("a[href^='/votes/']").count() == 1  # the vote that adopted it
    article.locator(f"a[href='/charter/articles/{demo['pets']}']").click()
    page.wait_for_load_state()
    main = page.inner_text("main")
    assert "Dans la charte fondatrice, du" in main and "Changé le" in main
    page.click("text=le procès-verbal")
    page.wait_for_load_state()
    main = page.inner_text("main")
    assert "Procès-verbal du vote : Les animaux dans la salle commune" in main
    assert "Adopté : 3 pour, 1 contre, 1 abstention" in main
    page.goto(f"{server.url}/proposals/{demo['discussed']}")
    page.fill("#text", "Sans JavaScript, cela marche aussi.")
    page.click("#comment-button")
    page.wait_for_load_state()
    assert "Votre commentaire est publié." in page.inner_text(".flashes")
    assert "Sans JavaScript, cela marche aussi." in page.inner_text("#comments")


def test_the_printed_charter_is_in_large_print(page, server, demo):
    log_in(page, server, "charte.tactile")
    page.goto(f"{server.url}/charter/print")
    page.emulate_media(media="print")
    size = page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('.charter-print .rule-text')).fontSize)"
    )
    assert size >= 16 * 96 / 72 - 0.1  # 16 pt
    assert not page.locator(".main-nav").is_visible()
