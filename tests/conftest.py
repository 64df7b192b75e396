"""Test fixtures: one migrated database and one app per run; each test runs inside one
database transaction that is rolled back at its end (Indico's ``db`` fixture).

The suite runs on SQLite by default. ``TEST_DATABASE_URL=postgresql+psycopg://…`` runs it on
PostgreSQL (``make test`` does both); if that server does not answer, every test is skipped
with the reason.

Tests that need data really committed (a second app server, gunicorn, a browser talking to a
server thread) are marked ``@pytest.mark.committed`` (or ``app_config``, which builds an app of
their own): their app starts on emptied tables and empties them again afterwards.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import os
import re
import threading

import pytest
import sqlalchemy as sa
from flask_sqlalchemy.session import Session as FlaskSession
from itsdangerous import URLSafeTimedSerializer

from app import create_app
from app.config import TEST_CONFIG
from app.core import pagecache
from app.extensions import db

pytest_plugins = ["tests.factories"]

PASSWORD = "correct horse battery"  # noqa: S105 - same as tests.factories.PASSWORD


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    url = _database_url(tmp_path_factory)
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as error:
        pytest.skip(f"database at {engine.url!r} does not answer: {error.orig}")
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(sa.text("DROP SCHEMA public CASCADE"))
            connection.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()
    # The schema comes from the migrations, as in production.
    from flask_migrate import upgrade

    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return url


def truncate_all(app) -> None:
    with app.app_context():
        tables = [t for t in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                names = ", ".join(f'"{t.name}"' for t in tables)
                connection.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            else:
                for table in tables:
                    connection.execute(table.delete())


def make_app(database_url: str, **overrides):
    return create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, **overrides})


class BoundSession(FlaskSession):
    """A session on the test's connection (Flask-SQLAlchemy's picks an engine instead)."""

    def get_bind(self, *args, **kwargs):
        return self.bind if self.bind is not None else super().get_bind(*args, **kwargs)


def _new_token_at_each_write(conn, cursor, statement, parameters, context, executemany):
    if pagecache.is_write(statement, context):
        pagecache.bump(conn.connection.dbapi_connection, conn.dialect.name, conn.info)


@contextlib.contextmanager
def rolled_back(app):
    """Everything the app commits inside stays in one transaction, rolled back at the end:
    its commits release savepoints of that transaction."""
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        if connection.dialect.name == "sqlite":
            # pysqlite begins lazily: without a real BEGIN, releasing the first savepoint
            # would commit.
            connection.exec_driver_sql("BEGIN")
        # Pages kept in memory (core.pagecache) last until a transaction that wrote commits;
        # here nothing commits, and the test's own writes are seen at once by its requests:
        # each write changes the token at once. (The token's row then stays locked until
        # the test ends: a test that writes through another connection is ``committed``.)
        sa.event.listen(connection, "after_cursor_execute", _new_token_at_each_write)
        default = db.session
        db.session = db._make_scoped_session(
            {
                "class_": BoundSession,
                "bind": connection,
                "join_transaction_mode": "create_savepoint",
            }
        )
        try:
            yield
        finally:
            db.session.remove()
            db.session = default
            sa.event.remove(connection, "after_cursor_execute", _new_token_at_each_write)
            outer.rollback()
            connection.close()


@pytest.fixture(scope="session")
def shared_app(database_url):
    app = make_app(database_url)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def app(request, database_url, shared_app):
    """The app, on a database transaction rolled back after the test.

    ``@pytest.mark.app_config(KEY=value)``: an app of the test's own with that configuration,
    on really committed data (emptied before and after). ``@pytest.mark.committed``: the
    same with the usual configuration. ``@pytest.mark.own_app``: an app of the test's own
    (the test adds a route), still rolled back.
    """
    config = request.node.get_closest_marker("app_config")
    committed = config is not None or request.node.get_closest_marker("committed")
    own = committed or request.node.get_closest_marker("own_app")
    app = make_app(database_url, **(config.kwargs if config else {})) if own else shared_app
    if committed:
        truncate_all(app)
        yield app
        with app.app_context():
            db.session.remove()
        truncate_all(app)
    else:
        with rolled_back(app):
            yield app
    if own:
        with app.app_context():
            db.engine.dispose()
        # Extensions are created once for the process (as in production): give the limiter
        # back the shared app's settings (the test's app may have switched it on).
        from app.extensions import limiter

        limiter.init_app(shared_app)


@pytest.fixture
def other_app(database_url, shared_app):
    """``other_app(**config)``: another app server on the test database (its connections are
    closed at the end of the test, and the shared app gets its extensions back)."""
    apps = []

    def _make(**config):
        made = make_app(database_url, **config)
        apps.append(made)
        return made

    yield _make
    from app.extensions import limiter

    for made in apps:
        with made.app_context():
            db.session.remove()
            db.engine.dispose()
    if apps:
        limiter.init_app(shared_app)


@pytest.fixture
def session(app):
    """The app's database session, for arranging and checking data in tests."""
    with app.app_context():
        yield db.session


def csrf_token_for(client) -> str:
    """A CSRF token valid for ``client``'s session, made as Flask-WTF makes one."""
    app = client.application
    with client.session_transaction() as state:
        raw = state.setdefault("csrf_token", hashlib.sha1(os.urandom(64)).hexdigest())  # noqa: S324
    return URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(raw)


class Auth:
    """Log in through the real endpoint (flaskr's AuthActions), without opening a page."""

    def __init__(self, client):
        self.client = client

    def login(self, username: str, password: str = PASSWORD):
        response = self.client.post(
            "/login",
            data={"username": username, "password": password, "csrf_token": self.csrf()},
        )
        assert response.status_code == 303, response.get_data(as_text=True)[:2000]
        return response

    def csrf(self, path: str | None = None) -> str:
        return csrf_token_for(self.client)

    def logout(self):
        return self.client.post("/logout", data={"csrf_token": self.csrf()})


def in_app(app, function):
    """``function()`` in ``app``'s context, its session removed after (another server)."""
    with app.app_context():
        try:
            return function()
        finally:
            db.session.remove()


def at_once(apps, function, timeout: float = 120) -> list:
    """What several servers running the same job (cron) at the same moment do: ``function``
    in each app, each in its own thread, released together. Returns the results; an error
    in any of them fails the test."""
    start = threading.Barrier(len(apps))
    results, errors = [], []

    def run(app):
        try:
            start.wait()
            results.append(in_app(app, function))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(app,)) for app in apps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not errors, errors
    assert len(results) == len(apps), "a server did not finish in time"
    return results


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no CSRF token on the page"
    return match.group(1)


@pytest.fixture
def auth(client):
    return Auth(client)


def pytest_collection_modifyitems(items):
    """Tests on rolled-back transactions first, then those that commit for real (races on
    gunicorn), then the browser's (which share the demo data)."""

    def rank(item) -> int:
        path = str(item.path)
        return 2 if "/tests/browser/" in path else 1 if "/tests/concurrency/" in path else 0

    items.sort(key=rank)


def pytest_configure(config):
    config.addinivalue_line("markers", "app_config(**kw): an app of its own with this config")
    config.addinivalue_line("markers", "committed: data really committed (emptied before/after)")
    config.addinivalue_line("markers", "own_app: an app of its own (rolled back)")


def page(response) -> str:
    """The response's HTML with entities decoded, for asserting on what a reader sees (a
    no-break space, as in "14 h", reads as a space)."""
    return html.unescape(response.get_data(as_text=True)).replace("\u00a0", " ")
