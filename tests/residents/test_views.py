"""The coordinator's residents page and the invitation flow, through HTTP."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest

from app.core.db import utcnow
from app.core.timeutils import to_local
from app.residences.models import Membership
from app.residents.models import Invitation
from tests.conftest import csrf_from, page


@pytest.fixture
def coordinator_client(client, auth, two_residences):
    auth.login("coord.arm")
    return client


def _sheet_code(client, response) -> str:
    """The code printed on the sheet the coordinator is sent to (shown once); ``response``
    is the one that sends them there, or the sheet's address."""
    url = response if isinstance(response, str) else response.headers["Location"]
    sheet = page(client.get(url))
    return re.sub(r"<[^>]+>|-", "", re.search(r'class="sheet-code">(.+?)</p>', sheet).group(1))


def _add_person(client, **fields):
    token = csrf_from(client.get("/residents/new").get_data(as_text=True))
    data = {
        "full_name": "Paulette Durand",
        "home_label": "B12",
        "role": "resident",
        "email": "",
        "phone": "",
        "locale": "fr",
        "csrf_token": token,
        **fields,
    }
    return client.post("/residents/new", data=data)


def test_invitation_flow_end_to_end(app, coordinator_client, session):
    response = _add_person(coordinator_client)
    assert response.status_code == 303
    sheet_url = response.headers["Location"]
    sheet = page(coordinator_client.get(sheet_url))
    assert "Paulette Durand" in sheet and "logement B12" in sheet
    code = re.sub(r"<[^>]+>", "", re.search(r'class="sheet-code">(.+?)</p>', sheet).group(1))
    link = re.search(r"http://localhost/activate/([A-Z0-9]+)", sheet).group(0)
    assert code.replace("-", "") in link
    assert "<svg" in sheet and "<path" in sheet  # the QR code, inline
    assert "Ce code sert une seule fois" in sheet

    # The resident, on her own phone, types the code with spaces and in lower case.
    phone = app.test_client()
    token = csrf_from(phone.get("/activate").get_data(as_text=True))
    typed = code.lower().replace("-", " ")
    response = phone.post("/activate", data={"code": typed, "csrf_token": token})
    assert response.status_code == 303
    choose = phone.get(response.headers["Location"])
    assert "Bienvenue, Paulette Durand" in page(choose)
    token = csrf_from(choose.get_data(as_text=True))
    response = phone.post(
        response.headers["Location"],
        data={
            "username": "paulette",
            "password": "mon jardin en juin",
            "confirm": "mon jardin en juin",
            "csrf_token": token,
        },
    )
    assert response.status_code == 303
    home = page(phone.get("/"))
    assert "Bonjour Paulette Durand" in home
    assert "Votre compte est prêt" in home

    # Logging out and in again with the chosen username.
    phone.post("/logout", data={"csrf_token": csrf_from(phone.get("/me").get_data(as_text=True))})
    token = csrf_from(phone.get("/login").get_data(as_text=True))
    response = phone.post(
        "/login",
        data={"username": "paulette", "password": "mon jardin en juin", "csrf_token": token},
    )
    assert response.status_code == 303

    # The link works once only; the coordinator's sheet now says it was used.
    again = app.test_client().get(link.replace("http://localhost", ""))
    assert again.status_code == 404
    assert "Invitation non valable" in page(again)
    assert "déjà été utilisée" in page(coordinator_client.get(sheet_url))


def test_an_expired_invitation_is_refused_with_a_clear_message(app, coordinator_client, session):
    code = _sheet_code(coordinator_client, _add_person(coordinator_client))
    invitation = session.query(Invitation).one()
    invitation.expires_at = utcnow() - dt.timedelta(days=1)
    session.commit()
    response = app.test_client().get(f"/activate/{code}")
    assert response.status_code == 404
    assert "demandez-en un nouveau à la coordination" in page(response)
    phone = app.test_client()
    token = csrf_from(phone.get("/activate").get_data(as_text=True))
    response = phone.post("/activate", data={"code": code, "csrf_token": token})
    assert response.status_code == 422
    assert "Ce code n'est pas valable" in page(response)


