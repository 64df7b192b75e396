"""The watering rota in a browser (issue 8, point 7): by touch at 390 px and by keyboard, a
resident claims a slot, cannot go and offers it, and another resident takes it over; after
each htmx swap the focus stays on the slot's button and the result is announced. The same
without JavaScript (303 back to the slot's line)."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.activities import services as activities
from app.core.db import utcnow
from app.core.timeutils import local_today
from app.extensions import db
from app.messages.models import Message
from app.residences.models import Membership, Residence
from app.users.models import User
from tests.browser.conftest import log_in, make_resident

PEOPLE = ("arrosage.tactile", "relais.tactile", "arrosage.clavier", "relais.clavier")
NO_SCRIPT = ("arrosage.sans.script", "relais.sans.script")


@pytest.fixture(scope="module")
def slots(live_app):
    """Three evenings of Armentières' rota ten days ahead, at hours the demo does not use
    (20 h – 20 h 30), and residents of their own to take them."""
    for username in PEOPLE + NO_SCRIPT:
        make_resident(live_app, username, username[:20])
    with live_app.app_context():
        residence = db.session.scalar(sa.select(Residence).where(Residence.name.like("%Armenti%")))
        coordinator = db.session.scalar(
            sa.select(Membership)
            .join(Membership.user)
            .where(User.username == "coordination.armentieres")
        )
        first = local_today(residence.tz, utcnow()) + dt.timedelta(days=10)
        last = first + dt.timedelta(days=2)
        activities.create_slots(coordinator, first, last, [(dt.time(20), dt.time(20, 30))])
        db.session.commit()
        return [
            slot.id for slot in activities.rota(residence, first, last) if slot.starts.hour == 20
        ]


def _messages(live_app, username: str) -> list[str]:
    with live_app.app_context():
        return list(
            db.session.scalars(
                sa.select(Message.subject)
                .join(Membership, Message.membership_id == Membership.id)
                .join(Membership.user)
                .where(User.username == username)
            )
        )


def _garden(page, server, username: str, slot_id: int):
    log_in(page, server, username)
    page.goto(f"{server.url}/activities")
    page.tap("#garden-link")
    page.wait_for_url("**/activities/garden")
    page.wait_for_selector(f"form[data-htmx-powered] #slot-{slot_id}-action", state="attached")
    return page.locator(f"#slot-{slot_id}-action")


def test_claim_offer_and_hand_over_by_touch(context_factory, server, slots, live_app):
    slot_id = slots[0]
    page = context_factory().new_page()
    button = _garden(page, server, "arrosage.tactile", slot_id)
    box = button.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 300  # a big target, the line's width
    expect(button).to_contain_text("Je m'en occupe")
    button.tap()
    expect(page.locator("#live-status")).to_contain_text("C'est noté : vous arrosez le ")
    expect(button).to_contain_text("Je ne peux pas y aller")
    expect(button).to_be_focused()
    expect(page.locator(f"#slot-{slot_id}")).to_contain_text("20 h – 20 h 30 : vous")
    page.wait_for_selector(f"form[data-htmx-powered] #slot-{slot_id}-action", state="attached")
    button.tap()  # cannot go after all: offered to the neighbours
    expect(page.locator("#live-status")).to_contain_text("est proposé aux voisins")
    expect(button).to_contain_text("Finalement, j'y vais")
    expect(button).to_be_focused()

    # Another resident, on their own phone, takes it over.
    other = context_factory().new_page()
    relay = _garden(other, server, "relais.tactile", slot_id)
    expect(other.locator(f"#slot-{slot_id}")).to_contain_text(
        "20 h – 20 h 30 : Arrosage T. ne peut pas y aller"
    )
    expect(relay).to_contain_text("J'y vais à sa place")
    relay.tap()
    expect(other.locator("#live-status")).to_contain_text("Vous avez reçu tous les deux un message")
    expect(relay).to_contain_text("Je ne peux pas y aller")
    expect(relay).to_be_focused()
    # Both are told; the first one's line now names the neighbour.
    assert _messages(live_app, "arrosage.tactile") == ["Arrosage : Relais T. vous remplace"]
    assert _messages(live_app, "relais.tactile") == ["Arrosage : vous remplacez Arrosage T."]
    page.reload()
    expect(page.locator(f"#slot-{slot_id}")).to_contain_text("20 h – 20 h 30 : Relais T.")
    expect(page.locator(f"#slot-{slot_id}-action")).to_have_count(0)


def test_claim_offer_hand_over_and_give_back_by_keyboard(context_factory, server, slots):
    slot_id = slots[1]
    page = context_factory().new_page()
    _garden(page, server, "arrosage.clavier", slot_id)
    page.focus(f"#slot-{slot_id}-action")
    page.keyboard.press("Enter")
    button = page.locator(f"#slot-{slot_id}-action")
    expect(page.locator("#live-status")).to_contain_text("C'est noté : vous arrosez le ")
    expect(button).to_be_focused()
    page.wait_for_selector(f"form[data-htmx-powered] #slot-{slot_id}-action", state="attached")
    page.keyboard.press("Space")
    expect(page.locator("#live-status")).to_contain_text("est proposé aux voisins")
    expect(button).to_be_focused()

    other = context_factory().new_page()
    _garden(other, server, "relais.clavier", slot_id)
    other.focus(f"#slot-{slot_id}-action")
    other.keyboard.press("Enter")
    relay = other.locator(f"#slot-{slot_id}-action")
    expect(other.locator("#live-status")).to_contain_text("Vous avez reçu tous les deux un message")
    expect(relay).to_be_focused()
    # Taken by mistake: one Tab to "Rendre ce créneau", and it is free again.
    other.wait_for_selector(f"form[data-htmx-powered] #slot-{slot_id}-release", state="attached")
    other.keyboard.press("Tab")
    expect(other.locator(f"#slot-{slot_id}-release")).to_be_focused()
    other.keyboard.press("Enter")
    expect(other.locator("#live-status")).to_contain_text("est de nouveau libre")
    expect(relay).to_contain_text("Je m'en occupe")
    expect(relay).to_be_focused()


def test_claim_offer_and_hand_over_without_javascript(context_factory, server, slots):
    slot_id = slots[2]
    garden = f"{server.url}/activities/garden"
    page = context_factory(java_script_enabled=False).new_page()
    log_in(page, server, NO_SCRIPT[0])
    page.goto(garden)
    page.click(f"#slot-{slot_id}-action")
    page.wait_for_load_state()
    assert page.url == f"{garden}#slot-{slot_id}"
    assert "C'est noté : vous arrosez le " in page.inner_text(".flashes")
    assert page.inner_text(f"#slot-{slot_id}-action").startswith("Je ne peux pas y aller")
    page.click(f"#slot-{slot_id}-action")
    page.wait_for_load_state()
    assert "est proposé aux voisins" in page.inner_text(".flashes")

    other = context_factory(java_script_enabled=False).new_page()
    log_in(other, server, NO_SCRIPT[1])
    other.goto(garden)
    other.click(f"#slot-{slot_id}-action")
    other.wait_for_load_state()
    assert other.url == f"{garden}#slot-{slot_id}"
    assert "Vous avez reçu tous les deux un message" in other.inner_text(".flashes")
    assert "20 h – 20 h 30 : vous" in other.inner_text(f"#slot-{slot_id}").replace("\u00a0", " ")
    # The first one's offer was taken: withdrawing it now is refused, and said.
    page.click(f"#slot-{slot_id}-action")
    page.wait_for_load_state()
    assert "un voisin l'a repris" in page.inner_text(".flashes")
