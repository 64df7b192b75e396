"""Rooms: created and set up by the coordinator; their rules, photo and closures.

Rooms know nothing of bookings (the layer above). Where a room's change would hurt existing
bookings (removing a unit that has some), the database refuses and the service says why.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from app.core import uploads
from app.core.audit import record
from app.core.db import built_once
from app.core.errors import DomainError
from app.core.i18n import lazy_gettext as _l
from app.core.permissions import Role, check_role
from app.core.timeutils import Period
from app.core.timewords import TimeWords
from app.extensions import db
from app.residences.models import Membership
from app.rooms.models import NAME_MAX, Closure, Room, RoomOpening, RoomUnit

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
DESCRIPTION_FIELDS = (
    "name",
    "description",
    "name_en",
    "description_en",
    "capacity",
    "accessibility",
)
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

Openings = list[tuple[int, dt.time, dt.time]]


class InvalidPeriod(DomainError):
    default_message = _l("L'heure de fin doit être après l'heure de début.")


# ---------------------------------------------------------------------------------------
# Reading.


@built_once
def _rooms_query(archived: bool | None):
    query = (
        sa.select(Room)
        .options(selectinload(Room.units))
        .where(Room.residence_id == sa.bindparam("residence_id"))
    )
    if archived is not None:
        query = query.where(Room.archived.is_(archived))
    return query.order_by(sa.func.lower(Room.name), Room.id)


def rooms_of(residence_id: int, *, archived: bool | None = False) -> list[Room]:
    """The residence's rooms by name (``archived=None``: all of them), with their units."""
    return list(db.session.scalars(_rooms_query(archived), {"residence_id": residence_id}))


@built_once
def _room_with_rules_query():
    return (
        sa.select(Room)
        .options(joinedload(Room.openings), joinedload(Room.units))
        .where(Room.id == sa.bindparam("room_id"), Room.residence_id == sa.bindparam("residence"))
    )


def room_with_rules(residence_id: int, room_id: int) -> Room | None:
    """A room of the residence with its opening hours and units, in one query (the pages
    that work out what is free need all of them)."""
    return (
        db.session.scalars(
            _room_with_rules_query(), {"room_id": room_id, "residence": residence_id}
        )
        .unique()
        .one_or_none()
    )


def closures_ahead(room: Room, now: dt.datetime) -> list[Closure]:
    """The room's closures that have not ended yet, soonest first."""
    return list(
        db.session.scalars(
            sa.select(Closure)
            .where(Closure.room_id == room.id, Closure.end_at > now)
            .order_by(Closure.start_at)
        )
    )


@built_once
def _closures_during_query():
    return (
        sa.select(Closure)
        .where(
            Closure.room_id == sa.bindparam("room_id"),
            Closure.start_at < sa.bindparam("end"),
            Closure.end_at > sa.bindparam("start"),
        )
        .order_by(Closure.start_at)
    )


def closures_during(room: Room, period: Period) -> list[Closure]:
    values = {"room_id": room.id, "start": period.start, "end": period.end}
    return list(db.session.scalars(_closures_during_query(), values))


# ---------------------------------------------------------------------------------------
# Creating and setting up.


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


def _check_name(room: Room) -> None:
    room.name = " ".join((room.name or "").split())
    room.name_en = " ".join((room.name_en or "").split())
    if not room.name:
        raise DomainError(_l("Donnez un nom à la salle."), field="name")


