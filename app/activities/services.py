"""Activities: the coordinator plans them; residents join or leave; the waiting list moves on
by itself.

Joining, leaving and changing the number of places take the activity's lock first
(PostgreSQL: a row lock; SQLite: the write lock the action runner holds), so the count of
places and the line are read and changed by one person at a time: strictly first come, first
served. When a place frees up (someone leaves, more places), the first in line gets it at
once and is told in "Mes messages".
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import contains_eager, joinedload

from app.activities.models import (
    Activity,
    ActivityProposal,
    ActivitySeries,
    ActivityStatus,
    Category,
    Effort,
    OrganiserKind,
    PlaceKind,
    ProposalStatus,
    Registration,
    RegistrationRole,
    RegistrationStatus,
    WateringSlot,
    short_name,
)
from app.bookings import services as bookings
from app.bookings.models import ACTIVE_STATUSES, Booking, Origin, OriginKind
from app.core.audit import record
from app.core.db import built_once, utcnow, write_lock
from app.core.errors import Conflict, DomainError, NotAllowed
from app.core.i18n import lazy_gettext as _l
from app.core.permissions import Role, check_role
from app.core.recurrence import Weekly
from app.core.timeutils import Period, local_today, to_local, to_utc
from app.extensions import db
from app.messages import services as messages
from app.residences.models import Home, Membership, Residence
from app.rooms.models import Room
from app.users.models import User

CONFIRMED, WAITING, LEFT = (
    RegistrationStatus.CONFIRMED,
    RegistrationStatus.WAITING,
    RegistrationStatus.LEFT,
)
PARTICIPANT, HELPER = RegistrationRole.PARTICIPANT, RegistrationRole.HELPER
MOST_PLACES = 500
EVERY_WEEKS = (1, 2, 3, 4)  # a series: every week, every 2, 3 or 4 weeks


# ---------------------------------------------------------------------------------------
# Errors


class ActivityRefused(DomainError):
    """A rule of the activity says no (422)."""


class ActivityCancelled(Conflict):
    default_message = _l("Cette activité est annulée : on ne peut plus s'y inscrire.")


class ActivityStarted(ActivityRefused):
    default_message = _l(
        "Cette activité a déjà commencé : les inscriptions en ligne sont closes. "
        "Voyez la coordination sur place."
    )


class NoHelpWanted(ActivityRefused):
    default_message = _l("Cette activité ne cherche pas de bénévoles.")


class InvalidPeriod(ActivityRefused):
    default_message = _l("L'heure de fin doit être après l'heure de début.")


class InvalidPlaces(ActivityRefused):
    default_message = _l("Indiquez au moins une place, et pas plus de 500.")


class MissingPlace(ActivityRefused):
    default_message = _l("Choisissez la salle, ou écrivez l'adresse de la sortie.")


class UnknownRoom(ActivityRefused):
    default_message = _l("Cette salle n'est pas dans la résidence.")


class RoomNotFree(ActivityRefused):
    """The room is taken: ``clashes`` are the bookings in the way; ``overridable`` when they
    are all residents' (not another activity's, not a closure): the coordinator may then
    take the room anyway, with a reason told to each person."""

    default_message = _l(
        "La salle est déjà prise à ce moment-là. Choisissez une autre heure ou une autre salle."
    )

    def __init__(self, message=None, *, field="room", clashes=(), overridable=False):
        super().__init__(message, field=field)
        self.clashes = list(clashes)
        self.overridable = overridable


class MissingOrganiser(ActivityRefused):
    default_message = _l("Écrivez le nom du partenaire, ou choisissez l'habitant qui organise.")


class InvalidSeries(ActivityRefused):
    default_message = _l(
        "La dernière séance doit être après la première, et la série durer un an au plus."
    )


class RoomTakenOnDates(ActivityRefused):
    """The room is not free for some sessions: ``dates`` (local) says which."""

    default_message = _l(
        "La salle est déjà prise à ces dates. Choisissez une autre heure ou une autre salle."
    )

    def __init__(self, dates: list[dt.date], message=None, *, field: str | None = "room"):
        super().__init__(message, field=field)
        self.dates = dates


class NotAhead(ActivityRefused):
    default_message = _l("Choisissez une date et une heure à venir.")


class ActivityOver(ActivityRefused):
    default_message = _l("Cette séance est passée : on ne peut plus la changer.")


class RollCallNotYet(ActivityRefused):
    default_message = _l(
        "La séance n'a pas encore commencé : l'appel se fait à partir de l'heure de début."
    )


class RollCallCancelled(Conflict):
    default_message = _l("Cette séance est annulée : il n'y a pas d'appel à faire.")


# ---------------------------------------------------------------------------------------
# Planning


@dataclass
class Plan:
    """What the coordinator fills in for an activity (times already in UTC)."""

    title: str
    category: Category
    period: Period
    capacity: int
    place_kind: PlaceKind = PlaceKind.ROOM
    room: Room | None = None
    address: str = ""
    description: str = ""
    helper_places: int = 0
    organiser_kind: OrganiserKind = OrganiserKind.COORDINATION
    organiser: Membership | None = None
    partner_name: str = ""
    step_free: bool = False
    seated: bool = False
    hearing_loop: bool = False
    effort: Effort = Effort.GENTLE
    # The room is taken by residents' bookings: take it anyway, and tell them this reason.
    room_override: str = ""


def _check_plan(actor: Membership, plan: Plan) -> None:
    if plan.period.end <= plan.period.start:
        raise InvalidPeriod(field="end_time")
    if not 1 <= plan.capacity <= MOST_PLACES:
        raise InvalidPlaces(field="capacity")
    if not 0 <= plan.helper_places <= MOST_PLACES:
        raise InvalidPlaces(field="helper_places")
    if plan.place_kind == PlaceKind.ROOM:
        if plan.room is None:
            raise MissingPlace(field="room")
        if plan.room.residence_id != actor.residence_id or plan.room.archived:
            raise UnknownRoom(field="room")
    if plan.place_kind == PlaceKind.OUTSIDE and not plan.address.strip():
        raise MissingPlace(field="address")
    if plan.organiser_kind == OrganiserKind.PARTNER and not plan.partner_name.strip():
        raise MissingOrganiser(field="partner_name")
    if plan.organiser_kind == OrganiserKind.RESIDENT and (
        plan.organiser is None or plan.organiser.residence_id != actor.residence_id
    ):
        raise MissingOrganiser(field="organiser")


def create_activity(actor: Membership, plan: Plan) -> Activity:
    """A new activity of the actor's residence (the coordination plans them)."""
    check_role(actor, Role.COORDINATOR)
    _check_plan(actor, plan)
    activity = _new_session(actor, plan, plan.period)
    record("activity.created", actor=actor, target=activity)
    return activity


def _apply_plan(activity: Activity, plan: Plan) -> None:
    """Everything of ``plan`` but the time and the room's booking."""
    activity.title = " ".join(plan.title.split())[:120]
    activity.category = plan.category
    activity.description = plan.description.strip()
    activity.place_kind = plan.place_kind
    activity.room = plan.room if plan.place_kind == PlaceKind.ROOM else None
    activity.address = plan.address.strip()[:200] if plan.place_kind == PlaceKind.OUTSIDE else ""
    activity.capacity = plan.capacity
    activity.helper_places = plan.helper_places
    activity.organiser_kind = plan.organiser_kind
    activity.organiser = plan.organiser if plan.organiser_kind == OrganiserKind.RESIDENT else None
    activity.partner_name = (
        plan.partner_name.strip()[:120] if plan.organiser_kind == OrganiserKind.PARTNER else ""
    )
    activity.step_free = plan.step_free
    activity.seated = plan.seated
    activity.hearing_loop = plan.hearing_loop
    activity.effort = plan.effort


