"""Personal data pages: "Mes données" (page and JSON file), closing one's account, the
coordinator's copy for a resident without a phone and recording a departure, and the
privacy notice."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, logout_user

from app.core.actions import perform
from app.core.i18n import gettext as _
from app.core.permissions import Role, ensure, require_role
from app.core.tenancy import get_for_coordinator_or_404
from app.privacy import services
from app.privacy.forms import CloseAccountForm, DepartureForm
from app.privacy.registry import SECTIONS
from app.residences.models import Membership
from app.residents import services as residents

bp = Blueprint("privacy", __name__)


def _data_page(scope, *, for_member: Membership | None = None):
    return render_template(
        "privacy/data.html",
        sections=services.collect(scope),
        person=scope.user,
        for_member=for_member,
        generated_at=scope.now,
    )


@bp.get("/me/data")
@login_required
def my_data():
    return _data_page(services.scope_for_self(current_user))


@bp.get("/me/data.json")
@login_required
def my_data_json():
    response = make_response(services.export_json(services.scope_for_self(current_user)))
    response.mimetype = "application/json"
    response.headers["Content-Disposition"] = 'attachment; filename="mes-donnees.json"'
    return response


def _member_or_404(membership_id: int) -> Membership:
    """Another residence's person: 404; someone this coordinator may not manage: 403."""
    membership = get_for_coordinator_or_404(Membership, membership_id)
    ensure(residents.can_manage(current_user, g.residence, membership))
    return membership


@bp.get("/residents/<int:membership_id>/data")
@require_role(Role.COORDINATOR)
def member_data(membership_id: int):
    """The coordinator prints a resident's data (for someone who has no phone): the copy
    is recorded in the audit log."""
    membership = _member_or_404(membership_id)
    return perform(
        lambda: services.scope_for_coordinator(g.membership, membership),
        lock=False,
        page=lambda _error: abort(403),
        success=lambda scope: make_response(_data_page(scope, for_member=membership)),
    )


@bp.route("/me/close", methods=["GET", "POST"])
@login_required
def close_account():
    form = CloseAccountForm()

    def page(_error=None):
        return render_template(
            "privacy/close.html",
            form=form,
            periods=services.periods(g.get("residence")),
            several=len(current_user.active_memberships) > 1,
        )

    if request.method == "GET":
        return page()

    def closed(_user):
        # Logged out here too (every session of the person has ended with its version);
        # the language chosen on this device stays.
        logout_user()
        lang = session.get("lang")
        session.clear()
        if lang:
            session["lang"] = lang
        return url_for("privacy.closed")

    return perform(
        lambda: services.close_account(current_user._get_current_object(), form.password.data),
        form=form,
        page=page,
        success=closed,
    )


@bp.get("/account-closed")
def closed():
    return render_template("privacy/closed.html")


@bp.route("/residents/<int:membership_id>/departure", methods=["GET", "POST"])
@require_role(Role.COORDINATOR)
def departure(membership_id: int):
    """The coordinator records that someone moved out or died: their data is erased."""
    membership = _member_or_404(membership_id)
    ensure(membership.erased_at is None and membership.id != g.membership.id)
    form = DepartureForm()
    name = membership.user.full_name

    def page(_error=None):
        return render_template("privacy/departure.html", form=form, membership=membership)

    if request.method == "GET":
        return page()
    return perform(
        lambda: services.record_departure(
            g.membership, membership, services.LeftReason(form.reason.data)
        ),
        form=form,
        page=page,
        message=_(
            "Le départ de %(name)s est enregistré. Ses données personnelles sont effacées.",
            name=name,
        ),
        success=lambda _m: url_for("residents.index"),
    )


@bp.get("/confidentialite")
def notice():
    residence = g.get("residence")
    return render_template(
        "privacy/notice.html",
        sections=SECTIONS,
        periods=services.periods(residence),
        keep_words=services.keep_words,
        contact=current_app.config.get("PRIVACY_CONTACT") or "",
        organisation=residence.organisation.name if residence else None,
    )


@bp.get("/privacy")
def notice_en():
    """The English address: the same notice, in English."""
    return redirect(url_for("privacy.notice", lang="en"), 302)
