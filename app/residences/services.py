"""Residences and their members: who is where, which residence a member is looking at."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, selectinload

from app.core.audit import record
from app.core.errors import NotAllowed
from app.core.permissions import Role, check_role
from app.extensions import db
from app.residences.models import Membership, Residence
from app.users.models import User


def membership_for_switch(user: User, residence_id: int) -> Membership:
    membership = user.membership_in(residence_id)
    if membership is None:
        raise NotAllowed()
    return membership


def active_members(residence_id: int) -> list[Membership]:
    """Active members of the residence, with or without an account, by name."""
    return list(
        db.session.scalars(
            sa.select(Membership)
            .join(Membership.user)
            .options(contains_eager(Membership.user), selectinload(Membership.home))
            .where(Membership.residence_id == residence_id, Membership.deactivated_at.is_(None))
            .order_by(sa.func.lower(User.full_name))
        )
    )


def active_member(residence_id: int, user_id: int | None) -> Membership | None:
    """``user_id``'s active membership of the residence, or None (never another residence's)."""
    if user_id is None:
        return None
    return db.session.scalar(
        sa.select(Membership).where(
            Membership.residence_id == residence_id,
            Membership.user_id == user_id,
            Membership.deactivated_at.is_(None),
        )
    )


def set_show_booker_names(actor: Membership, show: bool) -> Residence:
    """Whether residents see who booked a room in the week view (off by default)."""
    check_role(actor, Role.COORDINATOR)
    residence = actor.residence
    residence.show_booker_names = show
    record(
        "residence.privacy",
        actor=actor,
        target=residence,
        details=f"show_booker_names={show}",
    )
    return residence
