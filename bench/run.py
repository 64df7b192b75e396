"""Benchmark: the app's pages with a year of bookings, against a bare Flask "hello".

Builds a database (a temporary SQLite file, or ``--database-url`` / ``DATABASE_URL``), creates a
residence, its people and a room open 08:00-22:00 every day (``create_data``), and starts two
gunicorn servers with the same settings: the app (``FLASK_BENCHMARK=1``: SQL query counts in
response headers) and the bare Flask app of ``bench/hello_app.py``. Then:

1. SQL queries: each page is requested with the room empty, with the bookings of a few days
   and with a year of them; it must answer 200, make no more queries with the year than with
   the few days (no query per booking), and make at most 2 queries before the view's own.
2. Speed: in each round, hello and the pages are measured in turn (hello, page 1, hello,
   page 2, ..., hello), each for ``--seconds`` from ``--threads`` client threads; a page's
   ratio is its requests per second over the mean of the two hello runs around it, so drift
   of the machine cancels out. The median ratio of the rounds must reach the page's target.

Exit code 0: every check passed. 1: a check failed (speed only without --no-speed-check).
2: the benchmark could not run.

    .venv/bin/python bench/run.py                    # 365 days x 4 bookings, 3 rounds of 2 s
    .venv/bin/python bench/run.py --days 20 --seconds 0.5 --rounds 1 --no-speed-check
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.cookiejar
import os
import platform
import re
import resource
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PASSWORD = "banc-d-essai-mot-de-passe"  # noqa: S105 - a throwaway account of the benchmark
REQUEST_TIMEOUT = 15
LISTENING = re.compile(r"Listening at: http://([\d.]+):(\d+)")
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')

# Targets: requests per second of the page / of the bare hello (median of the rounds).
RESIDENT_TARGET = 0.25
HEALTHZ_TARGET = 0.5
MAX_QUERIES_BEFORE_VIEW = 2
MAX_QUERIES = 10  # in all, for any page
DATE_AHEAD_DAYS = 10  # the page of one day, about ten days ahead
# The bookings of these days (from today: yesterday, today, tomorrow, the day ahead) are
# inserted first: the pages' query counts with them must not grow with a year of bookings.
FEW_DAYS = (-1, 0, 1, DATE_AHEAD_DAYS)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Exit codes: 0 all checks passed; 1 a check failed; 2 the benchmark could not run.",
    )
    parser.add_argument("--days", type=int, default=365, help="days of bookings (default 365)")
    parser.add_argument("--per-day", type=int, default=4, help="bookings a day, 1-7 (default 4)")
    parser.add_argument(
        "--seconds", type=float, default=2.0, help="seconds of each measure (default 2)"
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds of measures; the median counts (default 3)"
    )
    parser.add_argument("--threads", type=int, default=4, help="client threads (default 4)")
    parser.add_argument(
        "--workers", type=int, default=2, help="gunicorn workers of each server (default 2)"
    )
    parser.add_argument(
        "--worker-class", default="sync", help="gunicorn worker class (default sync)"
    )
    parser.add_argument(
        "--server-threads",
        type=int,
        help="gunicorn --threads of each server (for --worker-class gthread; default: gunicorn's)",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL"),
        help="database to use (default: DATABASE_URL, else a temporary SQLite file). "
        "A new residence is added to it at each run: use a throwaway database.",
    )
    parser.add_argument(
        "--no-page-cache",
        action="store_true",
        help="the app server keeps no page in memory (FLASK_PAGE_CACHE=0): every request "
        "renders its page",
    )
    parser.add_argument(
        "--no-speed-check",
        action="store_true",
        help="report the speed ratios but do not fail on them (noisy machines, CI)",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.per_day <= 7:
        parser.error("--per-day must be between 1 and 7")
    if args.days < 1:
        parser.error("--days must be at least 1")
    if args.seconds <= 0 or args.rounds < 1 or args.threads < 1 or args.workers < 1:
        parser.error("--seconds, --rounds, --threads and --workers must be positive")
    return args


# ---------------------------------------------------------------------------------------
# Data: the only part of the benchmark that knows the app's models and services.


RESIDENTS = 100  # residents of the residence, one home each: the activities' people
HOUSEHOLDS = 8  # the first residents, who share the bookings
# The activities: gentle gym every Tuesday in a room for a year to come; from the "year" on,
# the garden every Saturday (half a year past, half to come) and an outing every four weeks.
# The session measured is the next gym session, opened wider: RESIDENTS registered for
# MEASURED_PLACES places (the others wait). A few of them are registered from the "few" on.
GYM_PLACES, MEASURED_PLACES, GARDEN_PLACES, OUTING_PLACES = 20, 80, 12, 8
FEW_REGISTERED = 5  # on the measured session (and some on the next sessions) in "few"
SEED = 20261201  # the spread of registrations is the same at every run


@dataclass
class Setup:
    room_id: int
    activity_id: int  # the session with RESIDENTS registered
    timezone: str
    logins: dict[str, str]  # role -> username
    bookings: list[list[dict]]  # [those of FEW_DAYS, all the others]: rows for insert_bookings
    insert_bookings: Callable[[list[dict]], None]
    add_activities: list[Callable[[], None]]  # ["few", "year"]: registrations, more series
    activities: Counter = field(default_factory=Counter)  # what add_activities made
    vote_id: int = 0  # the open secret vote measured (everyone votes in the year)


def create_data(app, days: int, per_day: int) -> Setup:
    """Creates a residence, its coordinator, ``RESIDENTS`` residents in their own homes, a
    room open 08:00-22:00 every day and a room for activities, and prepares (without
    inserting them) ``per_day`` confirmed two-hour bookings a day from 08:00 over ``days``
    days centred on today (half of them past, half to come), by the first ``HOUSEHOLDS``
    households in turn: those of a few days first (see ``FEW_DAYS``), then the others.

    The activities, through the services: a weekly gym series for a year to come is planned
    now (nobody registered yet); ``add_activities`` then registers a few people (the
    resident who logs in first), and for the year the garden and outing series and
    everyone else (``RESIDENTS`` on the measured session, a spread on the others, the roll
    call of the past sessions).

    Everything that depends on the app's models and services is here."""
    from zoneinfo import ZoneInfo

    import sqlalchemy as sa

    from app.bookings.models import Booking, BookingStatus
    from app.core.permissions import Role
    from app.core.timeutils import to_utc
    from app.extensions import db
    from app.residences.models import Home, Membership, Organisation, Residence
    from app.rooms.services import create_room
    from app.users.models import User
    from app.users.services import hash_password

    tag = secrets.token_hex(4)
    with app.app_context():
        password_hash = hash_password(PASSWORD)
        organisation = Organisation(name=f"Bailleur du banc d'essai {tag}")
        residence = Residence(name=f"Résidence du banc d'essai {tag}", organisation=organisation)
        coordinator = User(
            username=f"bench.coord.{tag}", full_name="Coordination", password_hash=password_hash
        )
        coordination = Membership(user=coordinator, residence=residence, role=Role.COORDINATOR)
        db.session.add(coordination)
        residents = []
        for n in range(RESIDENTS):
            resident = User(
                username=f"bench.{n}.{tag}",
                full_name=f"Habitant·e {n}",
                password_hash=password_hash,
            )
            home = Home(residence=residence, label=f"B{n:02d}")
            membership = Membership(
                user=resident, residence=residence, role=Role.RESIDENT, home=home
            )
            db.session.add(membership)
            residents.append((resident, home, membership))
        db.session.flush()
        every_day = [(day, dt.time(8), dt.time(22)) for day in range(7)]
        room = create_room(coordination, name="Salle commune", openings=every_day)
        gym_room = create_room(coordination, name="Salle d'activités", openings=every_day)
        db.session.commit()
        ids = [(user.id, home.id) for user, home, _ in residents[:HOUSEHOLDS]]
        people = [membership.id for _, _, membership in residents]
        coordination_id = coordination.id
        residence_id, room_id, unit_id = residence.id, room.id, room.units[0].id
        gym_room_id = gym_room.id
        timezone, buffer = residence.timezone, dt.timedelta(minutes=room.buffer_minutes)
        logins = {"resident": residents[0][0].username, "coordinator": coordinator.username}
        db.session.remove()

    tz = ZoneInfo(timezone)
    today = dt.datetime.now(tz).date()
    first = today - dt.timedelta(days=days // 2)
    few_days = {today + dt.timedelta(days=n) for n in FEW_DAYS}
    few, rest = [], []
    for day in (first + dt.timedelta(days=offset) for offset in range(days)):
        batch = few if day in few_days else rest
        for n in range(per_day):
            # On the few days, the resident who logs in (household 0) has the first booking,
            # so that they have bookings past and to come with few bookings as with many.
            user_id, home_id = ids[n if batch is few else len(rest) % len(ids)]
            start = to_utc(dt.datetime.combine(day, dt.time(8 + 2 * n)), tz)
            end = to_utc(dt.datetime.combine(day, dt.time(10 + 2 * n)), tz)
            batch.append(
                {
                    "residence_id": residence_id,
                    "room_id": room_id,
                    "unit_id": unit_id,
                    "user_id": user_id,
                    "home_id": home_id,
                    "created_by_id": user_id,
                    "start_at": start,
                    "end_at": end,
                    "block_end_at": end + buffer,
                    "status": BookingStatus.CONFIRMED,
                }
            )
    rows = few + rest
    unknown = set(rows[0]) - set(sa.inspect(Booking).column_attrs.keys())
    if unknown:
        raise BenchError(f"create_data: Booking has no column(s) {sorted(unknown)}")

    def insert_bookings(batch: list[dict]) -> None:
        """One multi-row INSERT (SQLAlchemy's "insertmanyvalues"): a year in under a second."""
        if not batch:
            return
        with app.app_context():
            db.session.execute(sa.insert(Booking), batch)
            db.session.commit()
            db.session.remove()

    activities = Counter()
    try:
        gym_ids = _plan_gym(app, coordination_id, gym_room_id, today, activities)
    except Exception as error:  # the services refused: out of step with the app
        raise BenchError(f"create_data: the gym series could not be planned: {error!r}") from error
    measured = gym_ids[0]
    few_steps, year_steps = _registrations(app, coordination_id, people, gym_ids, today, activities)
    try:
        vote_id, few_votes, year_votes = _votes(app, coordination_id, people, activities)
    except Exception as error:  # the services refused: out of step with the app
        raise BenchError(f"create_data: the votes could not be set up: {error!r}") from error

    def few_all() -> None:
        few_steps()
        few_votes()

    def year_all() -> None:
        year_steps()
        year_votes()

    return Setup(
        room_id=room_id,
        activity_id=measured,
        timezone=timezone,
        logins=logins,
        bookings=[few, rest],
        insert_bookings=insert_bookings,
        add_activities=[few_all, year_all],
        activities=activities,
        vote_id=vote_id,
    )


def _next_weekday(today: dt.date, weekday: int) -> dt.date:
    """The next ``weekday`` (0 = Monday), tomorrow at the earliest."""
    return today + dt.timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)


