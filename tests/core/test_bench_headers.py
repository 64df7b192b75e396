"""The SQL query headers of ``FLASK_BENCHMARK=1`` (app/core/bench.py), read by bench/run.py."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import abort
from flask_login import current_user

from app.extensions import db

pytestmark = pytest.mark.app_config(BENCHMARK=True)


def counts(response) -> tuple[int, int]:
    """(queries before the view, queries in all)."""
    headers = response.headers
    return int(headers["X-Query-Count-Before-View"]), int(headers["X-Query-Count"])


def add_view_with_one_query(app, *, touch_user: bool) -> None:
    @app.get("/_bench/one-query")
    def one_query():
        if touch_user:
            assert current_user.is_authenticated  # loads the user here if no hook did
        db.session.execute(sa.text("SELECT 1"))
        return "ok"


def test_off_without_the_benchmark_setting(other_app):
    response = other_app().test_client().get("/healthz")
    assert "X-Query-Count" not in response.headers
    assert "X-Query-Count-Before-View" not in response.headers


def test_an_anonymous_view_query_is_the_view_s_own(app, client):
    add_view_with_one_query(app, touch_user=False)
    assert counts(client.get("/_bench/one-query")) == (0, 1)


def test_the_hooks_and_the_user_come_before_the_view(app, client, auth, create_user):
    add_view_with_one_query(app, touch_user=True)
    auth.login(create_user().username)
    before, total = counts(client.get("/_bench/one-query"))
    assert before >= 1  # at least loading the user
    assert total == before + 1  # the view's own SELECT 1


def test_a_user_loaded_lazily_in_the_view_still_counts_before_it(app, client, auth, create_user):
    add_view_with_one_query(app, touch_user=True)
    auth.login(create_user().username)
    app.before_request_funcs.clear()  # no hook touches current_user: the view loads the user
    before, total = counts(client.get("/_bench/one-query"))
    assert before >= 1
    assert total == before + 1


def test_every_query_counts_before_the_view_when_a_hook_answers(app, client):
    @app.before_request
    def refuse():
        db.session.execute(sa.text("SELECT 1"))
        abort(403)

    response = client.get("/healthz")
    assert response.status_code == 403
    assert counts(response) == (1, 1)
