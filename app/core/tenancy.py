"""The current residence of a request, and residence-scoped loading (404 across residences)."""

from __future__ import annotations

from flask import abort, g, session
from flask_login import current_user

from app.extensions import db


def load_current_residence() -> None:
    """Set ``g.membership`` and ``g.residence`` from the session's choice (before_request)."""
    g.membership = None
    g.residence = None
    if not current_user.is_authenticated:
        return
    memberships = current_user.active_memberships
    if not memberships:
        return
    chosen = session.get("residence_id")
    membership = next((m for m in memberships if m.residence_id == chosen), memberships[0])
    if chosen != membership.residence_id:  # the cookie is written only when it changes
        session["residence_id"] = membership.residence_id
    g.membership = membership
    g.residence = membership.residence


def get_in_residence_or_404(model, object_id: int, *, query=None):
    """Load ``model`` by id only if it belongs to the current residence, else 404.
    ``query``: a select of ``model`` by the bind parameter ``id`` (built once) that loads
    what the page shows with it in the same query."""
    residence = g.get("residence")
    if residence is None:
        abort(404)
    if query is None:
        obj = db.session.get(model, object_id)
    else:
        obj = db.session.scalars(query, {"id": object_id}).one_or_none()
    if obj is None or obj.residence_id != residence.id:
        abort(404)
    return obj


def get_for_coordinator_or_404(model, object_id: int):
    """An object of the current residence for its coordination: 404 across residences first
    (whoever asks), then 403 for whoever is not a coordinator here."""
    from app.core.permissions import Role, ensure, has_role

    obj = get_in_residence_or_404(model, object_id)
    ensure(has_role(Role.COORDINATOR))
    return obj
