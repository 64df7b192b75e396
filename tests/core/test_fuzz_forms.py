"""Every POST form of the app, sent with overlong and unusual input (issue 10, point 5).

The walker is driven by the app itself, not by a list to keep up to date: on the demo data, it
browses the pages each role sees (following links, a couple of pages per endpoint), collects
every ``<form method="post">`` and matches its action against the ``url_map``. Every POST
route must be found on some page or be in ``NOT_WALKED`` with the reason; a new form (the
votes', say) is picked up as soon as a page shows it.

Each form is then sent, as the role whose page showed it:

- as the page filled it (a person who only presses the button);
- with every text field at its length limit in characters that grow when normalised
  (``"ß".upper()`` is ``"SS"``, ``"ﬃ".upper()`` is ``"FFI"``), then one past the limit;
- with values Hypothesis draws: long strings, ``ß``, NUL, emoji, right-to-left text,
  whitespace only, numbers out of range, impossible dates and the hour that does not exist
  when the clocks go forward (Europe/Paris, 2027-03-28 02:30).

Whatever comes in, the answer is never a 5xx (``303``, ``400``, ``409``, ``422`` are all
fine), and no file is left in the upload folder that no room points to. Each example runs in
a savepoint rolled back afterwards, with the person's session cookie put back; the suite runs
it on SQLite, and on PostgreSQL with ``TEST_DATABASE_URL``, where a value longer than its
column is an error (SQLite stores it silently).
"""

from __future__ import annotations

import dataclasses
import io
import os
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from werkzeug.exceptions import MethodNotAllowed, NotFound

from app.cli import DEMO_PASSWORD, load_demo
from app.core import uploads
from app.extensions import db
from app.rooms.models import Room

# Who browses, in this order: a form is sent as the first role whose page shows it.
ROLES = (
    "coordination.armentieres",
    "comite.armentieres",
    "jeanne.martin",
    "odette.leroy",  # her watering turn is offered: "Finalement, j'y vais"
    "bailleur.admin",
    None,  # nobody logged in: the login and invitation pages
)
START = ("/", "/rooms", "/rooms/manage", "/activities", "/residents", "/me", "/login")
# Pages not worth browsing: files, feeds, and what changes nothing on a GET.
NOT_BROWSED = {"static", "rooms.photo", "calendars.personal_feed", "calendars.programme_feed"}
PAGES_PER_ENDPOINT = 2
# Endpoints whose form has other fields depending on what it is about: the form with this
# field is walked too, as a form of its own (a question's vote: its choices).
VARIANTS = {"votes.new": "choice_1"}
# Each form gets this many Hypothesis examples (FUZZ_EXAMPLES=200 to hunt longer, locally).
EXAMPLES_PER_FORM = int(os.environ.get("FUZZ_EXAMPLES", "15"))
MAX_PAGES = 120

# POST routes the walker does not send, and why. Everything else must be found on a page.
NOT_WALKED = {
    "bookings.cancel_moved": "an old address kept for pages still open; it only answers 308 "
    "to /bookings/<id>/cancel, which is walked",
}

# Characters that grow when upper-cased, NUL, emoji (a family: joined code points),
# right-to-left text with its marks, zero-width characters, whitespace only, markup, SQL,
# format strings, a long text.
ODD_TEXTS = [
    "ß" * 50,
    "ﬃ" * 50,
    "\x00",
    "a\x00b",
    "👩‍👩‍👧‍👦" * 20,
    "\u202eتجربة\u202c",
    "שלום עולם",
    "   \t  ",
    "\n\n\n",
    "\u200d\u200b\ufeff",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "%s %(name)s {0}",
    "Ω" * 3000,
]
ODD_NUMBERS = ["-1", "0", "99999999999999999999", "2147483648", "1e9", "NaN", "3.5", "", "١٢"]
ODD_DATES = [
    "2027-03-28",  # the spring clock change in Europe/Paris
    "2026-10-25",  # the autumn one
    "2027-02-29",
    "9999-12-31",
    "0001-01-01",
    "2026-13-01",
    "28/03/2027",
    "",
]
ODD_TIMES = ["02:30", "02:00", "03:00", "24:00", "23:59", "00:00", "2:5", "25:61", ""]
ODD_DATETIMES = [
    "2027-03-28T02:30",
    "2026-10-25T02:30",
    "2027-03-28T02:00",
    "9999-12-31T23:59",
    "2026-12-01T14:00",
    "not a date",
    "",
]


