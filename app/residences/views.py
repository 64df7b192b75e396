from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.core.errors import NotAllowed
from app.residences.services import membership_for_switch
from app.users.forms import EmptyForm

bp = Blueprint("residences", __name__, url_prefix="/residence")


@bp.get("/switch")
@login_required
def choose():
    return render_template(
        "me/residences.html", memberships=current_user.active_memberships, form=EmptyForm()
    )


@bp.post("/switch/<int:residence_id>")
@login_required
def switch(residence_id: int):
    try:
        membership = membership_for_switch(current_user, residence_id)
    except NotAllowed:
        abort(404)
    session["residence_id"] = membership.residence_id
    flash(_("Vous êtes maintenant dans : %(name)s.", name=membership.residence.name), "success")
    return redirect(url_for("pages.home"), 303)
