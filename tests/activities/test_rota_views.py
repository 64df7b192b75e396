"""The watering rota through HTTP: the garden page for everyone, the season for the
coordination only (403), another residence's slot (404); each tap without JavaScript (303
back to the slot's line) and with htmx (the line, the coordinator's warning and the
announcement); refusals (taken: 409, begun: 422); the warning on the coordinator's home."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from app.activities import services
from app.activities.models import WateringSlot
from app.messages.models import Message
from tests.conftest import Auth, page
from tests.factories import member, today_in

HTMX = {"HX-Request": "true", "HX-Request-Type": "partial"}
EVENING = (dt.time(19), dt.time(19, 30))


def _post(client, url, headers=None, **data):
    return client.post(url, data={"csrf_token": Auth(client).csrf(), **data}, headers=headers)


@pytest.fixture
def rota(two_residences, session):
    """Tomorrow's and the day after's evening slots in Armentières, all free."""
    arm, _bezu, people = two_residences
    tomorrow = today_in(arm) + dt.timedelta(days=1)
    coordinator = member(people["arm_coord"], arm)
    services.create_slots(coordinator, tomorrow, tomorrow + dt.timedelta(days=1), [EVENING])
    session.commit()
    return services.rota(arm, tomorrow, tomorrow + dt.timedelta(days=1))


def test_the_garden_page_lists_the_slots_for_everyone(client, auth, rota):
    auth.login("res.arm")
    response = client.get("/activities/garden")
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    body = page(response)
    assert "Arrosage du jardin" in body
    assert body.count("19 h – 19 h 30 : libre") == 2
    assert f'id="slot-{rota[0].id}-action"' in body and "Je m'en occupe" in body
    assert "Personne pour arroser" not in body  # the coordinator's warning
    assert "Préparer la saison" not in body
    assert 'id="garden-link"' in page(client.get("/activities"))


def test_another_residences_slot_is_not_found(client, auth, rota):
    auth.login("res.bezu")
    for action in ("claim", "release", "offer", "accept", "withdraw"):
        assert _post(client, f"/activities/garden/{rota[0].id}/{action}").status_code == 404
    assert _post(client, "/activities/garden/999999/claim").status_code == 404
    assert "19 h – 19 h 30" not in page(client.get("/activities/garden"))


def test_claim_offer_and_accept_without_javascript(client, auth, rota, two_residences, session):
    arm, _bezu, people = two_residences
    slot = rota[0]
    url = f"/activities/garden/{slot.id}"
    auth.login("res.arm")
    response = _post(client, f"{url}/claim")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/activities/garden#slot-{slot.id}"
    body = page(client.get("/activities/garden"))
    assert "C'est noté : vous arrosez le " in body  # the flash
    assert "19 h – 19 h 30 : vous" in body and "Je ne peux pas y aller" in body
    assert "Si vous ne pouvez pas y aller, proposez-le" in body  # said before
    assert _post(client, f"{url}/offer").status_code == 303
    body = page(client.get("/activities/garden"))
    assert "proposé aux voisins" in body and "Finalement, j'y vais" in body
    auth.logout()

    auth.login("comite.arm")
    body = page(client.get("/activities/garden"))
    name = people["arm_res"].full_name.split()[0]
    assert f"19 h – 19 h 30 : {name} " in body and "ne peut pas y aller" in body
    assert "vous recevez tous les deux un message" in body  # said before
    assert _post(client, f"{url}/accept").status_code == 303
    assert "Vous avez reçu tous les deux un message" in page(client.get("/activities/garden"))
    session.expire_all()
    assert session.get(WateringSlot, slot.id).holder_id == member(people["arm_committee"], arm).id
    told = session.scalars(sa.select(Message.subject).order_by(Message.id)).all()
    assert len(told) == 2 and all(subject.startswith("Arrosage : ") for subject in told)


def test_with_htmx_the_line_comes_back_focused_with_the_announcement(client, auth, rota):
    slot = rota[0]
    auth.login("res.arm")
    client.get("/activities/garden")
    response = _post(client, f"/activities/garden/{slot.id}/claim", headers=HTMX)
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    body = page(response)
    assert body.lstrip().startswith(f'<li id="slot-{slot.id}" class="rota-slot rota-mine">')
    assert "<main" not in body and "<h1>" not in body
    assert f'id="slot-{slot.id}-action"' in body and "autofocus" in body
    assert "Je ne peux pas y aller" in body
    assert 'id="rota-warning"' not in body  # residents have no warning to refresh
    assert '<div id="live-status" hx-swap-oob="innerHTML">C\'est noté : vous arrosez le ' in body
    # Nothing is left to be flashed on the next page.
    assert "flash" not in page(client.get("/activities/garden"))


def test_with_htmx_the_coordinators_warning_follows(client, auth, rota):
    auth.login("coord.arm")
    body = page(client.get("/activities/garden"))
    assert "Personne pour arroser" in body and "Demain, " in body
    response = _post(client, f"/activities/garden/{rota[0].id}/claim", headers=HTMX)
    body = page(response)
    assert '<div id="rota-warning" hx-swap-oob="true">' in body
    assert body.count("<li>") == 1  # only the day after's slot is left in the warning


def test_a_slot_taken_meanwhile_is_refused_with_409(client, auth, rota, two_residences, session):
    arm, _bezu, people = two_residences
    slot = rota[0]
    services.claim(member(people["arm_committee"], arm), slot)
    session.commit()
    auth.login("res.arm")
    response = _post(client, f"/activities/garden/{slot.id}/claim")
    assert response.status_code == 409
    assert "Un voisin vient de prendre ce créneau" in page(response)
    # With htmx the line is put back as it is now, and the reason is said.
    response = _post(client, f"/activities/garden/{slot.id}/claim", headers=HTMX)
    assert response.status_code == 409
    body = page(response)
    assert body.lstrip().startswith(f'<li id="slot-{slot.id}" class="rota-slot rota-held">')
    assert "Un voisin vient de prendre ce créneau" in body and 'id="live-status"' in body
    # Offering someone else's slot: the same kind of refusal.
    assert _post(client, f"/activities/garden/{slot.id}/offer").status_code == 409


def test_a_slot_that_has_begun_is_refused_with_422(client, auth, two_residences, session):
    arm, _bezu, people = two_residences
    slot = WateringSlot(
        residence_id=arm.id,
        day=today_in(arm),
        starts=dt.time(0, 0),
        ends=dt.time(23, 59),
        created_by_id=people["arm_coord"].id,
    )
    session.add(slot)
    session.commit()
    auth.login("res.arm")
    body = page(client.get("/activities/garden"))
    assert "ce créneau ne peut plus changer" in body and f'id="slot-{slot.id}-action"' not in body
    response = _post(client, f"/activities/garden/{slot.id}/claim")
    assert response.status_code == 422
    assert "Ce créneau a commencé ou est passé" in page(response)


def test_the_season_is_for_the_coordination(client, auth, two_residences):
    auth.login("res.arm")
    assert client.get("/activities/garden/season").status_code == 403
    assert _post(client, "/activities/garden/season").status_code == 403
    auth.logout()
    auth.login("comite.arm")
    assert client.get("/activities/garden/season").status_code == 403


def test_the_season_form_makes_the_slots_once(client, auth, two_residences):
    arm, _bezu, _people = two_residences
    tomorrow = today_in(arm) + dt.timedelta(days=1)
    auth.login("coord.arm")
    body = page(client.get("/activities/garden/season"))
    assert 'value="08:00"' in body and 'value="19:30"' in body
    form = {
        "first_day": tomorrow.isoformat(),
        "last_day": (tomorrow + dt.timedelta(days=6)).isoformat(),
        "morning": "y",
        "morning_start": "08:00",
        "morning_end": "08:30",
        "evening": "y",
        "evening_start": "19:00",
        "evening_end": "19:30",
        "note": "Les arrosoirs sont dans l'abri.",
    }
    response = _post(client, "/activities/garden/season", **form)
    assert response.status_code == 303 and response.headers["Location"] == "/activities/garden"
    body = page(client.get("/activities/garden"))
    assert "14 créneaux d'arrosage ajoutés." in body
    assert "Les arrosoirs sont dans l'abri." in body
    # Sent again (a double tap): nothing twice.
    assert _post(client, "/activities/garden/season", **form).status_code == 303
    body = page(client.get("/activities/garden"))
    assert "Rien à ajouter : ces créneaux existaient déjà." in body


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"last_day": "yesterday"}, 'id="last_day-error"'),
        ({"morning": None, "evening": None}, "Indiquez au moins un créneau"),
        ({"evening_end": "18:00"}, "L'heure de fin doit être après l'heure de début."),
        ({"morning_start": ""}, "Indiquez une heure."),
    ],
)
def test_a_season_that_does_not_hold_together_answers_422(
    client, auth, two_residences, change, said
):
    arm, _bezu, _people = two_residences
    tomorrow = today_in(arm) + dt.timedelta(days=1)
    form = {
        "first_day": tomorrow.isoformat(),
        "last_day": tomorrow.isoformat(),
        "morning": "y",
        "morning_start": "08:00",
        "morning_end": "08:30",
        "evening": "y",
        "evening_start": "19:00",
        "evening_end": "19:30",
    }
    form.update(change)
    form = {name: value for name, value in form.items() if value is not None}  # unticked
    auth.login("coord.arm")
    response = _post(client, "/activities/garden/season", **form)
    assert response.status_code == 422
    assert said in page(response)


def test_the_coordinators_home_warns_of_empty_slots(client, auth, rota, two_residences, session):
    arm, _bezu, people = two_residences
    auth.login("coord.arm")
    body = page(client.get("/"))
    assert "Personne pour arroser :" in body
    assert f'href="/activities/garden#slot-{rota[0].id}"' in body
    for slot in rota:
        services.claim(member(people["arm_res"], arm), slot)
    session.commit()
    body = page(client.get("/"))
    assert "Personne pour arroser" not in body and "Arrosage du jardin" in body


def test_the_coordinator_puts_a_neighbour_without_a_phone_on_a_slot(
    client, auth, rota, two_residences, session
):
    arm, _bezu, people = two_residences
    slot = rota[0]
    auth.login("res.arm")
    assert "Inscrire un voisin" not in page(client.get("/activities/garden"))
    assert client.get(f"/activities/garden/{slot.id}/assign").status_code == 403
    auth.logout()

    auth.login("coord.arm")
    body = page(client.get("/activities/garden"))
    assert f'href="/activities/garden/{slot.id}/assign"' in body
    body = page(client.get(f"/activities/garden/{slot.id}/assign"))
    assert "Ce créneau est libre." in body and people["arm_res"].full_name in body
    # No one chosen: said next to the list, nothing changes.
    response = _post(client, f"/activities/garden/{slot.id}/assign", person="")
    assert response.status_code == 422
    assert "Choisissez la personne dans la liste." in page(response)
    resident = member(people["arm_res"], arm)
    response = _post(client, f"/activities/garden/{slot.id}/assign", person=str(resident.id))
    assert response.status_code == 303
    assert response.headers["Location"] == f"/activities/garden#slot-{slot.id}"
    body = page(client.get("/activities/garden"))
    assert f"C'est noté : {people['arm_res'].full_name} arrose le " in body
    session.expire_all()
    assert session.get(WateringSlot, slot.id).holder_id == resident.id
    told = session.scalars(sa.select(Message).where(Message.membership_id == resident.id)).all()
    assert [m.subject for m in told] == ["Arrosage : la coordination vous a inscrit"]
    # Now held: the page says who goes, without the form; a post is refused (409).
    body = page(client.get(f"/activities/garden/{slot.id}/assign"))
    assert "arrose à ce créneau" in body and 'id="assign-slot"' not in body
    committee = member(people["arm_committee"], arm)
    response = _post(client, f"/activities/garden/{slot.id}/assign", person=str(committee.id))
    assert response.status_code == 409


def test_another_residences_slot_cannot_be_assigned(client, auth, rota, two_residences):
    _arm, bezu, people = two_residences
    auth.login("coord.bezu")
    assert client.get(f"/activities/garden/{rota[0].id}/assign").status_code == 404
    stranger = member(people["bezu_res"], bezu)
    response = _post(client, f"/activities/garden/{rota[0].id}/assign", person=str(stranger.id))
    assert response.status_code == 404


def test_the_coordinator_removes_a_slot_and_its_holder_is_told(
    client, auth, rota, two_residences, session
):
    arm, _bezu, people = two_residences
    held, free = rota
    resident = member(people["arm_res"], arm)
    services.claim(resident, held)
    session.commit()
    auth.login("res.arm")
    assert "Retirer ce créneau" not in page(client.get("/activities/garden"))
    assert client.get(f"/activities/garden/{held.id}/remove").status_code == 403
    assert _post(client, f"/activities/garden/{held.id}/remove").status_code == 403
    auth.logout()

    auth.login("coord.arm")
    body = page(client.get("/activities/garden"))
    assert f'href="/activities/garden/{held.id}/remove"' in body
    # The consequence is said before the button: who is told, with the reason.
    body = page(client.get(f"/activities/garden/{held.id}/remove"))
    name = people["arm_res"].full_name.split()[0]
    assert "Le créneau disparaît de l'arrosage" in body and "un message lui dira" in body
    assert name in body and 'id="reason"' in body and 'id="remove-slot"' in body
    response = _post(client, f"/activities/garden/{held.id}/remove", reason="x" * 201)
    assert response.status_code == 422 and "200 caractères au plus." in page(response)
    response = _post(client, f"/activities/garden/{held.id}/remove", reason="Pluie annoncée")
    assert response.status_code == 303 and response.headers["Location"] == "/activities/garden"
    body = page(client.get("/activities/garden"))
    assert f"{people['arm_res'].full_name} a reçu un message." in body
    assert f'id="slot-{held.id}"' not in body and f'id="slot-{free.id}"' in body
    session.expire_all()
    assert session.get(WateringSlot, held.id) is None
    (told,) = session.scalars(sa.select(Message).where(Message.membership_id == resident.id))
    assert told.subject == "Arrosage : votre créneau est annulé" and "Pluie annoncée" in told.body
    # A free one: nobody to tell, no reason asked.
    body = page(client.get(f"/activities/garden/{free.id}/remove"))
    assert "personne n'est prévenu" in body and 'id="reason"' not in body
    assert _post(client, f"/activities/garden/{free.id}/remove").status_code == 303
    assert "est retiré." in page(client.get("/activities/garden"))
    # Gone: its pages are not found any more.
    assert client.get(f"/activities/garden/{free.id}/remove").status_code == 404


def test_another_residences_slot_cannot_be_removed(client, auth, rota):
    auth.login("coord.bezu")
    assert client.get(f"/activities/garden/{rota[0].id}/remove").status_code == 404
    assert _post(client, f"/activities/garden/{rota[0].id}/remove").status_code == 404


def test_a_tap_on_a_slot_removed_meanwhile_says_so(client, auth, rota, monkeypatch):
    """The resident's page was loaded before the coordination removed the slot: the tap
    answers 409 and says so; with htmx the line says it is gone (no 5xx either way)."""
    claim = services.claim

    def removed_just_before(actor, slot, **kw):
        from app.extensions import db

        db.session.execute(
            sa.delete(WateringSlot)
            .where(WateringSlot.id == slot.id)
            .execution_options(synchronize_session=False)
        )
        return claim(actor, slot, **kw)

    monkeypatch.setattr(services, "claim", removed_just_before)
    auth.login("res.arm")
    response = _post(client, f"/activities/garden/{rota[0].id}/claim")
    assert response.status_code == 409
    assert "La coordination vient de retirer ce créneau" in page(response)
    response = _post(client, f"/activities/garden/{rota[1].id}/claim", headers=HTMX)
    assert response.status_code == 409
    body = page(response)
    assert body.lstrip().startswith(f'<li id="slot-{rota[1].id}" class="rota-slot rota-gone"')
    assert "Ce créneau a été retiré de l'arrosage." in body and "autofocus" in body
    assert '<div id="live-status" hx-swap-oob="innerHTML">La coordination vient de' in body
