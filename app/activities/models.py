"""Activities of a residence (gentle gym, cooking workshop, outing, garden session, meeting)
and the people who join them; and the garden's watering rota (``WateringSlot``).

A person has at most one registration per activity: joining again after leaving reuses it
and puts them at the end of the line. The line is ``queue_number``, given under the
activity's lock (PostgreSQL row lock; SQLite's write lock): first come, first served, in the
order the database settled it. Participants and helpers (the students of a cooking workshop)
have their own places and their own waiting lists.
"""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import TimestampMixin, UTCDateTime
from app.core.i18n import lazy_gettext as _l
from app.core.timeutils import to_utc
from app.extensions import db
from app.residences.models import Membership, Residence
from app.rooms.models import Room
from app.users.models import User


def _enum(kind, length: int = 12):
    return sa.Enum(
        kind, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e]
    )


class Category(enum.StrEnum):
    ANIMATION = "animation"
    GARDEN = "garden"
    OUTING = "outing"
    WORKSHOP = "workshop"
    MEETING = "meeting"

    @property
    def label(self):
        return CATEGORY_LABELS[self]


CATEGORY_LABELS = {
    Category.ANIMATION: _l("Animation"),
    Category.GARDEN: _l("Jardin partagé"),
    Category.OUTING: _l("Sortie"),
    Category.WORKSHOP: _l("Atelier"),
    Category.MEETING: _l("Réunion"),
}


class PlaceKind(enum.StrEnum):
    ROOM = "room"
    GARDEN = "garden"
    OUTSIDE = "outside"


class OrganiserKind(enum.StrEnum):
    COORDINATION = "coordination"
    RESIDENT = "resident"
    PARTNER = "partner"


class ActivityStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class Effort(enum.IntEnum):
    GENTLE = 0
    MODERATE = 1
    SUSTAINED = 2

    @property
    def label(self):
        return EFFORT_LABELS[self]


EFFORT_LABELS = {
    Effort.GENTLE: _l("Effort doux"),
    Effort.MODERATE: _l("Effort moyen"),
    Effort.SUSTAINED: _l("Effort soutenu"),
}


class ActivitySeries(TimestampMixin, db.Model):
    """Sessions of one activity every week or every N weeks (gentle gym, Tuesdays 10–11 h).
    Each session is an ``Activity`` of its own, with its own places and registrations, so
    that one of them can be postponed or cancelled; the series keeps the rhythm to say it
    ("chaque mardi jusqu'au 30 juin") and to change the sessions from a date on."""

    id: Mapped[int] = mapped_column(primary_key=True)
    residence_id: Mapped[int] = mapped_column(sa.ForeignKey("residence.id"), index=True)
    weekday: Mapped[int]
    every: Mapped[int] = mapped_column(default=1)
    until: Mapped[dt.date]
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))

    __table_args__ = (
        sa.CheckConstraint("every BETWEEN 1 AND 4", name="every"),
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
    )


