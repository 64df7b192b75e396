"""Pages kept in memory (core.pagecache): given again only while nothing was written, within
the minute, to the same session; never to someone else, never with a message shown twice."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
import sqlalchemy as sa
from flask import flash, get_flashed_messages

from app.core import pagecache
from app.core.db import utcnow
from app.extensions import db
from app.users.services import end_all_sessions
from tests.conftest import Auth, csrf_from, page

renders = itertools.count()


def add_counting_page(app, *, moment=None):
    """``/_kept``: a page that may be kept, saying how many times it was rendered."""

    @app.get("/_kept")
    @pagecache.cached_page
    def kept():
        if moment is not None:
            pagecache.valid_until(moment)
        return f"<p>{get_flashed_messages()} rendered {next(renders)}</p>"


def logged_in(auth, username: str) -> None:
    """Logged in, and the session settled: the first page after logging in notes the
    residence in the session and shows the welcome (such a page is not kept)."""
    auth.login(username)
    auth.client.get("/_kept")


def rendered(client, path="/_kept") -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.mark.own_app
def test_a_page_is_kept_until_something_is_written(app, client, auth, two_residences, session):
    add_counting_page(app)
    logged_in(auth, "res.arm")
    first = rendered(client)
    assert rendered(client) == first  # given again, not rendered
    _arm, _bezu, people = two_residences
    people["arm_res"].full_name = "Jeanne Martin"
    session.flush()  # any write, anywhere: rendered again
    second = rendered(client)
    assert second != first
    assert rendered(client) == second


@pytest.mark.own_app
def test_a_page_is_kept_for_its_session_only(app, client, auth, two_residences):
    add_counting_page(app)
    other = app.test_client()
    logged_in(auth, "res.arm")
    logged_in(Auth(other), "coord.arm")  # (logging in writes: done before)
    mine = rendered(client)
    assert rendered(other) != mine
    assert rendered(client) == mine


@pytest.mark.own_app
def test_a_page_that_changes_at_a_moment_is_not_given_after_it(
    app, client, auth, two_residences, monkeypatch
):
    moment = utcnow().replace(second=30, microsecond=0) + dt.timedelta(hours=1)
    add_counting_page(app, moment=moment)
    clock = [moment - dt.timedelta(seconds=20)]  # the same minute as the moment
    monkeypatch.setattr(pagecache, "utcnow", lambda: clock[0])
    logged_in(auth, "res.arm")
    before = rendered(client)
    assert rendered(client) == before
    clock[0] = moment
    assert rendered(client) != before


@pytest.mark.own_app
def test_a_page_is_rendered_again_each_minute(app, client, auth, two_residences, monkeypatch):
    add_counting_page(app)
    clock = [utcnow().replace(second=59)]
    monkeypatch.setattr(pagecache, "utcnow", lambda: clock[0])
    logged_in(auth, "res.arm")
    before = rendered(client)
    clock[0] += dt.timedelta(seconds=1)
    assert rendered(client) != before


@pytest.mark.own_app
def test_pages_without_the_mark_or_with_a_message_are_not_kept(app, client, auth, two_residences):
    add_counting_page(app)

    @app.get("/_plain")
    def plain():
        return f"<p>rendered {next(renders)}</p>"

    @app.get("/_said")
    @pagecache.cached_page
    def said():
        flash("Bien reçu.", "success")
        return f"<p>rendered {next(renders)}</p>"

    logged_in(auth, "res.arm")
    assert rendered(client, "/_plain") != rendered(client, "/_plain")
    assert rendered(client, "/_said") != rendered(client, "/_said")


@pytest.mark.own_app
def test_anonymous_pages_are_not_kept(app, client, two_residences):
    add_counting_page(app)
    assert rendered(client) != rendered(client)


# -- the real pages, with really committed data (as on a server) ---------------------------


def behind_the_apps_back(statement: str, **values) -> None:
    """A change committed without the app (as with ``psql``): no token changes."""
    engine = sa.create_engine(db.engine.url)
    with engine.begin() as connection:
        connection.execute(sa.text(statement), values)
    engine.dispose()


@pytest.mark.committed
def test_what_someone_else_does_shows_at_once(
    app, client, auth, two_residences, create_activity, session
):
    arm, _bezu, people = two_residences
    activity = create_activity(arm, by=people["arm_coord"], capacity=3, title="Atelier cuisine")
    auth.login("res.arm")
    path = f"/activities/{activity.id}"
    client.get(path)  # the welcome, a first CSRF token: not kept
    assert "3 places" in page(client.get(path))
    behind_the_apps_back(
        "UPDATE activity SET title = 'Atelier pain' WHERE id = :id", id=activity.id
    )
    html = page(client.get(path))
    assert "Atelier cuisine" in html and "3 places" in html  # given from memory

    neighbour = app.test_client()
    Auth(neighbour).login("comite.arm")
    token = csrf_from(page(neighbour.get(path)))
    joined = neighbour.post(f"{path}/register", data={"csrf_token": token})
    assert joined.status_code == 303
    html = page(client.get(path))
    assert "2 places" in html and "Atelier pain" in html


@pytest.mark.committed
def test_a_message_is_shown_once_then_the_page_is_kept_without_it(
    app, client, auth, two_residences, create_activity
):
    arm, _bezu, people = two_residences
    activity = create_activity(arm, by=people["arm_coord"], capacity=3)
    auth.login("res.arm")
    path = f"/activities/{activity.id}"
    token = csrf_from(page(client.get(path)))
    response = client.post(f"{path}/register", data={"csrf_token": token}, follow_redirects=True)
    assert "C'est noté : vous êtes inscrit." in page(response)
    assert "C'est noté" not in page(client.get(path))
    assert "C'est noté" not in page(client.get(path))


@pytest.mark.committed
def test_a_session_ended_elsewhere_gets_no_kept_page(app, client, auth, two_residences, session):
    _arm, _bezu, people = two_residences
    auth.login("res.arm")
    assert "<dt>Nom d'utilisateur</dt><dd>res.arm</dd>" in page(client.get("/me"))
    assert "<dt>Nom d'utilisateur</dt><dd>res.arm</dd>" in page(client.get("/me"))  # kept
    end_all_sessions(db.session.merge(people["arm_res"]))  # "log out everywhere"
    session.commit()
    response = client.get("/me")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.committed
def test_the_page_of_one_person_is_never_given_to_another(app, client, auth, two_residences):
    auth.login("res.arm")
    assert "res.arm" in page(client.get("/me"))
    other = app.test_client()
    Auth(other).login("comite.arm")
    html = page(other.get("/me"))
    assert "comite.arm" in html and "res.arm" not in html


@pytest.mark.committed
def test_every_committed_write_changes_the_token_and_reads_do_not(app, two_residences, session):
    def token():
        return db.session.execute(pagecache.data_version.select()).one().token

    _arm, _bezu, people = two_residences
    before = token()
    session.commit()
    db.session.get(type(people["arm_res"]), people["arm_res"].id)
    session.commit()  # read only
    assert token() == before
    db.session.merge(people["arm_res"]).full_name = "Jeanne Martin"
    session.flush()
    session.rollback()  # written, then undone
    assert token() == before
    db.session.merge(people["arm_res"]).full_name = "Jeanne Martin"
    session.commit()
    assert token() != before


@pytest.mark.committed
def test_an_emptied_table_keeps_nothing_until_the_next_write(app, client, auth, two_residences):
    with db.engine.begin() as connection:
        connection.execute(pagecache.data_version.delete())
    add = app.test_client()
    Auth(add).login("res.arm")  # a write: the login time; the row comes back
    with app.app_context():
        assert db.session.execute(pagecache.data_version.select()).one().id == 1


@pytest.mark.committed
def test_a_token_that_cannot_be_written_fails_the_commit_as_sqlalchemy_says_it(
    app, two_residences, session, monkeypatch
):
    """Nothing is committed without its token: the error is SQLAlchemy's usual one."""
    dbapi = db.engine.dialect.loaded_dbapi

    def broken(*args):
        raise dbapi.OperationalError("the database went away")

    _arm, _bezu, people = two_residences
    user_id = people["arm_res"].id
    monkeypatch.setattr(pagecache, "bump", broken)
    db.session.merge(people["arm_res"]).full_name = "Jeanne Martin"
    with pytest.raises(sa.exc.DBAPIError, match="went away"):
        session.commit()
    session.rollback()
    monkeypatch.undo()
    assert db.session.get(type(people["arm_res"]), user_id).full_name != "Jeanne Martin"
