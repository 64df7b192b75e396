"""Benchmark of a room's pages with a year of bookings (issue 3).

Builds a database (a temporary SQLite file, or ``--database-url`` / ``DATABASE_URL``), creates a
residence and a room open 08:00–22:00 every day, serves the app with gunicorn
(``FLASK_BENCHMARK=1``: a bare ``/bench/hello`` route and an ``X-Query-Count`` header) and logs
in as a resident. Then, with the room EMPTY and again with a YEAR of bookings in it, it measures
the requests per second of ``/bench/hello``, the room's free-slot page and its week view, and
reads how many SQL queries each page made.

Exit code 0: every page answered 200 and no page makes more queries with the bookings than
without them. Exit code 1 otherwise; 2 when the benchmark could not run.

    .venv/bin/python bench/run.py                       # 365 days x 4 bookings, 3 s per page
    .venv/bin/python bench/run.py --days 20 --seconds 0.5
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import http.cookiejar
import os
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PASSWORD = "banc-d-essai-mot-de-passe"  # noqa: S105 - a throwaway account of the benchmark
REQUEST_TIMEOUT = 15
LISTENING = re.compile(r"Listening at: http://([\d.]+):(\d+)")
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=365, help="days of bookings (default 365)")
    parser.add_argument("--per-day", type=int, default=4, help="bookings a day, 1–7 (default 4)")
    parser.add_argument("--seconds", type=float, default=3.0, help="measuring time per page")
    parser.add_argument("--threads", type=int, default=4, help="client threads (default 4)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument(
        "--worker-class", default="sync", help="gunicorn worker class (default sync)"
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL"),
        help="database to use (default: DATABASE_URL, else a temporary SQLite file). "
        "A new residence is added to it at each run: use a throwaway database.",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.per_day <= 7:
        parser.error("--per-day must be between 1 and 7")
    return args


# ---------------------------------------------------------------------------------------
# Data.


HOUSEHOLDS = 8  # residents (one home each) who share the bookings


@dataclass
class Setup:
    room_id: int
    residence_id: int
    unit_id: int
    timezone: str
    logins: dict[str, str]  # role -> username
    households: list[tuple[int, int]]  # (user id, home id) of the residents


def create_data(app) -> Setup:
    """A residence, its coordinator, a few residents in their own homes and an empty room."""
    from app.core.permissions import Role
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
        db.session.add(Membership(user=coordinator, residence=residence, role=Role.COORDINATOR))
        residents = []
        for n in range(HOUSEHOLDS):
            resident = User(
                username=f"bench.{n}.{tag}",
                full_name=f"Habitant·e {n}",
                password_hash=password_hash,
            )
            home = Home(residence=residence, label=f"B{n:02d}")
            db.session.add(
                Membership(user=resident, residence=residence, role=Role.RESIDENT, home=home)
            )
            residents.append((resident, home))
        db.session.flush()
        room = create_room(
            coordinator,
            residence,
            name="Salle commune",
            openings=[(day, dt.time(8), dt.time(22)) for day in range(7)],
        )
        db.session.commit()
        setup = Setup(
            room_id=room.id,
            residence_id=residence.id,
            unit_id=room.units[0].id,
            timezone=residence.timezone,
            logins={"resident": residents[0][0].username, "coordinator": coordinator.username},
            households=[(user.id, home.id) for user, home in residents],
        )
        db.session.remove()
    return setup


def booking_rows(setup: Setup, days: int, per_day: int) -> list[dict]:
    """``per_day`` confirmed two-hour bookings a day for ``days`` days centred on today
    (half of them past, half to come), by the households in turn. Today's come first."""
    from zoneinfo import ZoneInfo

    from app.bookings.models import BookingStatus
    from app.core.timeutils import to_utc

    tz = ZoneInfo(setup.timezone)
    today = dt.datetime.now(tz).date()
    first = today - dt.timedelta(days=days // 2)
    dates = sorted(
        (first + dt.timedelta(days=offset) for offset in range(days)), key=lambda d: d != today
    )
    rows = []
    for day in dates:
        for n in range(per_day):
            user_id, home_id = setup.households[len(rows) % len(setup.households)]
            start = to_utc(dt.datetime.combine(day, dt.time(8 + 2 * n)), tz)
            end = to_utc(dt.datetime.combine(day, dt.time(10 + 2 * n)), tz)
            rows.append(
                {
                    "residence_id": setup.residence_id,
                    "room_id": setup.room_id,
                    "unit_id": setup.unit_id,
                    "user_id": user_id,
                    "home_id": home_id,
                    "created_by_id": user_id,
                    "start_at": start,
                    "end_at": end,
                    "block_end_at": end,
                    "status": BookingStatus.CONFIRMED,
                }
            )
    return rows


def insert_bookings(app, rows: list[dict]) -> None:
    """One multi-row INSERT: a year of bookings in well under a second."""
    import sqlalchemy as sa

    from app.bookings.models import Booking
    from app.extensions import db

    if not rows:
        return
    with app.app_context():
        db.session.execute(sa.insert(Booking), rows)
        db.session.commit()
        db.session.remove()


# ---------------------------------------------------------------------------------------
# Server.


class Gunicorn:
    """``gunicorn wsgi:app`` on a free port of 127.0.0.1, with its log in a file."""

    def __init__(self, database_url: str, log_path: Path, args: argparse.Namespace):
        self.log_path = log_path
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "FLASK_BENCHMARK": "1",
            "FLASK_DEV": "1",
        }
        command = [
            str(Path(sys.executable).parent / "gunicorn"),
            "--workers",
            str(args.workers),
            "--worker-class",
            args.worker_class,
            "--bind",
            "127.0.0.1:0",
            "--chdir",
            str(ROOT),
            *_gunicorn_options(),
            "wsgi:app",
        ]
        self._log = log_path.open("wb")
        self.process = subprocess.Popen(  # noqa: S603 - our own command line
            command, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT
        )
        self.host, self.port = self._wait_until_ready()

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def _wait_until_ready(self) -> tuple[str, int]:
        deadline = time.monotonic() + 30
        address = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited with {self.process.returncode}:\n{self.log()}")
            if address is None:
                match = LISTENING.search(self.log())
                address = (match.group(1), int(match.group(2))) if match else None
            if address is not None:
                try:
                    status, _, _ = get(*address, "/healthz", "")
                except (OSError, http.client.HTTPException):
                    status = None
                if status == 200:
                    return address
            time.sleep(0.1)
        raise SystemExit(f"gunicorn did not answer /healthz in time:\n{self.log()}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()


def _gunicorn_options() -> list[str]:
    # gunicorn >= 25 opens a control socket at one fixed path per user: two servers at once
    # would fight over it.
    from gunicorn.config import KNOWN_SETTINGS

    if any(setting.name == "control_socket_disable" for setting in KNOWN_SETTINGS):
        return ["--no-control-socket"]
    return []


# ---------------------------------------------------------------------------------------
# Client.


def get(host: str, port: int, path: str, cookie: str, connection=None):
    """One GET; returns (status, X-Query-Count, connection to reuse or None)."""
    connection = connection or http.client.HTTPConnection(host, port, timeout=REQUEST_TIMEOUT)
    try:
        connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = connection.getresponse()
        response.read()
    except (OSError, http.client.HTTPException):
        connection.close()
        raise
    queries = response.getheader("X-Query-Count")
    if response.will_close:  # gunicorn's sync workers close after each response
        connection.close()
        connection = None
    return response.status, int(queries) if queries else None, connection


def log_in(server: Gunicorn, username: str) -> str:
    """Log in through the real form; return the Cookie header of the session."""
    base = f"http://{server.host}:{server.port}"
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(base + "/login", timeout=REQUEST_TIMEOUT) as response:  # noqa: S310
        match = CSRF.search(response.read().decode())
    if match is None:
        raise SystemExit("no CSRF token on the login page")
    form = urllib.parse.urlencode(
        {"username": username, "password": PASSWORD, "csrf_token": match.group(1)}
    ).encode()
    with opener.open(base + "/login", data=form, timeout=REQUEST_TIMEOUT) as response:  # noqa: S310
        if urllib.parse.urlsplit(response.url).path == "/login":
            raise SystemExit("the benchmark's resident could not log in")
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in jar)


