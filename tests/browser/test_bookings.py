"""Booking a room in three taps — by touch, by keyboard, without JavaScript, with the default
display and with high contrast and the largest text — and axe on every booking page as
resident and coordinator, in French and English, with both displays."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.bookings.models import Booking, BookingSeries, BookingStatus, OriginKind
from app.extensions import db
from app.rooms.models import Room
from tests.browser.conftest import DISPLAYS, log_in, make_resident, set_display
from tests.browser.test_accessibility import check


@pytest.fixture(scope="module")
def rooms(live_app):
    with live_app.app_context():
        by_name = {r.name: r.id for r in db.session.scalars(sa.select(Room))}
        booking = db.session.scalar(
            sa.select(Booking)
            .where(
                Booking.status == BookingStatus.CONFIRMED, Booking.origin_kind == OriginKind.PERSON
            )
            .order_by(Booking.id)
        )
        series = db.session.scalar(sa.select(BookingSeries.id))
        return {
            "common": by_name["Salle commune"],
            "guest": by_name["Chambre d'amis"],
            "washers": by_name["Laverie – lave-linge"],
            "jeanne_booking": booking.id,
            "series": series,
        }


def _tap_to_book(page, tap):
    """Room list → a room (tap 1) → a day (tap 2) → a start time (tap 3) → confirm (tap 4).
    Each page is short: no long scroll through the week's slots."""
    tap("text=Réserver : Salle commune")
    tap(".day-button >> nth=0")
    page.wait_for_url("**when=date**")
    tap(".slot-button >> nth=0")
    page.wait_for_url("**/book?**")
    assert page.is_visible("#confirm-button")
    tap("#confirm-button")
    page.wait_for_url("**/bookings/*")
    assert "C'est réservé" in page.inner_text("main")


@pytest.mark.parametrize("display", list(DISPLAYS))
def test_three_taps_by_touch_on_a_phone(display, page, server, live_app):
    username = f"tactile.{display.replace('+', '.')}"
    make_resident(live_app, username, f"T-{display}")
    log_in(page, server, username)
    set_display(page, server, display)
    page.goto(server.url + "/rooms")
    _tap_to_book(page, lambda selector: page.tap(selector))
    # The booking is listed on "my bookings".
    page.goto(server.url + "/bookings")
    assert "Salle commune" in page.inner_text("main")


def test_three_taps_without_javascript(context_factory, server):
    page = context_factory(java_script_enabled=False).new_page()
    log_in(page, server, "comite.armentieres")
    page.goto(server.url + "/rooms")
    _tap_to_book(page, lambda selector: page.click(selector))


def _tab_to(page, predicate_js: str, limit: int = 60):
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(
            f"(() => {{ const e = document.activeElement; return {predicate_js}; }})()"
        ):
            return
    pytest.fail(f"could not reach by keyboard: {predicate_js}")


@pytest.mark.parametrize("display", list(DISPLAYS))
def test_three_taps_by_keyboard_only(display, page, server, live_app):
    username = f"clavier.{display.replace('+', '.')}"
    make_resident(live_app, username, f"K-{display}")
    log_in(page, server, username)
    set_display(page, server, display)
    page.goto(server.url + "/rooms")
    _tab_to(page, "e.textContent.trim() === 'Réserver : Salle commune'")
    page.keyboard.press("Enter")
    page.wait_for_url("**/rooms/*")
    _tab_to(page, "e.classList.contains('day-button')")
    page.keyboard.press("Enter")
    page.wait_for_url("**when=date**")
    _tab_to(page, "e.classList.contains('slot-button')")
    page.keyboard.press("Enter")
    page.wait_for_url("**/book?**")
    _tab_to(page, "e.id === 'confirm-button'")
    page.keyboard.press("Enter")
    page.wait_for_url("**/bookings/*")
    assert "C'est réservé" in page.inner_text("main")


