"""Browser tests: the app served by a real server thread, Debian's Chromium, axe-core.

The demo data (DESIGN §5) is loaded once; these tests read it and only add to it.
"""

from __future__ import annotations

import logging
import os
import threading

import pytest
from werkzeug.serving import make_server

from app.cli import DEMO_PASSWORD, load_demo
from app.extensions import db
from tests.conftest import make_app, truncate_all

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
VIEWPORT = {"width": 390, "height": 844}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

if not os.path.exists(CHROMIUM):
    pytest.skip(
        f"Debian's Chromium is not installed at {CHROMIUM} (apt-get install -y chromium; "
        "`make test` does it)",
        allow_module_level=True,
    )


logging.getLogger("werkzeug").setLevel(logging.WARNING)


def _patient_expect() -> None:
    """``expect()`` waits 5 s by default; CI runs both suites at once on two CPUs, where an
    htmx answer can take longer. A passing check does not wait any longer for it."""
    from playwright.sync_api import expect

    expect.set_options(timeout=20_000)


_patient_expect()


def buffered(wsgi_app):
    """Read each response whole and close it, so that a request the browser abandons
    (a favicon fetch cut short by a navigation) leaves no file open behind it."""

    def app(environ, start_response):
        result = wsgi_app(environ, start_response)
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        return [body]

    return app


class LiveServer:
    def __init__(self, app):
        self.app = app
        self.server = make_server("127.0.0.1", 0, buffered(app), threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.thread.join(timeout=5)


@pytest.fixture(scope="session")
def live_app(database_url):
    app = make_app(database_url, SERVER_NAME=None)
    truncate_all(app)
    with app.app_context():
        load_demo()
    yield app
    with app.app_context():
        db.session.remove()
    truncate_all(app)
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def app(live_app):
    """Browser tests share the demo database: no per-test emptying."""
    return live_app


@pytest.fixture(scope="session")
def server(live_app):
    live = LiveServer(live_app)
    live.start()
    yield live
    live.stop()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def context_factory(browser):
    contexts = []

    def _make(**kw):
        options = {"viewport": VIEWPORT, "has_touch": True, "locale": "fr-FR", **kw}
        context = browser.new_context(**options)
        context.set_default_timeout(30_000)  # a busy CI machine runs two suites at once
        contexts.append(context)
        return context

    yield _make
    for context in contexts:
        context.close()


@pytest.fixture
def page(context_factory):
    return context_factory().new_page()


def log_in(page, server, username: str, password: str = DEMO_PASSWORD):
    page.goto(server.url + "/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("main form button[type=submit]")
    page.wait_for_url(server.url + "/")


# The two displays every page is checked with: the defaults on a 390 px phone, and high
# contrast with the largest text on the narrowest phone (320 px).
DISPLAYS = {
    "default": {"text_size": "0", "high_contrast": "0", "width": 390},
    "contrast+largest": {"text_size": "2", "high_contrast": "1", "width": 320},
}


def set_display(page, server, display: str = "default") -> None:
    """Switch text size and contrast as the display page's buttons do (a POST with the
    page's CSRF token; kept on the account, or in the session before login), and size the
    viewport for that display."""
    settings = DISPLAYS[display]
    if not page.url.startswith(server.url):
        page.goto(server.url + "/login")
    token = page.evaluate(
        "JSON.parse(document.body.getAttribute('hx-headers:inherited'))['X-CSRFToken']"
    )
    form = {"csrf_token": token, "next": "/healthz"}
    form.update({name: settings[name] for name in ("text_size", "high_contrast")})
    assert page.request.post(f"{server.url}/display", form=form).ok
    page.set_viewport_size({"width": settings["width"], "height": VIEWPORT["height"]})


def make_resident(app, username: str, home_label: str, **user_fields) -> None:
    """A resident of Armentières with the demo password and a home of their own, for a test
    whose bookings must not meet another test's household limits."""
    import sqlalchemy as sa

    from app.core.permissions import Role
    from app.residences.models import Home, Membership, Residence
    from app.users.models import User
    from app.users.services import hash_password

    with app.app_context():
        residence = db.session.scalar(sa.select(Residence).where(Residence.name.like("%Armenti%")))
        user = User(
            username=username,
            full_name=username.replace(".", " ").title(),
            password_hash=hash_password(DEMO_PASSWORD),
            locale="fr",
            **user_fields,
        )
        home = Home(residence=residence, label=home_label)
        membership = Membership(user=user, residence=residence, role=Role.RESIDENT, home=home)
        db.session.add_all([user, membership])
        db.session.commit()
