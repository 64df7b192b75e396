"""Messages by e-mail through a real SMTP server (aiosmtpd, on a free local port): sent in
the person's language with a link to the page, only to people with an address and when the
deployment has SMTP, once even when two servers send at the same moment, tried again when
the server does not answer."""

from __future__ import annotations

import datetime as dt
import socket
import threading

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from app.activities import services as activities
from app.core.db import utcnow
from app.core.permissions import Role
from app.extensions import db
from app.messages import services as messages
from app.messages.models import MailState, Message
from app.residences.models import Membership
from tests.conftest import at_once, in_app

pytestmark = pytest.mark.committed


class Inbox:
    """What the SMTP server received."""

    def __init__(self):
        self.mails = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.mails.append(envelope)
        return "250 OK"

    def texts(self) -> list[str]:
        return [e.content.decode("utf-8", "replace") for e in self.mails]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()


@pytest.fixture
def mail_app(other_app, smtp):
    """An app server whose deployment has an SMTP server and a public address."""

    def _make():
        return other_app(
            MAIL_SERVER="127.0.0.1",
            MAIL_PORT=smtp[1],
            MAIL_SUPPRESS_SEND=False,  # Flask-Mail sends nothing under TESTING otherwise
            PUBLIC_URL="https://maison.example",
        )

    return _make


def test_a_cancellation_goes_by_email_once_in_the_persons_language(
    session, create_residence, create_user, create_activity, mail_app, smtp
):
    inbox, _port = smtp
    residence = create_residence("Armentières")
    coordinator = create_user("coord", residence=residence, role=Role.COORDINATOR)
    create_user("anna", residence=residence, email="anna@example.org", locale="en")
    create_user("paul", residence=residence)  # no e-mail address
    activity = create_activity(residence, by=coordinator, title="Gym douce")
    activity_id, residence_id, Activity = activity.id, residence.id, type(activity)
    session.commit()
    app = mail_app()

    def cancel():
        people = {
            m.user.username: m
            for m in db.session.scalars(
                sa.select(Membership).where(Membership.residence_id == residence_id)
            )
        }
        gym = db.session.get(Activity, activity_id)
        for name in ("anna", "paul"):
            activities.register(people[name], gym)
        activities.cancel_activity(people["coord"], gym, "animatrice malade")
        db.session.commit()
        return {
            m.recipient.user.username: m.mail_state for m in db.session.scalars(sa.select(Message))
        }

    assert in_app(app, cancel) == {"anna": MailState.PENDING, "paul": None}
    assert in_app(app, messages.deliver_mail) == (1, 0)
    assert in_app(app, messages.deliver_mail) == (0, 0)  # sent once
    [mail] = inbox.mails
    assert mail.rcpt_tos == ["anna@example.org"]
    text = inbox.texts()[0]
    assert "Activity cancelled: Gym douce" in text  # Anna reads the app in English
    assert "Reason: animatrice malade" in text
    assert f"https://maison.example/activities/{activity_id}" in text
    assert "Do not reply to this e-mail" in text
    sent = session.scalar(sa.select(Message).where(Message.mail_state == MailState.SENT))
    assert sent.mailed_at is not None and sent.mail_attempts == 1


def test_two_servers_sending_at_once_send_each_message_once(
    session, create_residence, create_user, mail_app, smtp
):
    inbox, _port = smtp
    residence = create_residence("Armentières")
    people = [
        create_user(f"p{n}", residence=residence, email=f"p{n}@example.org") for n in range(12)
    ]
    session.commit()
    first, second = mail_app(), mail_app()

    def leave_messages():
        for membership in db.session.scalars(sa.select(Membership)):
            for n in range(2):
                messages.send(membership, lambda tw, n=n: (f"Message {n}", "Bonjour"))
        db.session.commit()

    in_app(first, leave_messages)
    results = at_once([first, second], messages.deliver_mail, timeout=60)
    assert sum(sent for sent, _failed in results) == 2 * len(people)
    assert len(inbox.mails) == 2 * len(people)
    assert sorted(m.rcpt_tos[0] for m in inbox.mails) == sorted(
        f"p{n}@example.org" for n in range(12) for _ in range(2)
    )
    states = session.scalars(sa.select(Message.mail_state)).all()
    assert set(states) == {MailState.SENT}


def test_a_server_that_does_not_answer_is_tried_again_then_given_up(
    session, create_residence, create_user, other_app, smtp
):
    residence = create_residence("Armentières")
    create_user("anna", residence=residence, email="anna@example.org")
    session.commit()
    # Nobody listens on that port.
    down = other_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=_free_port(), MAIL_SUPPRESS_SEND=False)

    def leave_message():
        membership = db.session.scalar(sa.select(Membership))
        messages.send(membership, lambda tw: ("Bonjour", "Un message"))
        db.session.commit()

    in_app(down, leave_message)
    for attempt in range(1, messages.MAX_ATTEMPTS + 1):
        assert in_app(down, messages.deliver_mail) == (0, 1)
        message = session.scalar(sa.select(Message))
        session.refresh(message)
        assert message.mail_attempts == attempt
    assert message.mail_state == MailState.FAILED  # still in "Mes messages"
    assert in_app(down, messages.deliver_mail) == (0, 0)


def test_a_claim_left_by_a_server_that_died_is_taken_again(
    session, create_residence, create_user, mail_app, smtp
):
    inbox, _port = smtp
    residence = create_residence("Armentières")
    create_user("anna", residence=residence, email="anna@example.org")
    session.commit()
    app = mail_app()

    def claimed_long_ago():
        membership = db.session.scalar(sa.select(Membership))
        message = messages.send(membership, lambda tw: ("Bonjour", "Un message"))
        message.mail_state = MailState.SENDING
        message.mail_claimed_at = utcnow() - dt.timedelta(minutes=5)
        db.session.commit()
        return message.id

    message_id = in_app(app, claimed_long_ago)
    assert in_app(app, messages.deliver_mail) == (0, 0)  # another server may be sending it
    later = utcnow() + messages.CLAIM_EXPIRES
    assert in_app(app, lambda: messages.deliver_mail(now=later)) == (1, 0)
    assert len(inbox.mails) == 1
    assert session.get(Message, message_id).mail_state == MailState.SENT


def test_without_smtp_messages_stay_in_the_app(session, create_residence, create_user, app):
    residence = create_residence("Armentières")
    create_user("anna", residence=residence, email="anna@example.org")
    session.commit()
    membership = session.scalar(sa.select(Membership))
    message = messages.send(membership, lambda tw: ("Bonjour", "Un message"))
    session.commit()
    assert message.mail_state is None
    assert app.test_cli_runner().invoke(args=["deliver-mail"]).output.startswith("No SMTP server")
