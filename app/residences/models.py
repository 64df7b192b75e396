"""Landlords, residences, homes and who belongs where with which role."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import TimestampMixin, UTCDateTime
from app.core.permissions import Role, has_role_here
from app.extensions import db

if TYPE_CHECKING:
    from app.users.models import User


class Organisation(TimestampMixin, db.Model):
    """A landlord (bailleur social)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)

    residences: Mapped[list[Residence]] = relationship(back_populates="organisation")


class Residence(TimestampMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    address: Mapped[str] = mapped_column(sa.String(300), default="")
    timezone: Mapped[str] = mapped_column(sa.String(64), default="Europe/Paris")
    default_locale: Mapped[str] = mapped_column(sa.String(8), default="fr")
    # Whether residents may see who booked a room (off by default: privacy).
    show_booker_names: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # How to reach the coordination, shown wherever the app says "prévenez la coordination"
    # and on the invitation sheets. Set by the coordinator.
    contact_phone: Mapped[str] = mapped_column(sa.String(30), default="", server_default="")
    contact_hours: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    contact_place: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    # The same in English, for English readers (the French is shown when they are empty).
    contact_hours_en: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    contact_place_en: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    # How many proxies (procurations) one resident may hold for the same vote.
    proxy_limit: Mapped[int] = mapped_column(default=2, server_default="2")
    # How long the account of someone who left is kept before its personal data is erased
    # (``flask purge``), in months. Set by the coordinator or the landlord's staff.
    retention_months: Mapped[int] = mapped_column(default=12, server_default="12")

    organisation: Mapped[Organisation] = relationship(back_populates="residences")
    homes: Mapped[list[Home]] = relationship(
        back_populates="residence", order_by="Home.label", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.UniqueConstraint("organisation_id", "name"),
        sa.CheckConstraint("proxy_limit BETWEEN 0 AND 10", name="proxy_limit"),
        sa.CheckConstraint("retention_months BETWEEN 1 AND 120", name="retention"),
    )

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def has_contact(self) -> bool:
        return bool(self.contact_phone or self.contact_hours or self.contact_place)

    def contact_hours_for(self, locale: str | None) -> str:
        return (
            self.contact_hours_en
            if locale == "en" and self.contact_hours_en
            else self.contact_hours
        )

    def contact_place_for(self, locale: str | None) -> str:
        return (
            self.contact_place_en
            if locale == "en" and self.contact_place_en
            else self.contact_place
        )

    @property
    def contact_phone_uri(self) -> str:
        """``tel:0320123456``: the number as a phone dials it (a ``+`` first, then digits)."""
        phone = self.contact_phone.strip()
        digits = "".join(ch for ch in phone if ch.isdigit())
        return f"tel:{'+' if phone.startswith('+') else ''}{digits}" if digits else ""


class Home(db.Model):
    """A flat or house of the residence: its label is what is on the door ("B12")."""

    id: Mapped[int] = mapped_column(primary_key=True)
    residence_id: Mapped[int] = mapped_column(sa.ForeignKey("residence.id"), index=True)
    label: Mapped[str] = mapped_column(sa.String(40))

    residence: Mapped[Residence] = relationship(back_populates="homes")

    __table_args__ = (sa.UniqueConstraint("residence_id", "label"),)


class Membership(TimestampMixin, db.Model):
    """A user in a residence, with one role there (roles are cumulative, see ``Role``)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    residence_id: Mapped[int] = mapped_column(sa.ForeignKey("residence.id"), index=True)
    role: Mapped[Role] = mapped_column(
        sa.Enum(Role, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])
    )
    home_id: Mapped[int | None] = mapped_column(sa.ForeignKey("home.id"), index=True)
    # A deactivated membership keeps the person's past data but gives no access.
    deactivated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Messages not read yet (kept here so that every page can show it without a query).
    unread_messages: Mapped[int] = mapped_column(default=0, server_default="0")
    # Why the person left, as a category only (``LeftReason``): never a free text.
    left_reason: Mapped[str | None] = mapped_column(sa.String(20))
    # When this membership's personal traces were erased (``app.privacy``); also the claim
    # that keeps two purging servers from erasing the same person twice.
    erased_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(back_populates="memberships")
    residence: Mapped[Residence] = relationship()
    home: Mapped[Home | None] = relationship()

    __table_args__ = (sa.UniqueConstraint("user_id", "residence_id"),)

    @property
    def is_active(self) -> bool:
        return self.deactivated_at is None

    def has_role(self, minimum: Role) -> bool:
        """Active here and at least ``minimum`` (roles are cumulative)."""
        return has_role_here(self, minimum)

    @property
    def is_coordinator(self) -> bool:
        return has_role_here(self, Role.COORDINATOR)

    @property
    def household_key(self) -> tuple[str, int]:
        """Who shares the household limits: the home, or the person alone without one."""
        return ("home", self.home_id) if self.home_id is not None else ("user", self.user_id)
