"""axe-core finds no WCAG 2.2 AA violation on any page, for each role, in French and English,
with the default display on a 390 px phone and with high contrast and the largest text on a
320 px one; and no page scrolls sideways."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from axe_playwright_python.base import AxeResults
from axe_playwright_python.sync_playwright import Axe

from app.activities import services as activities
from app.activities.models import Category, PlaceKind
from app.core.db import utcnow
from app.core.timeutils import Period, local_today
from app.extensions import db
from app.residences.models import Membership, Residence
from app.residents import services as residents
from app.users.models import User
from app.votes import charter_services as charter
from app.votes import services as votes
from app.votes.models import ChangeKind, Proposal, ProposalComment, ProposalStatus, Vote
from tests.browser.conftest import DISPLAYS, log_in, set_display

AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]},
    "resultTypes": ["violations", "incomplete"],
}
_axe = Axe()
AXE_RUN = "options => axe.run(document, options)"

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


@pytest.fixture(autouse=True)
def axe_on_every_page(page):
    """axe-core is put in each document as it loads, before the page's own scripts, rather
    than sent over again (half a megabyte) before each check."""
    page.context.add_init_script(script=_axe.axe_script)


def check(page, url: str, problems: list[str]) -> None:
    """Open ``url`` (or stay if None) and record an error page, axe's violations, text in
    its background's colour, and a page wider than the screen."""
    if url is not None:
        response = page.goto(url)
        if response is not None and response.status >= 500:
            problems.append(f"{page.url}\n  answered {response.status}")
    page.wait_for_load_state("load")
    if not page.evaluate("typeof axe === 'object'"):  # a page opened before the fixture
        page.evaluate(_axe.axe_script)
    results = AxeResults(page.evaluate(AXE_RUN, AXE_OPTIONS))
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
        ballots = _votes(jeanne)
        # The charter: a draft of Jeanne's (she may edit it), and the demo's proposals.
        draft = votes.create_proposal(
            jeanne,
            "Une boîte à livres",
            "Une boîte à livres dans le hall : on prend un livre, on en dépose un.",
            summary="Des livres à partager dans le hall.",
        )
        db.session.commit()
        titled = {
            p.title: p
            for p in db.session.scalars(
                sa.select(Proposal).where(Proposal.residence_id == residence.id)
            )
        }
        bikes_comment = db.session.scalar(
            sa.select(ProposalComment.id)
            .where(ProposalComment.proposal_id == titled["Les vélos dans la cour"].id)
            .order_by(ProposalComment.id)
        )
        # A hidden comment: its reason in its place, and the committee's button to show it.
        committee = db.session.scalar(
            sa.select(Membership).join(Membership.user).where(User.username == "comite.armentieres")
        )
        hidden = charter.add_comment(
            jeanne, titled["Les vélos dans la cour"], "Un avis masqué (axe)."
        )
        charter.hide_comment(committee, hidden, "Hors sujet")
        db.session.commit()
        pets = titled["Les animaux dans la salle commune"]
        pets_vote = db.session.scalar(sa.select(Vote).where(Vote.proposal_id == pets.id))
        return {
            **{key: vote.id for key, vote in ballots.items()},
            "decided_proposal": ballots["decided"].proposal_id,
            "draft": draft.id,
            "discussed": titled["Les vélos dans la cour"].id,
            "voting": titled["Heures calmes le dimanche"].id,
            "adopted": pets.id,
            "article": pets.article_id,
            "minutes": pets_vote.id,
            "jeanne": jeanne.id,
            "pending": membership.id,
            "reprint": reprint.id,
            "invitation": invitation.id,
            "code": code,
            "activity": workshop.id,
            "started": singing.id,
            "idea": idea.id,
            "offered_slot": offered.id,
            "comment": bikes_comment,
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
    "/me/data",
    "/me/close",
    "/confidentialite",
]


