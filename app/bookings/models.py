"""Bookings of room units, why each room is held (its origin), and the coordinator's
weekly series.

Two confirmed bookings of one unit never overlap (cleaning buffer included). On PostgreSQL an
exclusion constraint guarantees it (see the migration: ``booking_no_overlap``, btree_gist);
on SQLite the booking transaction takes the database write lock before it checks.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import TimestampMixin, UTCDateTime, utcnow
from app.core.i18n import lazy_gettext as _l
from app.core.permissions import Role
from app.extensions import db
from app.residences.models import Home, Membership
from app.rooms.models import Room, RoomUnit
from app.users.models import User


class BookingStatus(enum.StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    DECLINED = "declined"

    @property
    def label(self):
        return STATUS_LABELS[self]


STATUS_LABELS = {
    BookingStatus.PENDING: _l("En attente de validation"),
    BookingStatus.CONFIRMED: _l("Confirmée"),
    BookingStatus.CANCELLED: _l("Annulée"),
    BookingStatus.DECLINED: _l("Refusée"),
}
ACTIVE_STATUSES = (BookingStatus.PENDING, BookingStatus.CONFIRMED)
# No booking lasts longer (checked by the services): so a booking that touches a period
# started at most this long before it, and an index on (room, start) finds it.
LONGEST_BOOKING = dt.timedelta(days=62)
LONGEST_BLOCK = LONGEST_BOOKING + dt.timedelta(days=1)  # with the cleaning time
OVERLAP_DECLINED = _l("Une autre demande a été acceptée pour ces dates. Choisissez d'autres dates.")


class OriginKind(enum.StrEnum):
    """Why a room is held: a person booked it, a weekly series, an activity session."""

    PERSON = "person"
    SERIES = "series"
    ACTIVITY = "activity"


@dataclass(frozen=True)
class Origin:
    """What holds the room. A person's own booking has no id; a series or an activity session
    gives its own (``series.origin``)."""

    kind: OriginKind
    id: int | None = None


PERSON = Origin(OriginKind.PERSON)


class BookingSeries(TimestampMixin, db.Model):
    """A weekly slot booked by the coordinator (the knitting club, Tuesdays 14–16 h)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    residence_id: Mapped[int] = mapped_column(sa.ForeignKey("residence.id"), index=True)
    room_id: Mapped[int] = mapped_column(sa.ForeignKey("room.id"), index=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("room_unit.id"))
    weekday: Mapped[int]
    # Every ``every`` weeks (1: every week).
    every: Mapped[int] = mapped_column(default=1, server_default="1")
    start_time: Mapped[dt.time] = mapped_column(sa.Time)
    end_time: Mapped[dt.time] = mapped_column(sa.Time)
    first_date: Mapped[dt.date]
    until: Mapped[dt.date]
    purpose: Mapped[str] = mapped_column(sa.String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    room: Mapped[Room] = relationship()
    unit: Mapped[RoomUnit] = relationship()
    skips: Mapped[list[SeriesSkip]] = relationship(
        back_populates="series", order_by="SeriesSkip.date", cascade="all, delete-orphan"
    )

    __table_args__ = (sa.CheckConstraint("every BETWEEN 1 AND 52", name="every"),)

    @property
    def origin(self) -> Origin:
        return Origin(OriginKind.SERIES, self.id)


class SeriesSkip(db.Model):
    """A date of a series that could not be booked (taken, closed); it can be re-added."""

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(sa.ForeignKey("booking_series.id"), index=True)
    date: Mapped[dt.date]
    reason: Mapped[str] = mapped_column(sa.String(200), default="")

    series: Mapped[BookingSeries] = relationship(back_populates="skips")

    __table_args__ = (sa.UniqueConstraint("series_id", "date"),)

    @property
    def residence_id(self) -> int:
        return self.series.residence_id


class Booking(TimestampMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    residence_id: Mapped[int] = mapped_column(sa.ForeignKey("residence.id"), index=True)
    room_id: Mapped[int] = mapped_column(sa.ForeignKey("room.id"), index=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("room_unit.id"), index=True)
    # Whose booking it is, and their household (None for the coordinator's own events).
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    home_id: Mapped[int | None] = mapped_column(sa.ForeignKey("home.id"), index=True)
    # Who made it: the person, or the coordinator on their behalf.
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    # Why the room is held: a person (no id), a series, an activity session (their id).
    origin_kind: Mapped[OriginKind] = mapped_column(
        sa.Enum(
            OriginKind,
            native_enum=False,
            length=12,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=OriginKind.PERSON,
        server_default=OriginKind.PERSON.value,
    )
    origin_id: Mapped[int | None]
    start_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    end_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    # end_at + the room's cleaning buffer: what the no-overlap guarantee protects.
    block_end_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    purpose: Mapped[str] = mapped_column(sa.String(200), default="")
    status: Mapped[BookingStatus] = mapped_column(
        sa.Enum(
            BookingStatus,
            native_enum=False,
            length=12,
            values_callable=lambda e: [m.value for m in e],
        ),
        index=True,
    )
    decision_reason: Mapped[str] = mapped_column(sa.String(300), default="")
    # Cancelled because the room was closed over it (``decision_reason``: the closure's).
    ended_by_closure: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    room: Mapped[Room] = relationship()
    unit: Mapped[RoomUnit] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    home: Mapped[Home | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint("start_at < end_at", name="period"),
        sa.CheckConstraint("end_at <= block_end_at", name="block"),
        sa.Index("ix_booking_unit_period", "unit_id", "start_at", "block_end_at"),
        sa.Index("ix_booking_room_start", "room_id", "start_at"),
        sa.Index("ix_booking_origin", "origin_kind", "origin_id"),
    )

    @property
    def origin(self) -> Origin:
        return Origin(self.origin_kind, self.origin_id)

    @origin.setter
    def origin(self, origin: Origin) -> None:
        self.origin_kind, self.origin_id = origin.kind, origin.id

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @classmethod
    def touching(cls, period) -> list:
        """Conditions for bookings whose held time (cleaning included) overlaps ``period``,
        bounded below so that the (room, start) index is used."""
        return [
            cls.start_at > period.start - LONGEST_BLOCK,
            cls.start_at < period.end,
            cls.block_end_at > period.start,
        ]

    @property
    def reason_text(self):
        """Why it was declined or cancelled, as the person should read it."""
        if self.ended_by_closure:
            if self.decision_reason:
                reason = self.decision_reason
                if len(reason) > 1 and reason[0].isupper() and reason[1].islower():
                    reason = reason[0].lower() + reason[1:]  # "pour travaux", not "pour Travaux"
                return _l("salle fermée pour %(reason)s", reason=reason)
            return _l("salle fermée pendant cette période")
        if self.decision_reason:
            return self.decision_reason
        if self.status is BookingStatus.DECLINED:
            # Declined automatically when an overlapping request was accepted.
            return OVERLAP_DECLINED
        return ""

    @property
    def on_behalf(self) -> bool:
        return self.created_by_id != self.user_id

    @property
    def by_nights(self) -> bool:
        return self.room.by_nights

    @property
    def cancel_deadline(self) -> dt.datetime:
        """Until when the person may cancel or move it online (UTC)."""
        return self.start_at - dt.timedelta(hours=self.room.cancel_hours)

    # Predicates: views call them through ``ensure``, templates to show controls, services
    # to re-check.

    def can_view(self, actor: Membership | None) -> bool:
        """The person's own booking, or any booking of the residence for its coordinator."""
        return (
            actor is not None
            and actor.is_active
            and actor.residence_id == self.residence_id
            and (self.user_id == actor.user_id or actor.has_role(Role.COORDINATOR))
        )

    def can_change(self, actor: Membership | None, now: dt.datetime | None = None) -> bool:
        """May ``actor`` cancel or move it now? Their own bookings until the deadline; the
        coordinator at any time before it ends."""
        now = now or utcnow()
        if not self.can_view(actor) or not self.is_active or self.end_at <= now:
            return False
        if actor.has_role(Role.COORDINATOR):
            return True
        return now <= self.cancel_deadline

    def too_late_for(self, actor: Membership | None, now: dt.datetime | None = None) -> bool:
        """The person's own active booking whose online deadline has passed."""
        now = now or utcnow()
        return (
            self.can_view(actor)
            and self.user_id == actor.user_id
            and self.is_active
            and self.end_at > now
            and not self.can_change(actor, now)
        )
