"""axe-core finds no WCAG 2.2 AA violation on any page, for each role, in French and English."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from axe_playwright_python.sync_playwright import Axe

from app.extensions import db
from app.residences.models import Membership, Residence
from app.residents import services as residents
from app.users.models import User
from tests.browser.conftest import log_in

AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]},
    "resultTypes": ["violations"],
}
_axe = Axe()


def check(page, url: str, problems: list[str]) -> None:
    """Open ``url`` (or stay if None) and record axe's violations."""
    if url is not None:
        page.goto(url)
    page.wait_for_load_state("load")
    results = _axe.run(page, options=AXE_OPTIONS)
    if results.violations_count:
        problems.append(f"{page.url}\n{results.generate_report()}")


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
        db.session.commit()
        return {
            "jeanne": jeanne.id,
            "pending": membership.id,
            "invitation": invitation.id,
            "code": code,
        }


PAGES_ALL = ["/", "/rooms", "/activities", "/votes", "/charter", "/me", "/me/password"]


def pages_for(role: str, objects) -> list[str]:
    pages = list(PAGES_ALL)
    if role in ("coordinator", "landlord_admin"):
        pages += [
            "/residents",
            "/residents?q=zzzz",
            "/residents/new",
            f"/residents/{objects['jeanne']}",
            f"/residents/{objects['pending']}",
            f"/residents/invitations/{objects['invitation']}",
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


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_anonymous_pages(lang, page, server, objects):
    problems: list[str] = []
    for path in [
        "/login",
        "/activate",
        f"/activate/{objects['code']}",
        "/activate/NOPE123456",
        "/nowhere",
    ]:
        check(page, f"{server.url}{path}?lang={lang}", problems)
    # Forms with errors, too.
    page.goto(f"{server.url}/login?lang={lang}")
    page.click("main form button[type=submit]")
    check(page, None, problems)
    page.goto(f"{server.url}/activate?lang={lang}")
    page.fill("#code", "wrong")
    page.click("main form button[type=submit]")
    check(page, None, problems)
    assert not problems, "\n\n".join(problems)


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("role", list(USERS))
def test_every_page_as_each_role(role, lang, page, server, objects):
    log_in(page, server, USERS[role])
    problems: list[str] = []
    page.goto(f"{server.url}/?lang={lang}")
    assert page.locator("html").get_attribute("lang") == lang
    for path in pages_for(role, objects):
        check(page, server.url + path, problems)
    if role == "coordinator":
        # The add-a-person form with its errors shown.
        page.goto(server.url + "/residents/new")
        page.fill("#email", "not an address")
        page.click("main form button[type=submit]")
        check(page, None, problems)
    page.goto(f"{server.url}/?lang=fr")  # leave the demo account in French
    assert not problems, "\n\n".join(problems)


@pytest.mark.parametrize("text_size", ["0", "2"])
def test_high_contrast_and_large_text_have_no_violations(text_size, page, server, objects):
    log_in(page, server, "coordination.armentieres")
    page.click(f"footer button[name=text_size][value='{text_size}']")
    page.click("footer button[name=high_contrast]")
    problems: list[str] = []
    try:
        for path in ["/", "/me", "/residents", f"/residents/{objects['jeanne']}", "/login"]:
            check(page, server.url + path, problems)
    finally:
        page.goto(server.url + "/")
        page.click("footer button[name=text_size][value='0']")
        page.click("footer button[name=high_contrast]")
    assert "contrast" not in (page.locator("html").get_attribute("class") or "")
    assert not problems, "\n\n".join(problems)


def test_the_axe_check_does_report_violations(page):
    """The harness itself: a page with known faults must not pass."""
    page.set_content('<html><body><img src="x.png"><button></button></body></html>')
    problems: list[str] = []
    check(page, None, problems)
    assert problems and "image-alt" in problems[0] and "html-has-lang" in problems[0]
