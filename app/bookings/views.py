"""Residents' side of rooms: what's free, book, my bookings, the calendar feed."""

from __future__ import annotations

from flask import Blueprint, g, render_template
from flask_login import login_required

bp = Blueprint("bookings", __name__)


@bp.get("/rooms")
@login_required
def rooms():
    import sqlalchemy as sa

    from app.extensions import db
    from app.rooms.models import Room

    rooms = db.session.scalars(
        sa.select(Room)
        .where(Room.residence_id == g.residence.id, Room.archived.is_(False))
        .order_by(Room.name)
    ).all()
    return render_template("bookings/rooms.html", rooms=rooms)
