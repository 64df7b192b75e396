"""Any time of the week is at most two screens away on a phone (issue: the salle commune's
week was ~7,600 px of slots, Thursday 14 h three screens down)."""

from __future__ import annotations

import math

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.rooms.models import Room
from tests.browser.conftest import VIEWPORT, log_in


def _screens_to(page, selector: str) -> int:
    """How many screens (viewport heights) down the page ``selector`` ends, from the top."""
    page.evaluate("window.scrollTo(0, 0)")
    box = page.locator(selector).bounding_box()
    assert box is not None, selector
    return math.ceil((box["y"] + box["height"]) / VIEWPORT["height"])


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_last_time_of_the_last_day_of_the_week_is_two_screens_away(
    lang, page, server, live_app
):
    with live_app.app_context():
        room_id = db.session.scalar(sa.select(Room.id).where(Room.name == "Salle commune"))
    log_in(page, server, "odette.leroy")
    page.goto(f"{server.url}/?lang={lang}")
    page.goto(f"{server.url}/rooms/{room_id}")
    assert page.locator(".slot-button").count() == 0  # the week is days, not slots
    # A line a day, whatever earlier tests booked (a day may say "rien de libre", or that
    # the household has used up its week: those lines have no button).
    assert page.locator(".day-choice").count() == 7
    assert page.locator(".day-button").count() >= 1
    # The worst case: the bottom of the week's list, then the latest start time of the
    # last day that has one.
    first_screen = _screens_to(page, ".day-choice >> nth=-1")
    page.tap(".day-button >> nth=-1")
    page.wait_for_url("**when=date**")
    second_screen = _screens_to(page, ".slot-button >> nth=-1")
    assert first_screen + second_screen <= 2, (first_screen, second_screen)
    # And it is a real start time that leads to the review.
    page.tap(".slot-button >> nth=-1")
    page.wait_for_url("**/book?**")
    assert page.is_visible("#confirm-button")
    page.goto(f"{server.url}/?lang=fr")
