"""The display settings and the high-contrast theme (issue 7, points 1, 9 and 10): reached
from the top of every page and from "Moi", back to the same place after a change, a real
toggle whose state is seen and announced; buttons that stay legible in every state with high
contrast; buttons that keep their padding; words never cut in the middle."""

from __future__ import annotations

import itertools
import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.extensions import db
from app.rooms.models import Room
from tests.browser.conftest import log_in, make_resident, set_display

# Contrast ratio (WCAG) between an element's text and its own background, or the page's
# when the element has none.
CONTRAST = """(el) => {
    const rgb = (c) => c.match(/[\\d.]+/g).map(Number);
    const lum = ([r, g, b]) => {
        const f = (v) => {
            v /= 255;
            return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
        };
        return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const style = getComputedStyle(el);
    let bg = rgb(style.backgroundColor);
    if (bg.length === 4 && bg[3] === 0) bg = rgb(getComputedStyle(document.body).backgroundColor);
    const [a, b] = [lum(rgb(style.color)), lum(bg)].sort((x, y) => y - x);
    return { ratio: (a + 0.05) / (b + 0.05), opacity: Number(style.opacity) };
}"""


@pytest.fixture(scope="module")
def common_room(live_app):
    with live_app.app_context():
        return db.session.scalar(sa.select(Room.id).where(Room.name == "Salle commune"))


_readers = itertools.count(1)


@pytest.fixture
def reader(live_app):
    """A resident of their own (the display is kept on the account)."""
    number = next(_readers)
    make_resident(live_app, f"affichage.{number}", f"D{number}")
    return f"affichage.{number}"


# -- 9. Reached from the top of every page, back to the same place ------------------------


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_display_is_one_tap_from_the_top_of_every_page_and_back(
    lang, page, server, reader, common_room
):
    log_in(page, server, reader)
    page.goto(f"{server.url}/?lang={lang}")
    room = f"/rooms/{common_room}"
    for path in ["/", "/rooms", room, "/bookings", "/messages", "/me"]:
        page.goto(server.url + path)
        box = page.locator("header .display-link").bounding_box()
        assert box and box["y"] + box["height"] <= 120, (path, box)  # the first thing seen
    # By touch, from a room's page.
    page.goto(f"{server.url}{room}?when=week")
    page.tap("header .display-link")
    page.wait_for_url(re.compile(r"/display\?next="))
    page.tap("#text-size-2")
    expect(page.locator("#text-size-2")).to_have_attribute("aria-pressed", "true")
    assert "text-2" in page.get_attribute("html", "class")
    said = {"fr": "Le texte est maintenant très grand.", "en": "The text is now very large."}
    expect(page.locator("#live-status")).to_have_text(said[lang])
    # Several changes can be tried here; then back where the person was.
    page.tap("#text-size-1")
    expect(page.locator("#text-size-1")).to_have_attribute("aria-pressed", "true")
    page.tap("#display-back")
    page.wait_for_url(f"{server.url}{room}?when=week")
    assert "text-1" in page.get_attribute("html", "class")
    # From "Moi": back to the "Affichage" part of it, which says what is chosen.
    page.goto(server.url + "/me")
    page.tap("#change-display")
    page.tap("#text-size-0")
    expect(page.locator("#text-size-0")).to_have_attribute("aria-pressed", "true")
    page.tap("#display-back")
    page.wait_for_url(f"{server.url}/me#display")
    words = {"fr": "Texte de taille normale.", "en": "Normal-sized text."}
    assert words[lang] in page.inner_text("main")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_contrast_is_a_toggle_seen_and_announced_by_keyboard(lang, page, server, reader):
    log_in(page, server, reader)
    page.goto(f"{server.url}/?lang={lang}")
    # From the top: the skip link, the name of the app, then "Affichage".
    for _ in range(3):
        page.keyboard.press("Tab")
    assert "display-link" in page.evaluate("document.activeElement.className")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/display\?next="))
    page.wait_for_selector("form[data-htmx-powered]", state="attached")
    page.evaluate("window.notReloaded = true")
    toggle = page.locator("#high-contrast")
    name = toggle.evaluate("e => e.getAttribute('aria-pressed')")
    assert name == "false"
    states = {"fr": ("Désactivé", "Activé"), "en": ("Off", "On")}
    assert page.inner_text("#high-contrast .toggle-state") == states[lang][0]
    page.focus("#high-contrast")
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    said = {"fr": "Contraste élevé activé.", "en": "High contrast on."}
    expect(page.locator("#live-status")).to_have_text(said[lang])
    assert page.inner_text("#high-contrast .toggle-state") == states[lang][1]
    assert "contrast" in page.get_attribute("html", "class")
    assert page.evaluate("document.activeElement.id") == "high-contrast"
    assert page.evaluate("window.notReloaded === true")  # swapped in place
    # Its name does not change with its state: aria-pressed says it.
    label = {"fr": "Contraste élevé", "en": "High contrast"}[lang]
    expect(toggle).to_have_accessible_name(label)
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    assert "contrast" not in page.get_attribute("html", "class")
    assert page.evaluate("document.activeElement.id") == "high-contrast"