@dataclasses.dataclass
class Field:
    name: str
    kind: str  # text, textarea, number, date, time, datetime-local, hidden, checkbox, ...
    value: str = ""
    maxlength: int | None = None
    options: tuple[str, ...] = ()
    checked: bool = False


@dataclasses.dataclass
class Form:
    action: str
    endpoint: str
    role: str | None
    fields: list[Field]
    multipart: bool = False

    def filled(self) -> list[tuple[str, object]]:
        """The defaults, with the empty fields filled as a careful person would (a name, a
        day next week, 10:00 then 11:00), so that the odd values reach the services."""
        import datetime as dt

        day = (dt.date.today() + dt.timedelta(days=9)).isoformat()
        times = iter(["10:00", "11:00", "12:00", "13:00"] * 10)
        plain = {
            "text": "Essai",
            "textarea": "Essai",
            "date": day,
            "number": "1",
            "password": "une longue phrase de passe",
        }
        data = []
        for name, value in self.defaults():
            field = next(f for f in self.fields if f.name == name)
            kind = field.kind
            value = value.strip() if isinstance(value, str) else value
            if value == "" and kind == "select":
                value = next((option for option in field.options if option), "")
            elif value == "" and kind in plain:
                value = plain[kind]
            elif value == "" and kind == "time":
                value = next(times)
            elif value == "" and kind == "datetime-local":
                value = f"{day}T{next(times)}"
            data.append((name, value))
        return data

    def defaults(self) -> list[tuple[str, object]]:
        """What a browser sends when the button is pressed without touching anything."""
        data: list[tuple[str, object]] = []
        seen_radio: set[str] = set()
        for field in self.fields:
            if field.kind in ("checkbox", "radio"):
                if field.checked and (field.kind == "checkbox" or field.name not in seen_radio):
                    data.append((field.name, field.value or "on"))
                    seen_radio.add(field.name)
            elif field.kind == "file":
                continue
            elif field.kind == "select":
                data.append(
                    (field.name, field.value or (field.options[0] if field.options else ""))
                )
            elif field.kind != "submit":
                data.append((field.name, field.value))
        return data