def _local_period(tz, day: dt.date, start: int, end: int):
    from app.core.timeutils import Period

    return Period.from_local(
        dt.datetime.combine(day, dt.time(start)), dt.datetime.combine(day, dt.time(end)), tz
    )


def _plan_gym(app, coordination_id: int, gym_room_id: int, today, counts: Counter) -> list[int]:
    """The gym every Tuesday for a year to come (each session books the room), and the first
    session opened to ``MEASURED_PLACES``. Returns the sessions' ids in order."""
    from app.activities import services as activities
    from app.activities.models import Category, OrganiserKind, PlaceKind
    from app.extensions import db
    from app.residences.models import Membership
    from app.rooms.models import Room

    with app.app_context():
        coordination = db.session.get(Membership, coordination_id)
        tz = coordination.residence.tz
        tuesday = _next_weekday(today, 1)
        _series, sessions = activities.create_series(
            coordination,
            activities.Plan(
                title="Gym douce",
                category=Category.ANIMATION,
                period=_local_period(tz, tuesday, 10, 11),
                capacity=GYM_PLACES,
                place_kind=PlaceKind.ROOM,
                room=db.session.get(Room, gym_room_id),
                description="Étirements et équilibre, sur une chaise ou debout.",
                organiser_kind=OrganiserKind.PARTNER,
                partner_name="Association Siel Bleu",
                step_free=True,
                seated=True,
                hearing_loop=True,
            ),
            every=1,
            until=tuesday + dt.timedelta(weeks=51),
        )
        activities.change_places(
            coordination, sessions[0], capacity=MEASURED_PLACES, helper_places=0
        )
        db.session.commit()
        ids = [session.id for session in sessions]
        db.session.remove()
    counts["sessions"] += len(ids)
    return ids


