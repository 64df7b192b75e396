"""The audit log: who did what, when. Never what a secret ballot chose."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import UTCDateTime, utcnow
from app.extensions import db


class AuditEvent(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    residence_id: Mapped[int | None] = mapped_column(sa.ForeignKey("residence.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    action: Mapped[str] = mapped_column(sa.String(60))
    target_type: Mapped[str] = mapped_column(sa.String(40), default="")
    target_id: Mapped[int | None]
    details: Mapped[str] = mapped_column(sa.String(500), default="")


def record(
    action: str,
    *,
    actor=None,
    residence_id: int | None = None,
    target=None,
    details: str = "",
) -> AuditEvent:
    """Log ``action``. ``actor`` is a residence membership (its person and residence are
    logged) or a user."""
    # ``current_user`` is a proxy: record what it stands for ("user", not "localproxy").
    actor, target = _unproxied(actor), _unproxied(target)
    actor_id = getattr(actor, "user_id", None) or getattr(actor, "id", None)
    if residence_id is None:
        residence_id = getattr(actor, "residence_id", None)
    event = AuditEvent(
        action=action,
        actor_id=actor_id,
        residence_id=residence_id,
        target_type=type(target).__name__.lower() if target is not None else "",
        target_id=getattr(target, "id", None),
        details=details,
    )
    db.session.add(event)
    return event


class AuditSummary(db.Model):
    """What is left of audit entries older than the legal period (``AUDIT_RETENTION_MONTHS``):
    how many of each action, per residence and month. No person, no target, no details.
    ``residence_id`` 0 stands for entries that belonged to no residence."""

    residence_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    month: Mapped[dt.date] = mapped_column(sa.Date, primary_key=True)
    action: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)


def _unproxied(value):
    unwrap = getattr(value, "_get_current_object", None)
    return unwrap() if unwrap is not None else value
