"""Which residence a member is looking at."""

from __future__ import annotations

from app.core.errors import NotAllowed
from app.residences.models import Membership, Residence
from app.users.models import User


def membership_for_switch(user: User, residence_id: int) -> Membership:
    membership = user.membership_in(residence_id)
    if membership is None:
        raise NotAllowed()
    return membership


def set_show_booker_names(actor: User, residence: Residence, show: bool) -> None:
    """Whether residents see who booked a room in the week view (off by default)."""
    from app.core.audit import record
    from app.core.permissions import Role

    membership = actor.membership_in(residence.id)
    if membership is None or not membership.role.at_least(Role.COORDINATOR):
        raise NotAllowed()
    residence.show_booker_names = show
    record(
        "residence.privacy",
        actor=actor,
        residence_id=residence.id,
        target=residence,
        details=f"show_booker_names={show}",
    )
