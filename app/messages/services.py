"""Sending and reading messages. Any domain tells a person something with ``send``.

A message is written in the recipient's language at the moment it is sent (``compose`` gives
the words of that language), so that it reads the same later; the unread count kept on the
membership lets every page show it without a query.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

import sqlalchemy as sa

from app.core.db import utcnow
from app.core.timewords import TimeWords, words
from app.extensions import db
from app.messages.models import Message
from app.residences.models import Membership

PAGE_SIZE = 30


def language_of(member: Membership) -> str:
    return member.user.locale or member.residence.default_locale or "fr"


def send(
    recipient: Membership,
    compose: Callable[[TimeWords], tuple[str, str]],
    *,
    about: tuple[str, dict] | None = None,
) -> Message:
    """Leave a message to ``recipient``. ``compose(tw)`` returns (subject, body) in the
    recipient's language: ``tw`` has their language's words and gettext. ``about`` is the
    page the message is about, as (endpoint, values): ``("bookings.detail", {"booking_id": 3})``."""
    tw = words(language_of(recipient), recipient.residence.timezone)
    subject, body = compose(tw)
    message = Message(
        residence_id=recipient.residence_id,
        membership_id=recipient.id,
        subject=subject[:200],
        body=body,
        link=json.dumps(list(about)) if about else "",
    )
    db.session.add(message)
    db.session.execute(
        sa.update(Membership)
        .where(Membership.id == recipient.id)
        .values(unread_messages=Membership.unread_messages + 1)
    )
    db.session.flush()
    db.session.expire(recipient, ["unread_messages"])
    return message


def inbox(member: Membership, *, limit: int = PAGE_SIZE) -> list[Message]:
    """The person's latest messages, newest first."""
    return list(
        db.session.scalars(
            sa.select(Message)
            .where(Message.membership_id == member.id)
            .order_by(Message.created_at.desc(), Message.id.desc())
            .limit(limit)
        )
    )


def mark_read(member: Membership, messages: list[Message], now: dt.datetime | None = None):
    """The person has seen these messages: they are read, and the count goes down."""
    now = now or utcnow()
    unread = [m.id for m in messages if m.read_at is None and m.membership_id == member.id]
    if unread:
        db.session.execute(sa.update(Message).where(Message.id.in_(unread)).values(read_at=now))
    remaining = db.session.scalar(
        sa.select(sa.func.count(Message.id)).where(
            Message.membership_id == member.id, Message.read_at.is_(None)
        )
    )
    db.session.execute(
        sa.update(Membership).where(Membership.id == member.id).values(unread_messages=remaining)
    )
    db.session.expire(member, ["unread_messages"])
    return unread
