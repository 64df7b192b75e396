"""Which residence a member is looking at."""

from __future__ import annotations

from app.core.errors import NotAllowed
from app.residences.models import Membership
from app.users.models import User


def membership_for_switch(user: User, residence_id: int) -> Membership:
    membership = user.membership_in(residence_id)
    if membership is None:
        raise NotAllowed()
    return membership
