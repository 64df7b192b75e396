"""Messages to a person of a residence: what changed for them ("your booking is cancelled:
the room is closed for painting"). Written in the person's language when sent."""

from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import UTCDateTime, utcnow
from app.extensions import db
from app.residences.models import Membership


class Message(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    residence_id: Mapped[int] = mapped_column(sa.ForeignKey("residence.id"), index=True)
    # To whom: a person in one residence.
    membership_id: Mapped[int] = mapped_column(sa.ForeignKey("membership.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    # The page of the app the message is about, if any: an endpoint and its values, as JSON
    # (``["bookings.detail", {"booking_id": 12}]``), turned into a URL when shown.
    link: Mapped[str] = mapped_column(sa.String(300), default="")
    read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    recipient: Mapped[Membership] = relationship()

    __table_args__ = (sa.Index("ix_message_inbox", "membership_id", "created_at"),)

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def target(self) -> tuple[str, dict] | None:
        """(endpoint, values) of the page the message is about, or None."""
        if not self.link:
            return None
        try:
            endpoint, values = json.loads(self.link)
        except ValueError:
            return None
        return endpoint, values

    def can_read(self, actor: Membership | None) -> bool:
        return actor is not None and actor.id == self.membership_id