class _FormParser(HTMLParser):
    """The POST forms of a page and its links."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[str, str, list[Field]]] = []
        self.links: list[str] = []
        self._form: tuple[str, str, list[Field]] | None = None
        self._select: Field | None = None
        self._textarea: Field | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            if a.get("method", "get").lower() == "post":
                self._form = (a.get("action", ""), a.get("enctype", ""), [])
        elif self._form is None:
            return
        elif tag in ("input", "button") and a.get("name"):
            kind = a.get("type", "text" if tag == "input" else "submit").lower()
            if tag == "button" and kind == "submit":
                # A button that carries a value (``active=1``): kept as a hidden value.
                kind = "hidden"
            maxlength = int(a["maxlength"]) if a.get("maxlength", "").isdigit() else None
            self._form[2].append(
                Field(a["name"], kind, a.get("value", ""), maxlength, checked="checked" in a)
            )
        elif tag == "select" and a.get("name"):
            self._select = Field(a["name"], "select")
            self._form[2].append(self._select)
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            self._select.options += (value,)
            if "selected" in a:
                self._select.value = value
        elif tag == "textarea" and a.get("name"):
            maxlength = int(a["maxlength"]) if a.get("maxlength", "").isdigit() else None
            self._textarea = Field(a["name"], "textarea", "", maxlength)
            self._form[2].append(self._textarea)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag):
        if tag == "form" and self._form is not None:
            self.forms.append(self._form)
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def _endpoint(app, path: str, method: str):
    try:
        return app.url_map.bind("localhost").match(path, method=method)[0]
    except (NotFound, MethodNotAllowed):
        return None


def _browse(app, client, role, found: dict[str, Form], extra_pages=()):
    """Visit the pages ``role`` sees and note each POST form not found yet."""
    seen_endpoints: dict[str, int] = {}
    queue, visited = [*START, *extra_pages], set()
    while queue and len(visited) < MAX_PAGES:
        url = queue.pop(0)
        parts = urlsplit(url)
        if parts.scheme or parts.netloc or url in visited or not parts.path.startswith("/"):
            continue
        endpoint = _endpoint(app, parts.path, "GET")
        if endpoint is None or endpoint in NOT_BROWSED:
            continue
        if seen_endpoints.get(endpoint, 0) >= PAGES_PER_ENDPOINT:
            continue
        seen_endpoints[endpoint] = seen_endpoints.get(endpoint, 0) + 1
        visited.add(url)
        response = client.get(url)
        if response.status_code != 200 or response.mimetype != "text/html":
            response.close()
            continue
        parser = _FormParser()
        parser.feed(response.get_data(as_text=True))
        queue.extend(parser.links)
        for action, enctype, fields in parser.forms:
            action = action or parts.path
            target = _endpoint(app, urlsplit(action).path, "POST")
            key = target
            if target in VARIANTS and any(f.name == VARIANTS[target] for f in fields):
                key = f"{target} ({VARIANTS[target]})"
            if target is None or key in found:
                continue
            found[key] = Form(
                action=action,
                endpoint=target,
                role=role,
                fields=fields,
                multipart="multipart" in enctype,
            )


def _login(client, username):
    from tests.conftest import csrf_from

    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login", data={"username": username, "password": DEMO_PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 303, username


def _png() -> bytes:
    stream = io.BytesIO()
    Image.new("RGB", (30, 20), (200, 100, 50)).save(stream, "PNG")
    return stream.getvalue()


def _jpeg_with_html() -> bytes:
    stream = io.BytesIO()
    Image.new("RGB", (30, 20)).save(stream, "JPEG")
    return stream.getvalue() + b"<html><script>alert(document.cookie)</script></html>"


FILES = [_png(), _jpeg_with_html(), b"GIF89a not a picture", b"\xff\xd8\xff" + b"0" * 64, b""]


def _value_strategy(field: Field):
    """What Hypothesis may put in ``field``: its own value, or something odd for its kind."""
    own = st.just(field.value)
    texts = st.one_of(
        st.sampled_from(ODD_TEXTS),
        st.text(max_size=300),
        st.text(alphabet="ßﬃİŉ", min_size=1, max_size=(field.maxlength or 200) + 2),
    )
    if field.kind == "number":
        return st.one_of(own, st.sampled_from(ODD_NUMBERS), st.integers().map(str))
    if field.kind == "date":
        return st.one_of(own, st.sampled_from(ODD_DATES), st.dates().map(str))
    if field.kind == "time":
        return st.one_of(own, st.sampled_from(ODD_TIMES))
    if field.kind == "datetime-local":
        return st.one_of(own, st.sampled_from(ODD_DATETIMES))
    if field.kind in ("select", "radio"):
        return st.one_of(st.sampled_from(field.options or (field.value,)), texts)
    if field.kind == "checkbox":
        return st.sampled_from([None, field.value or "on", "yes", "0"])
    if field.kind == "hidden":
        return st.one_of(own, own, texts, st.sampled_from(ODD_NUMBERS))
    return st.one_of(own, texts)


def _send(client, form: Form, data: list[tuple[str, object]], photo: bytes | None = None):
    from werkzeug.datastructures import MultiDict

    values = MultiDict(data)
    if form.multipart and photo is not None:
        for field in form.fields:
            if field.kind == "file":
                values.add(field.name, (io.BytesIO(photo), "photo.jpg"))
    path = form.action
    query = dict(parse_qsl(urlsplit(path).query))
    response = client.post(
        urlsplit(path).path,
        query_string=query,
        data=values,
        content_type="multipart/form-data" if form.multipart else None,
    )
    status = response.status_code
    response.close()
    return status


def _with(data, field_name, value):
    kept = [(name, v) for name, v in data if name != field_name]
    return kept if value is None else [*kept, (field_name, value)]


def _stored_files_are_all_used(folder) -> None:
    """Every file in the upload folder belongs to a room's photo (in one of its sizes)."""
    on_disk = {path.name for path in folder.iterdir()} if folder.exists() else set()
    used = {
        uploads.file_name(name, size)
        for name in db.session.scalars(sa.select(Room.photo).where(Room.photo.is_not(None)))
        for size in uploads.SIZES
    }
    assert on_disk <= used, f"files left behind: {sorted(on_disk - used)}"