def _new_session(
    actor: Membership, plan: Plan, period: Period, series: ActivitySeries | None = None
) -> Activity:
    activity = Activity(
        residence_id=actor.residence_id,
        starts_at=period.start,
        ends_at=period.end,
        series=series,
        created_by_id=actor.user_id,
    )
    _apply_plan(activity, plan)
    db.session.add(activity)
    db.session.flush()
    if activity.room is not None:
        _hold_room(actor, activity, plan.room_override)
    return activity


def create_series(
    actor: Membership, plan: Plan, *, every: int, until: dt.date
) -> tuple[ActivitySeries, list[Activity]]:
    """The same activity every ``every`` weeks from the plan's date to ``until``, at the same
    local hours across daylight-saving changes (``core.recurrence``, as booking series).
    Each session books its room; if the room is taken for some sessions, nothing is created
    and those dates are said."""
    check_role(actor, Role.COORDINATOR)
    _check_plan(actor, plan)
    if until is None:
        raise InvalidSeries(field="until")
    tz = actor.residence.tz
    start, end = plan.period.local(tz)
    weekly = Weekly(weekday=start.weekday(), first=start.date(), until=until, every=every)
    if every not in EVERY_WEEKS or not weekly.is_valid or end.date() != start.date():
        raise InvalidSeries(field="until")
    series = ActivitySeries(
        residence_id=actor.residence_id,
        weekday=weekly.weekday,
        every=every,
        until=until,
        created_by_id=actor.user_id,
    )
    db.session.add(series)
    sessions, clashes = [], []
    for day, period in weekly.periods(start.time(), end.time(), tz):
        savepoint = db.session.begin_nested()
        try:
            sessions.append(_new_session(actor, plan, period, series))
        except RoomNotFree:
            savepoint.rollback()
            clashes.append(day)
            continue
        savepoint.commit()
    if clashes:
        raise RoomTakenOnDates(clashes)
    record("activity.series_created", actor=actor, target=series, details=f"{len(sessions)}")
    return series, sessions


def series_sessions(activity: Activity, *, from_start: bool = True) -> list[Activity]:
    """The sessions of ``activity``'s series from this one on (cancelled ones left out), or
    just this one when it is not part of a series."""
    if activity.series_id is None:
        return [activity]
    query = sa.select(Activity).where(
        Activity.series_id == activity.series_id,
        Activity.status == ActivityStatus.SCHEDULED,
    )
    if from_start:
        query = query.where(Activity.starts_at >= activity.starts_at)
    return list(db.session.scalars(query.order_by(Activity.starts_at)))


def update_activity(
    actor: Membership, activity: Activity, plan: Plan, *, following: bool = False
) -> list[Activity]:
    """Change a session, or (``following``) this session and the next ones of its series:
    the same changes, each keeping its own date (moved by as many days as this one). The
    room follows; people keep their registration, and are told when the time changes."""
    check_role(actor, Role.COORDINATOR, activity.residence_id)
    _check_plan(actor, plan)
    now = utcnow()
    if activity.is_cancelled:
        raise ActivityCancelled()
    if activity.ends_at <= now:
        raise ActivityOver()
    if plan.period.start < now and plan.period.start != activity.starts_at:
        raise NotAhead(field="day")
    tz = actor.residence.tz
    new_start, new_end = plan.period.local(tz)
    shift = new_start.date() - to_local(activity.starts_at, tz).date()
    length = new_end.date() - new_start.date()
    targets = series_sessions(activity) if following else [activity]
    clashes = []
    changed = []
    for session in targets:
        _lock(session)
        day = to_local(session.starts_at, tz).date() + shift
        period = Period.from_local(
            dt.datetime.combine(day, new_start.time()),
            dt.datetime.combine(day + length, new_end.time()),
            tz,
        )
        before = Period(session.starts_at, session.ends_at)
        old_room = session.room
        _apply_plan(session, plan)
        session.starts_at, session.ends_at = period.start, period.end
        session.changed_for_calendars()
        db.session.flush()
        if (before.start, before.end) != (period.start, period.end) or old_room != session.room:
            savepoint = db.session.begin_nested()
            try:
                _move_room(actor, session, plan.room_override)
            except RoomNotFree:
                savepoint.rollback()
                clashes.append(day)
                continue
            savepoint.commit()
        if (before.start, before.end) != (period.start, period.end):
            for registration in active_registrations(session):
                _tell(registration, _moved_words(session, before))
        _fill_places(session, PARTICIPANT)
        _fill_places(session, HELPER)
        changed.append(session)
    if clashes:
        raise RoomTakenOnDates(clashes)
    record(
        "activity.changed",
        actor=actor,
        target=activity,
        details=f"{len(changed)} session(s)" if following else "",
    )
    return changed


def postpone(
    actor: Membership,
    activity: Activity,
    period: Period,
    reason: str,
    *,
    room_override: str = "",
    now: dt.datetime | None = None,
) -> Activity:
    """Postpone one session ("pluie : reporté à jeudi") in one action: the room moves with
    it, everyone keeps their place (or their rank on the waiting list) and is told."""
    check_role(actor, Role.COORDINATOR, activity.residence_id)
    now = now or utcnow()
    if activity.is_cancelled:
        raise ActivityCancelled()
    if activity.ends_at <= now:
        raise ActivityOver()
    if not period.is_valid:
        raise InvalidPeriod(field="end_time")
    if period.start < now:
        raise NotAhead(field="day")
    _lock(activity)
    before = Period(activity.starts_at, activity.ends_at)
    if activity.planned_start is None:
        activity.planned_start = activity.starts_at
    activity.starts_at, activity.ends_at = period.start, period.end
    activity.moved_reason = " ".join(reason.split())[:300]
    activity.changed_for_calendars()
    db.session.flush()
    if activity.room is not None:
        _move_room(actor, activity, room_override)
    record("activity.postponed", actor=actor, target=activity, details=activity.moved_reason)
    for registration in active_registrations(activity):
        _tell(registration, _moved_words(activity, before, activity.moved_reason))
    return activity


def _held_bookings(activity: Activity) -> list[Booking]:
    return list(
        db.session.scalars(
            sa.select(Booking).where(
                Booking.origin_kind == OriginKind.ACTIVITY,
                Booking.origin_id == activity.id,
                Booking.status.in_(ACTIVE_STATUSES),
            )
        )
    )


def _move_room(actor: Membership, activity: Activity, override: str = "") -> None:
    """The room follows the session: its booking moves to the new time (same room), or is
    freed and the new room booked."""
    held = _held_bookings(activity)
    if activity.room is not None and len(held) == 1 and held[0].room_id == activity.room.id:
        period = Period(activity.starts_at, activity.ends_at)
        try:
            bookings.move(actor, held[0], period)
        except bookings.SlotTaken:
            if not _clear_the_way(actor, activity, period, override):
                raise _not_free(activity, period) from None
            try:
                bookings.move(actor, held[0], period)
            except (bookings.SlotTaken, bookings.BookingRefused):
                raise _not_free(activity, period) from None
        except bookings.BookingRefused as refused:
            raise RoomNotFree(refused.message, field="room") from None
        return
    for booking in held:
        bookings.cancel(actor, booking, reason=activity.title)
    if activity.room is not None:
        _hold_room(actor, activity, override)


def _origin(activity: Activity) -> Origin:
    return Origin(OriginKind.ACTIVITY, activity.id)


def _hold_room(actor: Membership, activity: Activity, override: str = "") -> Booking:
    """The room follows the activity: it is booked for the activity's time, through the
    booking services (the same rules of clashes and closures as anyone's booking). With
    ``override`` (a reason), residents' bookings in the way are cancelled first, and each
    person is told that reason."""
    period = Period(activity.starts_at, activity.ends_at)

    def reserve():
        return bookings.reserve(
            actor,
            activity.room,
            period,
            origin=_origin(activity),
            purpose=activity.title,
            suggest=False,
        )

    try:
        return reserve()
    except bookings.SlotTaken:
        if not _clear_the_way(actor, activity, period, override):
            raise _not_free(activity, period) from None
    except bookings.BookingRefused as refused:
        raise RoomNotFree(refused.message, field="room") from None
    try:
        return reserve()
    except (bookings.SlotTaken, bookings.BookingRefused):
        raise _not_free(activity, period) from None