CLOSED_VOTES, CLOSED_VOTERS = 22, 12  # the year's closed votes and how many voted in each
FEW_VOTERS = 5


def _votes(app, coordination_id: int, people: list[int], counts: Counter):
    """Votes, through the services: an open secret vote (one voice per home) measured from
    the start; then a few ballots and two closed votes ("few"); then everyone's ballot and
    ``CLOSED_VOTES`` closed votes, public and secret, of ``CLOSED_VOTERS`` ballots each
    ("year"). Returns (the open vote's id, few, year)."""
    from app.core.db import utcnow
    from app.extensions import db
    from app.residences.models import Membership
    from app.votes import services as votes

    def put_to_vote(coordination, title: str, opens_at, closes_at, *, secret=True) -> int:
        proposal = votes.create_proposal(coordination, title, "Le texte de la règle.")
        vote = votes.create_vote(
            coordination,
            proposal,
            votes.Settings(
                opens_at=opens_at,
                closes_at=closes_at,
                quorum_percent=25,
                secret=secret,
                results_hidden=secret,
            ),
        )
        return vote.id

    with app.app_context():
        coordination = db.session.get(Membership, coordination_id)
        now = utcnow()
        open_id = put_to_vote(
            coordination, "Heures calmes", now - dt.timedelta(hours=1), now + dt.timedelta(days=14)
        )
        db.session.commit()
        db.session.remove()

    def cast_all(vote_id: int, voters: list[int], when) -> None:
        vote = db.session.get(votes.Vote, vote_id)
        for n, membership_id in enumerate(voters):
            choice = votes.DEFAULT_OPTIONS[n % 3 if n % 4 else 0]
            votes.cast(db.session.get(Membership, membership_id), vote, choice, now=when)
        counts["ballots"] += len(voters)

    def closed_votes(first: int, number: int) -> None:
        coordination = db.session.get(Membership, coordination_id)
        now = utcnow()
        for n in range(first, first + number):
            opens = now - dt.timedelta(days=10 * (n + 2))
            vote_id = put_to_vote(
                coordination, f"Règle {n}", opens, opens + dt.timedelta(days=7), secret=n % 2 == 0
            )
            cast_all(vote_id, people[:CLOSED_VOTERS], opens + dt.timedelta(hours=1))
            votes.refresh_status(db.session.get(votes.Vote, vote_id), now)
            counts["votes"] += 1

    def few() -> None:
        with app.app_context():
            cast_all(open_id, people[:FEW_VOTERS], utcnow())
            closed_votes(0, 2)
            db.session.commit()
            db.session.remove()

    def year() -> None:
        with app.app_context():
            cast_all(open_id, people[FEW_VOTERS:], utcnow())
            closed_votes(2, CLOSED_VOTES - 2)
            db.session.commit()
            db.session.remove()

    return open_id, few, year


