"""What hurt a resident of 78 or a busy coordinator (issue 7), tried in a browser: deadlines
and limits said before booking, closures that reach the people they affect, cancelling that
asks first, the text details and the English pages. By touch at 390 px, by keyboard, in
French and English, and with high contrast and the largest text."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from app.bookings import services as bookings
from app.bookings.models import BookingSeries
from app.cli import DEMO_PASSWORD
from app.core.db import utcnow
from app.core.permissions import Role
from app.core.timeutils import Period, local_today
from app.core.timewords import END_OF_DAY
from app.extensions import db
from app.residences.models import Home, Membership, Residence
from app.rooms import services as rooms
from app.rooms.models import Room
from app.users.models import User
from app.users.services import hash_password
from tests.browser.conftest import log_in, set_display

EVERY_DAY_TO_MIDNIGHT = [(day, dt.time(8), END_OF_DAY) for day in range(7)]


def _member(username: str) -> Membership:
    return db.session.scalar(
        sa.select(Membership).join(Membership.user).where(User.username == username)
    )


@pytest.fixture(scope="module")
def house(live_app):
    """Two rooms of Armentières for these tests only (archived afterwards), a resident with a
    phone number, and their bookings."""
    with live_app.app_context():
        residence = db.session.scalar(sa.select(Residence).where(Residence.name.like("%Armenti%")))
        coordinator = _member("coordination.armentieres")
        lucien = User(
            username="lucien.petit",
            full_name="Lucien Petit",
            phone="06 12 34 56 78",
            password_hash=hash_password(DEMO_PASSWORD),
            locale="fr",
        )
        db.session.add_all(
            [
                lucien,
                Membership(
                    user=lucien,
                    residence=residence,
                    role=Role.RESIDENT,
                    home=Home(residence=residence, label="B77"),
                ),
            ]
        )
        # Cancel up to 2 days before; one booking at a time per household; open till midnight.
        workshop = rooms.create_room(
            coordinator,
            name="Atelier",
            name_en="Workshop",
            openings=EVERY_DAY_TO_MIDNIGHT,
            cancel_hours=48,
            min_minutes=60,
            max_minutes=120,
            max_active_per_household=1,
        )
        lounge = rooms.create_room(
            coordinator, name="Salon du premier", openings=EVERY_DAY_TO_MIDNIGHT, cancel_hours=0
        )
        db.session.flush()
        today = local_today(residence.tz, utcnow())

        def period(days: int, start: int, end: int) -> Period:
            day = today + dt.timedelta(days=days)
            return Period.from_local(
                dt.datetime.combine(day, dt.time(start)),
                dt.datetime.combine(day, dt.time(end)),
                residence.tz,
            )

        jeanne = _member("jeanne.martin")
        jeanne_booking = bookings.reserve(jeanne, workshop, period(3, 10, 11))
        lucien_member = _member("lucien.petit")
        closed_booking = bookings.reserve(lucien_member, lounge, period(4, 14, 16))
        kept_booking = bookings.reserve(lucien_member, lounge, period(6, 14, 16))
        db.session.commit()
        ids = {
            "series": db.session.scalar(sa.select(BookingSeries.id).order_by(BookingSeries.id)),
            "workshop": workshop.id,
            "lounge": lounge.id,
            "today": today,
            "jeanne_booking": jeanne_booking.id,
            "closed_booking": closed_booking.id,
            "kept_booking": kept_booking.id,
        }
    yield ids
    with live_app.app_context():
        for room_id in (ids["workshop"], ids["lounge"]):
            db.session.get(Room, room_id).archived = True
        db.session.commit()


def _tab_to(page, selector: str, limit: int = 80) -> None:
    """Press Tab until ``selector`` has the focus, as a keyboard user would."""
    target = page.locator(selector)
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("e => e === document.activeElement"):
            return
    raise AssertionError(f"{selector} never got the focus")


def _above(page, first: str, second: str) -> bool:
    return page.locator(first).bounding_box()["y"] < page.locator(second).bounding_box()["y"]


# ---------------------------------------------------------------------------------------
# 2. Deadlines and limits come before the commitment.


@pytest.mark.parametrize(
    ("lang", "soon", "later"),
    [
        (
            "fr",
            "Attention : vous ne pourrez pas l'annuler en ligne.",
            "Attention : vous ne pourrez plus annuler en ligne après le",
        ),
        (
            "en",
            "Please note: you will not be able to cancel it online.",
            "Please note: you will not be able to cancel online after",
        ),
    ],
)
def test_the_review_says_until_when_it_can_be_cancelled_above_the_button(
    lang, soon, later, page, server, house
):
    log_in(page, server, "odette.leroy")
    page.goto(f"{server.url}/?lang={lang}")
    try:
        for day, words in ((1, soon), (5, later)):
            page.goto(f"{server.url}/rooms/{house['workshop']}")
            page.tap(f".day-button >> nth={day}")
            page.wait_for_url("**when=date**")
            page.tap(".slot-button >> nth=0")
            page.wait_for_url("**/book?**")
            assert words in page.inner_text("#deadline")
            assert _above(page, "#deadline", "#confirm-button")
    finally:
        page.goto(f"{server.url}/?lang=fr")


def test_a_household_at_its_limit_sees_the_booking_that_uses_it_and_no_button(page, server, house):
    """By keyboard: the limit is said where the choice is made, with a way to the booking."""
    log_in(page, server, "jeanne.martin")
    page.goto(f"{server.url}/rooms/{house['workshop']}")
    assert page.locator(".day-button").count() == 0
    assert "c'est le plus permis" in page.inner_text("main")
    _tab_to(page, ".limit a")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/bookings/{house['jeanne_booking']}")
    # Even straight to the review (an old link, a bookmark): no button to send.
    start = (house["today"] + dt.timedelta(days=8)).isoformat()
    page.goto(
        f"{server.url}/rooms/{house['workshop']}/book?start={start}T10:00&end={start}T11:00&unit="
    )
    assert page.locator("#confirm-button").count() == 0
    assert page.locator("#limit-reached a").count() == 1


# ---------------------------------------------------------------------------------------
# 4. A closure reaches the people it affects.


def test_a_closure_shows_who_it_affects_then_cancels_and_tells_them(context_factory, server, house):
    day = (house["today"] + dt.timedelta(days=4)).isoformat()
    coordinator = context_factory().new_page()
    log_in(coordinator, server, "coordination.armentieres")
    coordinator.goto(f"{server.url}/rooms/{house['lounge']}/closures")
    coordinator.fill("#start_date", day)
    coordinator.fill("#start_time", "09:00")
    coordinator.fill("#end_date", day)
    coordinator.fill("#end_time", "18:00")
    coordinator.fill("#reason", "travaux de peinture")
    coordinator.tap("main form button[type=submit] >> nth=-1")
    coordinator.wait_for_selector("#confirm-closure")
    # Before anything changes: who, and how to call them.
    assert "Fermer Salon du premier ?" in coordinator.inner_text("h1")
    people = coordinator.inner_text(".people")
    assert "Lucien Petit" in people and "06 12 34 56 78" in people
    assert coordinator.locator('a[href="tel:0612345678"]').count() == 1
    coordinator.tap("#confirm-closure")
    coordinator.wait_for_selector("text=la personne a reçu un message")

    # Lucien reads it in English, with high contrast and the largest text.
    page = context_factory().new_page()
    log_in(page, server, "lucien.petit")
    page.goto(f"{server.url}/?lang=en")
    set_display(page, server, "contrast+largest")
    try:
        page.goto(f"{server.url}/bookings")
        assert page.inner_text(".main-nav .count").startswith("1")
        page.tap(".main-nav a[href='/messages']")
        page.wait_for_url("**/messages")
        assert "travaux de peinture" in page.inner_text("main")
        page.goto(f"{server.url}/bookings/{house['closed_booking']}")
        text = page.inner_text("main")
        assert "Cancelled" in text and "travaux de peinture" in text
        # Its day in the week view: closed, never "your booking" at the same time.
        page.goto(f"{server.url}/rooms/{house['lounge']}/week?start={day}")
        closed_day = page.locator(f"li.week-day:has(#day-{day})")
        assert closed_day.locator(".period-closed").count() == 1
        assert closed_day.locator(".period-busy").count() == 0
        # The unread count is gone once read.
        assert page.locator(".main-nav .count").count() == 0
    finally:
        set_display(page, server, "default")
        page.goto(f"{server.url}/?lang=fr")


# ---------------------------------------------------------------------------------------
# 5. Cancelling asks first, and sits apart from "Changer l'horaire".


def test_cancelling_asks_first_by_keyboard_with_high_contrast_and_largest_text(page, server, house):
    log_in(page, server, "lucien.petit")
    set_display(page, server, "contrast+largest")
    booking = house["kept_booking"]
    try:
        page.goto(f"{server.url}/bookings/{booking}")
        # "Changer l'horaire", then a heading, then the cancel button: not side by side.
        assert _above(page, "#edit-button", "#cancel-title")
        assert _above(page, "#cancel-title", "#cancel-button")
        _tab_to(page, "#cancel-button")
        page.keyboard.press("Enter")
        page.wait_for_url(f"**/bookings/{booking}/cancel")
        assert re.match(r"Annuler la réservation du .+ à 14\sh \?", page.inner_text("h1"))
        _tab_to(page, "#cancel-no")
        page.keyboard.press("Enter")
        page.wait_for_url(f"**/bookings/{booking}")
        assert "Confirmée" in page.inner_text("main")  # kept
        page.goto(f"{server.url}/bookings/{booking}/cancel")
        _tab_to(page, "#cancel-yes")
        page.keyboard.press("Enter")
        page.wait_for_url(f"{server.url}/bookings")
        assert "est annulée" in page.inner_text("main")
    finally:
        set_display(page, server, "default")


# ---------------------------------------------------------------------------------------
# 10. Text details.


def test_the_words_are_plain_and_said_once(page, server, house):
    log_in(page, server, "odette.leroy")
    assert "Connexion réussie" in page.inner_text("main")
    assert "connecté·e" not in page.content()
    start = (house["today"] + dt.timedelta(days=9)).isoformat()
    page.goto(
        f"{server.url}/rooms/{house['lounge']}/book?start={start}T10:00&end={start}T11:00&unit="
    )
    label = page.inner_text("label[for=purpose]")
    assert "Pour quelle occasion ?" in label
    assert page.inner_text("main").lower().count("facultatif") == 1


def test_the_series_page_says_14_h_like_everywhere_else(page, server, house):
    log_in(page, server, "coordination.armentieres")
    page.goto(f"{server.url}/series/{house['series']}")
    text = page.inner_text("main")
    assert not re.search(r"\b\d{1,2}:\d{2}\b", text), text
    assert re.search(r"\b\d{1,2}\sh\b", text)


# ---------------------------------------------------------------------------------------
# 11. English.


def test_english_pages_use_one_date_style_words_for_midnight_and_english_names(page, server, house):
    log_in(page, server, "odette.leroy")
    page.goto(f"{server.url}/?lang=en")
    try:
        page.goto(f"{server.url}/rooms")
        assert "Workshop" in page.inner_text("main") and "Atelier" not in page.inner_text("main")
        page.goto(f"{server.url}/rooms/{house['workshop']}")
        text = page.inner_text("main")
        assert "Workshop" in page.inner_text("h1")
        assert "to midnight" in text and "12 AM" not in text and "12 am" not in text
        for path in ("/bookings", "/me", f"/rooms/{house['workshop']}"):
            page.goto(server.url + path)
            text = page.inner_text("main")
            assert not re.search(
                r"(January|February|March|April|May|June|July|August|September|October|"
                r"November|December) \d{1,2}, \d{4}",
                text,
            ), (path, text)
    finally:
        page.goto(f"{server.url}/?lang=fr")


def test_english_series_page_says_no_dates_in_words(page, server, house):
    log_in(page, server, "coordination.armentieres")
    page.goto(f"{server.url}/?lang=en")
    try:
        page.goto(f"{server.url}/series/{house['series']}")
        text = page.inner_text("main")
        assert "0 dates" not in text and "0 date" not in text
        assert "No dates set aside" in text or "not booked" in text
    finally:
        page.goto(f"{server.url}/?lang=fr")