def test_choose_username_errors_are_shown_next_to_fields(app, coordinator_client, session):
    code = _sheet_code(coordinator_client, _add_person(coordinator_client))
    phone = app.test_client()
    token = csrf_from(phone.get(f"/activate/{code}").get_data(as_text=True))
    response = phone.post(
        f"/activate/{code}",
        data={
            "username": "coord.arm",
            "password": "long enough password",
            "confirm": "long enough password",
            "csrf_token": token,
        },
    )
    assert response.status_code == 422
    assert "Ce nom d'utilisateur est déjà pris" in page(response)
    assert session.query(Invitation).one().used_at is None
    # Every field's problem at once (not one per try), and what was typed is still there.
    response = phone.post(
        f"/activate/{code}",
        data={
            "username": "coord.arm",
            "password": "long enough password",
            "confirm": "another long password",
            "csrf_token": token,
        },
    )
    html = page(response)
    assert response.status_code == 422 and "Le formulaire contient 2 erreurs" in html
    assert "Ce nom d'utilisateur est déjà pris" in html
    assert "Les deux mots de passe ne sont pas identiques." in html
    assert 'value="long enough password"' in html and 'value="another long password"' in html


@pytest.mark.app_config(RATELIMIT_ENABLED=True, REDEEM_LIMIT_IP="3 per minute")
def test_code_guessing_is_throttled(client):
    token = csrf_from(client.get("/activate").get_data(as_text=True))
    for _ in range(3):
        assert (
            client.post("/activate", data={"code": "AAAA-BBB-CCC", "csrf_token": token}).status_code
            == 422
        )
    assert (
        client.post("/activate", data={"code": "AAAA-BBB-CCD", "csrf_token": token}).status_code
        == 429
    )


def test_add_person_errors_keep_what_was_typed(coordinator_client, session):
    response = _add_person(
        coordinator_client, full_name="", email="not-an-address", phone="06 12 34 56 78"
    )
    assert response.status_code == 422
    html = page(response)
    assert "Indiquez le nom de la personne." in html
    assert "Cette adresse e-mail ne semble pas valable." in html
    assert 'value="06 12 34 56 78"' in html
    assert "Le formulaire contient 2 erreurs" in html
    _add_person(coordinator_client, email="p@example.org")
    response = _add_person(coordinator_client, full_name="Autre", email="P@example.org")
    assert response.status_code == 422
    assert "ne peut pas être utilisée pour ce compte" in page(response)


def test_coordinator_cannot_give_the_coordinator_role(coordinator_client, session):
    response = _add_person(coordinator_client, role="coordinator")
    assert response.status_code == 422
    assert "Not a valid choice" in page(response) or "choix" in page(response)
    from app.users.models import User

    assert session.query(User).filter_by(full_name="Paulette Durand").count() == 0


def test_list_search_and_filter(coordinator_client, session):
    _add_person(coordinator_client, full_name="Paulette Durand", home_label="C07")
    html = page(coordinator_client.get("/residents?q=c07"))
    assert "Paulette Durand" in html and "1 personne" in html
    assert "invitation pas encore utilisée" in html
    assert "Personne ne correspond" in page(coordinator_client.get("/residents?q=zzz"))


def test_search_as_htmx_partial_returns_only_the_results(coordinator_client):
    response = coordinator_client.get("/residents?q=res", headers={"HX-Request": "true"})
    html = page(response)
    assert html.lstrip().startswith('<section id="results"')
    assert "<html" not in html and "HX-Request" in response.headers["Vary"]
    boosted = coordinator_client.get(
        "/residents?q=res", headers={"HX-Request": "true", "HX-Boosted": "true"}
    )
    assert "<html" in boosted.get_data(as_text=True)


def test_edit_person(coordinator_client, session, two_residences):
    arm, _bezu, people = two_residences
    membership = people["arm_res"].membership_in(arm.id)
    token = csrf_from(coordinator_client.get(f"/residents/{membership.id}").get_data(as_text=True))
    response = coordinator_client.post(
        f"/residents/{membership.id}",
        data={
            "full_name": "Jeanne Martin",
            "home_label": "A02",
            "role": "committee",
            "email": "",
            "phone": "",
            "locale": "en",
            "csrf_token": token,
        },
    )
    assert response.status_code == 303
    session.expire_all()
    membership = session.get(Membership, membership.id)
    assert membership.user.full_name == "Jeanne Martin"
    assert membership.home.label == "A02" and membership.role.value == "committee"
    assert membership.user.locale == "en"