def _registrations(app, coordination_id, people, gym_ids, today, counts: Counter):
    """The two steps that fill the activities: "few", then "year"."""
    import random

    def few() -> None:
        from app.activities import services as activities
        from app.activities.models import Activity
        from app.extensions import db
        from app.residences.models import Membership

        with app.app_context():
            coordination = db.session.get(Membership, coordination_id)
            members = [db.session.get(Membership, person) for person in people[:FEW_REGISTERED]]
            # The resident who logs in first, then a few; one registered by the coordination.
            for week, activity_id in enumerate(gym_ids[:4]):
                activity = db.session.get(Activity, activity_id)
                for n, member in enumerate(members[: FEW_REGISTERED - week]):
                    by_proxy = n == FEW_REGISTERED - 1
                    activities.register(
                        coordination if by_proxy else member,
                        activity,
                        for_member=member if by_proxy else None,
                    )
                    counts["registrations"] += 1
            db.session.commit()
            db.session.remove()

    def year() -> None:
        from app.activities import services as activities
        from app.activities.models import Activity, Category, Effort, OrganiserKind, PlaceKind
        from app.extensions import db
        from app.residences.models import Membership

        chance = random.Random(SEED)
        with app.app_context():
            coordination = db.session.get(Membership, coordination_id)
            members = {person: db.session.get(Membership, person) for person in people}
            tz = coordination.residence.tz
            saturday = _next_weekday(today, 5) - dt.timedelta(weeks=26)
            _series, gardens = activities.create_series(
                coordination,
                activities.Plan(
                    title="Jardin partagé",
                    category=Category.GARDEN,
                    period=_local_period(tz, saturday, 10, 12),
                    capacity=GARDEN_PLACES,
                    helper_places=2,
                    place_kind=PlaceKind.GARDEN,
                    description="Planter, tailler, arroser : chacun à son rythme.",
                    organiser_kind=OrganiserKind.RESIDENT,
                    organiser=members[people[1]],
                    step_free=True,
                    effort=Effort.MODERATE,
                ),
                every=1,
                until=saturday + dt.timedelta(weeks=51),
            )
            friday = _next_weekday(today, 4) - dt.timedelta(weeks=24)
            _series, outings = activities.create_series(
                coordination,
                activities.Plan(
                    title="Sortie au marché",
                    category=Category.OUTING,
                    period=_local_period(tz, friday, 9, 11),
                    capacity=OUTING_PLACES,
                    place_kind=PlaceKind.OUTSIDE,
                    address="Marché de la place du Général-de-Gaulle",
                    effort=Effort.MODERATE,
                ),
                every=4,
                until=friday + dt.timedelta(weeks=50),
            )
            counts["sessions"] += len(gardens) + len(outings)
            db.session.commit()
            now = dt.datetime.now(dt.UTC)

            def join(activity, member, *, helper=False) -> None:
                # A past session: they joined two days before it, and the roll call was made.
                past = activity.starts_at <= now
                before = activity.starts_at - dt.timedelta(days=2) if past else None
                activities.register(member, activity, as_helper=helper, now=before)
                counts["registrations"] += 1
                if past and chance.random() < 0.9:
                    activities.mark_attendance(
                        coordination,
                        activity,
                        member,
                        chance.random() < 0.85,
                        now=activity.starts_at + dt.timedelta(hours=1),
                    )
                    counts["attendances"] += 1

            # The measured session: everyone (the few are already registered), some waiting.
            measured = db.session.get(Activity, gym_ids[0])
            for person in people[FEW_REGISTERED:]:
                join(measured, members[person])
            # The others: a realistic spread; the resident who logs in goes to the garden.
            spread = [
                *((gym, 8, GYM_PLACES + 3) for gym in gym_ids[1:]),
                *((garden, 4, GARDEN_PLACES + 3) for garden in (g.id for g in gardens)),
                *((outing, 3, OUTING_PLACES + 2) for outing in (o.id for o in outings)),
            ]
            for activity_id, least, most in spread:
                activity = db.session.get(Activity, activity_id)
                already = {r.membership_id for r in activities.active_registrations(activity)}
                chosen = chance.sample(people[1:], chance.randint(least, most))
                if activity.category == Category.GARDEN:
                    chosen = [people[0], *chosen]
                for person in chosen:
                    if person not in already:
                        join(activity, members[person])
                if activity.helper_places:
                    for person in chance.sample(people[50:], chance.randint(0, 3)):
                        if person not in chosen and person not in already:
                            join(activity, members[person], helper=True)
                db.session.commit()
            db.session.remove()

    return few, year


# ---------------------------------------------------------------------------------------
# Servers.