def _in_the_way(activity: Activity, period: Period) -> tuple[list[Booking], bool]:
    clashes = [
        b
        for b in bookings.bookings_during(activity.room, period)
        if not (b.origin_kind == OriginKind.ACTIVITY and b.origin_id == activity.id)
    ]
    overridable = bool(clashes) and all(b.origin_kind != OriginKind.ACTIVITY for b in clashes)
    return clashes, overridable


def _not_free(activity: Activity, period: Period) -> RoomNotFree:
    clashes, overridable = _in_the_way(activity, period)
    return RoomNotFree(clashes=clashes, overridable=overridable)


def _clear_the_way(actor: Membership, activity: Activity, period: Period, override: str) -> bool:
    """Cancel the residents' bookings in the way, telling each person ``override``; False
    (nothing done) without a reason, or when another activity holds the room."""
    reason = " ".join(override.split())[:300]
    clashes, overridable = _in_the_way(activity, period)
    if not reason or not overridable:
        return False
    for booking in clashes:
        bookings.cancel(actor, booking, reason=reason)
    db.session.flush()
    record(
        "activity.room_override",
        actor=actor,
        target=activity,
        details=f"{len(clashes)} booking(s): {reason}",
    )
    return True


def _free_room(actor: Membership, activity: Activity, reason: str) -> None:
    for booking in _held_bookings(activity):
        bookings.cancel(actor, booking, reason=reason)


# ---------------------------------------------------------------------------------------
# Joining and leaving


def _lock(activity: Activity) -> None:
    """Serialise the sign-ups of one activity (PostgreSQL row lock; SQLite holds the write
    lock), then read it afresh: another person may just have changed it."""
    db.session.execute(sa.select(Activity.id).where(Activity.id == activity.id).with_for_update())
    db.session.refresh(activity)


def _person(actor: Membership, activity: Activity, for_member: Membership | None) -> Membership:
    check_role(actor, Role.RESIDENT, activity.residence_id)
    person = for_member or actor
    if person.id != actor.id:
        check_role(actor, Role.COORDINATOR, activity.residence_id)
        if not person.is_active or person.residence_id != activity.residence_id:
            raise NotAllowed()
    return person


def _open(activity: Activity, now: dt.datetime) -> None:
    if activity.is_cancelled:
        raise ActivityCancelled()
    if activity.has_started(now):
        raise ActivityStarted()


def _registration(activity: Activity, person: Membership) -> Registration | None:
    return db.session.scalar(
        sa.select(Registration).where(
            Registration.activity_id == activity.id, Registration.membership_id == person.id
        )
    )


def _confirmed(activity: Activity, role: RegistrationRole) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(Registration.id)).where(
            Registration.activity_id == activity.id,
            Registration.role == role,
            Registration.status == CONFIRMED,
        )
    )


def _next_number(activity: Activity) -> int:
    last = db.session.scalar(
        sa.select(sa.func.max(Registration.queue_number)).where(
            Registration.activity_id == activity.id
        )
    )
    return (last or 0) + 1


def register(
    actor: Membership,
    activity: Activity,
    *,
    for_member: Membership | None = None,
    as_helper: bool = False,
    now: dt.datetime | None = None,
) -> Registration:
    """Join ``activity`` (or, for the coordinator, register ``for_member``): a place if one
    is free, else the end of the waiting list. Joining twice changes nothing."""
    now = now or utcnow()
    person = _person(actor, activity, for_member)
    _open(activity, now)
    role = HELPER if as_helper else PARTICIPANT
    if role == HELPER and activity.helper_places == 0:
        raise NoHelpWanted()
    _lock(activity)
    _open(activity, now)
    registration = _registration(activity, person)
    if registration is not None and registration.is_active:
        return registration
    free = _confirmed(activity, role) < activity.places_for(role)
    number = _next_number(activity)
    if registration is None:
        registration = Registration(activity=activity, membership=person)
        db.session.add(registration)
    registration.role = role
    registration.status = CONFIRMED if free else WAITING
    registration.queue_number = number
    registration.registered_by_id = actor.user_id
    registration.joined_at = now
    registration.left_at = None
    db.session.flush()
    details = f"{role.value} {registration.status.value}"
    if person.id != actor.id:
        details += f"; for user {person.user_id}"
    record("activity.registered", actor=actor, target=activity, details=details)
    return registration


def leave(
    actor: Membership,
    activity: Activity,
    *,
    for_member: Membership | None = None,
    now: dt.datetime | None = None,
) -> Registration | None:
    """Leave ``activity`` (a place or the waiting list). A freed place goes at once to the
    first in line, who is told. Leaving twice changes nothing."""
    now = now or utcnow()
    person = _person(actor, activity, for_member)
    if activity.has_started(now):
        raise ActivityStarted()
    _lock(activity)
    registration = _registration(activity, person)
    if registration is None or not registration.is_active:
        return registration
    had_place = registration.status == CONFIRMED
    registration.status = LEFT
    registration.left_at = now
    db.session.flush()
    record(
        "activity.left",
        actor=actor,
        target=activity,
        details="" if person.id == actor.id else f"for user {person.user_id}",
    )
    if had_place and not activity.is_cancelled:
        _fill_places(activity, registration.role)
    return registration


def _fill_places(activity: Activity, role: RegistrationRole) -> list[Registration]:
    """Give the free places of ``role`` to the first in line, and tell them."""
    free = activity.places_for(role) - _confirmed(activity, role)
    if free <= 0:
        return []
    promoted = list(
        db.session.scalars(
            sa.select(Registration)
            .options(
                joinedload(Registration.membership).joinedload(Membership.user),
                joinedload(Registration.membership).joinedload(Membership.residence),
            )
            .where(
                Registration.activity_id == activity.id,
                Registration.role == role,
                Registration.status == WAITING,
            )
            .order_by(Registration.queue_number)
            .limit(free)
        )
    )
    for registration in promoted:
        registration.status = CONFIRMED
    db.session.flush()
    for registration in promoted:
        _tell(registration, _promoted_words(activity))
    return promoted


def change_places(
    actor: Membership, activity: Activity, *, capacity: int, helper_places: int
) -> list[Registration]:
    """More or fewer places. More places go at once to the first in line; with fewer, the
    people who already have a place keep it (nobody is sent back to the waiting list)."""
    check_role(actor, Role.COORDINATOR, activity.residence_id)
    if not 1 <= capacity <= MOST_PLACES:
        raise InvalidPlaces(field="capacity")
    if not 0 <= helper_places <= MOST_PLACES:
        raise InvalidPlaces(field="helper_places")
    _lock(activity)
    activity.capacity, activity.helper_places = capacity, helper_places
    db.session.flush()
    record("activity.places", actor=actor, target=activity, details=f"{capacity}+{helper_places}")
    if activity.is_cancelled:
        return []
    return _fill_places(activity, PARTICIPANT) + _fill_places(activity, HELPER)


def cancel_activity(actor: Membership, activity: Activity, reason: str = "") -> Activity:
    """Cancel the activity; everyone registered (with a place or waiting) is told why."""
    check_role(actor, Role.COORDINATOR, activity.residence_id)
    _lock(activity)
    if activity.is_cancelled:
        return activity
    activity.status = ActivityStatus.CANCELLED
    activity.cancel_reason = " ".join(reason.split())[:300]
    activity.changed_for_calendars()
    _free_room(actor, activity, activity.cancel_reason)
    db.session.flush()
    record("activity.cancelled", actor=actor, target=activity, details=activity.cancel_reason)
    for registration in active_registrations(activity):
        _tell(registration, _cancelled_words(activity))
    return activity


# ---------------------------------------------------------------------------------------
# Telling people