class Activity(TimestampMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    residence_id: Mapped[int] = mapped_column(sa.ForeignKey("residence.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(120))
    category: Mapped[Category] = mapped_column(_enum(Category))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    # Where: a room of the residence, the garden, or outside at ``address``.
    place_kind: Mapped[PlaceKind] = mapped_column(_enum(PlaceKind))
    room_id: Mapped[int | None] = mapped_column(sa.ForeignKey("room.id"), index=True)
    address: Mapped[str] = mapped_column(sa.String(200), default="")
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    capacity: Mapped[int]
    helper_places: Mapped[int] = mapped_column(default=0, server_default="0")
    # Who runs it: the coordination, a resident (``organiser_id``), or a named partner.
    organiser_kind: Mapped[OrganiserKind] = mapped_column(_enum(OrganiserKind, 14))
    organiser_id: Mapped[int | None] = mapped_column(sa.ForeignKey("membership.id"))
    partner_name: Mapped[str] = mapped_column(sa.String(120), default="")
    # Accessibility, said on the programme so that nobody has to ask.
    step_free: Mapped[bool] = mapped_column(default=False)
    seated: Mapped[bool] = mapped_column(default=False)
    hearing_loop: Mapped[bool] = mapped_column(default=False)
    effort: Mapped[int] = mapped_column(sa.SmallInteger, default=Effort.GENTLE)
    status: Mapped[ActivityStatus] = mapped_column(
        _enum(ActivityStatus), default=ActivityStatus.SCHEDULED
    )
    cancel_reason: Mapped[str] = mapped_column(sa.String(300), default="")
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    # A session of a series (None: a one-off activity).
    series_id: Mapped[int | None] = mapped_column(sa.ForeignKey("activity_series.id"), index=True)
    # Postponed: when it was first planned, and why it moved ("pluie").
    planned_start: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    moved_reason: Mapped[str] = mapped_column(sa.String(300), default="", server_default="")
    # The iCalendar SEQUENCE: one more at each change that a calendar must take in (the time,
    # the place, the title, a cancellation), so that phones replace their copy of the event.
    sequence: Mapped[int] = mapped_column(default=0, server_default="0")

    room: Mapped[Room | None] = relationship()
    organiser: Mapped[Membership | None] = relationship()
    series: Mapped[ActivitySeries | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint("starts_at < ends_at", name="period"),
        sa.CheckConstraint("capacity >= 1", name="capacity"),
        sa.CheckConstraint("helper_places >= 0", name="helper_places"),
        sa.Index("ix_activity_residence_start", "residence_id", "starts_at"),
    )

    @property
    def effort_level(self) -> Effort:
        return Effort(self.effort)

    @property
    def is_postponed(self) -> bool:
        return self.planned_start is not None and self.planned_start != self.starts_at

    @property
    def is_cancelled(self) -> bool:
        return self.status == ActivityStatus.CANCELLED

    def changed_for_calendars(self) -> None:
        """A calendar's copy of this activity is out of date (``sequence``)."""
        self.sequence = (self.sequence or 0) + 1

    def has_started(self, now: dt.datetime) -> bool:
        return self.starts_at <= now

    def places_for(self, role: RegistrationRole) -> int:
        return self.capacity if role == RegistrationRole.PARTICIPANT else self.helper_places


class RegistrationRole(enum.StrEnum):
    PARTICIPANT = "participant"
    HELPER = "helper"


class RegistrationStatus(enum.StrEnum):
    CONFIRMED = "confirmed"
    WAITING = "waiting"
    LEFT = "left"


class Registration(TimestampMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(sa.ForeignKey("activity.id"))
    membership_id: Mapped[int] = mapped_column(sa.ForeignKey("membership.id"), index=True)
    role: Mapped[RegistrationRole] = mapped_column(_enum(RegistrationRole))
    status: Mapped[RegistrationStatus] = mapped_column(_enum(RegistrationStatus))
    # The line: given under the activity's lock, a new one at each join.
    queue_number: Mapped[int]
    # Who registered them: themselves, or the coordinator on their behalf (or from paper).
    registered_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    joined_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    left_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # The roll call, once the session has started: True came, False did not, None not
    # marked yet. Someone who came without a place (waiting list, or not registered at
    # all: the coordinator adds them) is counted too.
    attended: Mapped[bool | None] = mapped_column()

    activity: Mapped[Activity] = relationship()
    membership: Mapped[Membership] = relationship()
    registered_by: Mapped[User] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("activity_id", "membership_id"),
        sa.UniqueConstraint("activity_id", "queue_number"),
    )

    @property
    def is_active(self) -> bool:
        return self.status != RegistrationStatus.LEFT

    @property
    def on_behalf(self) -> bool:
        return self.registered_by_id != self.membership.user_id


class ProposalStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"


class ActivityProposal(TimestampMixin, db.Model):
    """A resident's idea of an activity ("un atelier tricot le samedi après-midi"). The
    coordinator puts it on the programme (the proposer organises it) or answers why not."""

    id: Mapped[int] = mapped_column(primary_key=True)
    residence_id: Mapped[int] = mapped_column(sa.ForeignKey("residence.id"), index=True)
    membership_id: Mapped[int] = mapped_column(sa.ForeignKey("membership.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(120))
    idea: Mapped[str] = mapped_column(sa.Text, default="")
    # When, in the resident's words ("le samedi après-midi, toutes les deux semaines").
    when: Mapped[str] = mapped_column(sa.String(200), default="")
    status: Mapped[ProposalStatus] = mapped_column(
        _enum(ProposalStatus), default=ProposalStatus.PENDING
    )
    answer: Mapped[str] = mapped_column(sa.String(300), default="")
    activity_id: Mapped[int | None] = mapped_column(sa.ForeignKey("activity.id"))
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    proposer: Mapped[Membership] = relationship()
    activity: Mapped[Activity | None] = relationship()

    @property
    def is_pending(self) -> bool:
        return self.status == ProposalStatus.PENDING


# ---------------------------------------------------------------------------------------
# The garden's watering rota


def short_name(full_name: str) -> str:
    """How the rota names a neighbour: the first name and the initial of the last one
    ("Marie Dupont" → "Marie D."), as on a sheet pinned in the hall: enough to know who,
    without the whole name on every line."""
    words = full_name.split()
    if len(words) < 2:
        return full_name.strip()
    return f"{words[0]} {words[-1][0]}."


class WateringSlot(TimestampMixin, db.Model):
    """A short watering turn in the shared garden (8 h – 8 h 30, 19 h – 19 h 30), claimed by
    one resident.

    The day and the hours are the residence's wall-clock ones, as written on the rota (not
    UTC): "19 h" stays 19 h across the summer-time change. One slot per residence, day and
    start time, so a season form sent twice creates nothing twice.

    ``holder`` is who waters (None: nobody yet). A holder who cannot go *offers* it
    (``offered_at``): it stays theirs until another resident accepts it, so the garden is
    never left without someone who knows they are on it.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    residence_id: Mapped[int] = mapped_column(sa.ForeignKey("residence.id"))
    day: Mapped[dt.date]
    starts: Mapped[dt.time]
    ends: Mapped[dt.time]
    note: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    holder_id: Mapped[int | None] = mapped_column(sa.ForeignKey("membership.id"), index=True)
    offered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    # When the holder was reminded, the day before (set once, by the server that sends it).
    reminded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    holder: Mapped[Membership | None] = relationship()
    residence: Mapped[Residence] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("residence_id", "day", "starts"),
        sa.CheckConstraint("starts < ends", name="hours"),
        sa.CheckConstraint("offered_at IS NULL OR holder_id IS NOT NULL", name="offered_held"),
    )

    @property
    def is_free(self) -> bool:
        """Nobody waters: never claimed, given back, or held by someone who has left the
        residence since (their membership deactivated): anyone may take it."""
        return self.holder_id is None or not self.holder.is_active

    @property
    def is_offered(self) -> bool:
        """The holder cannot go and has asked a neighbour to take it."""
        return self.offered_at is not None and not self.is_free

    @property
    def needs_someone(self) -> bool:
        """Free, or offered and not taken yet: what the coordinator is warned about."""
        return self.is_free or self.is_offered

    @property
    def holder_name(self) -> str:
        return short_name(self.holder.user.full_name) if self.holder is not None else ""

    def state_for(self, member: Membership) -> str:
        """The rota line as ``member`` sees it: ``free``, ``mine``, ``mine_offered``,
        ``offered`` (by a neighbour, who is waiting for someone) or ``held``."""
        if self.is_free:
            return "free"
        if self.holder_id == member.id:
            return "mine_offered" if self.is_offered else "mine"
        return "offered" if self.is_offered else "held"

    def local_start(self) -> dt.datetime:
        return dt.datetime.combine(self.day, self.starts)

    def local_end(self) -> dt.datetime:
        return dt.datetime.combine(self.day, self.ends)

    def has_started(self, now: dt.datetime) -> bool:
        """From its start time on, a slot is settled: nobody claims, gives back or hands
        over a turn that is under way or over."""
        return to_utc(self.local_start(), self.residence.tz) <= now
