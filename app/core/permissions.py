"""Roles per residence, role gates and the one place that turns "not allowed" into 403."""

from __future__ import annotations

import enum
from functools import wraps

from flask import abort, g
from flask_login import current_user

from app.core.i18n import lazy_gettext as _l


class Role(enum.StrEnum):
    RESIDENT = "resident"
    COMMITTEE = "committee"
    COORDINATOR = "coordinator"
    LANDLORD_ADMIN = "landlord_admin"

    @property
    def label(self):
        return ROLE_LABELS[self]

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def at_least(self, other: Role) -> bool:
        """Roles are cumulative: a committee member is also a resident, and so on."""
        return self.rank >= other.rank


ROLE_LABELS = {
    Role.RESIDENT: _l("Habitant"),
    Role.COMMITTEE: _l("Membre du comité"),
    Role.COORDINATOR: _l("Coordination"),
    Role.LANDLORD_ADMIN: _l("Bailleur"),
}


def has_role_here(actor, minimum: Role, residence_id: int | None = None) -> bool:
    """The one "role here" check: ``actor`` (a residence membership, or None) is active, in
    ``residence_id`` when given, and holds at least ``minimum`` there."""
    return (
        actor is not None
        and actor.deactivated_at is None
        and (residence_id is None or actor.residence_id == residence_id)
        and actor.role.at_least(minimum)
    )


def check_role(actor, minimum: Role, residence_id: int | None = None) -> None:
    """For services: raise ``NotAllowed`` unless ``has_role_here``."""
    if not has_role_here(actor, minimum, residence_id):
        from app.core.errors import NotAllowed

        raise NotAllowed()


def ensure(allowed: bool) -> None:
    """Abort with 403 unless ``allowed``."""
    if not allowed:
        abort(403)


def current_role() -> Role | None:
    membership = g.get("membership")
    return membership.role if membership is not None else None


def has_role(minimum: Role) -> bool:
    """For views and templates: the current request's member holds at least ``minimum``."""
    return has_role_here(g.get("membership"), minimum)


def require_role(minimum: Role):
    """View decorator: logged in, a member of the current residence, at least ``minimum``."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                from app.extensions import login_manager

                return login_manager.unauthorized()
            ensure(has_role(minimum))
            return view(*args, **kwargs)

        return wrapped

    return decorator
