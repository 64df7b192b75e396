"""Proxies and the voting desk in a browser (issue 9, points 5 and 6): by touch at 390 px
and by keyboard, a resident gives her proxy to a neighbour, who votes for her (question,
review, receipt) besides his own; the committee's desk records a public ballot by name and a
secret batch. The same without JavaScript."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.core.db import utcnow
from app.extensions import db
from app.residences.models import Membership
from app.users.models import User
from app.votes import services as votes
from app.votes.models import Electorate, Participation
from tests.browser.conftest import log_in, make_resident

PAIRS = {
    "touch": ("mandante.tactile", "mandataire.tactile"),
    "keyboard": ("mandante.clavier", "mandataire.clavier"),
    "noscript": ("mandante.sans.script", "mandataire.sans.script"),
}
DESK_PEOPLE = ("urne.une", "urne.deux", "urne.trois")


def _member(username: str) -> Membership:
    return db.session.scalar(
        sa.select(Membership).join(Membership.user).where(User.username == username)
    )


def _new_vote(live_app, title: str, *, secret: bool) -> int:
    with live_app.app_context():
        committee = _member("comite.armentieres")
        proposal = votes.create_proposal(committee, title, "Une règle à essayer.")
        now = utcnow()
        vote = votes.create_vote(
            committee,
            proposal,
            votes.Settings(
                opens_at=now - dt.timedelta(hours=1),
                closes_at=now + dt.timedelta(days=3),
                electorate=Electorate.RESIDENTS,
                secret=secret,
                results_hidden=secret,
            ),
        )
        db.session.commit()
        return vote.id


@pytest.fixture(scope="module")
def people(live_app):
    for principal, holder in PAIRS.values():
        make_resident(live_app, principal, principal[:20])
        make_resident(live_app, holder, holder[:20])
    for username in DESK_PEOPLE:
        make_resident(live_app, username, username)
    with live_app.app_context():
        return {u: _member(u).id for pair in PAIRS.values() for u in pair} | {
            u: _member(u).id for u in DESK_PEOPLE
        }


def _name(username: str) -> str:
    return username.replace(".", " ").title()


def _counted(live_app, vote_id: int, member_id: int) -> Participation | None:
    with live_app.app_context():
        return db.session.scalar(
            sa.select(Participation).where(
                Participation.vote_id == vote_id, Participation.membership_id == member_id
            )
        )


def _give_by_touch(page, server, principal: str, holder_id: int, vote_id: int) -> None:
    log_in(page, server, principal)
    page.goto(server.url + "/votes/proxies")
    page.select_option("#holder", str(holder_id))
    page.locator(f"input[name=scope][value=vote-{vote_id}]").tap()
    page.locator("#give-button").tap()
    expect(page.locator("main")).to_contain_text("C'est fait")
    expect(page.locator("main")).to_contain_text("Retirer la procuration")


def test_a_proxy_vote_by_touch(context_factory, server, live_app, people):
    vote_id = _new_vote(live_app, "Vélos dans la cour", secret=True)
    principal, holder = PAIRS["touch"]
    _give_by_touch(context_factory().new_page(), server, principal, people[holder], vote_id)

    page = context_factory().new_page()
    log_in(page, server, holder)
    page.goto(server.url + "/votes/proxies")
    page.get_by_role("link", name=f"Voter pour {_name(principal)}").tap()
    expect(page.locator("h1")).to_have_text(f"Vous votez pour {_name(principal)}")
    page.locator("#choice-contre").tap()
    expect(page.locator("h1")).to_contain_text(f"« Contre » pour {_name(principal)}")
    page.locator("#confirm-button").tap()
    expect(page.locator("h1")).to_have_text(f"Le vote de {_name(principal)} est enregistré")
    row = _counted(live_app, vote_id, people[principal])
    assert row is not None and row.cast_by_id == people[holder]
    # Back on the list: done for her, and his own vote is still his to cast.
    page.goto(server.url + "/votes/proxies")
    expect(page.locator("main")).to_contain_text(f"Vous avez voté pour {_name(principal)}.")
    assert _counted(live_app, vote_id, people[holder]) is None


def test_a_proxy_vote_by_keyboard(context_factory, server, live_app, people):
    vote_id = _new_vote(live_app, "Plantes sur les paliers", secret=False)
    principal, holder = PAIRS["keyboard"]
    page = context_factory(has_touch=False).new_page()
    log_in(page, server, principal)
    page.goto(server.url + "/votes/proxies")
    page.focus("#holder")
    page.select_option("#holder", str(people[holder]))
    page.focus(f"input[name=scope][value=vote-{vote_id}]")
    page.keyboard.press("Space")
    page.focus("#give-button")
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_contain_text("C'est fait")

    page = context_factory(has_touch=False).new_page()
    log_in(page, server, holder)
    page.goto(server.url + "/votes/proxies")
    page.get_by_role("link", name=f"Voter pour {_name(principal)}").focus()
    page.keyboard.press("Enter")
    page.locator("#choice-pour").focus()
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_contain_text("Confirmer ?")
    page.locator("#confirm-button").focus()
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text(f"Le vote de {_name(principal)} est enregistré")
    # A public vote: the holder may change it until the close.
    page.goto(server.url + "/votes/proxies")
    expect(page.get_by_role("link", name=f"Changer le vote de {_name(principal)}")).to_be_visible()


def test_without_javascript(context_factory, server, live_app, people):
    vote_id = _new_vote(live_app, "Horaires de la laverie", secret=True)
    principal, holder = PAIRS["noscript"]
    page = context_factory(java_script_enabled=False).new_page()
    log_in(page, server, principal)
    page.goto(server.url + "/votes/proxies")
    page.select_option("#holder", str(people[holder]))
    page.check(f"input[name=scope][value=vote-{vote_id}]")
    page.click("#give-button")
    expect(page.locator("main")).to_contain_text("C'est fait")

    page = context_factory(java_script_enabled=False).new_page()
    log_in(page, server, holder)
    page.goto(server.url + f"/votes/{vote_id}/proxy/{people[principal]}")
    page.click("#choice-abstention")
    page.click("#confirm-button")
    expect(page.locator("h1")).to_have_text(f"Le vote de {_name(principal)} est enregistré")
    # Then the principal cannot vote herself: the desk lists her as counted by proxy.
    page = context_factory(java_script_enabled=False).new_page()
    log_in(page, server, "comite.armentieres")
    page.goto(server.url + f"/votes/{vote_id}/desk")
    expect(page.locator("main")).to_contain_text(f"{_name(principal)} : a voté par procuration")


def test_the_desk_by_touch(context_factory, server, live_app, people):
    public = _new_vote(live_app, "Barbecue du jardin", secret=False)
    secret = _new_vote(live_app, "Couleur du hall", secret=True)
    page = context_factory().new_page()
    log_in(page, server, "comite.armentieres")
    # A public vote: one ballot by name.
    page.goto(server.url + f"/votes/{public}/desk")
    page.select_option("#person", str(people["urne.une"]))
    page.locator("input[name=choice][value=pour]").tap()
    page.locator("input[name=channel][value=room]").tap()
    page.locator("#ballot-button").tap()
    expect(page.locator("main")).to_contain_text(f"Enregistré : {_name('urne.une')}, Pour")
    # A secret vote: a batch whose counts do not add up, then right.
    page.goto(server.url + f"/votes/{secret}/desk")
    for username in ("urne.deux", "urne.trois"):
        page.locator(f"input[name=people][value='{people[username]}']").tap()
    page.fill("#count_pour", "1")
    page.locator("#batch-button").tap()
    expect(page.locator("main")).to_contain_text("Recomptez")
    page.fill("#count_contre", "1")
    page.locator("#batch-button").tap()
    expect(page.locator("main")).to_contain_text("Enregistré : 2 bulletins (sur papier)")
    expect(page.locator("main")).to_contain_text(f"{_name('urne.deux')} : a voté sur papier")
    assert _counted(live_app, secret, people["urne.trois"]) is not None