@pytest.fixture
def walked(app, session, client, tmp_path, monkeypatch):
    """The demo, and every POST form of the app with the role that sees it."""
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path / "uploads"))
    load_demo()
    session.commit()
    found: dict[str, Form] = {}
    clients = {}
    for role in ROLES:
        browser = app.test_client()
        if role:
            _login(browser, role)
        _browse(app, browser, role, found, extra_pages=_extra_pages(session, role))
        clients[role] = browser
    return found, clients


def _extra_pages(session, role):
    """Pages the demo does not lead to: an invitation's activation page (its code is on
    paper); for the coordinator, a closure, a series with dates set aside, a roll call."""
    if role == "coordination.armentieres":
        return _coordinator_pages(session)
    if role == "comite.armentieres":
        return _committee_pages(session)
    if role == "jeanne.martin":
        return _voter_pages(session)
    if role is not None:
        return []
    from app.core.permissions import Role as R
    from app.residences.models import Membership
    from app.residents import services as residents
    from app.users.models import User

    coordinator = session.scalar(sa.select(User).where(User.username == "coordination.armentieres"))
    membership = session.scalar(
        sa.select(Membership)
        .join(Membership.user)
        .where(Membership.role == R.RESIDENT, User.username == "jeanne.martin")
    )
    _invitation, code = residents.issue_invitation(coordinator, membership.residence, membership)
    session.commit()
    return [f"/activate/{code}"]


def _quiet_vote(session):
    from app.votes.models import Proposal, Vote

    return session.scalar(
        sa.select(Vote).join(Proposal).where(Proposal.title == "Heures calmes le dimanche")
    )


def _voter_pages(session):
    """The review steps, reached by a GET form (not a link): Jeanne's own ballot, and the
    one she casts with Odette's proxy; and an activity she has joined (its "leave" form),
    which the links of her home page (today's activities) may crowd out."""
    from app.activities.models import Activity, Registration, RegistrationStatus
    from app.core.db import utcnow
    from app.residences.models import Membership
    from app.users.models import User

    vote = _quiet_vote(session)
    joined = session.scalar(
        sa.select(Activity.id)
        .join(Registration, Registration.activity_id == Activity.id)
        .join(Membership, Membership.id == Registration.membership_id)
        .join(Membership.user)
        .where(
            User.username == "jeanne.martin",
            Registration.status == RegistrationStatus.CONFIRMED,
            Activity.starts_at > utcnow(),
        )
        .order_by(Activity.starts_at)
    )
    assert joined is not None, "the demo has Jeanne registered for an activity to come"
    odette = session.scalar(
        sa.select(Membership)
        .join(Membership.user)
        .where(User.username == "odette.leroy", Membership.residence_id == vote.residence_id)
    )
    return [
        f"/votes/{vote.id}/ballot?choice=pour",
        f"/votes/{vote.id}/proxy/{odette.id}/ballot?choice=contre",
        f"/activities/{joined}",
    ]


