"""The coordinator's side of rooms, through HTTP: settings, photo, queue, closures, series."""

from __future__ import annotations

import base64
import datetime as dt
import io
import re

import pytest
import sqlalchemy as sa
from PIL import Image

from app.bookings import services as bookings
from app.bookings.models import Booking, BookingSeries, BookingStatus, OriginKind, SeriesSkip
from app.core.permissions import Role
from app.core.recurrence import Weekly
from app.core.timeutils import Period, to_local
from app.core.timewords import words
from app.residences.models import Residence
from app.rooms.models import BookingMode, Closure, Room
from tests.conftest import csrf_from, page
from tests.factories import EVERY_DAY, member, today_in

# A 1×1 PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


@pytest.fixture(autouse=True)
def upload_folder(app, tmp_path, monkeypatch):
    folder = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(folder))
    return folder


today = today_in


def day_words(day: dt.date) -> str:
    return words("fr", "Europe/Paris").day(day)


def image_bytes(fmt: str, size=(40, 30)) -> bytes:
    stream = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(stream, fmt)
    return stream.getvalue()


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute))


def fetch(client, url):
    """GET a file and close it (a streamed file left open is a ResourceWarning)."""
    response = client.get(url)
    response.get_data()
    response.close()
    return response


def field_value(html: str, name: str) -> str | None:
    match = re.search(rf'<(?:input|textarea)[^>]* name="{re.escape(name)}"[^>]*>', html)
    if match is None:
        return None
    value = re.search(r'value="([^"]*)"', match.group(0))
    return value.group(1) if value else None


def token(client, path="/me") -> str:
    return csrf_from(client.get(path).get_data(as_text=True))


@pytest.fixture
def make_room(two_residences, create_room):
    arm, _bezu, people = two_residences

    def _make(residence=None, actor=None, **fields):
        values = {
            "name": "Salle commune",
            "openings": EVERY_DAY,
            "max_days_ahead": 365,
            "slot_minutes": 60,
            "min_minutes": 60,
            "max_minutes": 240,
            **fields,
        }
        return create_room(residence or arm, by=actor or people["arm_coord"], **values)

    return _make


@pytest.fixture
def world(session, two_residences, make_room, create_booking):
    """Armentières: a room needing approval, a request, a closure, a series with a skip."""
    arm, bezu, people = two_residences
    coord, resident = people["arm_coord"], people["arm_res"]
    room = make_room(name="Chambre d'amis", requires_approval=True)
    day = today(arm) + dt.timedelta(days=7)
    pending = create_booking(
        resident, room, at(day + dt.timedelta(days=3), 14), at(day + dt.timedelta(days=3), 16)
    )
    after = day + dt.timedelta(days=1)
    confirmed = create_booking(
        coord, room, at(after, 14), at(after, 16), for_user=resident, purpose="Goûter"
    )
    closure, _affected = bookings.close_room(
        member(coord),
        room,
        Period.from_local(at(day, 8), at(day, 20), arm.tz),
        "Travaux de peinture",
    )
    series, _made, skipped = bookings.create_series(
        member(coord),
        room,
        weekly=Weekly(
            weekday=day.weekday(),
            first=day - dt.timedelta(days=5),
            until=day + dt.timedelta(days=15),
        ),
        start_time=dt.time(10),
        end_time=dt.time(12),
        purpose="Club tricot",
    )
    session.commit()
    assert pending.status is BookingStatus.PENDING and confirmed.status is BookingStatus.CONFIRMED
    assert len(skipped) == 1  # the series' date inside the closure
    bezu_room = make_room(residence=bezu, actor=people["bezu_coord"], name="Salle de Bézu")
    return {
        "arm": arm,
        "bezu": bezu,
        "people": people,
        "room": room,
        "pending": pending,
        "confirmed": confirmed,
        "closure": closure,
        "series": series,
        "bezu_room": bezu_room,
    }


def _ids(world, session):
    skip = session.scalar(sa.select(SeriesSkip).where(SeriesSkip.series_id == world["series"].id))
    return {
        "room": world["room"].id,
        "booking": world["pending"].id,
        "confirmed": world["confirmed"].id,
        "closure": world["closure"].id,
        "series": world["series"].id,
        "skip": skip.id if skip else None,
    }


def get_pages(ids) -> list[str]:
    return [
        "/rooms/manage",
        "/rooms/manage/new",
        f"/rooms/{ids['room']}/settings",
        f"/rooms/{ids['room']}/closures",
        f"/rooms/{ids['room']}/series",
        f"/series/{ids['series']}",
        "/bookings/queue",
    ]


def post_actions(ids) -> list[str]:
    return [
        f"/bookings/{ids['booking']}/approve",
        f"/bookings/{ids['booking']}/decline",
        f"/closures/{ids['closure']}/delete",
        f"/series/skips/{ids['skip']}/readd",
    ]


