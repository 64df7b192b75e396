"""``flask purge`` run by two servers at the same moment: each person is erased once, each
old audit entry counted once. Really committed data, two apps in two threads (as the mail
delivery's race), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from app.core.audit import AuditEvent, AuditSummary
from app.core.db import utcnow
from app.privacy import services as privacy
from app.residences.models import Membership
from app.users.models import User
from tests.conftest import at_once, in_app

pytestmark = pytest.mark.committed


def test_two_servers_purging_at_once_erase_each_person_and_count_each_entry_once(
    session, create_residence, create_user, other_app
):
    residence = create_residence("Armentières")
    people = [create_user(f"p{n}", residence=residence, full_name=f"Nom {n}") for n in range(8)]
    long_ago = utcnow() - dt.timedelta(days=500)
    session.execute(
        sa.update(Membership)
        .where(Membership.user_id.in_([p.id for p in people]))
        .values(deactivated_at=long_ago)
    )
    for n in range(60):
        session.add(
            AuditEvent(
                created_at=long_ago + dt.timedelta(hours=n),
                residence_id=residence.id,
                action="booking.created" if n % 2 else "activity.registered",
            )
        )
    session.commit()
    first, second = other_app(), other_app()
    results = at_once([first, second], lambda: privacy.purge(batch=7))
    assert sum(r.erased for r in results) == len(people)
    assert sum(r.audit_entries for r in results) == 60
    session.expire_all()
    erased = session.scalars(sa.select(User).where(User.erased_at.is_not(None))).all()
    assert len(erased) == len(people)
    assert session.scalar(
        sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action == "privacy.erased")
    ) == len(people)
    assert sum(s.count for s in session.scalars(sa.select(AuditSummary))) == 60
    assert not session.scalar(
        sa.select(sa.func.count(AuditEvent.id)).where(
            AuditEvent.created_at < utcnow() - dt.timedelta(days=400)
        )
    )
    # Once more: nothing left to do.
    again = in_app(first, privacy.purge)
    assert (again.erased, again.audit_entries) == (0, 0)