def _tell(registration: Registration, compose) -> None:
    messages.send(
        registration.membership,
        compose,
        about=("activities.detail", {"activity_id": registration.activity_id}),
    )


def _promoted_words(activity: Activity):
    def compose(tw):
        when = tw.period(activity.starts_at, activity.ends_at)
        subject = tw.gettext("Une place pour vous : %(title)s", title=activity.title)
        body = tw.gettext(
            "Une place s'est libérée : vous êtes inscrit à « %(title)s », le %(when)s. "
            "Si vous ne pouvez plus venir, désinscrivez-vous sur la page de l'activité, "
            "pour laisser la place à la personne suivante.",
            title=activity.title,
            when=when,
        )
        return subject, body

    return compose


def _moved_words(activity: Activity, before: Period, reason: str = ""):
    def compose(tw):
        subject = tw.gettext("Nouvelle date : %(title)s", title=activity.title)
        body = tw.gettext(
            "« %(title)s », prévu le %(before)s, aura lieu le %(when)s.",
            title=activity.title,
            before=tw.period(before.start, before.end),
            when=tw.period(activity.starts_at, activity.ends_at),
        )
        if reason:
            body += " " + tw.gettext("Raison : %(reason)s", reason=reason)
        body += "\n\n" + tw.gettext(
            "Votre inscription est gardée : vous n'avez rien à faire. Si vous ne pouvez pas "
            "venir à cette date, désinscrivez-vous sur la page de l'activité."
        )
        return subject, body

    return compose


def _cancelled_words(activity: Activity):
    def compose(tw):
        when = tw.period(activity.starts_at, activity.ends_at)
        subject = tw.gettext("Activité annulée : %(title)s", title=activity.title)
        body = tw.gettext(
            "L'activité « %(title)s » du %(when)s est annulée.", title=activity.title, when=when
        )
        if activity.cancel_reason:
            body += " " + tw.gettext("Raison : %(reason)s", reason=activity.cancel_reason)
        return subject, body

    return compose


# ---------------------------------------------------------------------------------------
# Reading


@dataclass(frozen=True, slots=True)
class MyPlace:
    """A person's own registration to an activity (a place or the waiting list), as its
    pages say it: what ``waiting_position`` needs, without loading the registration."""

    activity_id: int
    role: RegistrationRole
    status: RegistrationStatus
    queue_number: int


@dataclass
class Places:
    """How full an activity is: places taken and people waiting, per role; and, when asked
    for someone, their own registration (``mine``: None when they have none)."""

    capacity: int
    confirmed: int = 0
    waiting: int = 0
    helper_places: int = 0
    helpers: int = 0
    helpers_waiting: int = 0
    mine: MyPlace | None = None

    @property
    def free(self) -> int:
        return max(self.capacity - self.confirmed, 0)

    @property
    def helper_free(self) -> int:
        return max(self.helper_places - self.helpers, 0)


@built_once
def _count_query(with_member: bool):
    """The registrations of each activity by role and status; and, ``with_member``, that
    person's own (its queue number is the only one in its group, so the group's largest of
    "theirs or null")."""
    theirs = sa.case(
        (Registration.membership_id == sa.bindparam("member_id"), Registration.queue_number)
    )
    return (
        sa.select(
            Registration.activity_id,
            Registration.role,
            Registration.status,
            sa.func.count(Registration.id),
            sa.func.max(theirs) if with_member else sa.null(),
        )
        .where(
            Registration.activity_id.in_(sa.bindparam("ids", expanding=True)),
            Registration.status != LEFT,
        )
        .group_by(Registration.activity_id, Registration.role, Registration.status)
    )


def _count_rows(
    activity_ids: list[int], member_id: int | None
) -> tuple[dict[int, Counter], dict[int, MyPlace]]:
    values = {"ids": activity_ids}
    if member_id is not None:
        values["member_id"] = member_id
    rows = db.session.execute(_count_query(member_id is not None), values)
    counts: dict[int, Counter] = {}
    mine: dict[int, MyPlace] = {}
    for activity_id, role, status, count, queue_number in rows:
        counts.setdefault(activity_id, Counter())[(role, status)] = count
        if queue_number is not None:
            mine[activity_id] = MyPlace(activity_id, role, status, queue_number)
    return counts, mine


def places_of(activities: list[Activity], member: Membership | None = None) -> dict[int, Places]:
    """Places of each activity, and ``member``'s own registration to it, in one query."""
    ids = [a.id for a in activities]
    counts, mine = _count_rows(ids, member.id if member else None) if ids else ({}, {})
    result = {}
    for activity in activities:
        c = counts.get(activity.id, Counter())
        result[activity.id] = Places(
            capacity=activity.capacity,
            confirmed=c[(PARTICIPANT, CONFIRMED)],
            waiting=c[(PARTICIPANT, WAITING)],
            helper_places=activity.helper_places,
            helpers=c[(HELPER, CONFIRMED)],
            helpers_waiting=c[(HELPER, WAITING)],
            mine=mine.get(activity.id),
        )
    return result


def programme(residence_id: int, *, start: dt.datetime, end: dt.datetime) -> list[Activity]:
    """The residence's activities that end after ``start`` and begin before ``end``, in
    order (cancelled ones too: the programme says they are cancelled)."""
    values = {"residence_id": residence_id, "start": start, "end": end}
    return list(db.session.scalars(_programme_query(), values))


@built_once
def _programme_query():
    return (
        sa.select(Activity)
        .options(joinedload(Activity.room))
        .where(
            Activity.residence_id == sa.bindparam("residence_id"),
            Activity.starts_at < sa.bindparam("end"),
            Activity.ends_at > sa.bindparam("start"),
        )
        .order_by(Activity.starts_at, Activity.id)
    )


def registrations_of(member: Membership, activity_ids: list[int]) -> dict[int, Registration]:
    """The person's current registrations among these activities."""
    if not activity_ids:
        return {}
    rows = db.session.scalars(
        sa.select(Registration).where(
            Registration.membership_id == member.id,
            Registration.activity_id.in_(activity_ids),
            Registration.status != LEFT,
        )
    )
    return {r.activity_id: r for r in rows}


def waiting_position(registration: Registration | MyPlace) -> int | None:
    """1 for the first in line; None for someone who is not waiting."""
    if registration.status != WAITING:
        return None
    ahead = db.session.scalar(
        sa.select(sa.func.count(Registration.id)).where(
            Registration.activity_id == registration.activity_id,
            Registration.role == registration.role,
            Registration.status == WAITING,
            Registration.queue_number < registration.queue_number,
        )
    )
    return ahead + 1


def active_registrations(activity: Activity) -> list[Registration]:
    """Everyone with a place, then the waiting list in its order (for the coordinator)."""
    return list(
        db.session.scalars(
            sa.select(Registration)
            .options(
                joinedload(Registration.membership).joinedload(Membership.user),
                joinedload(Registration.membership).joinedload(Membership.residence),
                joinedload(Registration.membership).joinedload(Membership.home),
            )
            .where(Registration.activity_id == activity.id, Registration.status != LEFT)
            .order_by(Registration.status, Registration.role, Registration.queue_number)
        )
    )


@built_once
def page_query():
    """An activity by the bind parameter ``id`` with what its page shows, in one query: its
    room, its series, the resident who organises it."""
    return (
        sa.select(Activity)
        .options(
            joinedload(Activity.room),
            joinedload(Activity.series),
            joinedload(Activity.organiser).joinedload(Membership.user),
        )
        .where(Activity.id == sa.bindparam("id"))
    )


@dataclass(frozen=True, slots=True)
class Person:
    """Someone of the residence as the coordinator's page of an activity lists them: plain
    values (a hundred names cost no objects). ``role``, ``status`` and ``on_behalf`` are
    None for someone not registered."""

    membership_id: int
    name: str
    home: str | None  # the label of their home
    role: RegistrationRole | None
    status: RegistrationStatus | None
    on_behalf: bool | None  # registered by someone else (the coordination)


