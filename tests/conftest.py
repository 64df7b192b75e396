"""Test fixtures: one migrated database per run, emptied before each test.

The suite runs on SQLite by default. ``TEST_DATABASE_URL=postgresql+psycopg://…`` runs it on
PostgreSQL (``make test`` does both); if that server does not answer, every test is skipped
with the reason.
"""

from __future__ import annotations

import html
import os
import re

import pytest
import sqlalchemy as sa

from app import create_app
from app.config import TEST_CONFIG
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


@pytest.fixture
def app(request, database_url):
    """A fresh app on the emptied test database. ``@pytest.mark.app_config(KEY=value)``."""
    marker = request.node.get_closest_marker("app_config")
    overrides = marker.kwargs if marker else {}
    app = make_app(database_url, **overrides)
    truncate_all(app)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def session(app):
    """The app's database session, for arranging and checking data in tests."""
    with app.app_context():
        yield db.session


class Auth:
    """Log in through the real endpoint (flaskr's AuthActions)."""

    def __init__(self, client):
        self.client = client

    def login(self, username: str, password: str = PASSWORD):
        response = self.client.post(
            "/login",
            data={"username": username, "password": password, "csrf_token": self.csrf()},
        )
        assert response.status_code == 303, response.get_data(as_text=True)[:2000]
        return response

    def csrf(self, path: str = "/login") -> str:
        html = self.client.get(path).get_data(as_text=True)
        return csrf_from(html)

    def logout(self):
        return self.client.post("/logout", data={"csrf_token": self.csrf("/me")})


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no CSRF token on the page"
    return match.group(1)


@pytest.fixture
def auth(client):
    return Auth(client)


def pytest_configure(config):
    config.addinivalue_line("markers", "app_config(**kw): configuration overrides for the app")


def page(response) -> str:
    """The response's HTML with entities decoded, for asserting on what a reader sees."""
    return html.unescape(response.get_data(as_text=True))