# ---------------------------------------------------------------------------------------
# Who may do what.


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.RESIDENT, 403),
        (Role.COMMITTEE, 403),
        (Role.COORDINATOR, 200),
        (Role.LANDLORD_ADMIN, 200),
    ],
)
def test_role_matrix(role, status, client, auth, session, world, create_user):
    create_user("someone", residence=world["arm"], role=role)
    ids = _ids(world, session)
    assert ids["skip"] is not None
    auth.login("someone")
    for url in get_pages(ids):
        response = client.get(url)
        assert response.status_code == status, url
        if status == 403:
            assert "Accès réservé" in page(response)
    me = page(client.get("/me"))
    assert ("Gérer les salles" in me) is (status == 200)
    assert ("Demandes à valider" in me) is (status == 200)
    if status == 403:
        csrf = token(client)
        for url in post_actions(ids):
            response = client.post(url, data={"csrf_token": csrf, "reason": "Non"})
            assert response.status_code == 403, url
        # Someone else's booking does not exist for them: it cannot be cancelled either.
        response = client.post(f"/bookings/{ids['confirmed']}/cancel", data={"csrf_token": csrf})
        assert response.status_code == 404
        session.expire_all()
        assert session.get(Booking, ids["booking"]).status is BookingStatus.PENDING
        assert session.get(Booking, ids["confirmed"]).status is BookingStatus.CONFIRMED
        assert session.get(Closure, ids["closure"]) is not None
        assert session.get(SeriesSkip, ids["skip"]) is not None


@pytest.mark.parametrize("who", ["bezu_coord", "bezu_res"])
def test_another_residences_objects_are_not_found(who, client, auth, session, world):
    ids = _ids(world, session)
    auth.login(world["people"][who].username)
    for url in get_pages(ids):
        if "{" in url or url.startswith(("/rooms/manage", "/bookings/queue")):
            continue
        assert client.get(url).status_code == 404, url
    assert client.get(f"/rooms/{ids['room']}/photo").status_code == 404
    csrf = token(client)
    for url in [*post_actions(ids), f"/bookings/{ids['confirmed']}/cancel"]:
        assert client.post(url, data={"csrf_token": csrf, "reason": "x"}).status_code == 404, url
    # Their own lists do not show Armentières' room or requests either.
    if who == "bezu_coord":
        assert "Chambre d'amis" not in page(client.get("/rooms/manage"))
        assert "Salle de Bézu" in page(client.get("/rooms/manage"))
        assert "Aucune demande en attente" in page(client.get("/bookings/queue"))
    session.expire_all()
    assert session.get(Booking, ids["booking"]).status is BookingStatus.PENDING
    assert session.get(Closure, ids["closure"]) is not None


# ---------------------------------------------------------------------------------------
# Rooms: create and edit through the form.


@pytest.fixture
def coordinator(client, auth, two_residences):
    auth.login("coord.arm")
    return client