def _votes(jeanne) -> dict:
    """Votes of Armentières: open (secret, one voice per home), open and already voted by
    Jeanne (public, results shown), to come, closed with a result; and a proposal in
    discussion, ready for a vote."""
    committee = db.session.scalar(
        sa.select(Membership).join(Membership.user).where(User.username == "comite.armentieres")
    )
    now = utcnow()
    hour = dt.timedelta(hours=1)

    def put(title, opens_at, closes_at, **settings):
        proposal = votes.create_proposal(
            committee, title, "Le texte de la règle.", why="Parce que.", summary="En bref."
        )
        return votes.create_vote(
            committee, proposal, votes.Settings(opens_at=opens_at, closes_at=closes_at, **settings)
        )

    opened = put("Heures calmes (axe)", now - hour, now + 48 * hour, quorum_percent=30)
    voted = put(
        "Le linge (axe)",
        now - hour,
        now + 48 * hour,
        secret=False,
        results_hidden=False,
        electorate=votes.Electorate.RESIDENTS,
    )
    votes.cast(jeanne, voted, "pour", now=now)
    coming = put("Le jardin (axe)", now + 24 * hour, now + 96 * hour)
    closed = put("Les animaux (axe)", now - 48 * hour, now + hour)
    votes.cast(jeanne, closed, "contre", now=now)
    votes.close_vote(committee, closed, now=now)
    ready = votes.create_proposal(committee, "Les vélos (axe)", "Au local.")
    votes.move_proposal(committee, ready, ProposalStatus.DISCUSSION)

    # Questions with several choices: one open, one closed (a choice won), one to put to
    # the vote (its form has the choices' fields).
    def ask(title, opens_at, closes_at, labels, **settings):
        proposal = votes.create_proposal(
            committee, title, "", summary="En bref.", change=ChangeKind.QUESTION
        )
        keys = tuple(f"c{n}" for n in range(1, len(labels) + 1))
        return votes.create_vote(
            committee,
            proposal,
            votes.Settings(
                opens_at=opens_at,
                closes_at=closes_at,
                majority=votes.Majority.PLURALITY,
                labels=labels,
                options=(*keys, "abstention"),
                **settings,
            ),
        )

    days = ("Mardi matin", "Jeudi après-midi, après la sieste", "Samedi")
    question = ask("Quel jour pour le marché ? (axe)", now - hour, now + 48 * hour, days)
    decided = ask("Quelle couleur pour le hall ? (axe)", now - 48 * hour, now + hour, days[:2])
    votes.cast(jeanne, decided, "c2", now=now)
    votes.close_vote(committee, decided, now=now)
    to_ask = votes.create_proposal(
        committee, "Quel film jeudi ? (axe)", "", change=ChangeKind.QUESTION
    )
    votes.move_proposal(committee, to_ask, ProposalStatus.DISCUSSION)
    return {
        "open": opened,
        "voted": voted,
        "coming": coming,
        "closed": closed,
        "ready": ready,
        "question": question,
        "decided": decided,
        "to_ask": to_ask,
    }


def pages_for(role: str, objects) -> list[str]:
    pages = list(PAGES_ALL) + [
        f"/activities/{objects['activity']}",
        "/activities/print",
        "/activities/ideas",
        "/activities/garden",
        f"/votes/{objects['open']}",
        f"/votes/{objects['open']}/ballot?choice=pour",
        f"/votes/{objects['voted']}",
        f"/votes/{objects['voted']}/ballot?choice=contre",
        f"/votes/{objects['voted']}/receipt",
        f"/votes/{objects['coming']}",
        f"/votes/{objects['closed']}",
        f"/votes/{objects['closed']}/ballot?choice=pour",  # refused: the page says why
        f"/votes/{objects['question']}",
        f"/votes/{objects['question']}/ballot?choice=c2",
        f"/votes/{objects['decided']}",
        f"/charter/minutes/{objects['decided']}",
        f"/proposals/{objects['decided_proposal']}",
        "/charter/print",
        f"/charter/articles/{objects['article']}",
        f"/charter/minutes/{objects['minutes']}",
        "/proposals",
        "/proposals/new",
        f"/proposals/{objects['draft']}",
        f"/proposals/{objects['discussed']}",
        f"/proposals/{objects['voting']}",
        f"/proposals/{objects['adopted']}",
    ]
    if role in ("committee", "coordinator"):
        pages += [
            f"/proposals/{objects['discussed']}/comments/{objects['comment']}/hide",
            f"/votes/new?proposal={objects['ready']}",
            f"/votes/new?proposal={objects['to_ask']}",
        ]
    if role == "resident":
        pages += [f"/proposals/{objects['draft']}/edit"]
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
            f"/activities/garden/{objects['offered_slot']}/assign",
            f"/activities/garden/{objects['offered_slot']}/remove",
            f"/residents/{objects['jeanne']}/data",
            f"/residents/{objects['jeanne']}/departure",
            "/residence/contact",
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
        "/confidentialite",
        "/account-closed",
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
        if role in ("committee", "coordinator"):
            # A vote's settings shown back in plain words, then with an error.
            page.goto(f"{server.url}/votes/new?proposal={objects['ready']}")
            page.click("#review-vote-settings")
            check(page, None, problems)
            page.fill("#quorum_percent", "150")
            page.click("#review-vote-settings")
            check(page, None, problems)
            # A question's choices shown back, then with errors next to the fields.
            page.goto(f"{server.url}/votes/new?proposal={objects['to_ask']}")
            page.fill("#choice_1", "Le grand bain")
            page.fill("#choice_2", "Intouchables")
            page.click("#review-vote-settings")
            check(page, None, problems)
            page.fill("#choice_2", "le grand bain")
            page.click("#review-vote-settings")
            check(page, None, problems)
            # Hiding a comment without a reason: the error shown, nothing hidden.
            page.goto(
                f"{server.url}/proposals/{objects['discussed']}/comments/{objects['comment']}/hide"
            )
            page.click("#hide-comment")
            check(page, None, problems)
        # Closing one's account with a wrong password: the error shown, nothing closed.
        page.goto(server.url + "/me/close")
        page.fill("#password", "not the password at all")
        page.click("#close-account")
        check(page, None, problems)
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
            # Putting nobody on a watering slot: the error shown next to the list.
            page.goto(f"{server.url}/activities/garden/{objects['offered_slot']}/assign")
            page.click("#assign-slot")
            check(page, None, problems)
            # Recording a departure without a reason: the error shown, nothing erased.
            page.goto(f"{server.url}/residents/{objects['jeanne']}/departure")
            page.click("#record-departure")
            check(page, None, problems)
        if role == "resident":
            # The proposal's form with its errors shown.
            page.goto(server.url + "/proposals/new")
            page.check("#change-2")
            page.click("#save-proposal")
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


