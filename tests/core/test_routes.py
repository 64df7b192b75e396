"""Every route: anonymous access, the role matrix, and residence isolation."""

from __future__ import annotations

import html

import pytest

from app.core.permissions import Role
from app.residences.models import Membership
from app.residents import services as residents

# Routes anyone may open without logging in.
PUBLIC = {
    "auth.login",
    "auth.activate",
    "auth.activate_code",
    "pages.healthz",
    "static",
    "auth.display",
    "auth.display_page",
    "calendars.personal_feed",  # a secret token in the URL instead of a login
    "calendars.programme_feed",
    "privacy.notice",  # the privacy notice, linked from every page and the invitation
    "privacy.notice_en",
    "privacy.closed",  # "your account is closed": seen once logged out
}


def _all_rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]


def _url(rule) -> str:
    values = {arg: 1 for arg in rule.arguments}
    if "code" in rule.arguments:
        values["code"] = "ABCDEFGHJK"
    return rule.build(values)[1]


def test_every_private_route_sends_anonymous_visitors_to_login(app, client, auth):
    token = auth.csrf("/login")
    checked = 0
    for rule in _all_rules(app):
        if rule.endpoint in PUBLIC:
            continue
        url = _url(rule)
        if "GET" in rule.methods:
            response = client.get(url)
        else:
            response = client.post(url, data={"csrf_token": token})
        assert response.status_code in (302, 303), (url, response.status_code)
        assert response.headers["Location"].startswith("/login"), url
        checked += 1
    assert checked >= 12


def test_public_routes_answer_anonymous_visitors(client):
    assert client.get("/login").status_code == 200
    assert client.get("/activate").status_code == 200
    assert client.get("/activate/ABCDEFGHJK").status_code == 404  # unknown code
    assert client.get("/healthz").status_code == 200
    assert client.get("/display?next=/login").status_code == 200


def test_state_changing_routes_refuse_get(app, client):
    """No state change on GET: POST-only routes answer 405 to a GET."""
    # (A POST whose URL also shows a page, like /display, is not POST-only.)
    shown = {r.rule for r in _all_rules(app) if "GET" in r.methods}
    post_only = [r for r in _all_rules(app) if "GET" not in r.methods and r.rule not in shown]
    assert {r.endpoint for r in post_only} >= {
        "auth.logout",
        "auth.logout_everywhere",
        "residences.switch",
        "residents.set_active",
        "residents.reissue",
    }
    for rule in post_only:
        assert client.get(_url(rule)).status_code == 405, rule.rule


PAGES = [
    "/",
    "/rooms",
    "/activities",
    "/votes",
    "/charter",
    "/me",
    "/me/password",
    "/residence/switch",
]
COORDINATION_PAGES = ["/residents", "/residents/new"]


@pytest.mark.parametrize(
    ("role", "coordination_status"),
    [
        (Role.RESIDENT, 403),
        (Role.COMMITTEE, 403),
        (Role.COORDINATOR, 200),
        (Role.LANDLORD_ADMIN, 200),
    ],
)
def test_role_matrix(role, coordination_status, client, auth, create_user, create_residence):
    residence = create_residence()
    create_user("someone", residence=residence, role=role)
    auth.login("someone")
    for page in PAGES:
        assert client.get(page).status_code == 200, page
    for page in COORDINATION_PAGES:
        response = client.get(page)
        assert response.status_code == coordination_status, page
        if coordination_status == 403:
            assert "Accès réservé" in response.get_data(as_text=True)


def _membership(session, user, residence):
    return session.query(Membership).filter_by(user_id=user.id, residence_id=residence.id).one()


@pytest.mark.parametrize("who", ["bezu_res", "bezu_coord"])
def test_bezu_people_get_404_on_armentieres_objects(who, client, auth, session, two_residences):
    arm, _bezu, people = two_residences
    target = _membership(session, people["arm_res"], arm)
    coordinator = people["arm_coord"]
    invitation, _ = residents.issue_invitation(coordinator, arm, target)
    session.commit()
    auth.login(people[who].username)
    token = auth.csrf("/me")
    assert client.get(f"/residents/{target.id}").status_code == 404
    assert client.get(f"/residents/invitations/{invitation.id}").status_code == 404
    assert (
        client.post(
            f"/residents/{target.id}/active", data={"csrf_token": token, "active": "0"}
        ).status_code
        == 404
    )
    assert (
        client.post(f"/residents/{target.id}/invitation", data={"csrf_token": token}).status_code
        == 404
    )
    assert client.post(f"/residence/switch/{arm.id}", data={"csrf_token": token}).status_code == 404
    session.refresh(target)
    assert target.is_active


def test_a_resident_never_sees_another_residence_in_the_list(client, auth, two_residences):
    _arm, _bezu, people = two_residences
    auth.login("coord.arm")
    page = client.get("/residents?show=all").get_data(as_text=True)
    assert people["arm_res"].full_name in page
    assert people["bezu_res"].full_name not in page
    assert people["bezu_coord"].full_name not in page


def test_landlord_staff_switch_between_their_residences(
    client, auth, session, two_residences, add_membership, create_user, create_residence
):
    arm, bezu, _people = two_residences
    other_landlord = create_residence("Ailleurs")
    admin = create_user("bailleur", residence=arm, role=Role.LANDLORD_ADMIN)
    add_membership(admin, bezu, Role.LANDLORD_ADMIN)
    auth.login("bailleur")
    assert "Armentières" in client.get("/").get_data(as_text=True)
    choose = client.get("/residence/switch").get_data(as_text=True)
    assert "Bézu" in choose and "Ailleurs" not in choose
    token = auth.csrf("/me")
    response = client.post(f"/residence/switch/{bezu.id}", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"] == "/"
    home = html.unescape(client.get("/").get_data(as_text=True))
    assert "Vous êtes maintenant dans : Bézu." in home
    assert '<p class="residence-name">Bézu</p>' in home
    page = client.get("/residents").get_data(as_text=True)
    assert "Personne" in page and "res.bezu" not in page  # names, never usernames, listed
    assert "Vous êtes maintenant dans" not in page  # said once
    assert (
        client.post(
            f"/residence/switch/{other_landlord.id}", data={"csrf_token": token}
        ).status_code
        == 404
    )