def room_form(csrf: str, **overrides) -> dict:
    data = {
        "csrf_token": csrf,
        "name": "Laverie",
        "description": "Deux machines à laver.",
        "capacity": "",
        "accessibility": "Hublots à hauteur de fauteuil.",
        "mode": "slots",
        "slot_minutes": "30",
        "min_hours": "1",
        "min_mins": "0",
        "max_hours": "2",
        "max_mins": "30",
        "min_nights": "1",
        "max_nights": "3",
        "checkin_time": "15:00",
        "checkout_time": "11:00",
        "max_days_ahead": "14",
        "cancel_hours": "1",
        "per_household_week": "3",
        "max_active_per_household": "",
        "buffer_minutes": "15",
        "units": "Lave-linge 1\nLave-linge 2\n",
    }
    for day in range(7):
        weekday = day < 5
        if weekday:
            data[f"openings-{day}-is_open"] = "y"
        data[f"openings-{day}-opens"] = "08:00" if weekday else ""
        data[f"openings-{day}-closes"] = "20:00" if weekday else ""
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_create_a_room_with_rules_openings_and_units(coordinator, session, two_residences):
    arm = two_residences[0]
    new = page(coordinator.get("/rooms/manage/new"))
    assert 'enctype="multipart/form-data"' in new and "Lundi" in new and "Dimanche" in new
    response = coordinator.post(
        "/rooms/manage/new", data=room_form(csrf_from(new), requires_approval="y")
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/rooms/manage"
    listing = page(coordinator.get("/rooms/manage"))
    assert "La salle « Laverie » est créée." in listing
    assert "2 équipements" in listing and "à valider par la coordination" in listing
    room = session.scalars(sa.select(Room).where(Room.residence_id == arm.id)).one()
    assert room.mode is BookingMode.SLOTS
    assert (room.slot_minutes, room.min_minutes, room.max_minutes) == (30, 60, 150)
    assert (room.max_days_ahead, room.cancel_hours, room.buffer_minutes) == (14, 1, 15)
    assert room.per_household_week == 3 and room.max_active_per_household is None
    assert room.requires_approval and room.capacity is None
    assert [(o.weekday, o.opens, o.closes) for o in room.openings] == [
        (day, dt.time(8), dt.time(20)) for day in range(5)
    ]
    assert [u.name for u in room.units] == ["Lave-linge 1", "Lave-linge 2"]

    # The settings page shows it back as typed: hours and minutes, units, closed weekend.
    settings = page(coordinator.get(f"/rooms/{room.id}/settings"))
    assert field_value(settings, "max_hours") == "2"
    assert field_value(settings, "max_mins") == "30"
    assert "Lave-linge 1\nLave-linge 2" in settings
    saturday = re.search(r'<input[^>]*name="openings-5-is_open"[^>]*>', settings).group(0)
    friday = re.search(r'<input[^>]*name="openings-4-is_open"[^>]*>', settings).group(0)
    assert "checked" not in saturday and "checked" in friday
    assert "Archiver cette salle" in settings


def test_edit_a_room_and_archive_it(coordinator, session, make_room):
    room = make_room(name="Salle commune", unit_names=[])
    csrf = token(coordinator, f"/rooms/{room.id}/settings")
    response = coordinator.post(
        f"/rooms/{room.id}/settings",
        data=room_form(
            csrf,
            name="Grande salle",
            mode="nights",
            min_nights="2",
            max_nights="4",
            checkin_time="16:00",
            units="",
            capacity="40",
            max_active_per_household="1",
            per_household_week="",
        ),
    )
    assert response.status_code == 303
    assert "Les réglages de « Grande salle » sont enregistrés." in page(
        coordinator.get(response.headers["Location"])
    )
    session.expire_all()
    room = session.get(Room, room.id)
    assert room.name == "Grande salle" and room.mode is BookingMode.NIGHTS
    assert (room.min_nights, room.max_nights, room.checkin_time) == (2, 4, dt.time(16))
    assert room.capacity == 40 and room.max_active_per_household == 1
    assert room.per_household_week is None
    assert [u.name for u in room.units] == ["Grande salle"]

    csrf = token(coordinator, f"/rooms/{room.id}/settings")
    response = coordinator.post(
        f"/rooms/{room.id}/settings", data=room_form(csrf, name="Grande salle", archived="y")
    )
    assert response.status_code == 303
    listing = page(coordinator.get("/rooms/manage"))
    assert "Salles archivées" in listing and "Réglages de Grande salle" in listing


def test_a_bad_rule_is_shown_next_to_its_field_and_nothing_typed_is_lost(
    coordinator, session, make_room
):
    room = make_room(name="Salle commune")
    csrf = token(coordinator, f"/rooms/{room.id}/settings")
    # 1 h 30 minimum with slots every hour: the service refuses it.
    response = coordinator.post(
        f"/rooms/{room.id}/settings",
        data=room_form(csrf, name="Salle rénovée", slot_minutes="60", min_hours="1", min_mins="30"),
    )
    assert response.status_code == 422
    html = page(response)
    assert "Le formulaire contient une erreur" in html
    error = html.index("La durée minimale doit être un multiple du pas des créneaux.")
    assert html.rindex("Durée minimale d'une réservation", 0, error) > html.rindex(
        "<fieldset", 0, error
    )
    assert 'id="min_hours-error"' in html and 'aria-invalid="true"' in html
    assert 'value="Salle rénovée"' in html and "Lave-linge 1\nLave-linge 2" in html
    assert field_value(html, "min_mins") == "30"
    session.expire_all()
    assert session.get(Room, room.id).name == "Salle commune"

    # Minimum above maximum, and a day that closes before it opens: form-level checks.
    response = coordinator.post(
        f"/rooms/{room.id}/settings",
        data=room_form(
            csrf,
            min_hours="3",
            max_hours="2",
            max_mins="0",
            **{"openings-2-opens": "18:00", "openings-2-closes": "09:00"},
        ),
    )
    assert response.status_code == 422
    html = page(response)
    assert "L'heure de fermeture doit être après l'heure d'ouverture." in html
    assert 'id="openings-2-closes-error"' in html
    assert 'value="18:00"' in html

    # "Until midnight" is said to be 23:59, not "closes before it opens".
    response = coordinator.post(
        f"/rooms/{room.id}/settings",
        data=room_form(csrf, **{"openings-2-opens": "18:00", "openings-2-closes": "00:00"}),
    )
    assert response.status_code == 422
    assert "Une salle ferme au plus tard à 23:59" in page(response)
    assert 'id="openings-2-closes-error"' in page(response)

    response = coordinator.post(
        f"/rooms/{room.id}/settings", data=room_form(csrf, min_hours="3", max_hours="2")
    )
    assert response.status_code == 422
    assert "La durée minimale doit être inférieure ou égale à la durée maximale." in page(response)

    response = coordinator.post(
        f"/rooms/{room.id}/settings", data=room_form(csrf, slot_minutes="beaucoup", name="")
    )
    assert response.status_code == 422
    assert "Donnez un nom à la salle." in page(response)
    assert "Le formulaire contient 2 erreurs" in page(response)


# ---------------------------------------------------------------------------------------
# Photo.


def test_photo_upload_is_checked_stored_and_served(
    app, coordinator, session, make_room, upload_folder, client
):
    room = make_room()
    csrf = token(coordinator, f"/rooms/{room.id}/settings")
    response = coordinator.post(
        f"/rooms/{room.id}/settings",
        data=room_form(
            csrf, name="Salle commune", photo=(io.BytesIO(image_bytes("PNG")), "ma salle.png")
        ),
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    session.expire_all()
    name = session.get(Room, room.id).photo
    assert name and name.endswith(".jpg") and "salle" not in name  # re-encoded, renamed
    assert sorted(p.name for p in upload_folder.iterdir()) == sorted(
        [name, name.replace(".jpg", "-small.jpg")]
    )
    served = fetch(coordinator, f"/rooms/{room.id}/photo")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert served.data == (upload_folder / name).read_bytes()
    small = fetch(coordinator, f"/rooms/{room.id}/photo?size=small")
    assert small.data == (upload_folder / name.replace(".jpg", "-small.jpg")).read_bytes()
    assert fetch(coordinator, f"/rooms/{room.id}/photo?size=huge").status_code == 404
    assert f'src="/rooms/{room.id}/photo"' in page(coordinator.get(f"/rooms/{room.id}/settings"))
    assert f'src="/rooms/{room.id}/photo?size=small"' in page(coordinator.get("/rooms"))

    # A text file named .png is refused, with a message, and the photo is kept.
    csrf = token(coordinator, f"/rooms/{room.id}/settings")
    response = coordinator.post(
        f"/rooms/{room.id}/settings",
        data=room_form(csrf, photo=(io.BytesIO(b"Bonjour, je suis un texte."), "photo.png")),
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    html = page(response)
    assert "Ce fichier n'est pas une image JPEG, PNG ou WebP." in html
    assert 'id="photo-error"' in html
    session.expire_all()
    assert session.get(Room, room.id).photo == name
    assert len(list(upload_folder.iterdir())) == 2

    # Replacing the photo removes the old files; removing it leaves no photo.
    csrf = token(coordinator, f"/rooms/{room.id}/settings")
    response = coordinator.post(
        f"/rooms/{room.id}/settings",
        data=room_form(csrf, photo=(io.BytesIO(image_bytes("WEBP")), "salle.webp")),
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    session.expire_all()
    new_name = session.get(Room, room.id).photo
    assert new_name != name
    assert sorted(p.name for p in upload_folder.iterdir()) == sorted(
        [new_name, new_name.replace(".jpg", "-small.jpg")]
    )
    csrf = token(coordinator, f"/rooms/{room.id}/settings")
    response = coordinator.post(
        f"/rooms/{room.id}/settings", data=room_form(csrf, remove_photo="y")
    )
    assert response.status_code == 303
    session.expire_all()
    assert session.get(Room, room.id).photo is None
    assert list(upload_folder.iterdir()) == []
    assert coordinator.get(f"/rooms/{room.id}/photo").status_code == 404


def test_a_resident_sees_the_photo_of_a_room_of_their_residence(
    app, session, make_room, upload_folder, two_residences
):
    # A photo stored before there were two sizes is served for both.
    upload_folder.mkdir()
    (upload_folder / "room-abc.jpg").write_bytes(image_bytes("JPEG"))
    room = make_room()
    room.photo = "room-abc.jpg"
    session.commit()
    from tests.conftest import Auth

    resident = app.test_client()
    Auth(resident).login("res.arm")
    assert fetch(resident, f"/rooms/{room.id}/photo").data == image_bytes("JPEG")
    assert fetch(resident, f"/rooms/{room.id}/photo?size=small").data == image_bytes("JPEG")
    stranger = app.test_client()
    Auth(stranger).login("res.bezu")
    assert fetch(stranger, f"/rooms/{room.id}/photo").status_code == 404


def test_a_too_big_photo_is_refused(coordinator, make_room, monkeypatch):
    # A real 5 MB upload would leave the test client's spooled body open: lower the limit.
    monkeypatch.setattr("app.rooms.forms.MAX_BYTES", 1024)
    room = make_room()
    csrf = token(coordinator, f"/rooms/{room.id}/settings")
    big = image_bytes("PNG") + b"\x00" * 2048
    response = coordinator.post(
        f"/rooms/{room.id}/settings",
        data=room_form(csrf, photo=(io.BytesIO(big), "grande.png")),
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "Cette image est trop lourde : 5 Mo au plus." in page(response)


# ---------------------------------------------------------------------------------------
# The approval queue.


@pytest.fixture
def requests_world(session, two_residences, make_room, create_user, create_booking):
    arm, _bezu, people = two_residences
    room = make_room(name="Chambre d'amis", requires_approval=True)
    neighbour = create_user("voisin", residence=arm, home="B07", full_name="Odette Leroy")
    people["arm_res"].full_name = "Jeanne Martin"
    day = today(arm) + dt.timedelta(days=10)
    first = create_booking(
        people["arm_res"], room, at(day, 14), at(day, 16), purpose="Anniversaire"
    )
    second = create_booking(neighbour, room, at(day, 15), at(day, 17), purpose="Goûter")
    apart = create_booking(neighbour, room, at(day, 19), at(day, 20))
    session.commit()
    return room, first, second, apart


def test_queue_warns_then_approving_declines_the_overlapping_request(
    coordinator, session, requests_world
):
    room, first, second, apart = requests_world
    html = page(coordinator.get("/bookings/queue"))
    assert "3 demandes en attente" in html
    assert "Jeanne Martin – logement A01" in html and "Odette Leroy – logement B07" in html
    assert "Anniversaire" in html and "Chambre d'amis" in html
    day = to_local(first.start_at, room.residence.tz).date()
    assert f"{day_words(day)}, de 14 h à 16 h" in html
    # Jeanne's request carries the warning naming Odette's request, and the other way round.
    item = html[html.index(f'id="request-{first.id}"') : html.index(f'id="request-{second.id}"')]
    assert "accepter cette demande refusera celle-ci" in item
    assert "Odette Leroy (logement B07)" in item and "de 15 h à 17 h" in item
    last = html[html.index(f'id="request-{apart.id}"') :]
    assert "Attention" not in last.split("</li>")[0]

    csrf = token(coordinator, "/bookings/queue")
    response = coordinator.post(f"/bookings/{first.id}/approve", data={"csrf_token": csrf})
    assert response.status_code == 303 and response.headers["Location"] == "/bookings/queue"
    after = page(coordinator.get("/bookings/queue"))
    assert (
        "La demande de Jeanne Martin est acceptée. "
        "1 autre demande pour le même moment a été refusée." in after
    )
    assert "1 demande en attente" in after
    session.expire_all()
    assert session.get(Booking, first.id).status is BookingStatus.CONFIRMED
    declined = session.get(Booking, second.id)
    assert declined.status is BookingStatus.DECLINED
    assert "Une autre demande a été acceptée" in str(declined.reason_text)
    assert session.get(Booking, apart.id).status is BookingStatus.PENDING

    # Approving twice (a second tap, another tab): a clear refusal, nothing changes.
    response = coordinator.post(f"/bookings/{first.id}/approve", data={"csrf_token": csrf})
    assert response.status_code == 422
    assert "Cette demande a déjà été traitée." in page(response)


def test_decline_requires_a_reason(coordinator, session, requests_world):
    _room, first, _second, _apart = requests_world
    csrf = token(coordinator, "/bookings/queue")
    field = f"booking-{first.id}-reason"
    response = coordinator.post(
        f"/bookings/{first.id}/decline", data={"csrf_token": csrf, field: "   "}
    )
    assert response.status_code == 422
    html = page(response)
    assert "Indiquez la raison : la personne la lira." in html
    assert f'id="{field}-error"' in html and "autofocus" in html
    session.expire_all()
    assert session.get(Booking, first.id).status is BookingStatus.PENDING

    response = coordinator.post(
        f"/bookings/{first.id}/decline",
        data={"csrf_token": csrf, field: "La chambre est prêtée à la famille Haddad ce jour-là."},
    )
    assert response.status_code == 303
    assert "La demande de Jeanne Martin est refusée." in page(
        coordinator.get(response.headers["Location"])
    )
    session.expire_all()
    declined = session.get(Booking, first.id)
    assert declined.status is BookingStatus.DECLINED
    assert declined.decision_reason == "La chambre est prêtée à la famille Haddad ce jour-là."


def test_queue_actions_by_htmx_swap_the_list_and_announce(coordinator, session, requests_world):
    _room, first, second, apart = requests_world
    csrf = token(coordinator, "/bookings/queue")
    headers = {"HX-Request": "true", "X-CSRFToken": csrf}
    # htmx follows the 303 (fetch keeps its headers) and swaps the queue's fragment.
    response = coordinator.post(f"/bookings/{first.id}/approve", headers=headers)
    assert response.status_code == 303 and response.headers["Location"] == "/bookings/queue"
    response = coordinator.get(response.headers["Location"], headers=headers)
    assert response.status_code == 200
    fragment = page(response)
    assert fragment.lstrip().startswith('<section id="queue"')
    assert "<html" not in fragment and "HX-Request" in response.headers["Vary"]
    assert 'hx-swap-oob="innerHTML"' in fragment and "est acceptée" in fragment
    assert f'id="request-{first.id}"' not in fragment
    assert f'id="request-{second.id}"' not in fragment  # declined with it
    assert f'id="approve-{apart.id}"' in fragment and "autofocus" in fragment

    field = f"booking-{apart.id}-reason"
    response = coordinator.post(f"/bookings/{apart.id}/decline", headers=headers, data={field: ""})
    assert response.status_code == 422
    fragment = page(response)
    assert fragment.lstrip().startswith('<section id="queue"')
    assert "Indiquez la raison" in fragment and f'id="decline-{apart.id}"' in fragment
    response = coordinator.post(
        f"/bookings/{apart.id}/decline",
        headers=headers,
        data={field: "Travaux."},
        follow_redirects=True,
    )
    assert response.status_code == 200 and response.request.headers["HX-Request"] == "true"
    fragment = page(response)
    assert fragment.lstrip().startswith('<section id="queue"')
    assert "Aucune demande en attente" in fragment and "est refusée" in fragment
    # Every form works without JavaScript too: a real action and CSRF field.
    html = page(coordinator.get("/bookings/queue"))
    assert "Aucune demande n'attend de réponse." in html


def test_approving_a_request_whose_slot_was_taken_explains_it(
    coordinator, session, requests_world, two_residences
):
    room, first, _second, _apart = requests_world
    coord = member(two_residences[2]["arm_coord"])
    bookings.reserve(
        coord,
        room,
        Period(first.start_at, first.start_at + dt.timedelta(hours=1)),
        purpose="Réunion",
    )
    session.commit()
    csrf = token(coordinator, "/bookings/queue")
    response = coordinator.post(f"/bookings/{first.id}/approve", data={"csrf_token": csrf})
    assert response.status_code == 409
    assert "la salle est déjà réservée à ce moment-là" in page(response)
    session.expire_all()
    assert session.get(Booking, first.id).status is BookingStatus.PENDING


# ---------------------------------------------------------------------------------------
# Closures.


def test_closing_over_bookings_shows_who_first_then_cancels_and_tells_them(
    app, coordinator, session, make_room, two_residences, create_booking
):
    arm, _bezu, people = two_residences
    resident = people["arm_res"]
    resident.phone = "06 12 34 56 78"
    room = make_room()
    day = today(arm) + dt.timedelta(days=5)
    booking = create_booking(resident, room, at(day, 14), at(day, 16), purpose="Anniversaire")
    outside = create_booking(
        resident, room, at(day + dt.timedelta(days=1), 14), at(day + dt.timedelta(days=1), 16)
    )
    session.commit()
    url = f"/rooms/{room.id}/closures"
    assert "Aucune fermeture prévue." in page(coordinator.get(url))
    data = {
        "csrf_token": token(coordinator, url),
        "start_date": day.isoformat(),
        "start_time": "08:00",
        "end_date": day.isoformat(),
        "end_time": "20:00",
        "reason": "Travaux de peinture",
    }
    # First: who is concerned, with their phone number; nothing is closed yet.
    response = coordinator.post(url, data=data)
    assert response.status_code == 200
    html = page(response)
    assert "1 réservation tombe pendant cette fermeture." in html
    assert resident.full_name in html and "logement A01" in html and "de 14 h à 16 h" in html
    assert 'href="tel:0612345678">06 12 34 56 78</a>' in html
    assert "Fermer la salle et annuler cette réservation" in html
    assert session.scalar(sa.select(sa.func.count(Closure.id))) == 0
    # Confirmed: the room is closed, the booking cancelled with the reason, the person told.
    response = coordinator.post(url, data={**data, "confirm": "1"})
    assert response.status_code == 303 and response.headers["Location"] == url
    html = page(coordinator.get(url))
    assert "1 réservation est annulée et la personne a reçu un message." in html
    assert "Raison : Travaux de peinture" in html and "de 8 h à 20 h" in html
    assert "Aucune réservation pendant cette fermeture." in html
    session.expire_all()
    cancelled = session.get(Booking, booking.id)
    assert cancelled.status is BookingStatus.CANCELLED and cancelled.ended_by_closure
    assert session.get(Booking, outside.id).status is BookingStatus.CONFIRMED
    phone = app.test_client()
    from tests.conftest import Auth

    Auth(phone).login("res.arm")
    mine = page(phone.get("/bookings"))
    assert "Annulée" in mine and "salle fermée pour travaux de peinture" in mine
    inbox = page(phone.get("/messages"))
    assert "Réservation annulée : Salle commune" in inbox
    assert "est fermée pendant cette période (Travaux de peinture)" in inbox
    # The week shows the closure, never the cancelled booking at the same time.
    week = page(phone.get(f"/rooms/{room.id}/week?start={day.isoformat()}"))
    day_card = week[week.index(f'id="day-{day.isoformat()}"') :]
    day_card = day_card[: day_card.index("</li>\n")]
    assert "fermé" in day_card and "votre réservation" not in day_card

    closure = session.scalars(sa.select(Closure)).one()
    response = coordinator.post(
        f"/closures/{closure.id}/delete", data={"csrf_token": token(coordinator, url)}
    )
    assert response.status_code == 303
    html = page(coordinator.get(url))
    assert "La fermeture est supprimée" in html and "Aucune fermeture prévue." in html


def test_the_old_address_of_the_closure_cancel_button_sends_the_form_on(
    coordinator, session, world
):
    booking = world["confirmed"]
    moved = coordinator.post(
        f"/rooms/bookings/{booking.id}/cancel", data={"csrf_token": token(coordinator)}
    )
    assert moved.status_code == 308
    assert moved.headers["Location"] == f"/bookings/{booking.id}/cancel"


def test_closure_ending_before_it_starts_is_refused_next_to_the_end(
    coordinator, session, make_room, two_residences
):
    room = make_room()
    day = today(two_residences[0]) + dt.timedelta(days=3)
    url = f"/rooms/{room.id}/closures"
    response = coordinator.post(
        url,
        data={
            "csrf_token": token(coordinator, url),
            "start_date": day.isoformat(),
            "start_time": "18:00",
            "end_date": day.isoformat(),
            "end_time": "09:00",
            "reason": "Fête",
        },
    )
    assert response.status_code == 422
    html = page(response)
    assert 'id="end_date-error"' in html
    assert "L'heure de fin doit être après l'heure de début." in html
    assert 'value="Fête"' in html
    response = coordinator.post(url, data={"csrf_token": token(coordinator, url)})
    assert response.status_code == 422
    assert "Indiquez une date." in page(response)
    assert session.scalar(sa.select(sa.func.count(Closure.id))) == 0


# ---------------------------------------------------------------------------------------
# Series.


def test_series_skips_a_taken_date_which_can_be_readded_once_freed(
    coordinator, session, make_room, two_residences, create_booking
):
    arm, _bezu, people = two_residences
    room = make_room(name="Atelier")
    first_day = today(arm) + dt.timedelta(days=7)
    taken = create_booking(
        people["arm_res"], room, at(first_day, 14), at(first_day, 15), purpose="Réparation vélo"
    )
    session.commit()
    url = f"/rooms/{room.id}/series"
    form = page(coordinator.get(url))
    assert "Aucune série pour cette salle." in form and "Mardi" in form
    assert 'name="unit"' not in form  # a room with one unit
    response = coordinator.post(
        url,
        data={
            "csrf_token": csrf_from(form),
            "purpose": "Club tricot",
            "weekday": str(first_day.weekday()),
            "start_time": "14:00",
            "end_time": "16:00",
            "first_date": (first_day - dt.timedelta(days=3)).isoformat(),
            "until": (first_day + dt.timedelta(days=14)).isoformat(),
        },
    )
    assert response.status_code == 303
    detail_url = response.headers["Location"]
    series = session.scalars(sa.select(BookingSeries)).one()
    assert detail_url == f"/series/{series.id}"
    html = page(coordinator.get(detail_url))
    assert "La série est créée : 2 dates réservées. 1 date n'a pas pu être réservée" in html
    assert "1 date non réservée" in html and "2 dates réservées" in html
    assert "Raison : Ce créneau vient d'être réservé" in html
    skip = session.scalars(sa.select(SeriesSkip)).one()
    assert skip.date == first_day

    # Still taken: a clear refusal, the date stays aside.
    response = coordinator.post(
        f"/series/skips/{skip.id}/readd", data={"csrf_token": token(coordinator, detail_url)}
    )
    assert response.status_code == 409
    assert "est toujours pris" in page(response)
    assert session.scalar(sa.select(sa.func.count(SeriesSkip.id))) == 1

    # The coordinator cancels the booking in the way, then tries again.
    bookings.cancel(member(people["arm_coord"]), session.get(Booking, taken.id))
    session.commit()
    response = coordinator.post(
        f"/series/skips/{skip.id}/readd", data={"csrf_token": token(coordinator, detail_url)}
    )
    assert response.status_code == 303 and response.headers["Location"] == detail_url
    html = page(coordinator.get(detail_url))
    assert "est maintenant réservé pour la série" in html
    assert "Toutes les dates de la série sont réservées." in html and "3 dates réservées" in html
    session.expire_all()
    assert session.scalar(sa.select(sa.func.count(SeriesSkip.id))) == 0
    assert (
        session.scalar(
            sa.select(sa.func.count(Booking.id)).where(
                Booking.origin_kind == OriginKind.SERIES,
                Booking.origin_id == series.id,
                Booking.status == BookingStatus.CONFIRMED,
            )
        )
        == 3
    )
    listing = page(coordinator.get(url))
    assert "Club tricot" in listing and "de 14 h à 16 h" in listing


def test_a_series_can_be_stopped_from_a_date(
    coordinator, session, make_room, two_residences, create_booking
):
    arm, _bezu, people = two_residences
    room = make_room(name="Atelier")
    start = today(arm) + dt.timedelta(days=1)
    series, made, _ = bookings.create_series(
        member(people["arm_coord"]),
        room,
        weekly=Weekly(weekday=start.weekday(), first=start, until=start + dt.timedelta(days=28)),
        start_time=dt.time(14),
        end_time=dt.time(16),
        purpose="Club tricot",
    )
    session.commit()
    assert len(made) == 5
    detail_url = f"/series/{series.id}"
    stop = start + dt.timedelta(days=14)
    response = coordinator.post(
        f"/series/{series.id}/end",
        data={"csrf_token": token(coordinator, detail_url), "from_date": stop.isoformat()},
    )
    assert response.status_code == 303
    assert "3 dates libérées" in page(coordinator.get(detail_url))
    session.expire_all()
    statuses = [
        b.status
        for b in session.scalars(
            sa.select(Booking)
            .where(Booking.origin_kind == OriginKind.SERIES, Booking.origin_id == series.id)
            .order_by(Booking.start_at)
        )
    ]
    assert statuses == [BookingStatus.CONFIRMED] * 2 + [BookingStatus.CANCELLED] * 3
    assert session.get(BookingSeries, series.id).until == stop - dt.timedelta(days=1)
    # The freed Tuesday can be booked by a resident again.
    assert (
        create_booking(people["arm_res"], room, at(stop, 14), at(stop, 15)).status
        is BookingStatus.CONFIRMED
    )
    bad = coordinator.post(
        f"/series/{series.id}/end",
        data={"csrf_token": token(coordinator, detail_url), "from_date": "nope"},
    )
    assert bad.status_code == 422


def test_series_form_errors_and_units(coordinator, session, make_room, two_residences):
    room = make_room(name="Laverie", unit_names=["Lave-linge 1", "Lave-linge 2"])
    url = f"/rooms/{room.id}/series"
    form = page(coordinator.get(url))
    assert "Lave-linge 2" in form
    day = today(two_residences[0]) + dt.timedelta(days=2)
    response = coordinator.post(
        url,
        data={
            "csrf_token": csrf_from(form),
            "purpose": "Linge du foyer",
            "weekday": "1",
            "start_time": "16:00",
            "end_time": "14:00",
            "first_date": day.isoformat(),
            "until": (day + dt.timedelta(days=30)).isoformat(),
            "unit": str(room.units[1].id),
        },
    )
    assert response.status_code == 422
    html = page(response)
    assert 'id="end_time-error"' in html and 'value="Linge du foyer"' in html
    response = coordinator.post(
        url,
        data={
            "csrf_token": csrf_from(form),
            "purpose": "Linge du foyer",
            "weekday": "1",
            "start_time": "14:00",
            "end_time": "16:00",
            "first_date": day.isoformat(),
            "until": (day + dt.timedelta(days=30)).isoformat(),
            "unit": str(room.units[1].id),
        },
    )
    assert response.status_code == 303
    series = session.scalars(sa.select(BookingSeries)).one()
    assert series.unit_id == room.units[1].id
    assert "Laverie – Lave-linge 2" in page(coordinator.get(response.headers["Location"]))


def test_the_residence_decides_whether_residents_see_who_booked(
    coordinator, session, make_room, two_residences
):
    arm, _bezu, _people = two_residences
    html = page(coordinator.get("/rooms/manage"))
    assert "seulement « réservé »" in html
    response = coordinator.post(
        "/rooms/manage/privacy",
        data={"csrf_token": token(coordinator, "/rooms/manage"), "show_booker_names": "1"},
    )
    assert response.status_code == 303
    session.expire_all()
    assert session.get(Residence, arm.id).show_booker_names is True
    assert "voient maintenant qui a réservé" in page(coordinator.get("/rooms/manage"))


def test_a_photo_whose_database_write_fails_leaves_no_file(
    app, coordinator, session, make_room, upload_folder, monkeypatch
):
    """Issue 10, point 6: the photo is stored before the database write; when that write
    fails with an unexpected error (a column too short, the server gone), its files go."""
    import app.rooms.services as room_services

    def broken(*_args, **_kwargs):
        raise sa.exc.OperationalError("INSERT", {}, Exception("the database went away"))

    room = make_room()
    monkeypatch.setattr(room_services, "record", broken)
    csrf = token(coordinator, f"/rooms/{room.id}/settings")
    response = coordinator.post(
        f"/rooms/{room.id}/settings",
        data=room_form(csrf, name="Salle commune", photo=(io.BytesIO(image_bytes("PNG")), "a.png")),
        content_type="multipart/form-data",
    )
    assert response.status_code == 500
    assert not upload_folder.exists() or list(upload_folder.iterdir()) == []


def test_a_jpeg_with_html_appended_is_stored_as_a_clean_picture(
    coordinator, session, make_room, upload_folder
):
    """Issue 10, point 7: only a re-encoded picture is kept, never what was sent."""
    room = make_room()
    polyglot = image_bytes("JPEG") + b"<html><script>alert(document.cookie)</script></html>"
    csrf = token(coordinator, f"/rooms/{room.id}/settings")
    response = coordinator.post(
        f"/rooms/{room.id}/settings",
        data=room_form(csrf, name="Salle commune", photo=(io.BytesIO(polyglot), "a.jpg")),
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    for path in upload_folder.iterdir():
        stored = path.read_bytes()
        assert b"<html" not in stored and b"script" not in stored
        assert stored.startswith(b"\xff\xd8") and stored.endswith(b"\xff\xd9")


@pytest.mark.parametrize(
    ("name", "units", "unit_names"),
    [
        ("S" * 86, "", ["S" * 86]),  # one unit, named after the room
        ("Laverie", "L" * 81 + "\nLave-linge 2", ["L" * 81, "Lave-linge 2"]),
        ("Laverie", "L" * 120, ["L" * 120]),
    ],
)
def test_long_room_and_equipment_names_fit_their_columns(
    coordinator, session, two_residences, name, units, unit_names
):
    """Issue 10, point 5: an 86-character room name, or an 81-character equipment line,
    answered 500 on PostgreSQL (units were limited to 80 characters)."""
    new = page(coordinator.get("/rooms/manage/new"))
    response = coordinator.post(
        "/rooms/manage/new", data=room_form(csrf_from(new), name=name, units=units)
    )
    assert response.status_code == 303
    room = session.scalars(sa.select(Room).where(Room.name == name)).one()
    assert [unit.name for unit in room.units] == unit_names


def test_an_equipment_line_too_long_is_refused_next_to_the_field(coordinator, two_residences):
    new = page(coordinator.get("/rooms/manage/new"))
    response = coordinator.post(
        "/rooms/manage/new", data=room_form(csrf_from(new), units="Lave-linge 1\n" + "L" * 121)
    )
    assert response.status_code == 422
    assert "Un nom par ligne, de 120 caractères au plus : « LLLL" in page(response)