class Gunicorn:
    """``gunicorn <app>`` on a free port of 127.0.0.1, with its log in a file."""

    def __init__(
        self, app_spec: str, chdir: Path, env: dict, ready_path: str, log_path: Path, args
    ):
        self.log_path = log_path
        self.ready_path = ready_path
        command = [
            str(Path(sys.executable).parent / "gunicorn"),
            *gunicorn_options(args),
            "--bind",
            "127.0.0.1:0",
            "--chdir",
            str(chdir),
            app_spec,
        ]
        self._log = log_path.open("wb")
        self.process = subprocess.Popen(  # noqa: S603 - our own command line
            command, cwd=chdir, env=env, stdout=self._log, stderr=subprocess.STDOUT
        )
        try:
            self.address = self._wait_until_ready()
        except BaseException:
            self.stop()
            raise

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def _wait_until_ready(self) -> tuple[str, int]:
        deadline = time.monotonic() + 30
        address = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"gunicorn exited with {self.process.returncode}:\n{self.log()}")
            if address is None:
                match = LISTENING.search(self.log())
                address = (match.group(1), int(match.group(2))) if match else None
            if address is not None:
                try:
                    if fetch(address, request_bytes(address, self.ready_path)).status == 200:
                        return address
                except (OSError, ValueError):
                    pass
            time.sleep(0.1)
        raise BenchError(f"gunicorn did not answer {self.ready_path} in time:\n{self.log()}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()


def gunicorn_options(args) -> list[str]:
    """The settings both servers share."""
    from gunicorn.config import KNOWN_SETTINGS

    options = ["--workers", str(args.workers), "--worker-class", args.worker_class]
    if args.server_threads:
        options += ["--threads", str(args.server_threads)]
    # gunicorn >= 25 opens a control socket at one fixed path per user: two servers at once
    # would fight over it.
    if any(setting.name == "control_socket_disable" for setting in KNOWN_SETTINGS):
        options.append("--no-control-socket")
    return options


class BenchError(Exception):
    """The benchmark could not run (exit code 2)."""


# ---------------------------------------------------------------------------------------
# Client: plain sockets, one connection per request ("Connection: close", as gunicorn's sync
# workers do anyway). http.client parses headers with the email package: about twice the CPU
# per request, taken from the server on a small machine.


@dataclass
class Reply:
    status: int
    queries: int | None  # X-Query-Count
    before_view: int | None  # X-Query-Count-Before-View
    kept: bool = False  # X-Page-Kept: given from memory (core.pagecache), not rendered


def request_bytes(address: tuple[str, int], path: str, cookie: str = "") -> bytes:
    host, port = address
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: close"]
    if cookie:
        lines.append(f"Cookie: {cookie}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def fetch(address: tuple[str, int], request: bytes) -> Reply:
    """Send one request, read the whole response (until the server closes); raises OSError or
    ValueError when there is no complete HTTP response."""
    with socket.create_connection(address, timeout=REQUEST_TIMEOUT) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    head, separator, body = b"".join(chunks).partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip()
    length = headers.get(b"content-length")
    if not separator or (length is not None and int(length) != len(body)):
        raise ValueError("incomplete response")
    queries, before = headers.get(b"x-query-count"), headers.get(b"x-query-count-before-view")
    return Reply(
        status,
        int(queries) if queries else None,
        int(before) if before else None,
        headers.get(b"x-page-kept") == b"1",
    )


def log_in(address: tuple[str, int], username: str) -> str:
    """Log in through the real form; return the Cookie header of the session."""
    base = "http://{}:{}".format(*address)
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(base + "/login", timeout=REQUEST_TIMEOUT) as response:  # noqa: S310
        match = CSRF.search(response.read().decode())
    if match is None:
        raise BenchError("no CSRF token on the login page")
    form = urllib.parse.urlencode(
        {"username": username, "password": PASSWORD, "csrf_token": match.group(1)}
    ).encode()
    with opener.open(base + "/login", data=form, timeout=REQUEST_TIMEOUT) as response:  # noqa: S310
        if urllib.parse.urlsplit(response.url).path == "/login":
            raise BenchError(f"the benchmark's {username} could not log in")
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in jar)


@dataclass
class Load:
    """Requests from several threads for a while; the counts of their replies."""

    requests: int = 0
    seconds: float = 0.0
    client_cpu: float = 0.0  # CPU seconds of this process (the client) meanwhile
    server_cpu: float = 0.0  # CPU seconds of the server's processes meanwhile (Linux)
    statuses: Counter = field(default_factory=Counter)
    queries: Counter = field(default_factory=Counter)
    before_view: Counter = field(default_factory=Counter)
    kept: int = 0  # replies given from memory

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def server_ms(self) -> float:
        """Milliseconds of the server's CPU per request."""
        return 1000 * self.server_cpu / self.requests if self.requests else 0.0

    def record(self, reply: Reply | None) -> None:
        self.requests += 1
        self.statuses[reply.status if reply else "error"] += 1
        if reply and reply.queries is not None:
            self.queries[reply.queries] += 1
        if reply and reply.before_view is not None:
            self.before_view[reply.before_view] += 1
        if reply and reply.kept:
            self.kept += 1

    def add(self, other: Load) -> None:
        self.requests += other.requests
        self.seconds += other.seconds
        self.client_cpu += other.client_cpu
        self.server_cpu += other.server_cpu
        self.statuses.update(other.statuses)
        self.queries.update(other.queries)
        self.before_view.update(other.before_view)
        self.kept += other.kept


def get_once(address, request: bytes) -> Reply | None:
    try:
        return fetch(address, request)
    except (OSError, ValueError):
        return None


def probe(address, request: bytes, times: int) -> Load:
    """A few requests one after the other (query counts, not speed)."""
    load = Load()
    for _ in range(times):
        load.record(get_once(address, request))
    return load


def hammer(server: Gunicorn, request: bytes, seconds: float, threads: int) -> Load:
    """Requests from ``threads`` threads for ``seconds``: the requests per second."""
    address = server.address
    result = Load()
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client() -> None:
        mine = Load()
        while time.monotonic() < deadline:
            mine.record(get_once(address, request))
        with lock:
            result.add(mine)

    workers = [threading.Thread(target=client) for _ in range(threads)]
    server_cpu = process_cpu({server.process.pid}) or 0.0
    cpu = _cpu_seconds()
    began = time.monotonic()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    result.seconds = time.monotonic() - began
    result.client_cpu = _cpu_seconds() - cpu
    result.server_cpu = (process_cpu({server.process.pid}) or 0.0) - server_cpu
    return result


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# ---------------------------------------------------------------------------------------
# Pages and their results.


@dataclass
class Run:
    """One page in one round."""

    page_rps: float
    hello_rps: float  # mean of the hello runs just before and just after
    page_ms: float  # milliseconds of the app server's CPU per request
    kept: float = 0.0  # share of the requests given from memory


@dataclass
class Page:
    label: str
    role: str  # "anonymous", "resident", "coordinator"
    path: str
    target: float | None  # ratio to the bare hello; None: shown, not checked
    request: bytes = b""
    phases: dict[str, Load] = field(default_factory=dict)  # query counts: empty, few, year
    runs: list[Run] = field(default_factory=list)  # one a round

    @property
    def ok_status(self) -> bool:
        return all(set(load.statuses) == {200} for load in self.phases.values())

    def queries(self, phase: str) -> int | None:
        """The most SQL queries a request of the page made in that phase."""
        return max(self.phases[phase].queries, default=None)

    @property
    def before_view(self) -> int:
        """The most SQL queries before the view a request of the page made."""
        return max(max(load.before_view, default=0) for load in self.phases.values())

    @property
    def most_queries(self) -> int:
        """The most SQL queries in all a request of the page made."""
        return max(max(load.queries, default=0) for load in self.phases.values())

    @property
    def grows(self) -> bool:
        """More queries with a year of bookings than with a few days of them."""
        year, few = self.queries("year"), self.queries("few")
        return year is not None and few is not None and year > few

    @property
    def ratios(self) -> list[float]:
        return [run.page_rps / run.hello_rps for run in self.runs if run.hello_rps]

    @property
    def ratio(self) -> float | None:
        return statistics.median(self.ratios) if self.ratios else None

    @property
    def page_rps(self) -> float:
        return statistics.median(run.page_rps for run in self.runs)

    @property
    def hello_rps(self) -> float:
        return statistics.median(run.hello_rps for run in self.runs)

    @property
    def server_ms(self) -> float:
        return statistics.median(run.page_ms for run in self.runs)

    @property
    def kept(self) -> float:
        return statistics.median(run.kept for run in self.runs)

    @property
    def fast_enough(self) -> bool | None:
        if self.target is None or self.ratio is None:
            return None
        return self.ratio >= self.target


def pages_to_measure(setup: Setup) -> list[Page]:
    room = f"/rooms/{setup.room_id}"
    activity = f"/activities/{setup.activity_id}"
    vote = f"/votes/{setup.vote_id}"
    from zoneinfo import ZoneInfo

    ahead = dt.datetime.now(ZoneInfo(setup.timezone)).date() + dt.timedelta(DATE_AHEAD_DAYS)
    resident = [
        "/",
        "/rooms",
        f"{room}?when=today",
        f"{room}?when=week",
        f"{room}?when=date&date={ahead.isoformat()}",
        f"{room}/week",
        "/bookings",
        "/me",
        "/activities",
        activity,
        "/votes",
        vote,
    ]
    return [
        Page("/healthz", "anonymous", "/healthz", HEALTHZ_TARGET),
        *(Page(path, "resident", path, RESIDENT_TARGET) for path in resident),
        Page(f"{room}/week", "coordinator", f"{room}/week", RESIDENT_TARGET),
        # The coordinator's programme has their buttons; their activity page lists everyone
        # registered (RESIDENTS in the year) and the forms to register someone, change the
        # places, cancel.
        *(Page(path, "coordinator", path, RESIDENT_TARGET) for path in ("/activities", activity)),
        # The coordinator's list has the proposals ready for a vote; their vote page the
        # committee's buttons.
        *(Page(path, "coordinator", path, RESIDENT_TARGET) for path in ("/votes", vote)),
        # Inside the app, no target: its distance to the bare hello is what every request pays
        # before its view (session, user, hooks), and the query counts of that alone.
        Page("/bench/hello (in the app)", "resident", "/bench/hello", None),
    ]


PHASES = ("empty", "few", "year")


def check(pages: list[Page], args) -> tuple[list[str], list[str]]:
    """(problems, notes)."""
    problems, notes = [], []
    for page in pages:
        name = f"{page.label} ({page.role})"
        for phase, load in page.phases.items():
            if set(load.statuses) != {200}:
                problems.append(
                    f"{name} did not always answer 200 ({phase}): {dict(load.statuses)}"
                )
            elif not load.queries or not load.before_view:
                problems.append(f"{name}: no X-Query-Count(-Before-View) header (FLASK_BENCHMARK?)")
        if page.grows:
            problems.append(
                f"{name}: {page.queries('few')} SQL queries with the bookings of a few days, "
                f"{page.queries('year')} with a year of them: the count grows with the bookings"
            )
        else:
            few, empty = page.queries("few"), page.queries("empty")
            if few is not None and empty is not None and few > empty:
                notes.append(
                    f"{name}: {few - empty} more quer(ies) once the room has bookings at all, "
                    "whatever their number"
                )
        if page.before_view > MAX_QUERIES_BEFORE_VIEW:
            problems.append(
                f"{name}: {page.before_view} SQL queries before the view (at most "
                f"{MAX_QUERIES_BEFORE_VIEW}: the request hooks and loading the user)"
            )
        if page.most_queries > MAX_QUERIES:
            problems.append(
                f"{name}: {page.most_queries} SQL queries (at most {MAX_QUERIES} for a page)"
            )
        if page.fast_enough is False:
            message = f"{name}: {page.ratio:.2f} x the bare hello, below its target {page.target:g}"
            (notes if args.no_speed_check else problems).append(message)
    return list(dict.fromkeys(problems)), notes


# ---------------------------------------------------------------------------------------
# Report.

COLUMNS = (
    "page",
    "as",
    "SQL empty",
    "SQL few",
    "SQL year",
    "page rps",
    "hello rps",
    "ratio",
    "min-max",
    "CPU ms",
    "kept",
    "target",
    "result",
)


def table_rows(pages: list[Page]) -> list[list[str]]:
    rows = []
    for page in pages:
        cells = [page.label, page.role]
        for phase in PHASES:
            load = page.phases[phase]
            if set(load.statuses) != {200}:
                cells.append("ERR")
            else:
                before = max(load.before_view, default="?")
                cells.append(f"{before}/{max(load.queries, default='?')}")
        if page.runs:
            ratios = page.ratios
            cells += [
                f"{page.page_rps:.0f}",
                f"{page.hello_rps:.0f}",
                f"{page.ratio:.3f}",
                f"{min(ratios):.2f}-{max(ratios):.2f}",
                f"{page.server_ms:.1f}",
                f"{page.kept:.0%}",
            ]
        else:
            cells += ["-"] * 6
        cells.append(f"{page.target:g}" if page.target is not None else "-")
        result = []
        if not page.ok_status:
            result.append("HTTP ERR")
        if page.grows:
            result.append("N+1")
        if page.before_view > MAX_QUERIES_BEFORE_VIEW:
            result.append(f"SQL>{MAX_QUERIES_BEFORE_VIEW}")
        if page.most_queries > MAX_QUERIES:
            result.append(f"SQL>{MAX_QUERIES}")
        if page.fast_enough is False:
            result.append("MISS")
        cells.append(" ".join(result) or ("OK" if page.target is not None else "info"))
        rows.append(cells)
    return rows


def print_table(rows: list[list[str]]) -> None:
    widths = [max(len(str(cell)) for cell in column) for column in zip(COLUMNS, *rows, strict=True)]
    numeric = {i for i, name in enumerate(COLUMNS) if i >= 2}

    def line(cells) -> str:
        return "  ".join(
            str(cell).rjust(width) if i in numeric else str(cell).ljust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    print(line(COLUMNS))
    print(line("-" * width for width in widths))
    for row in rows:
        print(line(row))


def markdown_table(rows: list[list[str]]) -> str:
    def escape(cell: str) -> str:
        return str(cell).replace("|", "\\|")

    lines = ["| " + " | ".join(COLUMNS) + " |"]
    lines.append("|" + "|".join(["---", "---"] + ["--:"] * (len(COLUMNS) - 3) + ["---"]) + "|")
    for row in rows:
        cells = [f"`{row[0]}`", *row[1:]]
        lines.append("| " + " | ".join(escape(cell) for cell in cells) + " |")
    return "\n".join(lines)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import gunicorn

    return (
        f"{os.cpu_count()} CPU ({cpu}), Python {platform.python_version()}, "
        f"gunicorn {gunicorn.__version__}, {platform.system()} {platform.release()}"
    )


def machine_cpu() -> tuple[float, float] | None:
    """(CPU seconds the whole machine used so far, of which its hypervisor stole), from
    Linux's /proc; None elsewhere."""
    try:
        line = Path("/proc/stat").read_text().split("\n", 1)[0]
        user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, line.split()[1:9])
    except (OSError, ValueError):
        return None
    tick = os.sysconf("SC_CLK_TCK")
    return (user + nice + system + irq + softirq) / tick, steal / tick


def process_cpu(pids: set[int]) -> float | None:
    """CPU seconds used so far by ``pids`` and their children (gunicorn's workers), from
    Linux's /proc; None elsewhere."""
    total = 0
    try:
        stats = list(Path("/proc").glob("[0-9]*/stat"))
    except OSError:
        return None
    for stat in stats:
        try:
            pid = int(stat.parent.name)
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if pid in pids or int(fields[1]) in pids:  # fields[1]: the parent's pid
                total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile
    return total / os.sysconf("SC_CLK_TCK") if stats else None


def cpu_snapshot(pids: set[int]) -> tuple[float, float, float] | None:
    machine, ours = machine_cpu(), process_cpu(pids)
    return None if machine is None or ours is None else (*machine, ours)


def quietness(before, after, elapsed: float) -> tuple[str, bool] | None:
    """(what used the CPU during the measures, whether other processes took a noticeable part)."""
    if before is None or after is None or elapsed <= 0:
        return None
    capacity = elapsed * (os.cpu_count() or 1)
    busy, stolen, ours = (end - start for start, end in zip(before, after, strict=True))
    others = max(busy - ours, 0.0) / capacity
    text = (
        f"CPU during the measures: {ours / capacity:.0%} this benchmark (client, servers, "
        f"database connections), "
        f"{others:.0%} other processes, {stolen / capacity:.0%} stolen by the hypervisor"
    )
    return text, others + stolen / capacity > 0.05


def database_pids(app) -> set[int]:
    """PostgreSQL: the process ids of the server's connections to the benchmark's database
    (the CPU they use is the benchmark's, not other processes')."""
    import sqlalchemy as sa

    from app.extensions import db

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            return set()
        query = "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
        try:
            with db.engine.connect() as connection:
                return set(connection.scalars(sa.text(query)))
        finally:
            db.engine.dispose()


def describe_database(app) -> str:
    from app.extensions import db

    with app.app_context():
        engine = db.engine
        version = ".".join(str(part) for part in engine.dialect.server_version_info or ())
        if engine.dialect.name == "sqlite":
            import sqlite3

            version = sqlite3.sqlite_version
        name = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}.get(
            engine.dialect.name, engine.dialect.name
        )
        url = engine.url.render_as_string(hide_password=True)
        engine.dispose()
    return f"{name} {version} ({url})"