def people_of(activity: Activity) -> tuple[list[Person], list[Person]]:
    """For the coordinator's page, in one query: everyone registered (as
    ``active_registrations``: with a place, then the waiting list, each in its order), and
    the active members of the residence who are not, by name (to register one of them)."""
    values = {"activity_id": activity.id, "residence_id": activity.residence_id}
    people = [
        Person(id_, name, home, role, status, None if status is None else bool(on_behalf))
        for id_, name, home, role, status, on_behalf in db.session.execute(_people_query(), values)
    ]
    return [p for p in people if p.status is not None], [p for p in people if p.status is None]


@built_once
def _people_query():
    registered = sa.and_(
        Registration.membership_id == Membership.id,
        Registration.activity_id == sa.bindparam("activity_id"),
        Registration.status != LEFT,
    )
    return (
        sa.select(
            Membership.id,
            User.full_name,
            Home.label,
            Registration.role,
            Registration.status,
            Registration.registered_by_id != Membership.user_id,
        )
        .select_from(Membership)
        .join(User, Membership.user_id == User.id)
        .outerjoin(Home, Membership.home_id == Home.id)
        .outerjoin(Registration, registered)
        .where(
            Membership.residence_id == sa.bindparam("residence_id"),
            sa.or_(Membership.deactivated_at.is_(None), Registration.id.is_not(None)),
        )
        .order_by(
            Registration.id.is_(None),
            Registration.status,
            Registration.role,
            Registration.queue_number,
            sa.func.lower(User.full_name),
        )
    )


def feed_registrations(user_id: int) -> list[Registration]:
    """A person's registrations, in all their residences, for the calendar feed: a place, a
    helper's place or the waiting list, for activities that are not cancelled (not the ones
    they left). Their activity, its room and the residence come with them."""
    return list(
        db.session.scalars(
            sa.select(Registration)
            .join(Registration.activity)
            .join(Registration.membership)
            .options(
                contains_eager(Registration.activity).joinedload(Activity.room),
                contains_eager(Registration.membership).joinedload(Membership.residence),
            )
            .where(
                Membership.user_id == user_id,
                Registration.status != LEFT,
                Activity.status == ActivityStatus.SCHEDULED,
            )
            .order_by(Activity.starts_at.desc())
            .limit(500)
        )
    )


# ---------------------------------------------------------------------------------------
# Roll call and participation


def roll_call(activity: Activity) -> list[Registration]:
    """The roll call's list: everyone with a place (participants, helpers, and those the
    coordinator added on the day) by name, then the waiting list in its order (someone
    may have come in the place of a person who did not)."""
    return sorted(
        active_registrations(activity),
        key=lambda r: (
            r.status != CONFIRMED,
            r.queue_number if r.status == WAITING else 0,
            r.membership.user.full_name.casefold(),
        ),
    )


def mark_attendance(
    actor: Membership,
    activity: Activity,
    person: Membership,
    came: bool,
    *,
    now: dt.datetime | None = None,
) -> Registration | None:
    """The coordinator's roll call, one person at a time, once the session has started:
    ``person`` came (or did not). Someone who came without a registration (or after
    leaving) is added with a place. Marking the same thing twice changes nothing."""
    check_role(actor, Role.COORDINATOR, activity.residence_id)
    if person.residence_id != activity.residence_id:
        raise NotAllowed()
    now = now or utcnow()
    _lock(activity)
    if activity.is_cancelled:
        raise RollCallCancelled()
    if not activity.has_started(now):
        raise RollCallNotYet()
    registration = _registration(activity, person)
    walk_in = registration is None or not registration.is_active
    if walk_in:
        if not came:
            return registration
        if not person.is_active:
            raise NotAllowed()
        number = _next_number(activity)
        if registration is None:
            registration = Registration(activity=activity, membership=person)
            db.session.add(registration)
        registration.role = PARTICIPANT
        registration.status = CONFIRMED
        registration.queue_number = number
        registration.registered_by_id = actor.user_id
        registration.joined_at = now
        registration.left_at = None
    elif registration.attended is came:
        return registration
    registration.attended = came
    db.session.flush()
    details = f"user {person.user_id} " + ("came" if came else "did not come")
    if walk_in:
        details += " (not registered)"
    record("activity.attendance", actor=actor, target=activity, details=details)
    return registration


@dataclass
class Participation:
    """Sessions held and who came, for one month (``month``) or a whole year (None).
    ``minutes`` are participant-minutes: each session's length times the people who came."""

    month: int | None
    sessions: int = 0
    participants: int = 0
    attendances: int = 0
    minutes: int = 0

    @property
    def hours(self) -> float:
        return self.minutes / 60


