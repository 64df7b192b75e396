"""The action runner: one commit, or a rollback and the reason next to the field or in a flash;
303 when done, the page again with 409/422 when refused; nothing run for an invalid form."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import render_template_string, request
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired

from app.core.actions import perform
from app.core.errors import Conflict, DomainError
from app.extensions import db
from app.residences.models import Organisation
from tests.conftest import csrf_token_for, page

PAGE = """{% for m in get_flashed_messages() %}<p class=flash>{{ m }}</p>{% endfor %}
<p id=name-error>{{ form.name.errors|join(' ') }}</p>"""


class NameForm(FlaskForm):
    name = StringField(validators=[DataRequired("Un nom.")])


@pytest.fixture
def routes(app):
    calls = []

    @app.post("/t/organisation")
    def add_organisation():
        form = NameForm()

        def service():
            calls.append(form.name.data)
            if request.args.get("refuse") == "field":
                db.session.add(Organisation(name="jamais enregistrée"))
                db.session.flush()
                raise DomainError("Ce nom ne va pas.", field="name")
            if request.args.get("refuse") == "taken":
                raise Conflict("Déjà pris par quelqu'un.")
            organisation = Organisation(name=form.name.data)
            db.session.add(organisation)
            return organisation

        return perform(
            service,
            form=form,
            page=lambda _error: render_template_string(PAGE, form=form),
            message=lambda org: f"{org.name} est enregistrée.",
            success=lambda org: f"/t/done/{org.id}",
        )

    return calls


def organisations(session) -> list[str]:
    session.expire_all()
    return sorted(session.scalars(sa.select(Organisation.name)))


pytestmark = pytest.mark.own_app


def test_done_commits_once_flashes_and_answers_303(client, session, routes):
    response = client.post(
        "/t/organisation", data={"name": "Clésence", "csrf_token": csrf_token_for(client)}
    )
    assert response.status_code == 303 and response.headers["Location"].startswith("/t/done/")
    assert organisations(session) == ["Clésence"]
    with client.session_transaction() as state:
        assert ("success", "Clésence est enregistrée.") in state["_flashes"]


def test_a_refusal_about_a_field_is_shown_next_to_it_and_nothing_is_kept(client, session, routes):
    response = client.post(
        "/t/organisation?refuse=field",
        data={"name": "Clésence", "csrf_token": csrf_token_for(client)},
    )
    assert response.status_code == 422
    assert "<p id=name-error>Ce nom ne va pas.</p>" in page(response)
    assert organisations(session) == []  # what the service had flushed is rolled back


def test_a_refusal_about_nothing_in_particular_is_flashed_with_its_status(client, routes):
    response = client.post(
        "/t/organisation?refuse=taken",
        data={"name": "Clésence", "csrf_token": csrf_token_for(client)},
    )
    assert response.status_code == 409
    assert "<p class=flash>Déjà pris par quelqu'un.</p>" in page(response)


def test_an_invalid_form_runs_nothing(client, routes):
    response = client.post("/t/organisation", data={"csrf_token": csrf_token_for(client)})
    assert response.status_code == 422 and "Un nom." in page(response)
    assert routes == []


def test_the_database_saying_no_is_a_409_not_a_500(client, session, routes):
    session.add(Organisation(name="Clésence"))
    session.commit()
    response = client.post(
        "/t/organisation", data={"name": "Clésence", "csrf_token": csrf_token_for(client)}
    )
    assert response.status_code == 409
    assert "Quelqu'un vient de faire la même chose en même temps" in page(response)
    assert organisations(session) == ["Clésence"]
