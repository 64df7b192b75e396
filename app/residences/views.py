"""The residence: which one a member of several (landlord staff) is looking at, and how its
residents reach the coordination."""

from __future__ import annotations

from flask import Blueprint, abort, g, render_template, request, session, url_for
from flask_login import current_user, login_required

from app.core.actions import perform
from app.core.forms import EmptyForm
from app.core.i18n import gettext as _
from app.core.permissions import Role, require_role
from app.residences.forms import ContactForm
from app.residences.services import membership_for_switch, set_contact

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


@bp.route("/contact", methods=["GET", "POST"])
@require_role(Role.COORDINATOR)
def contact():
    """The coordination's phone, office hours and office: shown wherever the app says to
    contact the coordination, and printed on the invitation sheets."""
    form = ContactForm.of(g.residence) if request.method == "GET" else ContactForm()

    def page(_error=None):
        return render_template("residences/contact.html", form=form)

    if request.method == "GET":
        return page()
    return perform(
        lambda: set_contact(
            g.membership,
            phone=form.contact_phone.data,
            hours=form.contact_hours.data,
            place=form.contact_place.data,
            hours_en=form.contact_hours_en.data,
            place_en=form.contact_place_en.data,
            proxy_limit=form.proxy_limit.data,
            retention_months=form.retention_months.data,
        ),
        form=form,
        page=page,
        message=_("Les coordonnées de la coordination sont enregistrées."),
        success=lambda _residence: url_for("residences.contact"),
    )
