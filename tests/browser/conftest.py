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
        context.set_default_timeout(10_000)
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