def test_deactivate_and_reactivate_by_htmx_announce_the_change(
    coordinator_client, session, two_residences
):
    arm, _bezu, people = two_residences
    membership = people["arm_res"].membership_in(arm.id)
    html = coordinator_client.get(f"/residents/{membership.id}").get_data(as_text=True)
    token = csrf_from(html)
    # htmx follows the 303 with its headers: the same URL gives the panel's fragment.
    response = coordinator_client.post(
        f"/residents/{membership.id}/active",
        data={"active": "0"},
        headers={"HX-Request": "true", "X-CSRFToken": token},
        follow_redirects=True,
    )
    assert response.status_code == 200 and len(response.history) == 1
    assert response.history[0].status_code == 303
    fragment = page(response)
    assert fragment.lstrip().startswith('<section id="status-panel"')
    assert 'id="active-button"' in fragment  # focus stays on the same button
    assert 'hx-swap-oob="innerHTML"' in fragment and "n'a plus accès" in fragment
    session.expire_all()
    assert not session.get(Membership, membership.id).is_active
    response = coordinator_client.post(
        f"/residents/{membership.id}/active",
        data={"active": "1"},
        headers={"HX-Request": "true", "X-CSRFToken": token},
        follow_redirects=True,
    )
    fragment = page(response)
    assert response.status_code == 200 and fragment.lstrip().startswith(
        '<section id="status-panel"'
    )
    assert "a de nouveau accès" in fragment and "Nouvelle feuille d'invitation" in fragment
    # Without JavaScript: the same form posts, then the whole page says it.
    response = coordinator_client.post(
        f"/residents/{membership.id}/active", data={"active": "0", "csrf_token": token}
    )
    assert response.status_code == 303
    assert "n'a plus accès" in page(coordinator_client.get(response.headers["Location"]))


def test_reissue_invitation_gives_a_new_sheet(coordinator_client, session, two_residences):
    arm, _bezu, people = two_residences
    membership = people["arm_res"].membership_in(arm.id)
    token = csrf_from(coordinator_client.get(f"/residents/{membership.id}").get_data(as_text=True))
    response = coordinator_client.post(
        f"/residents/{membership.id}/invitation", data={"csrf_token": token}
    )
    assert response.status_code == 303
    assert "sheet-code" in coordinator_client.get(response.headers["Location"]).get_data(
        as_text=True
    )


def test_coordinator_cannot_open_their_own_or_a_peers_record(coordinator_client, two_residences):
    arm, _bezu, people = two_residences
    own = people["arm_coord"].membership_in(arm.id)
    assert coordinator_client.get(f"/residents/{own.id}").status_code == 403


# -- The invitation sheet: the person's language, the coordination's contact -------------


def _reprint(client, session, sheet_url: str) -> str:
    """A new sheet for the same person (the code of the first is shown only once)."""
    invitation = session.get(Invitation, int(sheet_url.rsplit("/", 1)[1]))
    membership = invitation.user.membership_in(invitation.residence_id)
    token = csrf_from(client.get(f"/residents/{membership.id}").get_data(as_text=True))
    response = client.post(f"/residents/{membership.id}/invitation", data={"csrf_token": token})
    assert response.status_code == 303
    return response.headers["Location"]


def _sheet(client, **fields) -> str:
    response = _add_person(client, **fields)
    assert response.status_code == 303
    return response.headers["Location"]


def test_the_sheet_is_in_the_persons_language_and_the_page_in_the_coordinators(
    coordinator_client, session
):
    html = page(coordinator_client.get(_sheet(coordinator_client, locale="en")))
    sheet = html[html.index('<article class="sheet"') : html.index("</article>")]
    assert sheet.startswith('<article class="sheet" lang="en">')
    assert "<h1>Your invitation to Maison commune</h1>" in sheet
    assert "Paulette Durand</strong> – home B12" in sheet
    assert "To create your account" in sheet
    expiry = to_local(session.query(Invitation).one().expires_at, ZoneInfo("Europe/Paris"))
    assert f"It is valid until {expiry.day} {expiry:%B} {expiry.year}." in sheet
    assert "This code is personal: do not give it to anyone." in sheet
    assert "Pour créer" not in sheet and "Ce code" not in sheet
    # The page around it stays in French, before and after the sheet.
    assert "Retour à la fiche de Paulette Durand" in html
    assert "Imprimer la feuille" in html
    assert "La feuille est écrite en anglais, la langue de Paulette Durand." in html
    assert html.index("</article>") < html.index(">Affichage : taille du texte et contraste<")
    assert '<html lang="fr"' in html


def test_a_french_sheet_for_a_french_reader(coordinator_client):
    html = page(coordinator_client.get(_sheet(coordinator_client, locale="fr")))
    assert '<article class="sheet" lang="fr">' in html
    assert "<h1>Votre invitation à Maison commune</h1>" in html
    assert "Ce code est personnel : ne le donnez à personne." in html
    assert "La feuille est écrite en" not in html  # same language as the page


