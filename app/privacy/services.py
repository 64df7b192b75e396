"""Personal data rights: "Mes données" (see ``registry``), leaving and being forgotten
(``erase_member``, the one way personal data is erased), and retention (``purge``).

Erasing changes other domains only through their services (cancelling a booking, leaving an
activity, giving back a watering turn), so that their rules apply: the room is freed, the
first on the waiting list gets the place and is told.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
from collections import Counter
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app

from app.activities import services as activities
from app.activities.models import (
    Activity,
    Registration,
    RegistrationStatus,
    WateringSlot,
    short_name,
)
from app.bookings import services as bookings
from app.bookings.models import ACTIVE_STATUSES, Booking, OriginKind
from app.core.audit import AuditEvent, AuditSummary, record
from app.core.db import utcnow, write_lock
from app.core.errors import DomainError, NotAllowed
from app.core.i18n import lazy_gettext as _l
from app.core.permissions import Role, check_role
from app.extensions import db
from app.messages.models import Message
from app.privacy.registry import SECTIONS, Keep, Scope
from app.residences.models import Membership, Residence
from app.residents import services as residents
from app.residents.models import Invitation
from app.users import services as users
from app.users.models import FORMER_RESIDENT_STORED, User, new_calendar_token
from app.votes import proxies


class LeftReason(enum.StrEnum):
    """Why someone left, as a category only: never a free text (nothing about health)."""

    CLOSED = "closed"  # the person closed their account
    MOVED_OUT = "moved_out"  # the coordinator recorded that they moved out
    DIED = "died"  # the coordinator recorded their death
    RETENTION = "retention"  # deactivated longer than the residence's retention period

    @property
    def label(self):
        return LEFT_REASON_LABELS[self]


LEFT_REASON_LABELS = {
    LeftReason.CLOSED: _l("A fermé son compte"),
    LeftReason.MOVED_OUT: _l("A déménagé"),
    LeftReason.DIED: _l("Est décédé·e"),
    LeftReason.RETENTION: _l("Compte désactivé depuis longtemps"),
}

# What the coordinator may record on a resident's page.
DEPARTURE_REASONS = (LeftReason.MOVED_OUT, LeftReason.DIED)


class WrongPassword(DomainError):
    status_code = 422
    default_message = _l("Ce n'est pas votre mot de passe. Réessayez.")


# -- "Mes données" ------------------------------------------------------------------------


def scope_for_self(user: User, now: dt.datetime | None = None) -> Scope:
    """Everything about the person, in every residence they belong or belonged to."""
    return Scope(user=user, memberships=list(user.memberships), now=now or utcnow())


def scope_for_coordinator(actor: Membership, member: Membership, now=None) -> Scope:
    """What the coordinator prints for a resident without a phone: that residence only
    (another residence's data is not theirs to print). Audit-logged."""
    check_role(actor, Role.COORDINATOR, member.residence_id)
    if not residents.can_manage(actor.user, actor.residence, member):
        raise NotAllowed()
    record("privacy.data_printed", actor=actor, target=member)
    return Scope(user=member.user, memberships=[member], now=now or utcnow())


def collect(scope: Scope) -> list[tuple]:
    """[(section, rows)] in the registry's order."""
    return [(section, section.rows(scope)) for section in SECTIONS]


def _plain(value):
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return value


def export_json(scope: Scope) -> str:
    """The machine-readable copy: one key per section, values as stored (times in UTC,
    ISO 8601)."""
    data = {
        "generated_at": scope.now.isoformat(),
        # What each section is, in the reader's language (the privacy notice's words).
        "about": {
            section.key: {
                "title": str(section.title),
                "purpose": str(section.purpose),
                "who_sees": str(section.who_sees),
                "kept": section.keep.value,
            }
            for section in SECTIONS
        },
        "sections": {
            section.key: [{k: _plain(v) for k, v in row.items()} for row in rows]
            for section, rows in collect(scope)
        },
    }
    return json.dumps(data, ensure_ascii=False, indent=2, default=str)


# -- what the notice says about periods ---------------------------------------------------


@dataclass(frozen=True)
class Periods:
    retention_months: int
    audit_months: int
    invitation_days: int


def periods(residence: Residence | None) -> Periods:
    config = current_app.config
    return Periods(
        retention_months=residence.retention_months if residence else 12,
        audit_months=config["AUDIT_RETENTION_MONTHS"],
        invitation_days=config["INVITATION_PURGE_DAYS"],
    )


def keep_words(tw, keep: Keep, p: Periods) -> str:
    """How long, in plain words, with the residence's and the deployment's periods."""
    if keep is Keep.UNTIL_LEFT:
        return tw.ngettext(
            "Effacé quand vous quittez la résidence, ou %(num)d mois après la "
            "désactivation de votre compte.",
            "Effacé quand vous quittez la résidence, ou %(num)d mois après la "
            "désactivation de votre compte.",
            p.retention_months,
        )
    if keep is Keep.ANONYMISED:
        return tw.gettext(
            "Gardé pour l'histoire de la résidence, mais sans votre nom quand vous partez."
        )
    if keep is Keep.AUDIT:
        return tw.ngettext(
            "%(num)d mois, puis il ne reste que des nombres (combien d'actions par mois).",
            "%(num)d mois, puis il ne reste que des nombres (combien d'actions par mois).",
            p.audit_months,
        )
    return tw.ngettext(
        "Effacée avec votre compte, ou %(num)d jour après la fin de sa validité.",
        "Effacée avec votre compte, ou %(num)d jours après la fin de sa validité.",
        p.invitation_days,
    )


# -- leaving and being forgotten ----------------------------------------------------------


def _steward(residence_id: int) -> Membership:
    """The residence itself acting (not saved): cancels a leaver's bookings whatever the
    deadline, as the coordinator could. Audited with no person as the actor."""
    return Membership(residence_id=residence_id, role=Role.COORDINATOR, deactivated_at=None)


def _may_erase(actor: Membership | None, membership: Membership) -> None:
    if actor is None:  # the retention job
        return
    if actor.user_id == membership.user_id:
        return
    check_role(actor, Role.COORDINATOR, membership.residence_id)
    if not residents.can_manage(actor.user, actor.residence, membership):
        raise NotAllowed()


def erase_member(
    actor: Membership | None,
    membership: Membership,
    reason: LeftReason,
    *,
    now: dt.datetime | None = None,
) -> bool:
    """The person leaves ``membership``'s residence and their personal data is erased.

    - what is to come is cancelled through its domain: bookings (the room is freed),
      activity sign-ups (the next on the waiting list gets the place and is told), watering
      turns (free again);
    - their messages are deleted, their own bookings' purposes blanked;
    - what the residence keeps stays, linked to "Ancien·ne résident·e": past bookings,
      attendance, participation in votes and public ballots, ideas and proposals;
    - when they belong to no other residence, the person is erased: name, e-mail, phone,
      username, password, calendar address, display settings, invitations; they can never
      log in again and every session ends. Landlord staff who still work for another
      residence keep their account there: only this residence's traces go.

    Claimed by one conditional UPDATE (``erased_at``): run twice, or by two servers at
    once, it erases once. Returns False when it was already done.
    """
    now = now or utcnow()
    _may_erase(actor, membership)
    claimed = db.session.execute(
        sa.update(Membership)
        .where(Membership.id == membership.id, Membership.erased_at.is_(None))
        .values(erased_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        db.session.refresh(membership)
        return False
    db.session.refresh(membership)
    left_at = membership.deactivated_at
    # The domains' services act for active members only: the leaver is one until the end
    # of this transaction.
    membership.deactivated_at = None
    db.session.flush()
    _cancel_what_comes(membership, now)
    membership.deactivated_at = left_at or now
    membership.left_reason = reason.value
    membership.unread_messages = 0
    db.session.execute(sa.delete(Message).where(Message.membership_id == membership.id))
    db.session.execute(
        sa.update(Booking)
        .where(
            Booking.user_id == membership.user_id,
            Booking.residence_id == membership.residence_id,
            Booking.origin_kind != OriginKind.ACTIVITY,
        )
        .values(purpose="")
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        sa.delete(Invitation).where(
            Invitation.user_id == membership.user_id,
            Invitation.residence_id == membership.residence_id,
        )
    )
    # Proxies given or held for votes not over stop; those of closed votes stay.
    proxies.withdraw_proxies_of(membership, now=now, actor=actor)
    record(
        "privacy.erased",
        actor=actor,
        residence_id=membership.residence_id,
        target=membership,
        details=reason.value,
    )
    user = membership.user
    still_here = db.session.scalar(
        sa.select(sa.func.count(Membership.id)).where(
            Membership.user_id == user.id,
            Membership.erased_at.is_(None),
        )
    )
    if not still_here:
        _erase_person(user, now)
    else:
        users.end_all_sessions(user)
    db.session.flush()
    db.session.expire_all()
    return True


def _cancel_what_comes(membership: Membership, now: dt.datetime) -> None:
    steward = _steward(membership.residence_id)
    for booking in db.session.scalars(
        sa.select(Booking)
        .where(
            Booking.user_id == membership.user_id,
            Booking.residence_id == membership.residence_id,
            Booking.origin_kind != OriginKind.ACTIVITY,
            Booking.status.in_(ACTIVE_STATUSES),
            Booking.end_at > now,
        )
        .order_by(Booking.start_at)
    ).all():
        bookings.cancel(steward, booking, now=now)
    for activity in db.session.scalars(
        sa.select(Activity)
        .join(Registration, Registration.activity_id == Activity.id)
        .where(
            Registration.membership_id == membership.id,
            Registration.status != RegistrationStatus.LEFT,
            Activity.starts_at > now,
        )
        .order_by(Activity.starts_at)
    ).all():
        activities.leave(membership, activity, now=now)
    for slot in db.session.scalars(
        sa.select(WateringSlot).where(WateringSlot.holder_id == membership.id)
    ).all():
        if not slot.has_started(now):
            activities.release(membership, slot, now=now)


def _scrub_messages(user: User) -> None:
    """Messages to other people that name ``user`` (a proxy given to them, a watering turn
    handed over: "Gisèle V.") name a former resident instead, in the reader's language. The
    short form is scrubbed too, within the person's residences: another "Gisèle V." there
    loses her name in those messages, which errs on the side of privacy."""
    full = str(user.full_name or "").strip()
    if not full:
        return
    names = [full]
    short = short_name(full)
    if short != full and " " in short:
        names.append(short)
    residence_ids = [m.residence_id for m in user.memberships]
    english = (
        sa.select(Membership.id)
        .join(User, Membership.user_id == User.id)
        .where(Membership.residence_id.in_(residence_ids), User.locale == "en")
    )
    for name in names:
        for in_english, former in ((True, "Former resident"), (False, FORMER_RESIDENT_STORED)):
            readers = Message.membership_id.in_(english)
            db.session.execute(
                sa.update(Message)
                .where(
                    Message.residence_id.in_(residence_ids),
                    readers if in_english else ~readers,
                    sa.or_(
                        Message.subject.contains(name, autoescape=True),
                        Message.body.contains(name, autoescape=True),
                    ),
                )
                .values(
                    subject=sa.func.replace(Message.subject, name, former),
                    body=sa.func.replace(Message.body, name, former),
                )
                .execution_options(synchronize_session=False)
            )


def _erase_person(user: User, now: dt.datetime) -> None:
    _scrub_messages(user)
    user.erased_at = now
    user._full_name = FORMER_RESIDENT_STORED
    user.username = None
    user.email = None
    user.phone = None
    user.password_hash = None
    user.locale = None
    user.text_size = 0
    user.high_contrast = False
    user.last_login_at = None
    user.calendar_token = new_calendar_token()  # the old address stops working
    users.end_all_sessions(user)
    db.session.execute(sa.delete(Invitation).where(Invitation.user_id == user.id))


def close_account(user: User, password: str, *, now: dt.datetime | None = None) -> User:
    """The person closes their own account: every membership is erased (``erase_member``),
    after they type their password again."""
    if not users.password_is_right(user, password or ""):
        raise WrongPassword(field="password")
    now = now or utcnow()
    for membership in list(user.memberships):
        if membership.erased_at is None:
            erase_member(membership, membership, LeftReason.CLOSED, now=now)
    return user


def record_departure(
    actor: Membership, membership: Membership, reason: LeftReason, *, now=None
) -> Membership:
    """The coordinator records that someone moved out or died: erased at once."""
    if reason not in DEPARTURE_REASONS:
        raise DomainError(_l("Choisissez une raison."), field="reason")
    if actor.id == membership.id:
        raise NotAllowed()
    erase_member(actor, membership, reason, now=now)
    return membership


# -- retention: ``flask purge`` -----------------------------------------------------------


def months_before(moment: dt.datetime, months: int) -> dt.datetime:
    """The same day and time ``months`` calendar months earlier (the month's last day when
    it is shorter)."""
    import calendar

    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


@dataclass
class PurgeReport:
    erased: int = 0
    invitations: int = 0
    audit_entries: int = 0


def _due_memberships(now: dt.datetime) -> list[int]:
    due: list[int] = []
    for residence_id, months in db.session.execute(
        sa.select(Residence.id, Residence.retention_months)
    ).all():
        cutoff = months_before(now, months)
        due += db.session.scalars(
            sa.select(Membership.id)
            .where(
                Membership.residence_id == residence_id,
                Membership.erased_at.is_(None),
                Membership.deactivated_at.is_not(None),
                Membership.deactivated_at < cutoff,
            )
            .order_by(Membership.id)
        ).all()
    return due


def purge(*, now: dt.datetime | None = None, batch: int = 500) -> PurgeReport:
    """The retention job (cron, daily). Commits, one person or one batch at a time:

    - accounts deactivated for longer than their residence's ``retention_months`` are
      erased by ``erase_member`` (claimed by its conditional UPDATE: two servers at once
      erase each person once);
    - invitations expired more than ``INVITATION_PURGE_DAYS`` ago are deleted;
    - audit entries older than ``AUDIT_RETENTION_MONTHS`` become counts per residence,
      month and action (``AuditSummary``): each entry is deleted by one DELETE … RETURNING,
      so two servers never count it twice.
    Idempotent: run again, it finds nothing to do."""
    now = now or utcnow()
    config = current_app.config
    report = PurgeReport()
    session = db.session
    due = _due_memberships(now)
    session.rollback()
    for membership_id in due:
        write_lock(session)
        membership = session.get(Membership, membership_id)
        if membership is not None and erase_member(None, membership, LeftReason.RETENTION, now=now):
            report.erased += 1
        session.commit()

    write_lock(session)
    report.invitations = session.execute(
        sa.delete(Invitation).where(
            Invitation.expires_at < now - dt.timedelta(days=config["INVITATION_PURGE_DAYS"])
        )
    ).rowcount
    session.commit()

    cutoff = months_before(now, config["AUDIT_RETENTION_MONTHS"])
    zones = {rid: tz for rid, tz in session.execute(sa.select(Residence.id, Residence.timezone))}
    while True:
        write_lock(session)
        ids = session.scalars(
            sa.select(AuditEvent.id)
            .where(AuditEvent.created_at < cutoff)
            .order_by(AuditEvent.id)
            .limit(batch)
        ).all()
        if not ids:
            session.rollback()
            break
        gone = session.execute(
            sa.delete(AuditEvent)
            .where(AuditEvent.id.in_(ids), AuditEvent.created_at < cutoff)
            .returning(AuditEvent.residence_id, AuditEvent.created_at, AuditEvent.action)
        ).all()
        counts = Counter(
            (rid or 0, _month_of(created, zones.get(rid)), action) for rid, created, action in gone
        )
        for (rid, month, action), count in counts.items():
            _add_to_summary(rid, month, action, count)
        session.commit()
        report.audit_entries += len(gone)
    return report


def _month_of(created: dt.datetime, timezone: str | None) -> dt.date:
    from zoneinfo import ZoneInfo

    if created.tzinfo is None:
        created = created.replace(tzinfo=dt.UTC)
    local = created.astimezone(ZoneInfo(timezone or "Europe/Paris"))
    return local.date().replace(day=1)


def _add_to_summary(residence_id: int, month: dt.date, action: str, count: int) -> None:
    """Add ``count`` to the summary row, created if new: one statement, safe when two
    servers add to the same row (ON CONFLICT … DO UPDATE)."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(AuditSummary).values(
        residence_id=residence_id, month=month, action=action, count=count
    )
    db.session.execute(
        statement.on_conflict_do_update(
            index_elements=["residence_id", "month", "action"],
            set_={"count": AuditSummary.count + statement.excluded.count},
        )
    )