def set_openings(room: Room, openings: Openings) -> None:
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
    units left over, in order; extra names add units. A unit that has bookings cannot be
    removed: the database refuses, and the coordinator is told which one.
    """
    names = [" ".join(n.split()) for n in names if n and n.strip()] or [room.name]
    for name in names:
        if len(name) > NAME_MAX:
            raise DomainError(
                _l("Un nom par ligne, de 120 caractères au plus : « %(line)s… »", line=name[:30]),
                field="units",
            )
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
    for position, unit in enumerate(ordered):
        unit.position = position
    for unit in leftovers:
        if unit.id is None:
            continue
        savepoint = db.session.begin_nested()
        try:
            db.session.delete(unit)
            db.session.flush()
        except IntegrityError:
            savepoint.rollback()
            raise DomainError(
                _l("« %(name)s » a des réservations : on ne peut pas le retirer.", name=unit.name),
                field="units",
            ) from None
        savepoint.commit()
    room.units = ordered


def _set_photo(room: Room, photo, remove_photo: bool) -> None:
    """A new photo (a file-like object) replaces the old one; the old file goes once the
    change is committed."""
    if photo is not None:
        name = uploads.store_image(photo, db.session, prefix="room")
        uploads.discard_image(room.photo, db.session)
        room.photo = name
    elif remove_photo and room.photo:
        uploads.discard_image(room.photo, db.session)
        room.photo = None


def create_room(
    actor: Membership,
    *,
    openings: Openings | None = None,
    unit_names: list[str] | None = None,
    photo=None,
    **fields,
) -> Room:
    check_role(actor, Role.COORDINATOR)
    unknown = set(fields) - set(RULE_FIELDS + DESCRIPTION_FIELDS)
    if unknown:
        raise ValueError(unknown)
    room = Room(residence_id=actor.residence_id, **fields)
    for column in Room.__table__.columns:  # the model's defaults, before the checks
        default = column.default
        if getattr(room, column.key, None) is None and default is not None and default.is_scalar:
            setattr(room, column.key, default.arg)
    _check_name(room)
    _check_rules(room)
    db.session.add(room)
    set_openings(room, openings or [])
    set_units(room, unit_names or [])
    _set_photo(room, photo, False)
    db.session.flush()
    record("room.created", actor=actor, residence_id=room.residence_id, target=room)
    return room


def update_room(
    actor: Membership,
    room: Room,
    *,
    openings: Openings | None = None,
    unit_names: list[str] | None = None,
    photo=None,
    remove_photo: bool = False,
    **fields,
) -> Room:
    check_role(actor, Role.COORDINATOR, room.residence_id)
    for key, value in fields.items():
        if key not in RULE_FIELDS + DESCRIPTION_FIELDS + ("archived",):
            raise ValueError(key)
        setattr(room, key, value)
    _check_name(room)
    _check_rules(room)
    if openings is not None:
        set_openings(room, openings)
    if unit_names is not None:
        set_units(room, unit_names)
    _set_photo(room, photo, remove_photo)
    db.session.flush()
    record("room.updated", actor=actor, residence_id=room.residence_id, target=room)
    return room


# ---------------------------------------------------------------------------------------
# Closures.


def add_closure(actor: Membership, room: Room, period: Period, reason: str = "") -> Closure:
    """Nobody can book the room during ``period`` (works, a coordinator's event)."""
    check_role(actor, Role.COORDINATOR, room.residence_id)
    if not period.is_valid:
        raise InvalidPeriod(field="end")
    closure = Closure(
        room=room,
        start_at=period.start,
        end_at=period.end,
        reason=" ".join(reason.split())[:200],
        created_by_id=actor.user_id,
    )
    db.session.add(closure)
    db.session.flush()
    record("closure.created", actor=actor, residence_id=room.residence_id, target=closure)
    return closure


def remove_closure(actor: Membership, closure: Closure) -> Room:
    room = closure.room
    check_role(actor, Role.COORDINATOR, room.residence_id)
    record("closure.removed", actor=actor, residence_id=room.residence_id, target=closure)
    db.session.delete(closure)
    return room


# ---------------------------------------------------------------------------------------
# The rules of a room, in plain words (for the room's page and the review step).


def opening_words(room: Room, tw: TimeWords) -> list[str]:
    """``du lundi au vendredi : de 9 h à 22 h`` … one line per run of alike weekdays."""
    from itertools import groupby

    windows = {day: tuple((o.opens, o.closes) for o in room.openings_on(day)) for day in range(7)}
    if not any(windows.values()):
        return [tw.gettext("La salle n'a pas encore d'heures d'ouverture.")]
    runs = [list(run) for _key, run in groupby(range(7), key=lambda d: windows[d])]
    if len(runs) == 1:
        hours = tw.join([tw.hours(o, c) for o, c in windows[0]])
        return [tw.gettext("Tous les jours, %(hours)s", hours=hours)]
    lines = []
    for run in runs:
        if len(run) == 1:
            days = tw.weekday(run[0])
        else:
            days = tw.gettext(
                "du %(first)s au %(last)s", first=tw.weekday(run[0]), last=tw.weekday(run[-1])
            )
        if windows[run[0]]:
            hours = tw.join([tw.hours(o, c) for o, c in windows[run[0]]])
        else:
            hours = tw.gettext("fermé")
        lines.append(tw.gettext("%(days)s : %(hours)s", days=days, hours=hours))
    return lines


def rules_words(room: Room, tw: TimeWords) -> list[str]:
    """Every rule that applies to a resident's booking of ``room``, one sentence each."""
    _ = tw.gettext
    rules = []
    if room.by_nights:
        rules.append(
            _(
                "Arrivée à partir de %(checkin)s, départ avant %(checkout)s.",
                checkin=tw.time(room.checkin_time),
                checkout=tw.time(room.checkout_time),
            )
        )
        if room.min_nights == room.max_nights:
            rules.append(
                tw.ngettext(
                    "Une réservation dure %(num)d nuit.",
                    "Une réservation dure %(num)d nuits.",
                    room.min_nights,
                )
            )
        else:
            rules.append(
                _(
                    "Une réservation dure de %(min)d à %(max)d nuits.",
                    min=room.min_nights,
                    max=room.max_nights,
                )
            )
    else:
        if room.min_minutes == room.max_minutes:
            rules.append(
                _("Une réservation dure %(duration)s.", duration=tw.duration(room.min_minutes))
            )
        else:
            rules.append(
                _(
                    "Une réservation dure de %(min)s à %(max)s.",
                    min=tw.duration(room.min_minutes),
                    max=tw.duration(room.max_minutes),
                )
            )
        rules.append(
            _("On réserve par tranches de %(duration)s.", duration=tw.duration(room.slot_minutes))
        )
    rules.append(
        tw.ngettext(
            "On peut réserver jusqu'à %(num)d jour à l'avance.",
            "On peut réserver jusqu'à %(num)d jours à l'avance.",
            room.max_days_ahead,
        )
    )
    if room.by_nights and room.cancel_hours:
        rules.append(
            _(
                "Vous pouvez annuler ou changer les dates en ligne jusqu'à %(delay)s avant "
                "l'arrivée. Ensuite, prévenez la coordination.",
                delay=tw.duration(room.cancel_hours * 60),
            )
        )
    elif room.by_nights:
        rules.append(_("Vous pouvez annuler ou changer les dates en ligne jusqu'à l'arrivée."))
    elif room.cancel_hours:
        rules.append(
            _(
                "Vous pouvez annuler ou changer l'horaire en ligne jusqu'à %(delay)s avant "
                "le début. Ensuite, prévenez la coordination.",
                delay=tw.duration(room.cancel_hours * 60),
            )
        )
    else:
        rules.append(_("Vous pouvez annuler ou changer l'horaire en ligne jusqu'au début."))
    if room.per_household_week:
        rules.append(
            tw.ngettext(
                "Au plus %(num)d réservation par logement et par semaine.",
                "Au plus %(num)d réservations par logement et par semaine.",
                room.per_household_week,
            )
        )
    if room.max_active_per_household:
        rules.append(
            tw.ngettext(
                "Au plus %(num)d réservation à venir à la fois par logement.",
                "Au plus %(num)d réservations à venir à la fois par logement.",
                room.max_active_per_household,
            )
        )
    if room.buffer_minutes:
        rules.append(
            _(
                "Un temps de ménage de %(duration)s est prévu après chaque réservation.",
                duration=tw.duration(room.buffer_minutes),
            )
        )
    if room.requires_approval:
        rules.append(
            _(
                "La coordination doit accepter chaque demande : la réservation est confirmée "
                "après son accord."
            )
        )
    return rules
