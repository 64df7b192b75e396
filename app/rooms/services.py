"""Rooms: created and set up by the coordinator."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l

from app.core.audit import record
from app.core.errors import DomainError, NotAllowed
from app.core.permissions import Role
from app.extensions import db
from app.residences.models import Residence
from app.rooms.models import Room, RoomOpening, RoomUnit
from app.users.models import User

RULE_FIELDS = (
    "mode",
    "slot_minutes",
    "min_minutes",
    "max_minutes",
    "min_nights",
    "max_nights",
    "checkin_time",
    "checkout_time",
    "max_days_ahead",
    "cancel_hours",
    "per_household_week",
    "max_active_per_household",
    "requires_approval",
    "buffer_minutes",
)
DESCRIPTION_FIELDS = ("name", "description", "capacity", "accessibility")


def _ensure_coordinator(actor: User, residence_id: int) -> None:
    membership = actor.membership_in(residence_id)
    if membership is None or not membership.role.at_least(Role.COORDINATOR):
        raise NotAllowed()


POSITIVE_FIELDS = (
    "slot_minutes",
    "min_minutes",
    "max_minutes",
    "min_nights",
    "max_nights",
    "max_days_ahead",
)
NON_NEGATIVE_FIELDS = ("cancel_hours", "buffer_minutes")
OPTIONAL_POSITIVE_FIELDS = ("per_household_week", "max_active_per_household", "capacity")


def _check_rules(room: Room) -> None:
    for name in POSITIVE_FIELDS:
        if getattr(room, name) is None or getattr(room, name) <= 0:
            raise DomainError(_l("Indiquez un nombre plus grand que zéro."), field=name)
    for name in NON_NEGATIVE_FIELDS:
        if getattr(room, name) is None or getattr(room, name) < 0:
            raise DomainError(_l("Indiquez zéro ou un nombre positif."), field=name)
    for name in OPTIONAL_POSITIVE_FIELDS:
        if getattr(room, name) is not None and getattr(room, name) <= 0:
            raise DomainError(
                _l("Laissez vide s'il n'y a pas de limite, ou indiquez un nombre positif."),
                field=name,
            )
    if room.min_minutes > room.max_minutes:
        raise DomainError(
            _l("La durée minimale doit être inférieure ou égale à la durée maximale."),
            field="max_minutes",
        )
    if room.min_nights > room.max_nights:
        raise DomainError(
            _l("Le nombre minimal de nuits doit être inférieur ou égal au maximum."),
            field="max_nights",
        )
    if room.min_minutes % room.slot_minutes:
        raise DomainError(
            _l("La durée minimale doit être un multiple du pas des créneaux."), field="min_minutes"
        )


def set_openings(room: Room, openings: list[tuple[int, dt.time, dt.time]]) -> None:
    """Replace the opening hours: (weekday 0=Monday, opens, closes) in local time."""
    for weekday, opens, closes in openings:
        if not 0 <= weekday <= 6 or opens >= closes:
            raise DomainError(
                _l("Chaque plage d'ouverture doit finir après son début."), field="openings"
            )
    room.openings = [RoomOpening(weekday=w, opens=o, closes=c) for w, o, c in openings]


def set_units(room: Room, names: list[str]) -> None:
    """Name the identical units (one unit named after the room when there is only one).

    A unit keeps its id (and its bookings) when its name stays; the names left over rename the
    units left over, in order; extra names add units; a unit that has bookings is never removed.
    """
    from sqlalchemy import func, select

    from app.bookings.models import Booking

    names = [" ".join(n.split()) for n in names if n and n.strip()] or [room.name]
    by_name = {unit.name: unit for unit in room.units}
    kept = {name: by_name.pop(name) for name in names if name in by_name}
    leftovers = [unit for unit in room.units if unit not in kept.values()]
    ordered = []
    for name in names:
        unit = kept.get(name)
        if unit is None:
            unit = leftovers.pop(0) if leftovers else RoomUnit(name=name)
            unit.name = name
        ordered.append(unit)
    for unit in leftovers:
        used = unit.id and db.session.scalar(
            select(func.count(Booking.id)).where(Booking.unit_id == unit.id)
        )
        if used:
            raise DomainError(
                _l("« %(name)s » a des réservations : on ne peut pas le retirer.", name=unit.name),
                field="units",
            )
    for position, unit in enumerate(ordered):
        unit.position = position
    room.units = ordered


def create_room(
    actor: User,
    residence: Residence,
    *,
    openings: list[tuple[int, dt.time, dt.time]] | None = None,
    unit_names: list[str] | None = None,
    **fields,
) -> Room:
    _ensure_coordinator(actor, residence.id)
    if not (fields.get("name") or "").strip():
        raise DomainError(_l("Donnez un nom à la salle."), field="name")
    room = Room(residence=residence, **fields)
    for column in Room.__table__.columns:  # the model's defaults, before the checks
        default = column.default
        if getattr(room, column.key, None) is None and default is not None and default.is_scalar:
            setattr(room, column.key, default.arg)
    _check_rules(room)
    db.session.add(room)
    set_openings(room, openings or [])
    set_units(room, unit_names or [])
    db.session.flush()
    record("room.created", actor=actor, residence_id=residence.id, target=room)
    return room


def update_room(
    actor: User,
    room: Room,
    *,
    openings: list[tuple[int, dt.time, dt.time]] | None = None,
    unit_names: list[str] | None = None,
    **fields,
) -> Room:
    _ensure_coordinator(actor, room.residence_id)
    for key, value in fields.items():
        if key not in RULE_FIELDS + DESCRIPTION_FIELDS + ("photo", "archived"):
            raise ValueError(key)
        setattr(room, key, value)
    if not room.name.strip():
        raise DomainError(_l("Donnez un nom à la salle."), field="name")
    _check_rules(room)
    if openings is not None:
        set_openings(room, openings)
    if unit_names is not None:
        set_units(room, unit_names)
    db.session.flush()
    record("room.updated", actor=actor, residence_id=room.residence_id, target=room)
    return room
