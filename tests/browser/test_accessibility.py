"""axe-core finds no WCAG 2.2 AA violation on any page, for each role, in French and English,
with the default display on a 390 px phone and with high contrast and the largest text on a
320 px one; and no page scrolls sideways."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from axe_playwright_python.sync_playwright import Axe

from app.activities import services as activities
from app.activities.models import Category, PlaceKind
from app.core.db import utcnow
from app.core.timeutils import Period, local_today
from app.extensions import db
from app.residences.models import Membership, Residence
from app.residents import services as residents
from app.users.models import User
from tests.browser.conftest import DISPLAYS, log_in, set_display

AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]},
    "resultTypes": ["violations", "incomplete"],
}
_axe = Axe()

SIDEWAYS = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


def _same_colour_text(results) -> list[str]:
    """Text drawn in its background's colour (yellow on yellow): axe files it under
    "incomplete" ("1:1 contrast ratio"), not under violations, so it is looked for here."""
    found = []
    for rule in results.response.get("incomplete", []):
        if rule["id"] != "color-contrast":
            continue
        for node in rule["nodes"]:
            reasons = {check.get("data", {}).get("messageKey") for check in node["any"]}
            if "equalRatio" in reasons:
                found.append(f"  same colour as its background: {node['html'][:160]}")
    return found


def check(page, url: str, problems: list[str]) -> None:
    """Open ``url`` (or stay if None) and record axe's violations, text in its background's
    colour, and a page wider than the screen."""
    if url is not None:
        page.goto(url)
    page.wait_for_load_state("load")
    results = _axe.run(page, options=AXE_OPTIONS)
    if results.violations_count:
        problems.append(f"{page.url}\n{results.generate_report()}")
    if same := _same_colour_text(results):
        problems.append(f"{page.url}\n" + "\n".join(same))
    if (overflow := page.evaluate(SIDEWAYS)) > 0:
        problems.append(f"{page.url}\n  scrolls sideways by {overflow} px")


@pytest.fixture(scope="module")
def objects(live_app):
    """Ids of the demo objects the coordinator pages show, plus a fresh invitation."""
    with live_app.app_context(), live_app.test_request_context():
        residence = db.session.scalar(sa.select(Residence).where(Residence.name.like("%Armenti%")))
        coordinator = db.session.scalar(
            sa.select(User).where(User.username == "coordination.armentieres")
        )
        jeanne = db.session.scalar(
            sa.select(Membership).join(Membership.user).where(User.username == "jeanne.martin")
        )
        membership, invitation, code = residents.create_resident(
            coordinator, residence, full_name="Paulette Axe", home_label="A30"
        )
        # Another newcomer, whose sheet the sweep prints again (a new code each time).
        reprint, _invitation, _code = residents.create_resident(
            coordinator, residence, full_name="Marcel Axe", home_label="A31"
        )
        # An activity with helpers: one full with a waiting list, where Jeanne is waiting.
        planner = db.session.scalar(
            sa.select(Membership).where(
                Membership.user_id == coordinator.id, Membership.residence_id == residence.id
            )
        )
        tomorrow = local_today(residence.tz, utcnow()) + dt.timedelta(days=1)
        workshop = activities.create_activity(
            planner,
            activities.Plan(
                title="Atelier cuisine",
                category=Category.WORKSHOP,
                period=Period.from_local(
                    dt.datetime.combine(tomorrow, dt.time(14)),
                    dt.datetime.combine(tomorrow, dt.time(16)),
                    residence.tz,
                ),
                capacity=1,
                helper_places=2,
                place_kind=PlaceKind.OUTSIDE,
                address="Marché couvert",
                step_free=True,
            ),
        )
        activities.register(planner, workshop, for_member=membership)
        activities.register(jeanne, workshop)
        # A session that started an hour ago, for the roll call: a helper, a participant
        # marked as come, one not marked yet, one on the waiting list.
        now = utcnow()
        singing = activities.create_activity(
            planner,
            activities.Plan(
                title="Chant en chœur",
                category=Category.ANIMATION,
                period=Period(now - dt.timedelta(hours=1), now + dt.timedelta(minutes=30)),
                capacity=2,
                helper_places=1,
                place_kind=PlaceKind.GARDEN,
            ),
        )
        before = now - dt.timedelta(hours=2)
        others = db.session.scalars(
            sa.select(Membership)
            .join(Membership.user)
            .where(User.username.in_(["odette.leroy", "karim.haddad", "lucas.bernard"]))
            .order_by(User.username)
        ).all()
        activities.register(jeanne, singing, now=before)
        for person in others:
            activities.register(person, singing, now=before)
        activities.register(planner, singing, for_member=membership, as_helper=True, now=before)
        activities.mark_attendance(planner, singing, jeanne, True)
        idea = activities.propose(
            jeanne, title="Atelier mémoire", idea="Des jeux de mots, en petit groupe.", when="mardi"
        )
        # The watering rota: besides the demo's turns (free, taken, offered by Odette),
        # one of Jeanne's that she has offered to her neighbours.
        later = tomorrow + dt.timedelta(days=11)
        activities.create_slots(planner, later, later, [(dt.time(6), dt.time(6, 30))])
        (offered,) = activities.rota(residence, later, later)
        activities.claim(jeanne, offered)
        activities.offer(jeanne, offered)
        db.session.commit()
        return {
            "jeanne": jeanne.id,
            "pending": membership.id,
            "reprint": reprint.id,
            "invitation": invitation.id,
            "code": code,
            "activity": workshop.id,
            "started": singing.id,
            "idea": idea.id,
        }


PAGES_ALL = [
    "/",
    "/rooms",
    "/activities",
    "/votes",
    "/charter",
    "/me",
    "/me/password",
    "/display?next=/me",
]


def pages_for(role: str, objects) -> list[str]:
    pages = list(PAGES_ALL) + [
        f"/activities/{objects['activity']}",
        "/activities/print",
        "/activities/ideas",
        "/activities/garden",
    ]
    if role in ("coordinator", "landlord_admin"):
        pages += [
            "/residents",
            "/residents?q=zzzz",
            "/residents/new",
            f"/residents/{objects['jeanne']}",
            f"/residents/{objects['pending']}",
            f"/residents/invitations/{objects['invitation']}",
            "/activities/new",
            f"/activities/{objects['activity']}/sheet",
            f"/activities/{objects['activity']}/edit",
            f"/activities/{objects['activity']}/postpone",
            f"/activities/{objects['started']}",
            f"/activities/{objects['started']}/roll-call",
            "/activities/attendance",
            f"/activities/ideas/{objects['idea']}",
            f"/activities/new?proposal={objects['idea']}",
            "/activities/garden/season",
        ]
    else:
        pages += ["/residents"]  # the 403 page
    if role == "landlord_admin":
        pages += ["/residence/switch"]
    return pages


USERS = {
    "resident": "jeanne.martin",
    "committee": "comite.armentieres",
    "coordinator": "coordination.armentieres",
    "landlord_admin": "bailleur.admin",
}


@pytest.mark.parametrize("display", list(DISPLAYS))
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_anonymous_pages(lang, display, page, server, objects):
    set_display(page, server, display)
    problems: list[str] = []
    for path in [
        "/login",
        "/activate",
        f"/activate/{objects['code']}",
        "/activate/NOPE123456",
        "/display?next=/login",
        "/nowhere",
    ]:
        joiner = "&" if "?" in path else "?"
        check(page, f"{server.url}{path}{joiner}lang={lang}", problems)
    # Forms with errors, too.
    page.goto(f"{server.url}/login?lang={lang}")
    page.click("main form button[type=submit]")
    check(page, None, problems)
    page.goto(f"{server.url}/activate?lang={lang}")
    page.fill("#code", "wrong")
    page.click("main form button[type=submit]")
    check(page, None, problems)
    assert not problems, "\n\n".join(problems)


@pytest.mark.parametrize("display", list(DISPLAYS))
@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("role", list(USERS))
def test_every_page_as_each_role(role, lang, display, page, server, objects):
    log_in(page, server, USERS[role])
    set_display(page, server, display)
    problems: list[str] = []
    page.goto(f"{server.url}/?lang={lang}")
    assert page.locator("html").get_attribute("lang") == lang
    try:
        for path in pages_for(role, objects):
            check(page, server.url + path, problems)
        if role == "coordinator":
            # The invitation sheet, as printed right after a new code is made (shown once).
            page.goto(f"{server.url}/residents/{objects['reprint']}")
            page.click("#reissue-button")
            page.wait_for_url("**/residents/invitations/*")
            assert page.locator(".sheet-code").count() == 1
            check(page, None, problems)
            # The add-a-person form with its errors shown.
            page.goto(server.url + "/residents/new")
            page.fill("#email", "not an address")
            page.click("main form button[type=submit]")
            check(page, None, problems)
            # The new-activity form with its errors shown.
            page.goto(server.url + "/activities/new")
            page.click("#save-activity")
            check(page, None, problems)
            # The watering season's form with its errors shown.
            page.goto(server.url + "/activities/garden/season")
            page.fill("#last_day", "")
            page.uncheck("#morning")
            page.fill("#evening_start", "")
            page.click("#season-button")
            check(page, None, problems)
    finally:
        # Leave the demo account as it was: French, default display.
        page.goto(f"{server.url}/?lang=fr")
        set_display(page, server, "default")
    assert not problems, "\n\n".join(problems)


def test_the_axe_check_does_report_violations(page):
    """The harness itself: a page with known faults must not pass."""
    page.set_content(
        '<html><body><img src="x.png"><button></button>'
        '<p style="color:#ff0;background:#ff0">Réserver</p>'
        '<div style="width:2000px">large</div></body></html>'
    )
    problems: list[str] = []
    check(page, None, problems)
    report = "\n".join(problems)
    assert "image-alt" in report and "html-has-lang" in report
    assert "same colour as its background" in report and "Réserver" in report
    assert "scrolls sideways" in report
