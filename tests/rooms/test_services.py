"""Rooms without HTTP: their rules, units, photos and closures."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from PIL import Image

from app.core import uploads
from app.core.errors import DomainError, NotAllowed
from app.core.permissions import Role
from app.core.timeutils import Period
from app.core.timewords import words
from app.rooms import services
from app.rooms.models import BookingMode, Closure, Room
from tests.factories import member, today_in


@pytest.fixture
def arm(two_residences):
    arm, _bezu, people = two_residences
    return arm, member(people["arm_coord"]), member(people["arm_res"])


@pytest.fixture(autouse=True)
def upload_folder(app, tmp_path, monkeypatch):
    folder = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(folder))
    return folder


def picture(size=(3000, 2000), fmt="JPEG", *, gps=True) -> io.BytesIO:
    """A photo as a phone takes it: big, with EXIF data (camera, GPS position)."""
    image = Image.new("RGB", size, (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    if gps:
        exif[0x8825] = {1: "N", 2: (50.0, 41.0, 18.0), 3: "E", 4: (2.0, 52.0, 48.0)}
    stream = io.BytesIO()
    image.save(stream, fmt, exif=exif.tobytes()) if fmt == "JPEG" else image.save(stream, fmt)
    stream.seek(0)
    return stream


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "   "}, "name"),
        ({"slot_minutes": 0}, "slot_minutes"),
        ({"cancel_hours": -1}, "cancel_hours"),
        ({"per_household_week": 0}, "per_household_week"),
        ({"min_minutes": 240, "max_minutes": 120}, "max_minutes"),
        ({"min_nights": 4, "max_nights": 2}, "max_nights"),
        ({"slot_minutes": 60, "min_minutes": 90}, "min_minutes"),
    ],
)
def test_each_broken_rule_is_refused_next_to_its_field(arm, fields, field):
    _residence, coord, _resident = arm
    fields = {"name": "Salle", **fields}
    with pytest.raises(DomainError) as refused:
        services.create_room(coord, **fields)
    assert refused.value.field == field


def test_only_the_coordinator_sets_up_rooms(arm, create_room):
    residence, coord, resident = arm
    with pytest.raises(NotAllowed):
        services.create_room(resident, name="Salle")
    room = create_room(residence, by=coord.user)
    with pytest.raises(NotAllowed):
        services.update_room(resident, room, name="Autre")


def test_a_new_room_has_the_models_defaults_and_one_unit_named_after_it(arm):
    _residence, coord, _resident = arm
    room = services.create_room(coord, name="  Salle   commune ")
    assert room.name == "Salle commune"
    assert (room.slot_minutes, room.min_minutes, room.max_minutes) == (60, 60, 240)
    assert room.mode is BookingMode.SLOTS and not room.requires_approval
    assert [u.name for u in room.units] == ["Salle commune"] and not room.has_units


def test_units_keep_their_ids_and_a_unit_with_bookings_cannot_go(
    session, arm, create_room, create_booking
):
    residence, coord, resident = arm
    room = create_room(
        residence, by=coord.user, name="Laverie", unit_names=["LL 1", "LL 2", "LL 3"]
    )
    second = room.units[1]
    day = today_in(residence) + dt.timedelta(days=2)
    booking = create_booking(
        resident.user,
        room,
        dt.datetime.combine(day, dt.time(10)),
        dt.datetime.combine(day, dt.time(11)),
        unit=second,
    )
    services.set_units(room, ["LL 2", "LL 3"])  # the first machine is gone
    session.flush()
    assert [u.name for u in room.units] == ["LL 2", "LL 3"]
    assert booking.unit.name == "LL 2" and room.units[0].id == second.id
    with pytest.raises(DomainError) as refused:
        services.set_units(room, ["LL 3"])  # LL 2 has a booking: the database says no
    assert refused.value.field == "units" and "LL 2" in str(refused.value.message)


def test_whether_a_room_has_several_machines_is_known_without_loading_them(
    session, arm, create_room
):
    residence, coord, _resident = arm
    laundry = create_room(residence, by=coord.user, name="Laverie", unit_names=["LL 1", "LL 2"])
    room_id = laundry.id
    session.expire_all()
    fresh = session.get(Room, room_id)
    assert fresh.has_units and "units" not in fresh.__dict__  # from the room's row
    services.set_units(fresh, ["LL 1"])  # changed in this transaction: the units say
    assert not fresh.has_units


def test_opening_hours_must_end_after_they_start(arm):
    _residence, coord, _resident = arm
    with pytest.raises(DomainError) as refused:
        services.create_room(coord, name="Salle", openings=[(0, dt.time(18), dt.time(9))])
    assert refused.value.field == "openings"


def test_closures_are_the_coordinators_and_end_after_they_start(session, arm, create_room):
    residence, coord, resident = arm
    room = create_room(residence, by=coord.user)
    day = today_in(residence) + dt.timedelta(days=3)
    works = Period.from_local(
        dt.datetime.combine(day, dt.time(8)), dt.datetime.combine(day, dt.time(18)), residence.tz
    )
    with pytest.raises(NotAllowed):
        services.add_closure(resident, room, works, "Peinture")
    with pytest.raises(DomainError) as refused:
        services.add_closure(coord, room, Period(works.end, works.start), "Peinture")
    assert refused.value.field == "end"
    closure = services.add_closure(coord, room, works, "  Travaux   de peinture ")
    assert closure.reason == "Travaux de peinture"
    now = works.start - dt.timedelta(days=1)
    assert services.closures_ahead(room, now) == [closure]
    assert services.closures_during(room, works) == [closure]
    assert services.closures_ahead(room, works.end) == []
    assert services.remove_closure(coord, closure) is room
    session.flush()
    assert session.get(Closure, closure.id) is None


def test_a_photo_is_cleaned_resized_and_stripped_of_its_gps_position(
    session, arm, create_room, upload_folder
):
    residence, coord, _resident = arm
    room = create_room(residence, by=coord.user)
    with Image.open(picture()) as original:
        assert original.getexif().get_ifd(0x8825), "the test photo carries a GPS position"
    services.update_room(coord, room, photo=picture())
    session.commit()
    with (
        Image.open(upload_folder / uploads.file_name(room.photo)) as full,
        Image.open(upload_folder / uploads.file_name(room.photo, "small")) as small,
    ):
        assert full.format == small.format == "JPEG"
        assert max(full.size) == 1600 and max(small.size) == 640
        assert full.size[0] / full.size[1] == pytest.approx(1.5, abs=0.01)
        for image in (full, small):
            assert not image.getexif(), "EXIF (and the GPS position) must be gone"


@pytest.mark.parametrize(
    ("stream", "message"),
    [
        (io.BytesIO(b"GIF89a not really a photo"), "n'est pas une image"),
        (io.BytesIO(b"\xff\xd8\xff" + b"0" * 100), "n'est pas une image"),  # JPEG header only
        (io.BytesIO(b"x" * (uploads.MAX_BYTES + 1)), "trop lourde"),
    ],
)
def test_what_is_not_a_photo_is_refused_next_to_the_field(
    arm, create_room, upload_folder, stream, message
):
    residence, coord, _resident = arm
    room = create_room(residence, by=coord.user)
    with pytest.raises(uploads.InvalidImage) as refused:
        services.update_room(coord, room, photo=stream)
    assert refused.value.field == "photo" and message in str(refused.value.message)
    assert not any(upload_folder.glob("*")) if upload_folder.exists() else True


def test_photo_files_follow_the_transaction(session, arm, create_room, upload_folder):
    residence, coord, _resident = arm
    room = create_room(residence, by=coord.user)
    services.update_room(coord, room, photo=picture(gps=False))
    session.commit()
    first = room.photo
    # A change that is rolled back leaves no file behind and keeps the old photo.
    services.update_room(coord, room, photo=picture((800, 600), "PNG"))
    session.rollback()
    assert sorted(p.name for p in upload_folder.iterdir()) == sorted(
        [uploads.file_name(first), uploads.file_name(first, "small")]
    )
    # A committed change removes the old photo's files.
    services.update_room(coord, room, photo=picture((800, 600), "PNG"))
    session.commit()
    assert room.photo != first
    assert sorted(p.name for p in upload_folder.iterdir()) == sorted(
        [uploads.file_name(room.photo), uploads.file_name(room.photo, "small")]
    )
    services.update_room(coord, room, remove_photo=True)
    session.commit()
    assert room.photo is None and list(upload_folder.iterdir()) == []


def test_the_rules_read_as_sentences_in_each_language(app, arm, create_room):
    residence, coord, _resident = arm
    room = create_room(
        residence,
        by=coord.user,
        openings=[(d, dt.time(9), dt.time(22)) for d in range(5)],
        cancel_hours=48,
        per_household_week=2,
        requires_approval=True,
    )
    french, english = words("fr"), words("en")
    assert [line.replace("\u00a0", " ") for line in services.opening_words(room, french)] == [
        "du lundi au vendredi : de 9 h à 22 h",
        "du samedi au dimanche : fermé",
    ]
    rules = services.rules_words(room, french)
    assert "Au plus 2 réservations par logement et par semaine." in rules
    assert any("jusqu'à 2 jours avant le début" in rule for rule in rules)
    with app.test_request_context():
        english_rules = services.rules_words(room, english)
    assert "At most 2 bookings per home each week." in english_rules
    assert services.opening_words(room, english)[0].replace("\u00a0", " ") == (
        "Monday to Friday: from 9 am to 10 pm"
    )


def test_members_of_a_role_below_coordinator_cannot_change_privacy(arm):
    from app.residences.services import set_show_booker_names

    residence, coord, resident = arm
    with pytest.raises(NotAllowed):
        set_show_booker_names(resident, True)
    set_show_booker_names(coord, True)
    assert residence.show_booker_names
    assert resident.role is Role.RESIDENT


def test_a_picture_of_too_many_pixels_is_refused_before_it_is_decoded(
    arm, create_room, upload_folder
):
    """Issue 10, point 7: the pixel cap (a small file may announce a huge picture)."""
    residence, coord, _resident = arm
    room = create_room(residence, by=coord.user)
    stream = io.BytesIO()
    Image.new("1", (8000, 6000)).save(stream, "PNG")  # 48 megapixels in a few kilobytes
    stream.seek(0)
    assert len(stream.getvalue()) < uploads.MAX_BYTES
    with pytest.raises(uploads.ImageTooBig):
        services.update_room(coord, room, photo=stream)
    assert not upload_folder.exists() or list(upload_folder.iterdir()) == []
