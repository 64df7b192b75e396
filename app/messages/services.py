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
from flask import current_app

from app.core.db import utcnow
from app.core.timewords import TimeWords, words
from app.extensions import db
from app.messages.models import MailState, Message
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
    if recipient.user.email and current_app.config.get("MAIL_SERVER"):
        message.mail_state = MailState.PENDING
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


# ---------------------------------------------------------------------------------------
# By e-mail. `flask deliver-mail` (cron, every minute) sends what is waiting; any number of
# servers may run it at once: each message is claimed by one UPDATE (PostgreSQL's row lock,
# SQLite's write lock) and committed before it is sent, so it is sent once. A claim older
# than CLAIM_EXPIRES (a sender that died mid-way) is taken again.

CLAIM_EXPIRES = dt.timedelta(minutes=15)
MAX_ATTEMPTS = 5


def _claimable(now: dt.datetime):
    return sa.or_(
        Message.mail_state == MailState.PENDING,
        sa.and_(
            Message.mail_state == MailState.SENDING,
            Message.mail_claimed_at < now - CLAIM_EXPIRES,
        ),
    )


def deliver_mail(*, limit: int = 200, now: dt.datetime | None = None) -> tuple[int, int]:
    """Send the messages waiting to go by e-mail; returns (sent, failed this time). Commits
    (it is a job, not a request): the claim before sending, the result after."""
    from smtplib import SMTPException

    from flask_mail import Message as Mail

    from app.extensions import mail

    now = now or utcnow()
    ids = db.session.scalars(
        sa.select(Message.id).where(_claimable(now)).order_by(Message.id).limit(limit)
    ).all()
    db.session.rollback()
    sent = failed = 0
    for message_id in ids:
        claimed = db.session.execute(
            sa.update(Message)
            .where(Message.id == message_id, _claimable(now))
            .values(
                mail_state=MailState.SENDING,
                mail_claimed_at=now,
                mail_attempts=Message.mail_attempts + 1,
            )
        ).rowcount
        db.session.commit()
        if not claimed:
            continue  # another server has it
        message = db.session.get(Message, message_id)
        recipient = message.recipient
        address = recipient.user.email
        if not address:  # the address was removed since: the message stays in the app
            message.mail_state = None
            db.session.commit()
            continue
        try:
            mail.send(
                Mail(
                    subject=message.subject,
                    recipients=[address],
                    body=_mail_body(message, recipient),
                )
            )
        except (SMTPException, OSError):
            # Tried again at the next run, up to MAX_ATTEMPTS.
            gave_up = message.mail_attempts >= MAX_ATTEMPTS
            message.mail_state = MailState.FAILED if gave_up else MailState.PENDING
            failed += 1
        else:
            message.mail_state, message.mailed_at = MailState.SENT, now
            sent += 1
        db.session.commit()
    return sent, failed


def _mail_body(message: Message, recipient: Membership) -> str:
    """The message, then where to read it in the app, in the person's language."""
    tw = words(language_of(recipient), recipient.residence.timezone)
    lines = [message.body, ""]
    base = current_app.config.get("PUBLIC_URL")
    target = message.target
    if base and target:
        try:
            path = current_app.url_map.bind("").build(target[0], target[1])
        except Exception:  # noqa: BLE001 - a page that no longer exists: no link
            path = None
        if path:
            url = base.rstrip("/") + path
            lines.append(tw.gettext("Voir dans Maison commune : %(url)s", url=url))
    lines.append(
        tw.gettext(
            "Ce message vient de Maison commune, l'application de %(residence)s. Il est aussi "
            "dans « Mes messages ». Ne répondez pas à ce courriel : pour une question, "
            "voyez la coordination.",
            residence=recipient.residence.name,
        )
    )
    return "\n".join(lines)