def test_contrast_toggle_works_without_javascript(context_factory, server, live_app):
    make_resident(live_app, "affichage.sans.script", "D-NOJS")
    page = context_factory(java_script_enabled=False).new_page()
    log_in(page, server, "affichage.sans.script")
    page.goto(server.url + "/me")
    page.click("header .display-link")
    page.click("#high-contrast")
    page.wait_for_load_state()
    assert "/display?next=" in page.url  # the same place
    assert page.get_attribute("#high-contrast", "aria-pressed") == "true"
    assert "Contraste élevé activé." in page.inner_text(".flashes")
    assert "contrast" in page.get_attribute("html", "class")
    page.click("#display-back")
    assert page.url == server.url + "/me"


# -- 1. High contrast: the buttons that are links, in every state -------------------------


def test_buttons_stay_legible_with_high_contrast_in_every_state(page, server, live_app):
    make_resident(live_app, "affichage.contraste", "D-HC")
    log_in(page, server, "affichage.contraste")
    set_display(page, server, "contrast+largest")
    page.goto(server.url + "/rooms")
    book = page.locator("a.button-primary >> nth=0")
    assert "Réserver" in book.inner_text()
    assert book.evaluate(CONTRAST)["ratio"] >= 7
    book.hover()
    assert book.evaluate(CONTRAST)["ratio"] >= 7
    page.goto(server.url + "/me")
    for selector in ["a.button-primary", "a.button-secondary", "button.button-secondary"]:
        element = page.locator(f"main {selector} >> nth=0")
        element.focus()
        assert element.evaluate(CONTRAST)["ratio"] >= 7, selector
        focus = element.evaluate("e => getComputedStyle(e).outlineStyle")
        assert focus != "none", selector
    # A button waiting for the server is not dimmed.
    button = page.locator("main button.button-secondary >> nth=0")
    button.evaluate("e => { e.disabled = true; }")
    state = button.evaluate(CONTRAST)
    assert state["opacity"] == 1 and state["ratio"] >= 7


# -- 10. Buttons keep their padding; words are not cut in the middle -----------------------

# Every word of the paragraphs of ``main`` on one line (addresses apart).
WORDS_CUT = """() => {
    const cut = [];
    const walker = document.createTreeWalker(document.querySelector('main'), NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const parent = node.parentElement;
        if (!parent.closest('p, li, dd, h1, h2, h3') || !parent.offsetParent) continue;
        if (parent.closest('.feed-url, .direct-link, .sheet-url')) continue;  // addresses
        // A word is what lies between spaces and hyphens (a line may end at a hyphen).
        for (const match of node.textContent.matchAll(/[^\\s\\-\u2011]+/g)) {
            const range = document.createRange();
            range.setStart(node, match.index);
            range.setEnd(node, match.index + match[0].length);
            const boxes = [...range.getClientRects()].filter(r => r.width > 0);
            const tops = new Set(boxes.map(r => Math.round(r.top)));
            if (tops.size > 1) cut.push(match[0]);
        }
    }
    return cut;
}"""


@pytest.mark.parametrize("display", ["default", "contrast+largest"])
def test_words_are_whole_and_buttons_keep_their_padding(display, page, server, live_app):
    username = "mots." + display[:3]
    make_resident(live_app, username, f"W{display[:3]}")
    log_in(page, server, username)
    set_display(page, server, display)
    try:
        for path in ["/me", "/rooms", "/bookings", "/display?next=/"]:
            page.goto(server.url + path)
            assert page.evaluate(WORDS_CUT) == [], path
        page.goto(server.url + "/me")
        # A button alone in its paragraph: its text does not touch its border.
        button = page.locator("main p > a.button-secondary >> nth=0")
        padding = button.evaluate(
            """e => { const r = document.createRange(); r.selectNodeContents(e);
                      return r.getBoundingClientRect().left - e.getBoundingClientRect().left; }"""
        )
        assert padding >= 12
    finally:
        set_display(page, server, "default")