def _committee_pages(session):
    """What the demo has not: a draft of the committee member's own (edit, open the
    discussion), a public vote open now (the desk's ballots by name), one to come (open
    it now); the secret vote's desk; and a hidden comment (shown again by a button)."""
    import datetime as dt

    from app.core.db import utcnow
    from app.users.models import User
    from app.votes import charter_services as charter
    from app.votes import services as votes
    from app.votes.models import ChangeKind, Majority, ProposalStatus
    from tests.factories import member

    user = session.scalar(sa.select(User).where(User.username == "comite.armentieres"))
    actor = member(user, user.memberships[0].residence)
    now = utcnow()
    draft = votes.create_proposal(actor, "Les plantes du hall", "On arrose les plantes du hall.")
    made = {}
    for key, opens_at in (
        ("open", now - dt.timedelta(hours=1)),
        ("later", now + dt.timedelta(days=1)),
    ):
        proposal = votes.create_proposal(actor, f"Vote {key}", "Une règle.")
        votes.move_proposal(actor, proposal, ProposalStatus.DISCUSSION)
        made[key] = votes.create_vote(
            actor,
            proposal,
            votes.preset("association", opens_at, secret=False, results_hidden=False),
        )
    # A question with several choices: one in discussion (its vote's form, with the
    # choices' fields, is linked from /votes), one open now (its desk and review step).
    for title in ("Quel jour pour le marché ?", "Quelle couleur pour le hall ?"):
        question = votes.create_proposal(actor, title, "", change=ChangeKind.QUESTION)
        votes.move_proposal(actor, question, ProposalStatus.DISCUSSION)
        made.setdefault("to_vote", question)
    made["question"] = votes.create_vote(
        actor,
        question,
        votes.preset(
            "association",
            now - dt.timedelta(hours=1),
            secret=False,
            results_hidden=False,
            majority=Majority.PLURALITY,
            labels=("Bleu", "Vert"),
            options=("c1", "c2", "abstention"),
        ),
    )
    # A comment hidden on a proposal in discussion: its "show it again" button.
    discussed = made["to_vote"]
    hidden = charter.add_comment(actor, discussed, "Un avis à masquer.")
    charter.hide_comment(actor, hidden, "Pour l'essai")
    session.commit()
    return [
        f"/proposals/{discussed.id}",
        f"/proposals/{draft.id}",
        f"/proposals/{draft.id}/edit",
        f"/votes/{made['open'].id}/desk",
        f"/votes/{made['later'].id}",
        f"/votes/{_quiet_vote(session).id}/desk",
        f"/votes/new?proposal={made['to_vote'].id}",
        f"/votes/{made['question'].id}/desk",
        f"/votes/{made['question'].id}/ballot?choice=c2",
    ]


def _coordinator_pages(session):
    import datetime as dt

    from app.activities.models import Activity
    from app.bookings import services as bookings
    from app.bookings.models import BookingSeries
    from app.core.db import utcnow
    from app.core.recurrence import Weekly
    from app.core.timeutils import Period
    from app.rooms import services as rooms
    from app.users.models import User
    from tests.factories import member

    coordinator = session.scalar(sa.select(User).where(User.username == "coordination.armentieres"))
    actor = member(coordinator, coordinator.memberships[0].residence)
    club = session.scalars(sa.select(BookingSeries)).first()
    today = dt.date.today()
    # The same hours as the demo's knitting club: every date is set aside (taken).
    clash, _made, _skipped = bookings.create_series(
        actor,
        club.room,
        weekly=Weekly(weekday=club.weekday, first=today, until=today + dt.timedelta(days=30)),
        start_time=club.start_time,
        end_time=club.end_time,
    )
    start = utcnow() + dt.timedelta(days=200)
    rooms.add_closure(actor, club.room, Period(start, start + dt.timedelta(hours=3)), "Travaux")
    # The demo's next activity, moved to this morning: it has a roll call.
    past = session.scalar(
        sa.select(Activity)
        .where(Activity.residence_id == actor.residence_id)
        .order_by(Activity.starts_at)
    )
    length = past.ends_at - past.starts_at
    past.starts_at = utcnow() - dt.timedelta(hours=3)
    past.ends_at = past.starts_at + length
    session.commit()
    return [
        f"/series/{clash.id}",
        f"/rooms/{club.room_id}/closures",
        f"/activities/{past.id}/roll-call",
    ]


def test_every_post_route_has_a_form_the_walker_finds(app, walked):
    found, _clients = walked
    post_routes = {
        rule.endpoint for rule in app.url_map.iter_rules() if "POST" in (rule.methods or ())
    }
    missing = post_routes - set(found) - set(NOT_WALKED)
    assert not missing, (
        f"POST routes no page shows a form for: {sorted(missing)}; add a starting page "
        "or put them in NOT_WALKED with the reason"
    )
    variants = {f"{endpoint} ({field})" for endpoint, field in VARIANTS.items()}
    assert variants <= set(found), f"forms not found in their other variant: {variants}"