# -- Proxies and the voting desk (issue 9, points 5 and 6) ----------------------------------


@pytest.fixture(scope="module")
def vote_objects(live_app):
    """A secret and a public vote of Armentières, and a secret question with several
    choices; Odette gave Jeanne her proxy for the secret one and the question, and Karim
    gave the committee member his for a period; Lucas is counted at the desk of the public
    one."""
    from app.votes import proxies
    from app.votes import services as votes
    from app.votes.models import Channel, Electorate

    def member_of(username):
        return db.session.scalar(
            sa.select(Membership).join(Membership.user).where(User.username == username)
        )

    with live_app.app_context(), live_app.test_request_context():
        committee = member_of("comite.armentieres")
        now = utcnow()
        made = {}
        for key, secret in (("secret", True), ("public", False)):
            proposal = votes.create_proposal(committee, f"Règle {key} (axe)", "Un essai.")
            made[key] = votes.create_vote(
                committee,
                proposal,
                votes.Settings(
                    opens_at=now - dt.timedelta(hours=1),
                    closes_at=now + dt.timedelta(days=5),
                    electorate=Electorate.RESIDENTS,
                    secret=secret,
                    results_hidden=secret,
                ),
            )
        # A secret question with several choices: its desk counts per choice.
        question = votes.create_proposal(
            committee, "Quel jour pour le marché ? (axe)", "", change=ChangeKind.QUESTION
        )
        made["question"] = votes.create_vote(
            committee,
            question,
            votes.Settings(
                opens_at=now - dt.timedelta(hours=1),
                closes_at=now + dt.timedelta(days=5),
                electorate=Electorate.RESIDENTS,
                majority=votes.Majority.PLURALITY,
                labels=("Mardi", "Jeudi après-midi, après la sieste", "Samedi"),
                options=("c1", "c2", "c3", "abstention"),
            ),
        )
        odette, jeanne = member_of("odette.leroy"), member_of("jeanne.martin")
        proxies.give_proxy(odette, jeanne, vote=made["secret"], now=now)
        proxies.give_proxy(odette, jeanne, vote=made["question"], now=now)
        proxies.give_proxy(
            member_of("karim.haddad"), committee, period=(now, now + dt.timedelta(days=9)), now=now
        )
        proxies.record_desk_ballot(
            committee,
            made["public"],
            member_of("lucas.bernard"),
            "pour",
            channel=Channel.PAPER,
            now=now,
        )
        db.session.commit()
        return {
            "secret": made["secret"].id,
            "public": made["public"].id,
            "question": made["question"].id,
            "odette": odette.id,
        }


@pytest.mark.parametrize("display", list(DISPLAYS))
@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("role", ["resident", "committee", "coordinator"])
def test_proxy_and_desk_pages(role, lang, display, page, server, vote_objects):
    log_in(page, server, USERS[role])
    set_display(page, server, display)
    problems: list[str] = []
    secret, public, odette = vote_objects["secret"], vote_objects["public"], vote_objects["odette"]
    question = vote_objects["question"]
    page.goto(f"{server.url}/?lang={lang}")
    try:
        for path in [
            "/votes/proxies",
            f"/votes/{secret}/proxy/{odette}",
            f"/votes/{secret}/proxy/{odette}/ballot?choice=pour",
            f"/votes/{secret}/proxy/{odette}/ballot?choice=nope",
            f"/votes/{secret}/desk",  # the 403 page for a resident
            f"/votes/{question}/proxy/{odette}",
            f"/votes/{question}/proxy/{odette}/ballot?choice=c2",
        ]:
            check(page, server.url + path, problems)
        # The give form with its errors shown.
        page.goto(server.url + "/votes/proxies")
        page.check("input[name=scope][value=period]")
        page.click("#give-button")
        check(page, None, problems)
        if role != "resident":
            check(page, f"{server.url}/votes/{public}/desk", problems)
            check(page, f"{server.url}/votes/{question}/desk", problems)
            if role == "coordinator":
                check(page, f"{server.url}/residence/contact", problems)
            # The secret desk with a batch that does not add up.
            page.goto(f"{server.url}/votes/{secret}/desk")
            page.locator("input[name=people]").first.check()
            page.click("#batch-button")
            check(page, None, problems)
            # The public desk with nobody chosen.
            page.goto(f"{server.url}/votes/{public}/desk")
            page.click("#ballot-button")
            check(page, None, problems)
    finally:
        page.goto(f"{server.url}/?lang=fr")
        set_display(page, server, "default")
    assert not problems, "\n\n".join(problems)
