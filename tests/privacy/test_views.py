"""The privacy pages through HTTP: "Mes données" (page and file), closing one's account, the
coordinator's copy and recording a departure (404 across residences), the notice."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from app.core.audit import AuditEvent
from app.residences.models import Membership
from app.users.models import User
from tests.conftest import Auth, csrf_from, page
from tests.factories import PASSWORD, member


@pytest.fixture
def resident(client, auth, two_residences):
    auth.login("res.arm")
    return client


@pytest.fixture
def coordinator(client, auth, two_residences):
    auth.login("coord.arm")
    return client


def test_me_links_to_my_data_and_to_closing(resident):
    html = page(resident.get("/me"))
    assert 'href="/me/data"' in html and 'href="/me/close"' in html


def test_my_data_is_a_readable_page_with_every_section(resident, two_residences):
    response = resident.get("/me/data")
    assert response.status_code == 200
    html = page(response)
    assert "Mes données" in html and "Vos réservations" in html and "Vos votes" in html
    assert "A01" in html  # the home
    assert response.headers["Cache-Control"] == "no-store"
    _arm, _bezu, people = two_residences
    assert people["arm_res"].calendar_token not in html


def test_my_data_file_is_an_attachment_in_json(resident):
    response = resident.get("/me/data.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith("attachment")
    data = json.loads(response.get_data(as_text=True))
    assert data["sections"]["account"][0]["username"] == "res.arm"


def test_my_data_needs_a_login(client):
    assert client.get("/me/data").status_code in (302, 303)
    assert client.get("/me/data.json").status_code in (302, 303)


def test_the_coordinator_prints_a_residents_data_and_it_is_logged(
    coordinator, two_residences, session
):
    arm, _bezu, people = two_residences
    target = member(people["arm_res"], arm)
    response = coordinator.get(f"/residents/{target.id}/data")
    assert response.status_code == 200
    assert "res.arm" in page(response)
    assert session.scalar(
        sa.select(sa.func.count(AuditEvent.id)).where(
            AuditEvent.action == "privacy.data_printed", AuditEvent.target_id == target.id
        )
    )


def test_another_residences_resident_is_not_found(coordinator, two_residences):
    _arm, bezu, people = two_residences
    other = member(people["bezu_res"], bezu)
    assert coordinator.get(f"/residents/{other.id}/data").status_code == 404
    assert coordinator.get(f"/residents/{other.id}/departure").status_code == 404
    token = csrf_from(coordinator.get("/me").get_data(as_text=True))
    response = coordinator.post(
        f"/residents/{other.id}/departure", data={"reason": "died", "csrf_token": token}
    )
    assert response.status_code == 404


def test_a_resident_may_not_print_someone_elses_data(resident, two_residences):
    arm, _bezu, people = two_residences
    other = member(people["arm_coord"], arm)
    assert resident.get(f"/residents/{other.id}/data").status_code == 403


def test_closing_says_the_consequences_first_and_asks_for_the_password(resident):
    html = page(resident.get("/me/close"))
    assert "Ce qui est effacé" in html and "Ce qui reste, sans votre nom" in html
    assert "Oui, fermer mon compte" in html
    token = csrf_from(html)
    response = resident.post("/me/close", data={"password": "wrong password!", "csrf_token": token})
    assert response.status_code == 422
    assert "Ce n'est pas votre mot de passe" in page(response)


def test_closing_ends_the_session_and_the_account(app, resident, two_residences, session):
    _arm, _bezu, people = two_residences
    user_id = people["arm_res"].id
    # Another device logged in as the same person.
    other = app.test_client()
    Auth(other).login("res.arm")
    token = csrf_from(resident.get("/me/close").get_data(as_text=True))
    response = resident.post("/me/close", data={"password": PASSWORD, "csrf_token": token})
    assert response.status_code == 303
    assert response.headers["Location"] == "/account-closed"
    assert "Votre compte est fermé" in page(resident.get("/account-closed"))
    session.expire_all()
    assert session.get(User, user_id).is_erased
    assert resident.get("/me").status_code in (302, 303)
    assert other.get("/me").status_code in (302, 303)  # the other device is out too
    token = csrf_from(resident.get("/login").get_data(as_text=True))
    response = resident.post(
        "/login", data={"username": "res.arm", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code != 303


def test_the_coordinator_records_a_departure(coordinator, two_residences, session):
    arm, _bezu, people = two_residences
    target = member(people["arm_res"], arm)
    html = page(coordinator.get(f"/residents/{target.id}"))
    assert f"/residents/{target.id}/departure" in html
    html = page(coordinator.get(f"/residents/{target.id}/departure"))
    assert "déménagement ou décès" in html
    token = csrf_from(html)
    response = coordinator.post(f"/residents/{target.id}/departure", data={"csrf_token": token})
    assert response.status_code == 422  # no reason chosen
    response = coordinator.post(
        f"/residents/{target.id}/departure", data={"reason": "moved_out", "csrf_token": token}
    )
    assert response.status_code == 303
    session.expire_all()
    gone = session.get(Membership, target.id)
    assert gone.left_reason == "moved_out" and gone.user.is_erased
    # Their page says so; nothing brings the person back.
    html = page(coordinator.get(f"/residents/{target.id}"))
    assert "Ancien·ne résident·e" in html and "Ses données personnelles sont effacées" in html
    assert "Réactiver le compte" not in html and 'name="full_name"' not in html
    for action in ("active", "invitation"):
        response = coordinator.post(
            f"/residents/{target.id}/{action}", data={"active": "1", "csrf_token": token}
        )
        assert response.status_code in (403, 404)
    assert coordinator.get(f"/residents/{target.id}/departure").status_code == 403


def test_the_notice_follows_the_registry_and_the_settings(app, client):
    from app.privacy.registry import SECTIONS

    html = page(client.get("/confidentialite"))
    for section in SECTIONS:
        assert str(section.title) in html
    assert "12 mois" in html
    english = client.get("/privacy")
    assert english.status_code == 302
    html = page(client.get(english.headers["Location"]))
    assert "Your data and your rights" in html


@pytest.mark.app_config(PRIVACY_CONTACT="dpo@bailleur.example", AUDIT_RETENTION_MONTHS=6)
def test_the_notice_gives_the_dpo_contact_and_the_audit_period(app):
    html = page(app.test_client().get("/confidentialite"))
    assert "dpo@bailleur.example" in html
    assert "6 mois, puis il ne reste que des nombres" in html


def test_every_page_links_to_the_notice(client):
    assert 'href="/confidentialite"' in page(client.get("/login"))


def test_the_coordinator_sets_the_retention_period_and_the_notice_follows(
    coordinator, two_residences, session
):
    arm, _bezu, _people = two_residences
    html = page(coordinator.get("/residence/contact"))
    assert "Combien de mois garder le compte d'une personne partie" in html
    token = csrf_from(html)
    data = {"contact_phone": "", "contact_hours": "", "contact_place": "", "csrf_token": token}
    response = coordinator.post("/residence/contact", data={**data, "retention_months": "200"})
    assert response.status_code == 422
    response = coordinator.post("/residence/contact", data={**data, "retention_months": "6"})
    assert response.status_code == 303
    session.expire_all()
    assert session.get(type(arm), arm.id).retention_months == 6
    assert session.scalar(
        sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action == "residence.retention")
    )
    assert "Un compte désactivé est effacé après 6 mois." in page(
        coordinator.get("/confidentialite")
    )
