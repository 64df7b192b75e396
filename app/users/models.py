"""People who use Maison commune. Accounts may have no e-mail address."""

from __future__ import annotations

import datetime as dt
import secrets

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import TimestampMixin, UTCDateTime
from app.core.i18n import lazy_gettext as _l
from app.extensions import db
from app.residences.models import Membership

TEXT_SIZES = (0, 1, 2)

# How a person whose data was erased is shown wherever their past rows are (bookings of the
# past, roll calls, public ballots, ideas): the same words for everyone, in the reader's
# language. Stored in French in the column, so that SQL lists and sorting stay sensible.
FORMER_RESIDENT = _l("Ancien·ne résident·e")
FORMER_RESIDENT_STORED = "Ancien·ne résident·e"


def new_calendar_token() -> str:
    return secrets.token_urlsafe(24)


class User(UserMixin, TimestampMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    _full_name: Mapped[str] = mapped_column("full_name", sa.String(120))
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
    # Set when the person's personal data was erased (left, moved out, died, retention):
    # the row stays so that the residence's past counts stay right; nothing in it is theirs.
    erased_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", order_by=Membership.id
    )

    __table_args__ = (sa.CheckConstraint("text_size BETWEEN 0 AND 2", name="text_size"),)

    @hybrid_property
    def full_name(self):
        """The person's name; "Ancien·ne résident·e" (in the reader's language) once erased."""
        if self.erased_at is not None:
            return FORMER_RESIDENT
        return self._full_name

    @full_name.inplace.setter
    def _full_name_setter(self, value: str) -> None:
        self._full_name = value

    @full_name.inplace.expression
    @classmethod
    def _full_name_expression(cls):
        return cls._full_name

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None

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
        return self.has_account and self.erased_at is None and bool(self.active_memberships)

    def membership_in(self, residence_id: int) -> Membership | None:
        for membership in self.active_memberships:
            if membership.residence_id == residence_id:
                return membership
        return None
