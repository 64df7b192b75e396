"""Common rooms, their identical units, opening hours, rules and closures."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import TimestampMixin, UTCDateTime
from app.core.i18n import lazy_gettext as _l
from app.core.permissions import Role
from app.extensions import db
from app.residences.models import Membership, Residence

WEEKDAYS = range(7)  # 0 = Monday, as datetime.weekday()
NAME_MAX = 120  # a room's name, and a unit's (one is named after its room)


class BookingMode(enum.StrEnum):
    SLOTS = "slots"  # hours within opening times (common room, laundry, workshop)
    NIGHTS = "nights"  # whole nights, check-in to check-out (guest room)

    @property
    def label(self):
        return {
            BookingMode.SLOTS: _l("Par créneaux horaires"),
            BookingMode.NIGHTS: _l("Par nuits"),
        }[self]


class Room(TimestampMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    residence_id: Mapped[int] = mapped_column(sa.ForeignKey("residence.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(NAME_MAX))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    # In English, for residents who read the app in English (optional: French otherwise).
    name_en: Mapped[str] = mapped_column(sa.String(120), default="", server_default="")
    description_en: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    capacity: Mapped[int | None]
    accessibility: Mapped[str] = mapped_column(sa.Text, default="")
    photo: Mapped[str | None] = mapped_column(sa.String(200))
    archived: Mapped[bool] = mapped_column(default=False)

    # Rules
    mode: Mapped[BookingMode] = mapped_column(
        sa.Enum(
            BookingMode,
            native_enum=False,
            length=10,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=BookingMode.SLOTS,
    )
    slot_minutes: Mapped[int] = mapped_column(default=60)
    min_minutes: Mapped[int] = mapped_column(default=60)
    max_minutes: Mapped[int] = mapped_column(default=240)
    min_nights: Mapped[int] = mapped_column(default=1)
    max_nights: Mapped[int] = mapped_column(default=3)
    checkin_time: Mapped[dt.time] = mapped_column(sa.Time, default=dt.time(15, 0))
    checkout_time: Mapped[dt.time] = mapped_column(sa.Time, default=dt.time(11, 0))
    max_days_ahead: Mapped[int] = mapped_column(default=60)
    cancel_hours: Mapped[int] = mapped_column(default=24)
    per_household_week: Mapped[int | None]
    max_active_per_household: Mapped[int | None]
    requires_approval: Mapped[bool] = mapped_column(default=False)
    buffer_minutes: Mapped[int] = mapped_column(default=0)

    residence: Mapped[Residence] = relationship()
    openings: Mapped[list[RoomOpening]] = relationship(
        back_populates="room",
        cascade="all, delete-orphan",
        order_by="(RoomOpening.weekday, RoomOpening.opens)",
    )
    units: Mapped[list[RoomUnit]] = relationship(
        back_populates="room", cascade="all, delete-orphan", order_by="RoomUnit.position"
    )

    __table_args__ = (
        sa.CheckConstraint("slot_minutes > 0", name="slot_positive"),
        sa.CheckConstraint("min_minutes > 0 AND min_minutes <= max_minutes", name="durations"),
        sa.CheckConstraint("min_nights > 0 AND min_nights <= max_nights", name="nights"),
        sa.CheckConstraint("buffer_minutes >= 0", name="buffer"),
        sa.CheckConstraint("max_days_ahead > 0", name="ahead"),
        sa.CheckConstraint("cancel_hours >= 0", name="cancel"),
    )

    @property
    def has_units(self) -> bool:
        """Several machines (a laundry): known without loading them (``unit_count``),
        unless they are loaded already, maybe just changed."""
        if "units" in self.__dict__ or self.unit_count is None:
            return len(self.units) > 1
        return self.unit_count > 1

    @property
    def by_nights(self) -> bool:
        return self.mode is BookingMode.NIGHTS

    def unit(self, unit_id: int | None) -> RoomUnit | None:
        return next((unit for unit in self.units if unit.id == unit_id), None)

    def name_for(self, locale: str | None) -> str:
        """The room's name in a language (its English name, when it has one)."""
        return self.name_en if locale == "en" and self.name_en else self.name

    def description_for(self, locale: str | None) -> str:
        return self.description_en if locale == "en" and self.description_en else self.description

    def openings_on(self, weekday: int) -> list[RoomOpening]:
        return [o for o in self.openings if o.weekday == weekday]

    def opening_at(self, moment: dt.datetime) -> RoomOpening | None:
        """The opening window (local) that ``moment`` falls in, if any."""
        return next(
            (o for o in self.openings_on(moment.weekday()) if o.opens <= moment.time() < o.closes),
            None,
        )

    # Predicates (views call them through ``ensure``, templates to show or hide controls).

    def can_manage(self, actor: Membership | None) -> bool:
        return (
            actor is not None
            and actor.residence_id == self.residence_id
            and (actor.has_role(Role.COORDINATOR))
        )

    def can_book(self, actor: Membership | None) -> bool:
        return (
            actor is not None
            and actor.is_active
            and actor.residence_id == self.residence_id
            and not self.archived
        )

    def needs_approval_for(self, actor: Membership | None) -> bool:
        """Whether ``actor``'s booking becomes a request the coordinator must accept."""
        return self.requires_approval and not (actor is not None and actor.is_coordinator)


class RoomOpening(db.Model):
    """One opening window on one weekday, in the residence's local time."""

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(sa.ForeignKey("room.id"), index=True)
    weekday: Mapped[int]
    opens: Mapped[dt.time] = mapped_column(sa.Time)
    closes: Mapped[dt.time] = mapped_column(sa.Time)

    room: Mapped[Room] = relationship(back_populates="openings")

    __table_args__ = (
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
        sa.CheckConstraint("opens < closes", name="window"),
    )


class RoomUnit(db.Model):
    """One bookable thing of a room: a room has one, a laundry has one per machine."""

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(sa.ForeignKey("room.id"), index=True)
    # As long as a room's name: a room without identical units has one named after it.
    name: Mapped[str] = mapped_column(sa.String(NAME_MAX))
    position: Mapped[int] = mapped_column(default=0)

    room: Mapped[Room] = relationship(back_populates="units")


# How many units a room has, loaded with the room (a booking's card says the machine only
# for a room of several), so that a list of bookings need not load every room's units.
Room.unit_count = sa.orm.column_property(
    sa.select(sa.func.count(RoomUnit.id))
    .where(RoomUnit.room_id == Room.id)
    .correlate_except(RoomUnit)
    .scalar_subquery(),
    deferred=False,
)


class Closure(TimestampMixin, db.Model):
    """The room cannot be booked in this period (works, a coordinator's event)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(sa.ForeignKey("room.id"), index=True)
    start_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    end_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(sa.String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    room: Mapped[Room] = relationship()

    __table_args__ = (sa.CheckConstraint("start_at < end_at", name="period"),)

    @property
    def residence_id(self) -> int:
        return self.room.residence_id

    def overlaps(self, start: dt.datetime, end: dt.datetime) -> bool:
        return self.start_at < end and start < self.end_at