def monthly_counts(
    residence_id: int, year: int, *, now: dt.datetime | None = None
) -> tuple[list[Participation], Participation]:
    """Participation in the residence's activities, month by month (local months of the
    residence), for ``year`` up to now: sessions held (started, not cancelled), distinct
    people who came (participants and helpers), attendances, participant-hours. And the
    year's totals (its distinct people, not the sum of the months'). Two queries."""
    now = now or utcnow()
    tz = db.session.get(Residence, residence_id).tz
    bounds = [to_utc(dt.datetime(year, month, 1), tz) for month in range(1, 13)] + [
        to_utc(dt.datetime(year + 1, 1, 1), tz)
    ]
    last_month = 12 if bounds[12] <= now else to_local(now, tz).month if bounds[0] <= now else 0
    months = [Participation(month) for month in range(1, last_month + 1)]
    total = Participation(None)
    if not months:
        return months, total
    month_of = sa.case(
        *[(Activity.starts_at < bounds[n], n) for n in range(1, 12)], else_=12
    ).label("month")
    held = (
        Activity.residence_id == residence_id,
        Activity.status == ActivityStatus.SCHEDULED,
        Activity.starts_at >= bounds[0],
        Activity.starts_at < min(bounds[12], now),
    )
    came = sa.and_(Registration.activity_id == Activity.id, Registration.attended.is_(True))
    sessions = db.session.execute(
        sa.select(month_of, Activity.starts_at, Activity.ends_at, sa.func.count(Registration.id))
        .select_from(Activity)
        .outerjoin(Registration, came)
        .where(*held)
        .group_by(Activity.id, Activity.starts_at, Activity.ends_at)
    )
    for month, starts_at, ends_at, count in sessions:
        counts = months[month - 1]
        counts.sessions += 1
        counts.attendances += count
        counts.minutes += count * int((ends_at - starts_at).total_seconds() // 60)
    people = db.session.execute(
        sa.select(month_of, Registration.membership_id)
        .select_from(Activity)
        .join(Registration, came)
        .where(*held)
        .distinct()
    )
    everyone = set()
    for month, membership_id in people:
        months[month - 1].participants += 1
        everyone.add(membership_id)
    total.sessions = sum(m.sessions for m in months)
    total.attendances = sum(m.attendances for m in months)
    total.minutes = sum(m.minutes for m in months)
    total.participants = len(everyone)
    return months, total


# ---------------------------------------------------------------------------------------
# Residents' ideas


class ProposalAnswered(Conflict):
    default_message = _l("Cette idée a déjà reçu une réponse.")


def propose(actor: Membership, *, title: str, idea: str, when: str = "") -> ActivityProposal:
    """A resident's idea of an activity, for the coordination to answer."""
    check_role(actor, Role.RESIDENT)
    proposal = ActivityProposal(
        residence_id=actor.residence_id,
        proposer=actor,
        title=" ".join(title.split())[:120],
        idea=idea.strip()[:2000],
        when=" ".join(when.split())[:200],
    )
    db.session.add(proposal)
    db.session.flush()
    record("activity.proposed", actor=actor, target=proposal)
    return proposal


def _answerable(actor: Membership, proposal: ActivityProposal) -> None:
    check_role(actor, Role.COORDINATOR, proposal.residence_id)
    db.session.execute(
        sa.select(ActivityProposal.id).where(ActivityProposal.id == proposal.id).with_for_update()
    )
    db.session.refresh(proposal)
    if not proposal.is_pending:
        raise ProposalAnswered()


def approve_proposal(
    actor: Membership, proposal: ActivityProposal, plan: Plan, *, now: dt.datetime | None = None
) -> Activity:
    """Put the idea on the programme: an activity organised by the resident who proposed it
    (the coordinator sets the date, the place and the places). The proposer is told."""
    _answerable(actor, proposal)
    plan.organiser_kind, plan.organiser = OrganiserKind.RESIDENT, proposal.proposer
    activity = create_activity(actor, plan)
    proposal.status = ProposalStatus.APPROVED
    proposal.activity = activity
    proposal.decided_by_id, proposal.decided_at = actor.user_id, now or utcnow()
    db.session.flush()
    record("activity.proposal_approved", actor=actor, target=proposal)
    messages.send(
        proposal.proposer,
        lambda tw: (
            tw.gettext("Votre idée est au programme : %(title)s", title=activity.title),
            tw.gettext(
                "« %(title)s » aura lieu le %(when)s. C'est vous qui l'organisez : "
                "les voisins peuvent s'inscrire sur la page de l'activité.",
                title=activity.title,
                when=tw.period(activity.starts_at, activity.ends_at),
            ),
        ),
        about=("activities.detail", {"activity_id": activity.id}),
    )
    return activity


def decline_proposal(
    actor: Membership, proposal: ActivityProposal, answer: str, *, now=None
) -> ActivityProposal:
    """Answer no, and why; the proposer is told."""
    _answerable(actor, proposal)
    answer = " ".join(answer.split())[:300]
    if not answer:
        raise ActivityRefused(_l("Écrivez pourquoi : la personne le lira."), field="answer")
    proposal.status = ProposalStatus.DECLINED
    proposal.answer = answer
    proposal.decided_by_id, proposal.decided_at = actor.user_id, now or utcnow()
    db.session.flush()
    record("activity.proposal_declined", actor=actor, target=proposal, details=answer)
    messages.send(
        proposal.proposer,
        lambda tw: (
            tw.gettext("Votre idée : %(title)s", title=proposal.title),
            tw.gettext(
                "La coordination a lu votre idée « %(title)s » et ne peut pas la mettre au "
                "programme pour l'instant.",
                title=proposal.title,
            )
            + " "
            + tw.gettext("Pourquoi : %(answer)s", answer=answer),
        ),
        about=("activities.proposals", {}),
    )
    return proposal


def proposals_of(residence_id: int, *, member: Membership | None = None, limit: int = 50):
    """Ideas waiting for an answer first, then the latest answered (a person's own, when
    ``member`` is given)."""
    query = (
        sa.select(ActivityProposal)
        .options(joinedload(ActivityProposal.proposer).joinedload(Membership.user))
        .where(ActivityProposal.residence_id == residence_id)
    )
    if member is not None:
        query = query.where(ActivityProposal.membership_id == member.id)
    order = sa.case((ActivityProposal.status == ProposalStatus.PENDING, 0), else_=1)
    return list(
        db.session.scalars(
            query.order_by(
                order, ActivityProposal.created_at.desc(), ActivityProposal.id.desc()
            ).limit(limit)
        )
    )


# The garden's watering rota
#
# Garden *sessions* are activities like any other (Category.GARDEN). Watering is a rota of
# short daily turns in summer: the coordinator makes the season's slots in one action,
# residents claim them, and someone who cannot go offers theirs to the others. Each change
# is one conditional UPDATE (``... WHERE holder_id IS NULL`` and the like): when two people
# tap at the same moment, the database lets one through and the other is told plainly
# (PostgreSQL re-reads the row after the first one's lock; SQLite holds the write lock).

SEASON_DAYS = 184  # the longest season made in one go: half a year
SLOTS_PER_DAY = 2  # the morning's and the evening's
ROTA_DAYS = 14  # the garden page shows two weeks
WARN_DAYS = 3  # today, tomorrow and the day after: the coordinator is warned of empty slots


class RotaRefused(DomainError):
    """A rule of the rota says no (422)."""


class SlotPast(RotaRefused):
    default_message = _l("Ce créneau a commencé ou est passé : on ne peut plus le changer.")


class SlotAlreadyTaken(Conflict):
    default_message = _l("Un voisin vient de prendre ce créneau. Choisissez-en un autre.")


class NotYourSlot(Conflict):
    default_message = _l(
        "Ce créneau n'est plus à vous : un voisin l'a repris. Vous avez reçu un message."
    )


class NotOffered(Conflict):
    default_message = _l(
        "Ce créneau n'est plus proposé : un voisin l'a déjà repris, ou la personne y va finalement."
    )


class SlotGone(Conflict):
    default_message = _l("La coordination vient de retirer ce créneau de l'arrosage.")


class OwnSlot(RotaRefused):
    default_message = _l("C'est votre créneau : touchez « Finalement, j'y vais ».")


class InvalidSeason(RotaRefused):
    default_message = _l("Le dernier jour doit être le même que le premier ou après.")


class SeasonTooLong(RotaRefused):
    default_message = _l("Une saison dure six mois au plus : choisissez un dernier jour plus tôt.")


class InvalidHours(RotaRefused):
    default_message = _l("L'heure de fin doit être après l'heure de début.")


class NoHours(RotaRefused):
    default_message = _l("Indiquez au moins un créneau : le matin, le soir, ou les deux.")


@dataclass
class Season:
    """What the coordinator's season form made: ``created`` new slots; ``existing`` were
    already there (a form sent twice) and were left as they were, with their holders."""

    created: int
    existing: int


def create_slots(
    actor: Membership,
    first: dt.date,
    last: dt.date,
    hours: list[tuple[dt.time, dt.time]],
    *,
    note: str = "",
    now: dt.datetime | None = None,
) -> Season:
    """The season's watering slots: every day from ``first`` to ``last``, at each of
    ``hours`` (one or two a day; local times of the residence; a refusal about one of them
    names the field ``hours_<n>``, its place in the list). A slot that already exists
    (same day and start) is kept as it is: sending the form twice, or making the season
    again with a new evening time, creates nothing twice and takes no slot from anyone.
    Slots of today that have already started are not made (nobody could take them)."""
    check_role(actor, Role.COORDINATOR)
    now = now or utcnow()
    tz = actor.residence.tz
    if last < first:
        raise InvalidSeason(field="last_day")
    if first < local_today(tz, now):
        raise NotAhead(_l("Choisissez un premier jour à venir."), field="first_day")
    if (last - first).days >= SEASON_DAYS:
        raise SeasonTooLong(field="last_day")
    if not hours:
        raise NoHours(field="hours")
    if len(hours) > SLOTS_PER_DAY:
        raise NoHours(_l("Deux créneaux par jour au plus."), field="hours")
    for n, (start, end) in enumerate(hours):
        if end <= start:
            raise InvalidHours(field=f"hours_{n}")
    hours = sorted(set(hours))
    note = " ".join(note.split())[:200]
    rows = []
    day = first
    while day <= last:
        for start, end in hours:
            if to_utc(dt.datetime.combine(day, start), tz) > now:
                rows.append(
                    {
                        "residence_id": actor.residence_id,
                        "day": day,
                        "starts": start,
                        "ends": end,
                        "note": note,
                        "created_by_id": actor.user_id,
                        "created_at": now,
                    }
                )
        day += dt.timedelta(days=1)
    before = _count_slots(actor.residence_id, first, last)
    if rows:
        # Two copies of the form at once: the second inserts nothing, and fails nothing.
        dialect = db.session.get_bind().dialect.name
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        db.session.execute(
            insert(WateringSlot)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["residence_id", "day", "starts"])
        )
    created = _count_slots(actor.residence_id, first, last) - before
    season = Season(created=created, existing=len(rows) - created)
    record(
        "rota.season",
        actor=actor,
        details=f"{first.isoformat()}..{last.isoformat()}: {created} new, {season.existing} kept",
    )
    return season