# ---------------------------------------------------------------------------------------
# The run.


def measure_rounds(pages: list[Page], hello: bytes, hello_server, app_server, args) -> Load:
    """Each round: hello, page 1, hello, page 2, ..., hello. Returns all the hello loads."""
    hellos = Load()
    warm_up = min(args.seconds, 0.25)  # templates compiled, caches filled in each worker
    hammer(hello_server, hello, warm_up, args.threads)
    for page in pages:
        hammer(app_server, page.request, warm_up, args.threads)
    for round_number in range(args.rounds):
        print(f"round {round_number + 1}/{args.rounds} ...", file=sys.stderr, flush=True)
        before = hammer(hello_server, hello, args.seconds, args.threads)
        hellos.add(before)
        for page in pages:
            load = hammer(app_server, page.request, args.seconds, args.threads)
            after = hammer(hello_server, hello, args.seconds, args.threads)
            hellos.add(after)
            page.phases["year"].add(load)
            kept = load.kept / load.requests if load.requests else 0.0
            page.runs.append(Run(load.rps, (before.rps + after.rps) / 2, load.server_ms, kept))
            before = after
    return hellos


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not (Path(sys.executable).parent / "gunicorn").exists():
        print(f"gunicorn is not installed next to {sys.executable}", file=sys.stderr)
        return 2
    os.environ.setdefault("SECRET_KEY", secrets.token_hex(32))
    try:
        return run(args)
    except BenchError as error:
        print(f"the benchmark could not run: {error}", file=sys.stderr)
        return 2