@dataclass
class Measure:
    label: str
    requests: int = 0
    seconds: float = 0.0
    statuses: Counter = field(default_factory=Counter)
    queries: Counter = field(default_factory=Counter)

    @property
    def rps(self) -> float | None:
        return self.requests / self.seconds if self.seconds else None

    @property
    def ok(self) -> bool:
        return set(self.statuses) == {200}

    @property
    def query_count(self) -> int | None:
        """The most queries one request of this page made."""
        return max(self.queries) if self.queries else None

    def record(self, status, queries: int | None) -> None:
        self.statuses[status] += 1
        if queries is not None:
            self.queries[queries] += 1


def measure(server: Gunicorn, page: tuple[str, str, str], args, seconds: float) -> Measure:
    """GET the page a few times (every worker warms up; the query counts are kept), then
    from ``args.threads`` threads for ``seconds`` seconds. ``page`` is (label, path, cookie)."""
    label, path, cookie = page
    result = Measure(label)
    for _ in range(2 * args.workers):
        status, queries, _ = get(server.host, server.port, path, cookie)
        result.record(status, queries)
    if seconds <= 0:
        return result
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client() -> None:
        mine = Measure(label)
        connection = None
        try:
            while time.monotonic() < deadline:
                try:
                    status, queries, connection = get(
                        server.host, server.port, path, cookie, connection
                    )
                except (OSError, http.client.HTTPException):
                    status, queries, connection = "error", None, None
                mine.record(status, queries)
                mine.requests += 1
        finally:
            if connection is not None:
                connection.close()
        with lock:
            result.requests += mine.requests
            result.statuses.update(mine.statuses)
            result.queries.update(mine.queries)

    threads = [threading.Thread(target=client) for _ in range(args.threads)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.monotonic() - began
    return result


# ---------------------------------------------------------------------------------------
# Report.


def print_table(phases: dict[str, list[Measure]]) -> None:
    """One line per page: SQL queries in each phase, req/s (and ratio to hello) where timed."""
    names = list(phases)
    timed = [name for name in names if phases[name][0].rps is not None]
    width = max(len(m.label) for m in phases[names[0]])
    head = f"{'page':<{width}}  " + " ".join(f"{name:>9}" for name in names)
    head += "  " + " ".join(f"{name:>16}" for name in timed)
    print(
        f"{'':<{width}}  {'SQL queries, room with N bookings':<{10 * len(names)}}  "
        f"req/s (ratio to /bench/hello)"
    )
    print(head)
    for row, label in enumerate(m.label for m in phases[names[0]]):
        cells = []
        for name in names:
            m = phases[name][row]
            counts = "/".join(str(q) for q in sorted(m.queries)) or "-"
            cells.append(f"{counts if m.ok else 'ERR':>9}")
        speeds = []
        for name in timed:
            m, hello = phases[name][row], phases[name][0]
            speeds.append(f"{m.rps:7.1f} ({m.rps / hello.rps:.2f})".rjust(16))
        print(f"{label:<{width}}  " + " ".join(cells) + "  " + " ".join(speeds))


def check(phases: dict[str, list[Measure]]) -> tuple[list[str], list[str]]:
    """(problems, notes). A page whose query count is higher with the year of bookings than
    with one day of them makes queries per booking (or per person): that is the failure.
    One more query as soon as there are bookings at all (eager loading) is only noted."""
    problems, notes = [], []
    empty, day, year = phases.values()
    for before, few, many in zip(empty, day, year, strict=True):
        for m in (before, few, many):
            if not m.ok:
                problems.append(f"{m.label} did not always answer 200: {dict(m.statuses)}")
            elif m.query_count is None:
                problems.append(f"{m.label} has no X-Query-Count header (FLASK_BENCHMARK=1?)")
        if None in (before.query_count, few.query_count, many.query_count):
            continue
        if many.query_count > few.query_count:
            problems.append(
                f"{many.label}: {few.query_count} SQL queries with one day of bookings, "
                f"{many.query_count} with a year of them: the count grows with the bookings"
            )
        elif few.query_count > before.query_count:
            notes.append(
                f"{many.label}: {few.query_count - before.query_count} more quer(ies) once the "
                "room has bookings at all, whatever their number"
            )
    return list(dict.fromkeys(problems)), notes


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not (Path(sys.executable).parent / "gunicorn").exists():
        print(f"gunicorn is not installed next to {sys.executable}", file=sys.stderr)
        return 2
    os.environ.setdefault("SECRET_KEY", secrets.token_hex(32))

    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db

    with tempfile.TemporaryDirectory(prefix="maison-commune-bench-") as workdir:
        url = args.database_url or "sqlite:///" + str(Path(workdir) / "bench.sqlite3")
        app = create_app({"SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"))
            backend = db.engine.url.render_as_string(hide_password=True)
        setup = create_data(app)
        log_path = Path(workdir) / "gunicorn.log"
        server = Gunicorn(app.config["SQLALCHEMY_DATABASE_URI"], log_path, args)
        try:
            cookies = {role: log_in(server, name) for role, name in setup.logins.items()}
            room = f"/rooms/{setup.room_id}"
            pages = [("/bench/hello", "/bench/hello", cookies["resident"])]
            for role, cookie in cookies.items():
                pages.append((f"{room}?when=week ({role})", f"{room}?when=week", cookie))
                pages.append((f"{room}/week ({role})", f"{room}/week", cookie))
            rows = booking_rows(setup, args.days, args.per_day)
            today = rows[: args.per_day]
            phases: dict[str, list[Measure]] = {}
            phases["0"] = [measure(server, page, args, args.seconds) for page in pages]
            insert_bookings(app, today)
            phases[str(len(today))] = [measure(server, page, args, 0) for page in pages]
            insert_bookings(app, rows[len(today) :])
            phases[str(len(rows))] = [measure(server, page, args, args.seconds) for page in pages]
        finally:
            server.stop()
            with app.app_context():
                db.engine.dispose()
        print(
            f"\n{backend}; gunicorn {args.workers} {args.worker_class} workers; "
            f"{args.threads} client threads; {args.seconds:g} s per page\n"
            f"room {setup.room_id}: empty, then {len(today)} bookings today, then {len(rows)} "
            f"over {args.days} days (SQL queries from the X-Query-Count header)\n"
        )
        print_table(phases)
        problems, notes = check(phases)
        for note in notes:
            print(f"note: {note}")
        if problems:
            print("\nFAIL")
            for problem in problems:
                print(f"- {problem}")
            if any("200" in p for p in problems):
                print("\n--- gunicorn's log (end):\n" + server.log()[-5000:])
            return 1
        print("\nOK: the number of SQL queries of each page does not grow with the bookings.")
        return 0


if __name__ == "__main__":
    sys.exit(main())
