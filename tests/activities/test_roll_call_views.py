"""The roll call and the participation table through HTTP: the coordination's only (404 from
another residence, 403 for residents), a tap without JavaScript (303 back to the person's
row), with htmx (the row, the count and the announcement), refusals (before the start, a
cancelled session), someone added on the day; the table month by month, in each language's
numbers."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from app.activities import services
from app.activities.models import Registration, RegistrationStatus
from app.core.permissions import Role
from tests.conftest import Auth, page
from tests.factories import member, today_in

HTMX = {"HX-Request": "true", "HX-Request-Type": "partial"}


def _post(client, url, headers=None, **data):
    return client.post(url, data={"csrf_token": Auth(client).csrf(), **data}, headers=headers)


def _before(activity):
    return activity.starts_at - dt.timedelta(minutes=1)


@pytest.fixture
def running(two_residences, create_activity, session):
    """Today's gym, started at 0 h 05, with the resident of Armentières registered."""
    arm, _bezu, people = two_residences
    today = today_in(arm)
    gym = create_activity(
        arm,
        by=people["arm_coord"],
        title="Gym douce",
        start=dt.datetime.combine(today, dt.time(0, 5)),
        end=dt.datetime.combine(today, dt.time(23, 55)),
    )
    resident = member(people["arm_res"], arm)
    services.register(resident, gym, now=_before(gym))
    session.commit()
    return gym, resident


def test_only_the_coordination_of_the_residence_takes_the_roll_call(
    client, auth, running, two_residences
):
    gym, resident = running
    url = f"/activities/{gym.id}/roll-call"
    auth.login("coord.bezu")
    assert client.get(url).status_code == 404
    assert _post(client, url, person=resident.id, came="1").status_code == 404
    auth.logout()
    for username in ("res.arm", "comite.arm"):
        auth.login(username)
        assert client.get(url).status_code == 403
        assert _post(client, url, person=resident.id, came="1").status_code == 403
        auth.logout()


def test_a_tap_without_javascript_comes_back_to_the_persons_row(
    client, auth, running, two_residences, session
):
    gym, resident = running
    name = resident.user.full_name
    url = f"/activities/{gym.id}/roll-call"
    auth.login("coord.arm")
    body = page(client.get(url))
    assert "Qui est venu ?" in body and "0 personne là" in body
    assert f'id="came-{resident.id}"' in body and 'aria-pressed="false"' in body
    response = _post(client, url, person=resident.id, came="1")
    assert response.status_code == 303
    assert response.headers["Location"] == f"{url}#person-{resident.id}"
    registration = session.scalar(sa.select(Registration))
    assert registration.attended is True
    body = page(client.get(url))
    assert f"{name} : là" in body  # the flash
    assert 'aria-pressed="true"' in body and 'value="0"' in body and "1 personne là" in body
    # A second tap says they did not come after all.
    assert _post(client, url, person=resident.id, came="0").status_code == 303
    session.refresh(registration)
    assert registration.attended is False
    assert f"{name} : pas là" in page(client.get(url))


def test_with_htmx_the_row_comes_back_with_the_count_and_the_announcement(client, auth, running):
    gym, resident = running
    auth.login("coord.arm")
    client.get(f"/activities/{gym.id}/roll-call")  # the page the taps come from
    response = _post(
        client, f"/activities/{gym.id}/roll-call", headers=HTMX, person=resident.id, came="1"
    )
    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    body = page(response)
    assert body.lstrip().startswith(f'<li id="person-{resident.id}"')
    assert "<h1>" not in body and "<main" not in body
    assert f'id="came-{resident.id}"' in body and 'aria-pressed="true"' in body
    assert "autofocus" in body
    assert 'id="roll-count" class="roll-count" hx-swap-oob="true"' in body
    assert "1 personne là" in body
    assert (
        f'<div id="live-status" hx-swap-oob="innerHTML">{resident.user.full_name} : là</div>'
        in body
    )
    # Nothing is left to be flashed on the next page.
    assert "flash" not in page(client.get(f"/activities/{gym.id}/roll-call"))


def test_before_the_start_the_roll_call_waits(client, auth, two_residences, create_activity):
    arm, _bezu, people = two_residences
    coming = create_activity(arm, by=people["arm_coord"])
    resident = member(people["arm_res"], arm)
    services.register(resident, coming)
    auth.login("coord.arm")
    url = f"/activities/{coming.id}/roll-call"
    body = page(client.get(url))
    assert "L'appel s'ouvre au début de la séance" in body
    assert 'id="came-' not in body
    detail = page(client.get(f"/activities/{coming.id}"))
    assert "Faire l'appel" not in detail
    response = _post(client, url, person=resident.id, came="1")
    assert response.status_code == 422
    assert "pas encore commencé" in page(response)
    # With htmx the row is put back as it was, and the reason is said.
    response = _post(client, url, headers=HTMX, person=resident.id, came="1")
    assert response.status_code == 422
    body = page(response)
    assert f'id="came-{resident.id}"' in body and 'aria-pressed="false"' in body
    assert "pas encore commencé" in body and 'id="live-status"' in body