def run(args) -> int:
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db

    started = dt.datetime.now().astimezone()
    load_average = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="maison-commune-bench-") as workdir:
        url = args.database_url or "sqlite:///" + str(Path(workdir) / "bench.sqlite3")
        app = create_app({"SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"))
        database = describe_database(app)
        setup = create_data(app, args.days, args.per_day)
        env = {
            **os.environ,
            "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "FLASK_BENCHMARK": "1",
            "FLASK_DEV": "1",
            **({"FLASK_PAGE_CACHE": "0"} if args.no_page_cache else {}),
        }
        servers = []
        try:
            app_server = Gunicorn(
                "wsgi:app", ROOT, env, "/healthz", Path(workdir) / "app.log", args
            )
            servers.append(app_server)
            hello_server = Gunicorn(
                "hello_app:app", ROOT / "bench", env, "/hello", Path(workdir) / "hello.log", args
            )
            servers.append(hello_server)
            cookies = {
                role: log_in(app_server.address, name) for role, name in setup.logins.items()
            }
            cookies["anonymous"] = ""
            pages = pages_to_measure(setup)
            for page in pages:
                page.request = request_bytes(app_server.address, page.path, cookies[page.role])
            hello = request_bytes(hello_server.address, "/hello")
            times = 2 * args.workers * max(1, args.server_threads or 1)
            # Query counts: the room empty, with the bookings of a few days, with all of them
            # (and the activities: nobody registered, a few people, the year).
            steps = [None, *setup.add_activities]
            for phase, batch, step in zip(PHASES, [[], *setup.bookings], steps, strict=True):
                setup.insert_bookings(batch)
                if step is not None:
                    try:
                        step()
                    except Exception as error:  # the services refused: out of step
                        raise BenchError(
                            f"create_data: the activities ({phase}): {error!r}"
                        ) from error
                for page in pages:
                    page.phases[phase] = probe(app_server.address, page.request, times)
            ours = {os.getpid(), app_server.process.pid, hello_server.process.pid}
            ours |= database_pids(app)  # PostgreSQL: the app's connections, warm by now
            cpu_before, began = cpu_snapshot(ours), time.monotonic()
            hellos = measure_rounds(pages, hello, hello_server, app_server, args)
            cpu_after, elapsed = cpu_snapshot(ours), time.monotonic() - began
            app_log = app_server.log()
        finally:
            for server in servers:
                server.stop()
            with app.app_context():
                db.engine.dispose()

    bookings = sum(len(batch) for batch in setup.bookings)
    hello_rates = [run.hello_rps for page in pages for run in page.runs]
    made = setup.activities
    activity_words = (
        f"{made['sessions']} activity sessions, {made['registrations']} registrations "
        f"({RESIDENTS} on activity {setup.activity_id}, {MEASURED_PLACES} places), "
        f"{made['attendances']} marked at the roll call; {made['votes'] + 1} votes, "
        f"{made['ballots']} ballots"
    )
    summary = (
        f"{started:%Y-%m-%d}, {database.split(' (')[0]}, {machine()}; gunicorn "
        f"{args.workers} {args.worker_class} workers, {args.threads} client threads, "
        f"{args.rounds} x {args.seconds:g} s; "
        f"{'no page kept in memory' if args.no_page_cache else 'pages kept in memory'}; "
        f"{bookings} bookings over {args.days} days; "
        f"{activity_words}"
    )
    print(
        f"\nBenchmark of {started:%Y-%m-%d %H:%M %Z}: {database}\n"
        f"machine: {machine()}; load average at the start {load_average[0]:.2f}\n"
        f"both servers: gunicorn {' '.join(gunicorn_options(args))}; the bare hello is "
        f"bench/hello_app.py\nclient: {args.threads} threads; {args.rounds} round(s) of "
        f"{args.seconds:g} s per measure; bare hello {min(hello_rates):.0f}-"
        f"{max(hello_rates):.0f} req/s, {hellos.server_ms:.2f} ms of server CPU a request "
        f"(client CPU meanwhile: {hellos.client_cpu / hellos.seconds:.0%} of a core)"
    )
    quiet = quietness(cpu_before, cpu_after, elapsed)
    if quiet:
        summary += f"; {quiet[0]}"
        print(quiet[0])
    print(
        f"room {setup.room_id}: empty, then 'few': {len(setup.bookings[0])} bookings on "
        f"yesterday, today, tomorrow and in {DATE_AHEAD_DAYS} days (those in the {args.days} "
        f"days), then 'year': all {bookings} over {args.days} days\n"
        f"activities: 'empty': the gym every Tuesday for a year, nobody registered; 'few': "
        f"{FEW_REGISTERED} people on the next sessions; 'year': {activity_words}\n"
        f"SQL: queries before the view / in all (X-Query-Count-Before-View / X-Query-Count);\n"
        f"ratio: page req/s / mean of the bare hello runs just before and after, median of the "
        f"rounds (min-max: of the rounds); CPU ms: the app server's CPU per request (gunicorn's "
        f"processes, not the database server's); kept: the share of the speed measure's "
        f"requests given from memory (core.pagecache), not rendered\n"
    )
    rows = table_rows(pages)
    print_table(rows)
    problems, notes = check(pages, args)
    print()
    for note in notes:
        print(f"note: {note}")
    if quiet and quiet[1]:
        print(f"WARNING: the machine was not quiet ({quiet[0]}): compare with care")
    print(f"\nMarkdown:\n\n{summary}.\n")
    print(markdown_table(rows))
    if problems:
        print("\nFAIL")
        for problem in problems:
            print(f"- {problem}")
        if any("200" in problem for problem in problems):
            print("\n--- the app server's log (end):\n" + app_log[-5000:])
        return 1
    speed = "speed not checked (--no-speed-check)" if args.no_speed_check else "speed targets met"
    print(
        f"\nOK: every page answers 200, at most {MAX_QUERIES_BEFORE_VIEW} SQL queries before the "
        f"view, query counts do not grow with the bookings; {speed}."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