def test_a_person_without_a_language_gets_the_residences(coordinator_client, session):
    url = _sheet(coordinator_client, locale="en")
    user = session.query(Invitation).one().user
    user.locale = None
    user.memberships[0].residence.default_locale = "en"
    session.commit()
    assert '<article class="sheet" lang="en">' in page(coordinator_client.get(url))


def test_the_sheet_says_how_to_reach_the_coordination(coordinator_client, two_residences, session):
    from app.residences.services import set_contact
    from tests.factories import member

    arm, _bezu, people = two_residences
    url = _sheet(coordinator_client, locale="en")
    html = page(coordinator_client.get(url))
    assert "Your contact details" not in html  # (the hint is in the page's language)
    assert "Vos coordonnées ne sont pas encore sur la feuille." in html
    assert 'href="/residence/contact"' in html
    assert "To reach the coordinator" not in html
    set_contact(
        member(people["arm_coord"], arm),
        phone="03 53 01 24 60",
        hours="le mardi et le jeudi, de 9 h à 17 h",
        place="Bureau au rez-de-chaussée",
    )
    session.commit()
    html = page(coordinator_client.get(_reprint(coordinator_client, session, url)))
    sheet = html[html.index('<article class="sheet"') : html.index("</article>")]
    assert "To reach the coordinator:" in sheet
    assert '<a class="contact-phone" href="tel:0353012460">03 53 01 24 60</a>' in sheet
    assert "le mardi et le jeudi, de 9 h à 17 h" in sheet
    assert "Vos coordonnées ne sont pas encore sur la feuille." not in html


def test_the_address_may_wrap_but_not_the_code(coordinator_client):
    html = page(coordinator_client.get(_sheet(coordinator_client)))
    assert '<span class="sheet-url">http://localhost/activate</span>' in html
    # The code's groups are never cut; between them it may go to the next line.
    assert re.search(
        r'<p class="sheet-code"><span>[A-Z0-9]{4}-</span><wbr><span>[A-Z0-9]{3}-</span><wbr>'
        r"<span>[A-Z0-9]{3}</span></p>",
        html,
    )
    # The QR code scales with the sheet (a viewBox, no fixed size that would crop it).
    svg = re.search(r"<svg[^>]*>", html).group(0)
    assert "viewBox=" in svg and "width=" not in svg


def test_an_english_sheet_gives_the_coordinations_hours_in_english(
    coordinator_client, session, two_residences
):
    from app.residences.services import set_contact
    from tests.factories import member

    arm, _bezu, people = two_residences
    set_contact(
        member(people["arm_coord"], arm),
        phone="03 53 01 24 60",
        hours="le mardi et le jeudi, de 9 h à 17 h",
        place="Bureau au rez-de-chaussée",
        hours_en="Tuesdays and Thursdays, 9 am to 5 pm",
        place_en="Ground-floor office",
    )
    session.commit()
    html = page(coordinator_client.get(_sheet(coordinator_client, locale="en")))
    sheet = html[html.index('<article class="sheet"') : html.index("</article>")]
    assert "Tuesdays and Thursdays, 9 am to 5 pm" in sheet and "Ground-floor office" in sheet
    assert "le mardi" not in sheet


def test_an_invitation_code_is_kept_only_as_a_hash_and_shown_once(app, coordinator_client, session):
    """Issue 10, point 12: codes were kept in plain text for reprinting. Now the sheet shows
    the code right after it is issued, nothing in the database can give it back, and
    reprinting issues a new code (the old one stops working)."""
    import sqlalchemy as sa

    response = _add_person(coordinator_client)
    sheet_url = response.headers["Location"]
    code = _sheet_code(coordinator_client, response)
    row = session.execute(sa.select(Invitation.__table__)).one()._asdict()
    assert code not in repr(row) and code.lower() not in repr(row)
    assert set(row) >= {"code_hash"} and "code" not in row
    with coordinator_client.session_transaction() as state:
        assert code not in repr(dict(state))  # not left in the coordinator's cookie either

    again = page(coordinator_client.get(sheet_url))
    assert "sheet-code" not in again and code not in again.replace("-", "")
    assert "ne s'affiche qu'une fois" in again
    new_url = _reprint(coordinator_client, session, sheet_url)
    new_code = _sheet_code(coordinator_client, new_url)
    assert new_code != code
    assert app.test_client().get(f"/activate/{code}").status_code == 404
    assert app.test_client().get(f"/activate/{new_code}").status_code == 200