def test_a_cancelled_session_refuses_with_409(client, auth, running, two_residences, session):
    gym, resident = running
    arm, _bezu, people = two_residences
    services.cancel_activity(member(people["arm_coord"], arm), gym, "pluie")
    session.commit()
    auth.login("coord.arm")
    url = f"/activities/{gym.id}/roll-call"
    assert "il n'y a pas d'appel à faire" in page(client.get(url))
    response = _post(client, url, person=resident.id, came="1")
    assert response.status_code == 409
    assert "il n'y a pas d'appel à faire" in page(response)


def test_someone_who_came_without_registering_is_added(
    client, auth, running, two_residences, create_user, session
):
    gym, _resident = running
    arm, bezu, people = two_residences
    neighbour = member(create_user("voisine", residence=arm, full_name="Odette Leroy"), arm)
    auth.login("coord.arm")
    url = f"/activities/{gym.id}/roll-call"
    body = page(client.get(url))
    assert f'<option value="{neighbour.id}">Odette Leroy</option>' in body
    response = _post(client, url, person="", came="1")
    assert response.status_code == 422
    assert "Choisissez la personne dans la liste." in page(response)
    response = _post(client, url, person=neighbour.id, came="1")
    assert response.status_code == 303
    added = session.scalar(
        sa.select(Registration).where(Registration.membership_id == neighbour.id)
    )
    assert added.attended is True and added.status == RegistrationStatus.CONFIRMED
    body = page(client.get(url))
    assert f'id="came-{neighbour.id}"' in body and "Odette Leroy : là" in body
    # Nobody of another residence, by their id.
    stranger = member(people["bezu_res"], bezu)
    assert _post(client, url, person=stranger.id, came="1").status_code == 404


def test_the_activity_page_and_the_coordinators_day_lead_to_the_roll_call(client, auth, running):
    gym, _resident = running
    auth.login("coord.arm")
    link = f'href="/activities/{gym.id}/roll-call"'
    assert link in page(client.get(f"/activities/{gym.id}"))
    home = page(client.get("/"))
    assert link in home and "Faire l'appel" in home
    assert 'href="/activities/attendance"' in home


@pytest.fixture
def last_year(two_residences, create_activity, create_user, session):
    """A session of last 10 March, 1 h 30, three people came; and one that was cancelled."""
    arm, _bezu, people = two_residences
    coord = member(people["arm_coord"], arm)
    year = today_in(arm).year - 1
    came = [member(create_user(f"venu{n}", residence=arm), arm) for n in range(3)]
    start = dt.datetime(year, 3, 10, 14)
    gym = create_activity(
        arm, by=people["arm_coord"], start=start, end=start + dt.timedelta(minutes=90)
    )
    for person in came:
        services.register(person, gym, now=_before(gym))
        services.mark_attendance(coord, gym, person, True)
    rain = create_activity(arm, by=people["arm_coord"], start=start + dt.timedelta(days=2))
    services.cancel_activity(coord, rain, "pluie")
    session.commit()
    return year


def test_the_participation_table_month_by_month(client, auth, last_year):
    auth.login("coord.arm")
    body = page(client.get(f"/activities/attendance?year={last_year}"))
    assert f'<caption id="counts-caption"><span>Participation en {last_year}, mois par mois' in body
    assert '<th scope="col">Heures</th>' in body
    # March: one session, three people, three attendances, 4.5 hours, written the French way.
    march = body.split('<th scope="row">Mars</th>')[1].split("</tr>")[0]
    assert [cell.split("</td>")[0] for cell in march.split("<td>")[1:]] == ["1", "3", "3", "4,5"]
    assert '<th scope="row">Décembre</th>' in body
    assert f"Total {last_year}" in body
    english = page(client.get(f"/activities/attendance?year={last_year}&lang=en"))
    assert '<th scope="row">March</th>' in english and "<td>4.5</td>" in english
    # This year is there too; a year to come or long ago is not.
    this_year = page(client.get("/activities/attendance?lang=fr"))
    assert f"Participation en {last_year + 1}" in this_year
    assert client.get(f"/activities/attendance?year={last_year + 2}").status_code == 404
    assert client.get("/activities/attendance?year=1999").status_code == 404


@pytest.mark.parametrize(
    ("username", "status"),
    [("res.arm", 403), ("comite.arm", 403), ("coord.arm", 200), ("landlord", 200)],
)
def test_the_participation_table_is_for_the_coordination_and_the_landlord(
    client, auth, two_residences, create_user, username, status
):
    arm = two_residences[0]
    if username == "landlord":
        create_user("landlord", residence=arm, role=Role.LANDLORD_ADMIN)
    auth.login(username)
    assert client.get("/activities/attendance").status_code == status
