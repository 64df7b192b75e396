"""Rooms: the residents' list of rooms, and the coordinator's rooms, settings and photos.

What is free and booking a room are ``app.bookings`` pages (the layer above).
"""

from __future__ import annotations

from flask import Blueprint, abort, g, render_template, request, send_from_directory, url_for
from flask_login import login_required

from app.core import uploads
from app.core.actions import perform
from app.core.forms import EmptyForm
from app.core.i18n import gettext as _
from app.core.pagecache import cached_page
from app.core.permissions import Role, ensure, require_role
from app.core.tenancy import get_in_residence_or_404
from app.residences.services import set_show_booker_names
from app.rooms import services
from app.rooms.forms import RoomForm
from app.rooms.models import Room

bp = Blueprint("rooms", __name__)

# A service's field names, where the room form shows them.
ROOM_FIELDS = {"min_minutes": "min_mins", "max_minutes": "max_mins"}


def get_room_to_manage(room_id: int) -> Room:
    """404 for another residence's room (whoever asks), then 403 for non-coordinators."""
    room = get_in_residence_or_404(Room, room_id)
    ensure(room.can_manage(g.membership))
    return room


@bp.get("/rooms")
@cached_page
@login_required
def index():
    return render_template("rooms/index.html", rooms=services.rooms_of(g.residence.id))


@bp.get("/rooms/manage")
@require_role(Role.COORDINATOR)
def manage():
    rooms = services.rooms_of(g.residence.id, archived=None)
    return render_template(
        "rooms/manage.html",
        rooms=[room for room in rooms if not room.archived],
        archived=[room for room in rooms if room.archived],
        form=EmptyForm(),
    )


def _room_page(form: RoomForm, room: Room | None):
    many_windows = set()
    if room is not None:
        many_windows = {day for day in range(7) if len(room.openings_on(day)) > 1}
    return render_template("rooms/form.html", form=form, room=room, many_windows=many_windows)


@bp.route("/rooms/manage/new", methods=["GET", "POST"])
@require_role(Role.COORDINATOR)
def create():
    form = RoomForm(data=RoomForm.initial())
    if request.method == "GET":
        return _room_page(form, None)
    return perform(
        lambda: services.create_room(
            g.membership,
            openings=form.opening_list(),
            unit_names=form.unit_names(),
            photo=form.photo_stream,
            **form.room_fields(),
        ),
        form=form,
        fields=ROOM_FIELDS,
        page=lambda _error: _room_page(form, None),
        message=lambda room: _("La salle « %(name)s » est créée.", name=room.name),
        success=lambda room: url_for("rooms.manage"),
    )


@bp.route("/rooms/<int:room_id>/settings", methods=["GET", "POST"])
@login_required
def edit(room_id: int):
    room = get_room_to_manage(room_id)
    form = RoomForm(data=RoomForm.initial(room))
    if request.method == "GET":
        return _room_page(form, room)
    return perform(
        lambda: services.update_room(
            g.membership,
            room,
            openings=form.opening_list(),
            unit_names=form.unit_names(),
            photo=form.photo_stream,
            remove_photo=form.remove_photo.data,
            archived=form.archived.data,
            **form.room_fields(),
        ),
        form=form,
        fields=ROOM_FIELDS,
        page=lambda _error: _room_page(form, room),
        message=lambda room: _("Les réglages de « %(name)s » sont enregistrés.", name=room.name),
        success=lambda room: url_for("rooms.edit", room_id=room.id),
    )


@bp.get("/rooms/<int:room_id>/photo")
@login_required
def photo(room_id: int):
    """The room's photo, for anyone of the residence: ``?size=small`` for phones."""
    room = get_in_residence_or_404(Room, room_id)
    size = request.args.get("size", "full")
    if not room.photo or size not in uploads.SIZES:
        abort(404)
    folder = uploads.upload_folder()
    name = uploads.file_name(room.photo, size)
    if not (folder / name).exists():  # a photo stored before sizes existed
        name = uploads.file_name(room.photo)
    response = send_from_directory(folder, name, max_age=3600)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.post("/rooms/manage/privacy")
@require_role(Role.COORDINATOR)
def privacy():
    """Whether residents may see who booked (the residence decides; off by default)."""
    show = request.form.get("show_booker_names") == "1"
    return perform(
        lambda: set_show_booker_names(g.membership, show),
        form=EmptyForm(),
        page=lambda _error: abort(400),
        message=(
            _("Les habitants voient maintenant qui a réservé.")
            if show
            else _("Les habitants ne voient plus qui a réservé : seulement « réservé ».")
        ),
        success=lambda _residence: url_for("rooms.manage"),
    )
