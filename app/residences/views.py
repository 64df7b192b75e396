"""Which residence a member of several (landlord staff) is looking at."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, session, url_for
from flask_login import current_user, login_required

from app.core.actions import perform
from app.core.forms import EmptyForm
from app.core.i18n import gettext as _
from app.residences.services import membership_for_switch

bp = Blueprint("residences", __name__, url_prefix="/residence")


@bp.get("/switch")
@login_required
def choose():
    return render_template("me/residences.html", memberships=current_user.active_memberships)


@bp.post("/switch/<int:residence_id>")
@login_required
def switch(residence_id: int):
    def chosen(membership):
        session["residence_id"] = membership.residence_id
        return url_for("pages.home")

    return perform(
        lambda: membership_for_switch(current_user, residence_id),
        form=EmptyForm(),
        lock=False,
        page=lambda _error: abort(404),
        message=lambda m: _("Vous êtes maintenant dans : %(name)s.", name=m.residence.name),
        success=chosen,
    )