def test_no_form_answers_5xx_nor_leaves_a_file_behind(app, walked, tmp_path):
    found, clients = walked
    folder = tmp_path / "uploads"
    connection = db.session().get_bind()
    failures: list[str] = []
    statuses: list = []
    base: list = []

    def attempt(form: Form, data, photo=None) -> None:
        client = clients[form.role]
        cookie = client.get_cookie("session")
        db.session.remove()  # its savepoint must begin inside ours
        savepoint = connection.begin_nested()
        try:
            try:
                status = _send(client, form, data, photo)
            except Exception as error:  # noqa: BLE001 - an error page in production
                status = f"{type(error).__name__}: {error}"[:300]
            statuses.append((form.endpoint, status))
            if not isinstance(status, int) or status >= 500:
                changed = [(name, value) for name, value in data if (name, value) not in base]
                shown = 5000 if os.environ.get("FUZZ_ONLY") else 300
                failures.append(
                    f"{form.endpoint} as {form.role}: {status} with {changed!r:.{shown}}"
                )
            _stored_files_are_all_used(folder)
        finally:
            db.session.remove()
            savepoint.rollback()
            if folder.exists():
                for path in folder.iterdir():
                    path.unlink()
            if cookie is not None:
                client.set_cookie("session", cookie.value)

    only = os.environ.get("FUZZ_ONLY")  # an endpoint, to look into one form's failure
    for form in found.values():
        if only and form.endpoint != only:
            continue
        attempt(form, form.defaults(), FILES[0] if form.multipart else None)
        base = form.filled()
        attempt(form, base, FILES[0] if form.multipart else None)
        text_fields = [f for f in form.fields if f.kind in ("text", "textarea", "search", "email")]
        for grow, extra in (("ß", 0), ("ﬃ", 0), ("ß", 1)):
            data = base
            for field in text_fields:
                data = _with(data, field.name, grow * ((field.maxlength or 300) + extra))
            attempt(form, data)
        # One field at a time too (an e-mail field full of "ß" would hide the others).
        for field in text_fields:
            attempt(form, _with(base, field.name, "ﬃ" * (field.maxlength or 300)))
        # Equipment lines and the like: one line at the limit of its column.
        for field in text_fields:
            if field.kind == "textarea":
                attempt(form, _with(base, field.name, "ß" * 81 + "\n" + "ﬃ" * 121))

        fuzzable = [
            f for f in form.fields if f.kind not in ("submit", "file") and f.name != "csrf_token"
        ]
        if not fuzzable:
            continue

        _fuzz(attempt, form, base, fuzzable)

    assert not failures, "\n".join(failures[:20])
    # The walker really reached each form (not a wall of 400s for a bad CSRF token).
    answered = {endpoint for endpoint, status in statuses if status != 400}
    assert answered >= {f.endpoint for f in found.values() if not os.environ.get("FUZZ_ONLY")}


def _fuzz(attempt, form: Form, base, fuzzable: list[Field]) -> None:
    """Hypothesis draws a value for each field of ``form`` (and a file, for a photo)."""
    names = [f.name for f in fuzzable]

    @settings(
        max_examples=EXAMPLES_PER_FORM,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        values=st.tuples(*[_value_strategy(f) for f in fuzzable]),
        photo=st.sampled_from(FILES) if form.multipart else st.none(),
    )
    def fuzz(values, photo):
        data = base
        for name, value in zip(names, values, strict=True):
            data = _with(data, name, value)
        attempt(form, data, photo)

    fuzz()


def test_the_walker_reads_forms_like_a_browser():
    html = """
    <a href="/rooms">x</a>
    <form method="post" action="/rooms/3/book?week=2" enctype="multipart/form-data">
      <input type="hidden" name="csrf_token" value="t">
      <input name="purpose" maxlength="200" value="Goûter">
      <input type="checkbox" name="ok" value="1" checked>
      <select name="unit"><option value="1">A</option><option value="2" selected>B</option></select>
      <textarea name="notes" maxlength="20">hello</textarea>
      <button name="active" value="1">Go</button>
      <input type="file" name="photo">
    </form>
    <form method="get" action="/search"><input name="q"></form>
    """
    parser = _FormParser()
    parser.feed(html)
    assert parser.links == ["/rooms"]
    [(action, enctype, fields)] = parser.forms
    assert action == "/rooms/3/book?week=2" and "multipart" in enctype
    form = Form(action, "bookings.book", None, fields, True)
    assert form.defaults() == [
        ("csrf_token", "t"),
        ("purpose", "Goûter"),
        ("ok", "1"),
        ("unit", "2"),
        ("notes", "hello"),
        ("active", "1"),
    ]
    assert next(f for f in fields if f.name == "purpose").maxlength == 200
