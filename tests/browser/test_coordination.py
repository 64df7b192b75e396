"""The coordination in a browser (issue 7, points 3, 7 and 8): the invitation sheet on a
phone and on paper, in the resident's language; the coordinator's day; the coordination's
contact details; axe on these pages, in French and English, with the defaults and with high
contrast and the largest text."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from app.bookings import services as bookings
from app.cli import DEMO_PASSWORD
from app.core.db import utcnow
from app.core.permissions import Role
from app.core.timeutils import Period, local_today
from app.extensions import db
from app.residences.models import Membership, Residence
from app.residents import services as residents
from app.rooms.models import Room
from app.users.models import User
from app.users.services import hash_password
from tests.browser.conftest import log_in
from tests.browser.test_accessibility import check

A4_HEIGHT = 1123  # 297 mm at 96 px per inch
A4_WIDTH = 794  # 210 mm
BIG_AND_CONTRAST = "coordination.grand"  # a coordinator with "Très grand" and high contrast


def _member(username: str, residence: Residence) -> Membership:
    return db.session.scalar(
        sa.select(Membership)
        .join(Membership.user)
        .where(User.username == username, Membership.residence_id == residence.id)
    )


def _residence(like: str) -> Residence:
    return db.session.scalar(sa.select(Residence).where(Residence.name.like(like)))


@pytest.fixture(scope="module")
def data(live_app):
    """Added to the demo: an English-speaking resident's invitation, a coordinator who
    reads with the largest text and high contrast, a booking today and a request."""
    with live_app.app_context():
        residence = _residence("%Armenti%")
        coordinator = _member("coordination.armentieres", residence)
        english, _invitation, _code = residents.create_resident(
            coordinator.user, residence, full_name="Margaret Brown", home_label="B40", locale="en"
        )
        big = User(
            username=BIG_AND_CONTRAST,
            full_name="Claude Grand",
            password_hash=hash_password(DEMO_PASSWORD),
            locale="fr",
            text_size=2,
            high_contrast=True,
        )
        db.session.add_all([big, Membership(user=big, residence=residence, role=Role.COORDINATOR)])
        rooms = {
            room.name: room
            for room in db.session.scalars(sa.select(Room).where(Room.residence_id == residence.id))
        }
        tz = residence.tz
        today = local_today(tz, utcnow())
        midnight = Period.days(today, today, tz).start  # the whole day can be booked

        def local(day: dt.date, time: dt.time) -> dt.datetime:
            return dt.datetime.combine(day, time)

        dryer = bookings.reserve(
            _member("odette.leroy", residence),
            rooms["Laverie – sèche-linge"],
            Period.from_local(local(today, dt.time(8)), local(today, dt.time(9)), tz),
            now=midnight,
        )
        guest = rooms["Chambre d'amis"]
        first_night = today + dt.timedelta(days=1)
        request = bookings.reserve(
            _member("karim.haddad", residence),
            guest,
            Period.from_local(
                local(first_night, guest.checkin_time),
                local(first_night + dt.timedelta(days=1), guest.checkout_time),
                tz,
            ),
            purpose="Mon fils",
            now=midnight,
        )
        db.session.commit()
        return {"english": english.id, "dryer": dryer.id, "request": request.id}


def open_new_sheet(page, server, membership_id: int) -> None:
    """The invitation sheet as the coordinator prints it: right after a new code is made
    (the code is shown once; only its hash is kept)."""
    page.goto(f"{server.url}/residents/{membership_id}")
    page.click("#reissue-button")
    page.wait_for_url(re.compile(r".*/residents/invitations/\d+$"))


def log_in_as(page, server, username: str, lang: str = "fr") -> None:
    """Log in and set the language (``?lang=`` is remembered on the account)."""
    log_in(page, server, username)
    page.goto(f"{server.url}/?lang={lang}")


# -- The invitation sheet on a phone -----------------------------------------------------

CODE_BOX = """() => {
    const code = document.querySelector('.sheet-code');
    const sheet = document.querySelector('.sheet').getBoundingClientRect();
    const range = document.createRange();
    range.selectNodeContents(code);
    const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
    const text = range.getBoundingClientRect();
    const url = document.querySelector('.sheet-url, .sheet li:nth-child(2)');
    const urlBox = url.getBoundingClientRect();
    return {
        lines: tops.size,
        codeInside: text.left >= sheet.left && text.right <= sheet.right,
        urlInside: urlBox.right <= sheet.right + 0.5,
        pageWidth: document.documentElement.scrollWidth,
        fontSize: parseFloat(getComputedStyle(code).fontSize),
        bodySize: parseFloat(getComputedStyle(document.body).fontSize),
        groupsWhole: [...code.querySelectorAll('span')].every(group => {
            const r = document.createRange();
            r.selectNodeContents(group);
            return new Set([...r.getClientRects()].map(b => Math.round(b.top))).size === 1;
        }),
    };
}"""


@pytest.mark.parametrize(
    "username, width",
    [
        ("coordination.armentieres", 390),
        ("coordination.armentieres", 320),
        (BIG_AND_CONTRAST, 320),
    ],
)
def test_on_a_phone_the_code_is_larger_than_the_text_and_inside_the_card(
    username, width, page, server, data
):
    page.set_viewport_size({"width": width, "height": 844})
    log_in_as(page, server, username)
    open_new_sheet(page, server, data["english"])
    found = page.evaluate(CODE_BOX)
    # One line with the usual text; with the largest text its groups may go on two lines,
    # never a group cut in two, and the code stays larger than the text around it.
    assert found["lines"] == (1 if username != BIG_AND_CONTRAST else found["lines"]), found
    assert found["lines"] <= 2 and found["groupsWhole"], found
    assert found["fontSize"] >= 1.4 * found["bodySize"], found
    assert found["codeInside"] and found["urlInside"], found
    assert found["pageWidth"] <= width, found  # no sideways scroll


def test_the_coordinators_pages_fit_320_px_with_the_largest_text(page, server, data):
    page.set_viewport_size({"width": 320, "height": 700})
    log_in_as(page, server, BIG_AND_CONTRAST)
    wide = {}
    for path in ["/", "/me", "sheet"]:
        if path == "sheet":
            open_new_sheet(page, server, data["english"])
        else:
            page.goto(server.url + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 320:
            wide[path] = width
    assert not wide


# -- On paper ------------------------------------------------------------------------------


def _pdf_pages(page) -> int:
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    return len(re.findall(rb"/Type\s*/Page(?!s)", pdf))


def _print_view(page):
    page.set_viewport_size({"width": A4_WIDTH, "height": A4_HEIGHT})
    page.emulate_media(media="print")


def test_the_sheet_is_printed_in_the_residents_language_on_one_page(page, server, data):
    log_in_as(page, server, "coordination.armentieres", "fr")
    open_new_sheet(page, server, data["english"])
    assert page.inner_text("nav.main-nav").startswith("Accueil")  # the page is in French
    assert "Imprimer la feuille" in page.inner_text("main")
    _print_view(page)
    printed = page.inner_text("body")
    assert printed.lstrip().startswith("Your invitation to Maison commune")
    assert "To create your account" in printed
    assert re.search(r"It is valid until \d{1,2} [A-Z][a-z]+ \d{4}\.", printed)
    assert "This code is personal" in printed
    assert "To reach the coordinator:" in printed and "03 53 01 24 60" in printed
    for french in ("Accueil", "Imprimer", "Retour", "Affichage", "Votre invitation"):
        assert french not in printed
    assert page.evaluate("document.documentElement.scrollHeight") <= A4_HEIGHT
    assert _pdf_pages(page) == 1


LONG_HOURS = (
    "le lundi, le mardi et le jeudi de 9 h à 12 h et de 14 h à 17 h, le vendredi de 9 h à "
    "12 h ; pendant les vacances scolaires, le mardi seulement ; fermé en août et entre Noël "
    "et le jour de l'An"
)[:200]
LONG_PLACE = (
    "Bureau de la coordination au rez-de-chaussée du bâtiment B, porte 3, à côté de la salle "
    "commune et de la laverie, en face des boîtes aux lettres ; sonnez à l'interphone si la "
    "porte est fermée, s'il vous plaît"
)[:200]


def test_the_longest_texts_still_fit_one_a4_page_with_the_expiry_date(page, server, live_app):
    """Every text at the longest its column allows: the person's name, their home, the
    contact details; in French, whose sentences are the longer."""
    with live_app.app_context():
        residence = _residence("%Thierry Sabine%")
        coordinator = _member("coordination.hirson", residence)
        membership, _invitation, _code = residents.create_resident(
            coordinator.user,
            residence,
            full_name=("Marie-Thérèse Van Den Bossche-Delacroix " * 4)[:120],
            home_label="Bâtiment des Tilleuls, escalier C, 12"[:40],
            locale="fr",
        )
        residence.contact_phone = "+33 (0)3 53 01 24 60 - 12 34"[:30]
        residence.contact_hours, residence.contact_place = LONG_HOURS, LONG_PLACE
        db.session.commit()
        membership_id, residence_id = membership.id, residence.id
    try:
        log_in_as(page, server, "coordination.hirson", "fr")
        open_new_sheet(page, server, membership_id)
        _print_view(page)
        expiry = page.locator("text=Il est valable jusqu'au")
        assert expiry.is_visible()
        assert expiry.bounding_box()["y"] + expiry.bounding_box()["height"] <= A4_HEIGHT
        assert page.locator(".sheet").bounding_box()["width"] <= A4_WIDTH
        assert page.evaluate("document.documentElement.scrollHeight") <= A4_HEIGHT
        assert _pdf_pages(page) == 1
    finally:
        with live_app.app_context():
            residence = db.session.get(Residence, residence_id)
            residence.contact_phone = residence.contact_hours = residence.contact_place = ""
            db.session.commit()


# -- The coordinator's day ---------------------------------------------------------------


def test_the_coordinators_home_shows_the_requests_and_today_by_touch(page, server, data):
    log_in_as(page, server, "coordination.armentieres", "fr")
    requests = page.locator("section[aria-labelledby=requests-title]")
    assert re.match(r"\d+ demandes? à valider", requests.locator("h2").inner_text())
    assert "Karim Haddad (logement B21)" in requests.inner_text()
    today = page.locator("section[aria-labelledby=day-1-title]")
    assert today.locator("h2").inner_text().startswith("Aujourd'hui, ")
    text = today.inner_text()
    assert "Laverie – sèche-linge" in text and "Odette Leroy (logement A02)" in text
    assert (
        today.locator(f"a[href='/bookings/{data['dryer']}']").inner_text().replace("\xa0", " ")
        == "De 8 h à 9 h"
    )
    assert (
        page.locator("section[aria-labelledby=day-2-title] h2").inner_text().startswith("Demain, ")
    )
    assert re.search(r"(Aucune invitation|\d+ invitations?) en attente", page.inner_text("main"))
    page.locator("a", has_text="Répondre aux demandes").tap()
    page.wait_for_url(re.compile(r".*/bookings/queue$"))
    assert page.locator(f"#request-{data['request']}").is_visible()


def test_the_coordinator_sets_the_contact_details_by_keyboard(
    page, server, live_app, data, context_factory
):
    log_in_as(page, server, "coordination.armentieres", "fr")
    page.goto(server.url + "/me")
    page.locator("a", has_text="Coordonnées de la coordination").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(server.url + "/residence/contact")
    assert page.input_value("#contact_phone") == "03 53 01 24 60"
    page.focus("#contact_phone")
    page.keyboard.press("Control+A")
    page.keyboard.type("Sophie 03")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Ce numéro ne semble pas valable" in page.inner_text("#contact_phone-error")
    page.fill("#contact_phone", "03 53 01 24 61")
    page.focus("#contact_phone")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == server.url + "/residence/contact"
    assert "Les coordonnées de la coordination sont enregistrées." in page.inner_text("main")
    try:
        resident = context_factory().new_page()
        log_in_as(resident, server, "jeanne.martin", "fr")
        resident.goto(server.url + "/me")
        phone = resident.locator("a.contact-phone")
        assert phone.get_attribute("href") == "tel:0353012461"
        assert phone.bounding_box()["height"] >= 44
    finally:
        with live_app.app_context():
            _residence("%Armenti%").contact_phone = "03 53 01 24 60"
            db.session.commit()


# -- axe ---------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("username", ["coordination.armentieres", BIG_AND_CONTRAST])
def test_no_violations_on_the_coordination_pages(username, lang, page, server, data):
    log_in_as(page, server, username, lang)
    problems: list[str] = []
    for path in [
        "/",
        "/residence/contact",
        f"/residents/{data['english']}",
        "/me",
        "/activities",
    ]:
        check(page, server.url + path, problems)
    # The invitation sheet, right after its code is made, and the page when it is revisited
    # (the code is shown once: a button makes a new one).
    open_new_sheet(page, server, data["english"])
    check(page, None, problems)
    check(page, page.url, problems)
    # The contact form with its errors shown.
    page.goto(server.url + "/residence/contact")
    page.fill("#contact_phone", "not a number")
    page.fill("#contact_hours", "x" * 201)
    page.click("main form button[type=submit]")
    check(page, None, problems)
    # Back to French for the tests that follow.
    page.goto(f"{server.url}/?lang=fr")
    assert not problems, "\n\n".join(problems)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_no_violations_where_a_stranger_is_told_how(lang, page, server):
    """Before logging in, the person is sent to their invitation sheet for the details."""
    problems: list[str] = []
    for path in ["/login", "/activate/NOPE234567"]:
        check(page, f"{server.url}{path}?lang={lang}", problems)
        assert page.locator("main p.contact").count() == 1, path
    assert not problems, "\n\n".join(problems)