def test_the_loser_of_a_race_gets_a_clear_409_page(context_factory, server):
    first = context_factory().new_page()
    second = context_factory().new_page()
    log_in(first, server, "bailleur.admin")
    log_in(second, server, "coordination.armentieres")
    first.goto(server.url + "/rooms")
    first.click("text=Réserver : Laverie – lave-linge")
    first.click(".day-button >> nth=-1")
    first.click(".slot-button >> nth=-1")
    review = first.url
    second.goto(review)
    first.click("#confirm-button")
    first.wait_for_url("**/bookings/*")
    # Two washers: the coordinator still gets the other one; a third person would not.
    second.click("#confirm-button")
    second.wait_for_url("**/bookings/*")
    third = context_factory().new_page()
    log_in(third, server, "jeanne.martin")
    third.goto(review)
    response_status = []
    third.on("response", lambda r: response_status.append(r.status) if "/book" in r.url else None)
    if third.is_visible("#confirm-button"):
        third.click("#confirm-button")
        third.wait_for_load_state()
        assert 409 in response_status
    assert "réservé" in third.inner_text("main")
    problems: list[str] = []
    check(third, None, problems)
    assert not problems, "\n\n".join(problems)


def _resident_pages(server, rooms):
    common, guest, washers = rooms["common"], rooms["guest"], rooms["washers"]
    return [
        "/rooms",
        f"/rooms/{common}",
        f"/rooms/{common}?when=week",
        f"/rooms/{common}?when=date&date=1999-01-01",
        f"/rooms/{guest}",
        f"/rooms/{guest}?when=week",
        f"/rooms/{washers}?when=today",
        f"/rooms/{common}/week",
        f"/rooms/{washers}/week",
        "/bookings",
        "/bookings/history",
        f"/bookings/{rooms['jeanne_booking']}",
        f"/bookings/{rooms['jeanne_booking']}/edit",
        f"/bookings/{rooms['jeanne_booking']}/cancel",
        "/messages",
        "/me",
        "/",
    ]


def _coordinator_pages(server, rooms):
    common = rooms["common"]
    return [
        "/rooms/manage",
        "/rooms/manage/new",
        f"/rooms/{common}/settings",
        f"/rooms/{rooms['guest']}/settings",
        "/bookings/queue",
        f"/rooms/{common}/closures",
        f"/rooms/{common}/series",
        f"/series/{rooms['series']}",
        f"/rooms/{common}/week",
    ]


def _visit_review_page(page, server, room_id, problems):
    page.goto(f"{server.url}/rooms/{room_id}?when=week")
    if page.locator(".day-button").count():
        page.click(".day-button >> nth=0")
        check(page, None, problems)  # a day: its start times
    if page.locator(".slot-button").count():
        page.click(".slot-button >> nth=0")
        check(page, None, problems)


@pytest.mark.parametrize("display", list(DISPLAYS))
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_booking_pages_have_no_violations_for_a_resident(lang, display, page, server, rooms):
    log_in(page, server, "jeanne.martin")
    set_display(page, server, display)
    page.goto(f"{server.url}/?lang={lang}")
    problems: list[str] = []
    try:
        for path in _resident_pages(server, rooms):
            check(page, server.url + path, problems)
        for room in ("common", "guest", "washers"):
            _visit_review_page(page, server, rooms[room], problems)
    finally:
        page.goto(f"{server.url}/?lang=fr")
        set_display(page, server, "default")
    assert not problems, "\n\n".join(problems)


@pytest.mark.parametrize("display", list(DISPLAYS))
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_booking_pages_have_no_violations_for_the_coordinator(lang, display, page, server, rooms):
    log_in(page, server, "coordination.armentieres")
    set_display(page, server, display)
    page.goto(f"{server.url}/?lang={lang}")
    problems: list[str] = []
    try:
        for path in _coordinator_pages(server, rooms):
            check(page, server.url + path, problems)
        _visit_review_page(page, server, rooms["common"], problems)  # with "for whom"
        # Forms with their errors shown.
        page.goto(f"{server.url}/rooms/manage/new")
        page.click("main form button[type=submit] >> nth=-1")
        check(page, None, problems)
        page.goto(f"{server.url}/rooms/{rooms['common']}/closures")
        page.click("main form button[type=submit] >> nth=-1")
        check(page, None, problems)
    finally:
        page.goto(f"{server.url}/?lang=fr")
        set_display(page, server, "default")
    assert not problems, "\n\n".join(problems)
