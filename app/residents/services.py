"""The coordinator's residents: create, edit, deactivate, invite; and redeeming invitations."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import contains_eager, joinedload

from app.core.audit import record
from app.core.db import utcnow
from app.core.errors import DomainError, NotAllowed
from app.core.i18n import lazy_gettext as _l
from app.core.permissions import Role
from app.extensions import db
from app.residences.models import Home, Membership, Residence
from app.residents.models import Invitation, hash_code, new_code, normalise_code
from app.users.models import User
from app.users.services import check_username_available, end_all_sessions, hash_password


class InvitationInvalid(DomainError):
    default_message = _l(
        "Ce code n'est pas valable. Vérifiez-le ; s'il est ancien ou déjà utilisé, demandez-en "
        "un nouveau à la coordination."
    )


class EmailTaken(DomainError):
    default_message = _l(
        "Cette adresse e-mail ne peut pas être utilisée pour ce compte. Laissez le champ vide "
        "ou indiquez-en une autre."
    )


def _actor_membership(actor: User, residence: Residence) -> Membership:
    membership = actor.membership_in(residence.id)
    if membership is None or not membership.role.at_least(Role.COORDINATOR):
        raise NotAllowed()
    return membership


def assignable_roles(actor: User, residence: Residence) -> list[Role]:
    """Coordinators add residents and committee members; landlord staff also coordinators."""
    membership = actor.membership_in(residence.id)
    if membership is None:
        return []
    if membership.role.at_least(Role.LANDLORD_ADMIN):
        return [Role.RESIDENT, Role.COMMITTEE, Role.COORDINATOR]
    if membership.role.at_least(Role.COORDINATOR):
        return [Role.RESIDENT, Role.COMMITTEE]
    return []


def _not_erased(membership: Membership) -> None:
    """A person whose data was erased (``app.privacy``) stays erased: no new name, no new
    invitation, no new access."""
    if membership.erased_at is not None:
        raise NotAllowed()


def can_manage(actor: User, residence: Residence, target: Membership) -> bool:
    """May ``actor`` edit or deactivate ``target``? Not oneself, never someone of higher rank."""
    if target.residence_id != residence.id or target.user_id == actor.id:
        return False
    allowed = assignable_roles(actor, residence)
    # Editing, re-inviting or deactivating acts on the whole account: never on someone who
    # holds, in another residence, a role the actor could not give here.
    return all(m.role in allowed for m in target.user.memberships)


HOME_LABEL_MAX = 40  # Home.label


def home_for_label(residence: Residence, label: str) -> Home | None:
    """The home with that label, created if the coordinator types a new one.

    The label is checked once upper-cased: "ß" becomes "SS", so 40 characters typed may make
    more than the 40 the column holds."""
    label = " ".join(label.split()).upper()
    if not label:
        return None
    if len(label) > HOME_LABEL_MAX:
        raise DomainError(_l("40 caractères au plus."), field="home_label")
    home = db.session.scalar(
        sa.select(Home).where(Home.residence_id == residence.id, Home.label == label)
    )
    if home is None:
        home = Home(residence=residence, label=label)
        db.session.add(home)
    return home


def _check_email(email: str | None, exclude_user_id: int | None = None) -> str | None:
    email = (email or "").strip().lower() or None
    if email is None:
        return None
    query = sa.select(User.id).where(sa.func.lower(User.email) == email)
    if exclude_user_id is not None:
        query = query.where(User.id != exclude_user_id)
    if db.session.scalar(query) is not None:
        raise EmailTaken(field="email")
    return email


def _check_role(actor: User, residence: Residence, role: Role) -> Role:
    if role not in assignable_roles(actor, residence):
        raise DomainError(_l("Vous ne pouvez pas donner ce rôle."), field="role")
    return role


def search_members(
    residence: Residence, query: str = "", *, show: str = "active"
) -> list[Membership]:
    stmt = (
        sa.select(Membership)
        .join(Membership.user)
        .outerjoin(Membership.home)
        .where(Membership.residence_id == residence.id)
        .order_by(sa.func.lower(User.full_name))
    )
    if show == "active":
        stmt = stmt.where(Membership.deactivated_at.is_(None))
    elif show == "inactive":
        stmt = stmt.where(Membership.deactivated_at.is_not(None))
    words = query.split()
    for word in words[:5]:
        like = f"%{word.lower()}%"
        stmt = stmt.where(
            sa.or_(
                sa.func.lower(User.full_name).like(like),
                sa.func.lower(User.username).like(like),
                sa.func.lower(Home.label).like(like),
            )
        )
    return list(db.session.scalars(stmt))


def create_resident(
    actor: User,
    residence: Residence,
    *,
    full_name: str,
    home_label: str = "",
    role: Role = Role.RESIDENT,
    email: str | None = None,
    phone: str | None = None,
    locale: str | None = None,
) -> tuple[Membership, Invitation, str]:
    """A new person in the residence, with a fresh invitation. Returns the code once."""
    _actor_membership(actor, residence)
    full_name = " ".join(full_name.split())
    if not full_name:
        raise DomainError(_l("Indiquez le nom de la personne."), field="full_name")
    user = User(
        full_name=full_name,
        email=_check_email(email),
        phone=(phone or "").strip() or None,
        locale=locale or residence.default_locale,
    )
    membership = Membership(
        user=user,
        residence=residence,
        role=_check_role(actor, residence, role),
        home=home_for_label(residence, home_label),
    )
    db.session.add_all([user, membership])
    db.session.flush()
    invitation, code = issue_invitation(actor, residence, membership)
    record("resident.created", actor=actor, residence_id=residence.id, target=user)
    return membership, invitation, code


def update_resident(
    actor: User,
    residence: Residence,
    membership: Membership,
    *,
    full_name: str,
    home_label: str = "",
    role: Role,
    email: str | None = None,
    phone: str | None = None,
    locale: str | None = None,
) -> Membership:
    _actor_membership(actor, residence)
    _not_erased(membership)
    if not can_manage(actor, residence, membership):
        raise NotAllowed()
    full_name = " ".join(full_name.split())
    if not full_name:
        raise DomainError(_l("Indiquez le nom de la personne."), field="full_name")
    user = membership.user
    user.full_name = full_name
    user.email = _check_email(email, exclude_user_id=user.id)
    user.phone = (phone or "").strip() or None
    if locale:
        user.locale = locale
    membership.role = _check_role(actor, residence, role)
    membership.home = home_for_label(residence, home_label)
    record("resident.updated", actor=actor, residence_id=residence.id, target=user)
    return membership


def set_active(actor: User, residence: Residence, membership: Membership, active: bool):
    """Deactivate (no more access here; past data stays) or reactivate a member."""
    _actor_membership(actor, residence)
    _not_erased(membership)
    if not can_manage(actor, residence, membership):
        raise NotAllowed()
    if active:
        membership.deactivated_at = None
    elif membership.deactivated_at is None:
        membership.deactivated_at = utcnow()
        end_all_sessions(membership.user)
        _revoke_open_invitations(membership)
    record(
        "resident.reactivated" if active else "resident.deactivated",
        actor=actor,
        residence_id=residence.id,
        target=membership.user,
    )
    return membership


def _revoke_open_invitations(membership: Membership) -> None:
    now = utcnow()
    for invitation in db.session.scalars(
        sa.select(Invitation).where(
            Invitation.user_id == membership.user_id,
            Invitation.residence_id == membership.residence_id,
            Invitation.used_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
    ):
        invitation.revoked_at = now


def issue_invitation(
    actor: User, residence: Residence, membership: Membership
) -> tuple[Invitation, str]:
    """A new printed invitation; any earlier unused one stops working. The code is given
    back here, once: only its hash is stored."""
    _actor_membership(actor, residence)
    _not_erased(membership)
    if not membership.is_active or not can_manage(actor, residence, membership):
        raise NotAllowed()
    _revoke_open_invitations(membership)
    code = new_code()
    days = current_app.config["INVITATION_DAYS"]
    invitation = Invitation(
        residence_id=residence.id,
        user_id=membership.user_id,
        created_by_id=actor.id,
        code_hash=hash_code(code),
        expires_at=utcnow() + dt.timedelta(days=days),
    )
    db.session.add(invitation)
    db.session.flush()
    record("invitation.issued", actor=actor, residence_id=residence.id, target=membership.user)
    return invitation, code


class WaitingInvitation(NamedTuple):
    invitation: Invitation
    membership: Membership
    expired: bool


def _open_invitations(residence_id: int):
    """Invitations handed out and not used yet (nor replaced), of active members: at most
    one a person, since a new one replaces the last."""
    return (
        sa.select(Invitation, Membership)
        .join(
            Membership,
            sa.and_(
                Membership.user_id == Invitation.user_id,
                Membership.residence_id == Invitation.residence_id,
            ),
        )
        .where(
            Invitation.residence_id == residence_id,
            Invitation.used_at.is_(None),
            Invitation.revoked_at.is_(None),
            Membership.deactivated_at.is_(None),
        )
    )


def waiting_invitations(
    actor: User, residence: Residence, *, now: dt.datetime | None = None, limit: int = 10
) -> tuple[int, list[WaitingInvitation]]:
    """How many invitations are not used yet, and ``limit`` of them (expired first: they
    need a new sheet, then by name), with the person and their home: two queries."""
    _actor_membership(actor, residence)
    now = now or utcnow()
    count = db.session.scalar(
        sa.select(sa.func.count()).select_from(_open_invitations(residence.id).subquery())
    )
    if not count:
        return 0, []
    expired = Invitation.expires_at <= now
    rows = db.session.execute(
        _open_invitations(residence.id)
        .join(Invitation.user)
        .options(contains_eager(Invitation.user), joinedload(Membership.home))
        .order_by(sa.case((expired, 0), else_=1), sa.func.lower(User.full_name), User.id)
        .limit(limit)
    )
    return count, [
        WaitingInvitation(invitation, membership, not invitation.is_usable(now))
        for invitation, membership in rows
    ]


def latest_invitation(membership: Membership) -> Invitation | None:
    return db.session.scalar(
        sa.select(Invitation)
        .where(
            Invitation.user_id == membership.user_id,
            Invitation.residence_id == membership.residence_id,
        )
        .order_by(Invitation.id.desc())
        .limit(1)
    )


def find_usable_invitation(code: str) -> Invitation:
    if len(normalise_code(code)) < 6:
        raise InvitationInvalid(field="code")
    invitation = db.session.scalar(
        sa.select(Invitation).where(Invitation.code_hash == hash_code(code))
    )
    if invitation is None or not invitation.is_usable():
        raise InvitationInvalid(field="code")
    membership = invitation.user.membership_in(invitation.residence_id)
    if membership is None:
        raise InvitationInvalid(field="code")
    return invitation


def redeem_invitation(code: str, username: str, password: str) -> User:
    """The person chooses a username and a password; the invitation is used up."""
    invitation = find_usable_invitation(code)
    user = invitation.user
    new_username = check_username_available(username, exclude_user_id=user.id)
    new_hash = hash_password(password)
    # Claim the invitation in one UPDATE: two redemptions of one code cannot both succeed.
    claimed = db.session.execute(
        sa.update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.used_at.is_(None))
        .values(used_at=utcnow())
    )
    if claimed.rowcount != 1:
        raise InvitationInvalid(field="code")
    user.username = new_username
    user.password_hash = new_hash
    end_all_sessions(user)
    record("invitation.redeemed", actor=user, residence_id=invitation.residence_id, target=user)
    return user
