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


class MailState:
    PENDING = "pending"  # to send
    SENDING = "sending"  # claimed by a sender
    SENT = "sent"
    FAILED = "failed"  # given up after MAX_ATTEMPTS (the message is still in the app)


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
    # By e-mail too (``MailState``): None when the person has no address or the deployment no
    # SMTP server. A sender claims a message ("sending") before it sends it, so that two
    # servers never send the same one.
    mail_state: Mapped[str | None] = mapped_column(sa.String(10))
    mail_claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    mailed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    mail_attempts: Mapped[int] = mapped_column(default=0, server_default="0")

    recipient: Mapped[Membership] = relationship()

    __table_args__ = (
        sa.Index("ix_message_inbox", "membership_id", "created_at"),
        sa.Index("ix_message_mail_state", "mail_state"),
    )

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
