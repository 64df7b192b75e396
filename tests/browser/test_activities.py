"""Activities in a browser (issue 8, first part): join and leave by touch at 390 px and by
keyboard, the waiting list said before and after, focus and announcement after each htmx
swap, the same without JavaScript; the week's programme and the sign-up sheet printed on
one A4 page in large print."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.activities import services as activities
from app.activities.models import Category, PlaceKind
from app.core.db import utcnow
from app.core.timeutils import Period, local_today
from app.extensions import db
from app.residences.models import Membership, Residence
from app.users.models import User
from tests.browser.conftest import log_in, make_resident

A4_HEIGHT, A4_WIDTH = 1123, 794


@pytest.fixture(scope="module")
def plan(live_app):
    """Two activities of Armentières next week: one with places, one with a single place
    already taken; and residents of their own to join them."""
    with live_app.app_context():
        residence = db.session.scalar(sa.select(Residence).where(Residence.name.like("%Armenti%")))
        coordinator = db.session.scalar(
            sa.select(Membership)
            .join(Membership.user)
            .where(User.username == "coordination.armentieres")
        )
        monday = local_today(residence.tz, utcnow()) + dt.timedelta(days=7)
        monday -= dt.timedelta(days=monday.weekday())

        def at(days: int, start: int, end: int) -> Period:
            day = monday + dt.timedelta(days=days)
            return Period.from_local(
                dt.datetime.combine(day, dt.time(start)),
                dt.datetime.combine(day, dt.time(end)),
                residence.tz,
            )

        open_one = activities.create_activity(
            coordinator,
            activities.Plan(
                title="Chorale",
                category=Category.ANIMATION,
                period=at(2, 15, 16),
                capacity=20,
                place_kind=PlaceKind.GARDEN,
            ),
        )
        full_one = activities.create_activity(
            coordinator,
            activities.Plan(
                title="Visite du musée",
                category=Category.OUTING,
                period=at(3, 14, 17),
                capacity=1,
                place_kind=PlaceKind.OUTSIDE,
                address="Musée de la dentelle, Caudry",
            ),
        )
        activities.register(coordinator, full_one)
        db.session.commit()
        ids = {"open": open_one.id, "full": full_one.id, "monday": monday.isoformat()}
    for username in ("choriste.tactile", "choriste.clavier", "choriste.sans.script"):
        make_resident(live_app, username, username[:20])
    return ids


def test_join_and_leave_by_touch_focus_and_announcement(page, server, plan):
    log_in(page, server, "choriste.tactile")
    page.goto(f"{server.url}/activities")
    page.tap("text=Chorale")
    page.wait_for_url(f"**/activities/{plan['open']}")
    page.wait_for_selector("form[data-htmx-powered] #join-button", state="attached")
    assert "Il reste 20 places." in page.inner_text("#my-place")
    page.tap("#join-button")
    expect(page.locator("#live-status")).to_have_text("C'est noté : vous êtes inscrit.")
    expect(page.locator("#leave-button")).to_be_focused()
    page.wait_for_selector("form[data-htmx-powered] #leave-button", state="attached")
    page.tap("#leave-button")
    expect(page.locator("#live-status")).to_contain_text("vous n'êtes plus inscrit")
    expect(page.locator("#join-button")).to_be_focused()


def test_the_waiting_list_by_keyboard_said_before_and_after(page, server, plan):
    log_in(page, server, "choriste.clavier")
    page.goto(f"{server.url}/activities/{plan['full']}?lang=en")
    page.wait_for_selector("form[data-htmx-powered] #join-button", state="attached")
    before = page.inner_text("#my-place")
    assert "You will be number 1 on the waiting list" in before
    assert page.inner_text("#join-button") == "Put me on the waiting list"
    page.focus("#join-button")
    page.keyboard.press("Enter")
    expect(page.locator("#live-status")).to_have_text(
        "It is full: you are on the waiting list, number 1."
    )
    expect(page.locator("#leave-button")).to_be_focused()
    assert "Waiting list, number 1." in page.inner_text("#my-place")
    page.keyboard.press("Enter")  # leave the list again
    expect(page.locator("#join-button")).to_be_focused()
    page.goto(f"{server.url}/?lang=fr")


def test_join_without_javascript(context_factory, server, plan):
    page = context_factory(java_script_enabled=False).new_page()
    log_in(page, server, "choriste.sans.script")
    page.goto(f"{server.url}/activities/{plan['open']}")
    page.click("#join-button")
    page.wait_for_load_state()
    assert page.url.endswith(f"/activities/{plan['open']}")
    assert "C'est noté : vous êtes inscrit." in page.inner_text(".flashes")
    page.click("#leave-button")
    page.wait_for_load_state()
    assert "M'inscrire" in page.inner_text("#my-place")


def _pdf_pages(page) -> int:
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    return len(re.findall(rb"/Type\s*/Page(?!s)", pdf))


def test_the_programme_and_the_sheet_print_on_one_a4_page_in_large_print(page, server, plan):
    log_in(page, server, "coordination.armentieres")
    page.set_viewport_size({"width": A4_WIDTH, "height": A4_HEIGHT})
    page.emulate_media(media="print")
    page.goto(f"{server.url}/activities/print?week={plan['monday']}")
    lines = page.locator(".programme-lines li")
    assert lines.count() >= 2
    text = page.inner_text(".programme")
    assert "Chorale" in text and "Visite du musée" in text
    size = page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('.programme-lines li')).fontSize)"
    )
    assert size >= 16 * 96 / 72 - 0.1  # 16 pt
    assert _pdf_pages(page) == 1
    page.goto(f"{server.url}/activities/{plan['full']}/sheet")
    assert page.locator(".sheet-qr svg").count() == 1
    assert page.locator(".signup-lines li.blank").count() == 5  # no free place: waiting lines
    assert _pdf_pages(page) == 1
    page.emulate_media(media="screen")


@pytest.fixture(scope="module")
def roll_call(live_app):
    """A session of Armentières that started an hour ago, with three residents of their
    own registered: the coordinator takes the roll call."""
    usernames = ("appel.tactile", "appel.clavier", "appel.sans.script")
    for username in usernames:
        make_resident(live_app, username, username[:20])
    with live_app.app_context():
        coordinator = db.session.scalar(
            sa.select(Membership)
            .join(Membership.user)
            .where(User.username == "coordination.armentieres")
        )
        now = utcnow()
        session = activities.create_activity(
            coordinator,
            activities.Plan(
                title="Chant en chœur",
                category=Category.ANIMATION,
                period=Period(now - dt.timedelta(hours=1), now + dt.timedelta(minutes=30)),
                capacity=10,
                place_kind=PlaceKind.GARDEN,
            ),
        )
        people = {}
        for username in usernames:
            person = db.session.scalar(
                sa.select(Membership).join(Membership.user).where(User.username == username)
            )
            activities.register(person, session, now=now - dt.timedelta(hours=2))
            people[username] = (person.id, person.user.full_name)
        db.session.commit()
        return {"activity": session.id, "people": people}


def _roll_call_page(page, server, roll_call):
    log_in(page, server, "coordination.armentieres")
    page.goto(f"{server.url}/activities/{roll_call['activity']}")
    page.tap("#roll-call-link")
    page.wait_for_url(f"**/activities/{roll_call['activity']}/roll-call")


def test_roll_call_by_touch_keeps_the_focus_and_says_it(page, server, roll_call):
    _roll_call_page(page, server, roll_call)
    member_id, name = roll_call["people"]["appel.tactile"]
    toggle = page.locator(f"#came-{member_id}")
    page.wait_for_selector(f"form[data-htmx-powered] #came-{member_id}", state="attached")
    box = toggle.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 300  # a big target, the line's width
    expect(toggle).to_have_attribute("aria-pressed", "false")
    toggle.tap()
    expect(page.locator("#live-status")).to_have_text(f"{name} : là")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(toggle).to_be_focused()
    expect(page.locator("#roll-count")).to_have_text("1 personne là")
    page.wait_for_selector(f"form[data-htmx-powered] #came-{member_id}", state="attached")
    toggle.tap()  # a mistake: tapped again, corrected
    expect(page.locator("#live-status")).to_have_text(f"{name} : pas là")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    expect(toggle).to_be_focused()
    expect(page.locator("#roll-count")).to_have_text("0 personne là")


def test_roll_call_by_keyboard_keeps_the_focus_and_says_it(page, server, roll_call):
    _roll_call_page(page, server, roll_call)
    member_id, name = roll_call["people"]["appel.clavier"]
    page.wait_for_selector(f"form[data-htmx-powered] #came-{member_id}", state="attached")
    page.focus(f"#came-{member_id}")
    page.keyboard.press("Enter")
    expect(page.locator("#live-status")).to_have_text(f"{name} : là")
    toggle = page.locator(f"#came-{member_id}")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(toggle).to_be_focused()
    page.wait_for_selector(f"form[data-htmx-powered] #came-{member_id}", state="attached")
    page.keyboard.press("Space")
    expect(page.locator("#live-status")).to_have_text(f"{name} : pas là")
    expect(toggle).to_be_focused()
    # The next person is one Tab away.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id").startswith("came-")


def test_roll_call_without_javascript(context_factory, server, roll_call):
    page = context_factory(java_script_enabled=False).new_page()
    log_in(page, server, "coordination.armentieres")
    member_id, name = roll_call["people"]["appel.sans.script"]
    url = f"{server.url}/activities/{roll_call['activity']}/roll-call"
    page.goto(url)
    page.click(f"#came-{member_id}")
    page.wait_for_load_state()
    assert page.url == f"{url}#person-{member_id}"
    assert f"{name} : là" in page.inner_text(".flashes")
    assert page.get_attribute(f"#came-{member_id}", "aria-pressed") == "true"
    page.click(f"#came-{member_id}")
    page.wait_for_load_state()
    assert page.get_attribute(f"#came-{member_id}", "aria-pressed") == "false"