def _count_slots(residence_id: int, first: dt.date, last: dt.date) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(WateringSlot.id)).where(
            WateringSlot.residence_id == residence_id,
            WateringSlot.day >= first,
            WateringSlot.day <= last,
        )
    )


def _free():
    """Nobody holds it, or someone who has left the residence since."""
    gone = sa.select(Membership.id).where(Membership.deactivated_at.is_not(None))
    return sa.or_(WateringSlot.holder_id.is_(None), WateringSlot.holder_id.in_(gone))


def _fresh(slot: WateringSlot) -> WateringSlot:
    """The slot read again from the database; ``SlotGone`` (409) if the coordination has
    removed it since the page was loaded."""
    try:
        db.session.refresh(slot)
    except sa.exc.InvalidRequestError:  # deleted: "could not refresh", "has been deleted"
        raise SlotGone() from None
    return slot


def _change(slot: WateringSlot, *conditions, **values) -> bool:
    """One conditional UPDATE of the slot: True if the row still matched ``conditions``
    (nobody changed it first), then the slot is read afresh either way."""
    changed = db.session.execute(
        sa.update(WateringSlot)
        .where(WateringSlot.id == slot.id, *conditions)
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    _fresh(slot)
    return changed == 1


def _check_slot(actor: Membership, slot: WateringSlot, now: dt.datetime | None) -> dt.datetime:
    _fresh(slot)
    check_role(actor, Role.RESIDENT, slot.residence_id)
    now = now or utcnow()
    if slot.has_started(now):
        raise SlotPast()
    return now


def claim(actor: Membership, slot: WateringSlot, *, now: dt.datetime | None = None):
    """ "Je m'en occupe": the actor takes a free slot. When two people tap at once, the
    database gives it to one; the other is told it has just been taken (409). Tapping twice
    changes nothing."""
    _check_slot(actor, slot, now)
    if _change(slot, _free(), holder_id=actor.id, offered_at=None):
        record("rota.claimed", actor=actor, target=slot)
        return slot
    if slot.holder_id == actor.id:
        return slot
    raise SlotAlreadyTaken()


def release(actor: Membership, slot: WateringSlot, *, now: dt.datetime | None = None):
    """ "Rendre ce créneau": the holder gives it back before it starts; it is free again at
    once and nobody is told (the coordinator sees it among the empty slots if it is near).
    Giving back a slot one no longer holds: said (409) if a neighbour has taken it over,
    nothing if it is already free."""
    _check_slot(actor, slot, now)
    if _change(slot, WateringSlot.holder_id == actor.id, holder_id=None, offered_at=None):
        record("rota.released", actor=actor, target=slot)
        return slot
    if slot.is_free:
        return slot
    raise NotYourSlot()


def offer(actor: Membership, slot: WateringSlot, *, now: dt.datetime | None = None):
    """ "Je ne peux pas y aller": the slot stays the holder's, but is offered to the others;
    whoever accepts it takes it over and both are told. Until then the holder is still on
    it (and the coordinator is warned when it is near)."""
    now = _check_slot(actor, slot, now)
    if _change(
        slot,
        WateringSlot.holder_id == actor.id,
        WateringSlot.offered_at.is_(None),
        offered_at=now,
    ):
        record("rota.offered", actor=actor, target=slot)
        return slot
    if slot.holder_id == actor.id and slot.is_offered:
        return slot
    raise NotYourSlot()


def withdraw_offer(actor: Membership, slot: WateringSlot, *, now: dt.datetime | None = None):
    """ "Finalement, j'y vais": the holder takes back their offer. Too late if a neighbour
    has just accepted it (409: they have had the message saying so)."""
    _check_slot(actor, slot, now)
    if _change(
        slot,
        WateringSlot.holder_id == actor.id,
        WateringSlot.offered_at.is_not(None),
        offered_at=None,
    ):
        record("rota.offer_withdrawn", actor=actor, target=slot)
        return slot
    if slot.holder_id == actor.id:
        return slot
    raise NotYourSlot()


def accept(actor: Membership, slot: WateringSlot, *, now: dt.datetime | None = None):
    """ "J'y vais à sa place": another resident takes over an offered slot; it becomes
    theirs, and both are told in "Mes messages" (and by e-mail), each in their language.
    If the slot was given back meanwhile, it is simply taken; if the offer was withdrawn or
    someone was quicker, it is said (409)."""
    _check_slot(actor, slot, now)
    if slot.is_free:
        return claim(actor, slot, now=now)
    if slot.holder_id == actor.id:
        if slot.is_offered:
            raise OwnSlot()
        return slot  # a second tap: it is already theirs
    if not slot.is_offered:
        raise NotOffered()
    previous = slot.holder
    if not _change(
        slot,
        WateringSlot.holder_id == previous.id,
        WateringSlot.offered_at.is_not(None),
        holder_id=actor.id,
        offered_at=None,
    ):
        if slot.holder_id == actor.id:
            return slot
        raise NotOffered()
    record("rota.handed_over", actor=actor, target=slot, details=f"from user {previous.user_id}")
    about = ("activities.garden", {"_anchor": f"slot-{slot.id}"})
    messages.send(previous, _replaced_words(slot, actor), about=about)
    messages.send(actor, _replacing_words(slot, previous), about=about)
    return slot


def assign(
    actor: Membership,
    slot: WateringSlot,
    person: Membership,
    *,
    now: dt.datetime | None = None,
) -> WateringSlot:
    """The coordination puts ``person`` on a slot nobody will water: a neighbour without a
    phone who said at the office "je veux bien arroser jeudi matin". A free slot becomes
    theirs; an offered one is handed over to them, and the one who offered it is told.
    ``person`` is told too, in "Mes messages" (and by e-mail when they have an address).
    A slot someone holds and goes to is refused (409): ask them first. Putting the same
    person twice changes nothing."""
    _fresh(slot)
    check_role(actor, Role.COORDINATOR, slot.residence_id)
    if not person.is_active or person.residence_id != slot.residence_id:
        raise NotAllowed()
    _check_slot(actor, slot, now)
    if slot.holder_id == person.id and not slot.is_offered:
        return slot
    previous = None if slot.is_free else slot.holder
    if previous is None:
        changed = _change(slot, _free(), holder_id=person.id, offered_at=None)
    elif slot.is_offered:
        changed = _change(
            slot,
            WateringSlot.holder_id == previous.id,
            WateringSlot.offered_at.is_not(None),
            holder_id=person.id,
            offered_at=None,
        )
    else:
        changed = False
    if not changed:
        raise SlotAlreadyTaken()
    details = f"for user {person.user_id}"
    if previous is not None and previous.id != person.id:
        details += f"; from user {previous.user_id}"
    record("rota.assigned", actor=actor, target=slot, details=details)
    about = ("activities.garden", {"_anchor": f"slot-{slot.id}"})
    if previous is not None and previous.id != person.id:
        messages.send(previous, _replaced_words(slot, person), about=about)
    messages.send(person, _assigned_words(slot), about=about)
    return slot


def _assigned_words(slot: WateringSlot):
    def compose(tw):
        subject = tw.gettext("Arrosage : la coordination vous a inscrit")
        body = tw.gettext(
            "C'est noté : vous arrosez le jardin le %(when)s. Si vous ne pouvez finalement "
            "pas y aller, dites-le à la coordination, ou proposez le créneau sur la page de "
            "l'arrosage : un voisin pourra le reprendre.",
            when=_slot_when(tw, slot),
        )
        return subject, body + _note_words(tw, slot)

    return compose


def remove_slot(
    actor: Membership,
    slot: WateringSlot,
    *,
    reason: str = "",
    now: dt.datetime | None = None,
) -> Membership | None:
    """The coordination takes a slot off the rota: rain is forecast, the garden is closed
    for works, or it was made by mistake. Whoever held it (offered or not) is told, with
    the reason when one is given; returns them (None for a free slot). A slot that has
    started is refused (422); one removed meanwhile is said so (409). The row is locked
    first, so that a neighbour taking it at the same moment is either told or refused."""
    check_role(actor, Role.COORDINATOR, _fresh(slot).residence_id)
    if (
        db.session.execute(
            sa.select(WateringSlot.id).where(WateringSlot.id == slot.id).with_for_update()
        ).first()
        is None
    ):
        raise SlotGone()
    _fresh(slot)  # as it is now that nobody else can change it
    if slot.has_started(now or utcnow()):
        raise SlotPast()
    holder = None if slot.is_free else slot.holder
    reason = " ".join(reason.split())[:200]
    details = f"{slot.day.isoformat()} {slot.starts.isoformat('minutes')}"
    if holder is not None:
        details += f"; held by user {holder.user_id}"
    record("rota.removed", actor=actor, target=slot, details=details)
    if holder is not None:
        messages.send(holder, _removed_words(slot, reason), about=("activities.garden", {}))
    db.session.execute(
        sa.delete(WateringSlot)
        .where(WateringSlot.id == slot.id)
        .execution_options(synchronize_session=False)
    )
    db.session.expunge(slot)
    return holder


def _removed_words(slot: WateringSlot, reason: str):
    def compose(tw):
        subject = tw.gettext("Arrosage : votre créneau est annulé")
        body = tw.gettext(
            "La coordination a retiré le créneau d'arrosage du %(when)s : vous n'avez pas à "
            "y aller. Merci de l'avoir pris !",
            when=_slot_when(tw, slot),
        )
        if reason:
            body += " " + tw.gettext("La raison : %(reason)s", reason=reason)
        return subject, body

    return compose


REMIND_AHEAD = dt.timedelta(hours=24)  # a turn starting within a day is reminded...
REMIND_LATE = dt.timedelta(hours=1)  # ...unless it starts within the hour: too late to help


def remind_holders(*, now: dt.datetime | None = None) -> int:
    """The day before their turn, remind each holder that they water the garden (a turn
    offered to the neighbours and not taken yet is still theirs: said so). Run by cron every
    hour; each turn's reminder goes once, even with several servers: it is claimed by a
    conditional UPDATE. A turn taken over after its reminder went is not reminded again
    (whoever took it over has just said yes). Commits (a job): a turn at a time. Returns
    how many reminders were left in "Mes messages"."""
    now = now or utcnow()
    today = now.date()
    candidates = db.session.scalars(
        sa.select(WateringSlot)
        .options(joinedload(WateringSlot.residence))
        .where(
            WateringSlot.holder_id.is_not(None),
            WateringSlot.reminded_at.is_(None),
            WateringSlot.day >= today - dt.timedelta(days=1),
            WateringSlot.day <= today + dt.timedelta(days=2),
        )
        .order_by(WateringSlot.day, WateringSlot.starts)
    ).all()
    due = [
        slot.id
        for slot in candidates
        if now + REMIND_LATE <= to_utc(slot.local_start(), slot.residence.tz) <= now + REMIND_AHEAD
    ]
    db.session.rollback()
    sent = 0
    for slot_id in due:
        write_lock(db.session)
        claimed = db.session.execute(
            sa.update(WateringSlot)
            .where(WateringSlot.id == slot_id, WateringSlot.reminded_at.is_(None))
            .values(reminded_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        slot = db.session.get(WateringSlot, slot_id, populate_existing=True)
        if claimed != 1 or slot is None or slot.is_free:
            db.session.rollback()
            continue  # another server has sent it, or nobody holds it any more
        messages.send(
            slot.holder,
            _reminder_words(slot),
            about=("activities.garden", {"_anchor": f"slot-{slot.id}"}),
        )
        db.session.commit()
        sent += 1
    return sent


def _reminder_words(slot: WateringSlot):
    offered = slot.is_offered

    def compose(tw):
        when = _slot_when(tw, slot)
        subject = tw.gettext("Rappel : vous arrosez le jardin le %(when)s", when=when)
        if offered:
            body = tw.gettext(
                "Vous avez proposé ce créneau aux voisins, mais personne ne l'a repris pour "
                "l'instant : il reste à vous. Si vous ne pouvez vraiment pas y aller, "
                "prévenez la coordination."
            )
        else:
            body = tw.gettext(
                "Merci d'arroser le jardin le %(when)s. Si vous ne pouvez pas y aller, "
                "proposez le créneau sur la page de l'arrosage : un voisin pourra le "
                "reprendre.",
                when=when,
            )
        return subject, body + _note_words(tw, slot)

    return compose


def _slot_when(tw, slot: WateringSlot) -> str:
    return tw.period(slot.local_start(), slot.local_end())


def _note_words(tw, slot: WateringSlot) -> str:
    return "\n\n" + tw.gettext("À savoir : %(note)s", note=slot.note) if slot.note else ""


def _replaced_words(slot: WateringSlot, newcomer: Membership):
    name = short_name(newcomer.user.full_name)

    def compose(tw):
        subject = tw.gettext("Arrosage : %(name)s vous remplace", name=name)
        body = tw.gettext(
            "%(name)s arrosera le jardin à votre place le %(when)s. Vous n'avez plus rien "
            "à faire pour ce créneau.",
            name=name,
            when=_slot_when(tw, slot),
        )
        return subject, body

    return compose


def _replacing_words(slot: WateringSlot, previous: Membership):
    name = short_name(previous.user.full_name)

    def compose(tw):
        subject = tw.gettext("Arrosage : vous remplacez %(name)s", name=name)
        body = tw.gettext(
            "C'est noté : vous arrosez le jardin le %(when)s, à la place de %(name)s. Si "
            "vous ne pouvez finalement pas y aller, proposez le créneau sur la page de "
            "l'arrosage : un voisin pourra le reprendre.",
            name=name,
            when=_slot_when(tw, slot),
        )
        return subject, body + _note_words(tw, slot)

    return compose


def rota(residence: Residence, first: dt.date, last: dt.date) -> list[WateringSlot]:
    """The residence's slots from ``first`` to ``last`` (local days), in order, with their
    holders (one query)."""
    return list(
        db.session.scalars(
            sa.select(WateringSlot)
            .options(joinedload(WateringSlot.holder).joinedload(Membership.user))
            .where(
                WateringSlot.residence_id == residence.id,
                WateringSlot.day >= first,
                WateringSlot.day <= last,
            )
            .order_by(WateringSlot.day, WateringSlot.starts)
        )
    )


def has_rota(residence: Residence, today: dt.date) -> bool:
    """Has the residence watering slots from ``today`` on (the programme then links to
    them)?"""
    return db.session.scalar(
        sa.select(
            sa.exists().where(WateringSlot.residence_id == residence.id, WateringSlot.day >= today)
        )
    )


def coming_slots(
    residence: Residence, *, now: dt.datetime | None = None, days: int = ROTA_DAYS
) -> list[WateringSlot]:
    """The garden page: the slots of the next ``days`` days that are not over yet."""
    now = now or utcnow()
    today = local_today(residence.tz, now)
    return [
        slot
        for slot in rota(residence, today, today + dt.timedelta(days=days - 1))
        if to_utc(slot.local_end(), residence.tz) > now
    ]


def empty_soon(
    residence: Residence,
    today: dt.date,
    days: int = WARN_DAYS,
    *,
    now: dt.datetime | None = None,
) -> list[WateringSlot]:
    """For the coordinator: the slots from ``today`` over ``days`` days (today, tomorrow
    and the day after) that nobody will water: free ones, and offered ones nobody has taken
    yet. Slots already started are left out: it is too late to find someone."""
    now = now or utcnow()
    return [
        slot
        for slot in rota(residence, today, today + dt.timedelta(days=days - 1))
        if slot.needs_someone and not slot.has_started(now)
    ]
