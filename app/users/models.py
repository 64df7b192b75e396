"""People who use Maison commune. Accounts may have no e-mail address."""

from __future__ import annotations

import datetime as dt
import secrets

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import TimestampMixin, UTCDateTime
from app.extensions import db
from app.residences.models import Membership

TEXT_SIZES = (0, 1, 2)


def new_calendar_token() -> str:
    return secrets.token_urlsafe(24)


class User(UserMixin, TimestampMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(sa.String(120))
    # Chosen by the person when they redeem their invitation; stored lower-case.
    username: Mapped[str | None] = mapped_column(sa.String(40), unique=True)
    email: Mapped[str | None] = mapped_column(sa.String(254), unique=True)
    phone: Mapped[str | None] = mapped_column(sa.String(30))
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    locale: Mapped[str | None] = mapped_column(sa.String(8))
    text_size: Mapped[int] = mapped_column(default=0)
    high_contrast: Mapped[bool] = mapped_column(default=False)
    # Bumped by logout, password change and "log out everywhere": old cookies stop working.
    session_version: Mapped[int] = mapped_column(default=1)
    calendar_token: Mapped[str] = mapped_column(
        sa.String(64), unique=True, default=new_calendar_token
    )
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", order_by=Membership.id
    )

    __table_args__ = (sa.CheckConstraint("text_size BETWEEN 0 AND 2", name="text_size"),)

    # Flask-Login: the session carries the id *and* the session version.
    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def has_account(self) -> bool:
        """True once the person has chosen a username and a password."""
        return self.password_hash is not None

    @property
    def active_memberships(self) -> list[Membership]:
        return [m for m in self.memberships if m.is_active]

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users.
        return self.has_account and bool(self.active_memberships)

    def membership_in(self, residence_id: int) -> Membership | None:
        for membership in self.active_memberships:
            if membership.residence_id == residence_id:
                return membership
        return None
