"""The coordinator's residents page: list, search, add, edit, deactivate, invite."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from app.core.errors import DomainError, NotAllowed
from app.core.htmx import is_partial, render_page_or_block
from app.core.permissions import Role, ensure, require_role
from app.core.tenancy import get_for_coordinator_or_404
from app.extensions import db
from app.residences.models import Membership
from app.residents import services
from app.residents.forms import ResidentForm
from app.residents.models import Invitation
from app.users.forms import EmptyForm

bp = Blueprint("residents", __name__, url_prefix="/residents")

SHOW_CHOICES = ("active", "inactive", "all")


def _resident_form(**kwargs) -> ResidentForm:
    form = ResidentForm(**kwargs)
    form.role.choices = [
        SelectChoice(role.value, role.label)
        for role in services.assignable_roles(current_user, g.residence)
    ]
    return form


def _apply(form: ResidentForm, error: DomainError) -> None:
    field = getattr(form, error.field or "full_name", form.full_name)
    field.errors = [*field.errors, error.message]


@bp.get("")
@require_role(Role.COORDINATOR)
def index():
    query = request.args.get("q", "")[:100]
    show = request.args.get("show", "active")
    if show not in SHOW_CHOICES:
        show = "active"
    members = services.search_members(g.residence, query, show=show)
    return render_page_or_block(
        "residents/index.html",
        "results",
        members=members,
        query=query,
        show=show,
        can_manage=lambda m: services.can_manage(current_user, g.residence, m),
    )


@bp.route("/new", methods=["GET", "POST"])
@require_role(Role.COORDINATOR)
def create():
    form = _resident_form(locale=g.residence.default_locale)
    if form.validate_on_submit():
        try:
            membership, invitation, _code = services.create_resident(
                current_user,
                g.residence,
                full_name=form.full_name.data,
                home_label=form.home_label.data or "",
                role=Role(form.role.data),
                email=form.email.data,
                phone=form.phone.data,
                locale=form.locale.data,
            )
        except DomainError as error:
            db.session.rollback()
            _apply(form, error)
        else:
            db.session.commit()
            flash(
                _(
                    "%(name)s est ajouté·e. Imprimez sa feuille d'invitation et remettez-la "
                    "en main propre.",
                    name=membership.user.full_name,
                ),
                "success",
            )
            return redirect(url_for("residents.invitation", invitation_id=invitation.id), 303)
    status = 422 if form.errors else 200
    return render_template("residents/form.html", form=form, membership=None), status


def _get_membership(membership_id: int) -> Membership:
    """404 for another residence's people (whoever asks), then 403 for non-coordinators."""
    return get_for_coordinator_or_404(Membership, membership_id)


@bp.route("/<int:membership_id>", methods=["GET", "POST"])
@login_required
def edit(membership_id: int):
    membership = _get_membership(membership_id)
    ensure(services.can_manage(current_user, g.residence, membership))
    user = membership.user
    form = _resident_form(
        full_name=user.full_name,
        home_label=membership.home.label if membership.home else "",
        role=membership.role.value,
        email=user.email or "",
        phone=user.phone or "",
        locale=user.locale or g.residence.default_locale,
    )
    if form.validate_on_submit():
        try:
            services.update_resident(
                current_user,
                g.residence,
                membership,
                full_name=form.full_name.data,
                home_label=form.home_label.data or "",
                role=Role(form.role.data),
                email=form.email.data,
                phone=form.phone.data,
                locale=form.locale.data,
            )
        except DomainError as error:
            db.session.rollback()
            _apply(form, error)
        else:
            db.session.commit()
            flash(_("Les changements sont enregistrés."), "success")
            return redirect(url_for("residents.edit", membership_id=membership.id), 303)
    status = 422 if form.errors else 200
    return render_template(
        "residents/form.html",
        form=form,
        membership=membership,
        invitation=services.latest_invitation(membership),
        action_form=EmptyForm(),
    ), status


@bp.post("/<int:membership_id>/active")
@login_required
def set_active(membership_id: int):
    membership = _get_membership(membership_id)
    ensure(services.can_manage(current_user, g.residence, membership))
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    active = request.form.get("active") == "1"
    try:
        services.set_active(current_user, g.residence, membership, active)
    except NotAllowed:
        abort(403)
    db.session.commit()
    name = membership.user.full_name
    message = (
        _("%(name)s a de nouveau accès à la résidence.", name=name)
        if active
        else _("%(name)s n'a plus accès à l'application. Son historique est conservé.", name=name)
    )
    if is_partial():
        return render_page_or_block(
            "residents/form.html",
            ["status_panel", "live_status"],
            membership=membership,
            action_form=EmptyForm(),
            invitation=services.latest_invitation(membership),
            status_message=message,
        )
    flash(message, "success")
    return redirect(url_for("residents.edit", membership_id=membership.id), 303)


@bp.post("/<int:membership_id>/invitation")
@login_required
def reissue(membership_id: int):
    membership = _get_membership(membership_id)
    ensure(services.can_manage(current_user, g.residence, membership) and membership.is_active)
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    invitation, _code = services.issue_invitation(current_user, g.residence, membership)
    db.session.commit()
    flash(
        _("Nouvelle invitation créée. L'ancienne ne fonctionne plus."),
        "success",
    )
    return redirect(url_for("residents.invitation", invitation_id=invitation.id), 303)


@bp.get("/invitations/<int:invitation_id>")
@login_required
def invitation(invitation_id: int):
    """The printable A4 sheet: code, QR code of the activation link, expiry."""
    import segno

    invitation = get_for_coordinator_or_404(Invitation, invitation_id)
    membership = invitation.user.membership_in(g.residence.id)
    if membership is None:
        abort(404)
    ensure(services.can_manage(current_user, g.residence, membership))
    link = qr_svg = None
    if invitation.is_usable() and invitation.code:
        link = url_for("auth.activate_code", code=invitation.code, _external=True)
        qr_svg = segno.make(link, error="m").svg_inline(
            scale=6, title=_("Code QR du lien d'activation")
        )
    return render_template(
        "residents/invitation.html",
        invitation=invitation,
        membership=membership,
        link=link,
        activate_url=url_for("auth.activate", _external=True),
        qr_svg=qr_svg,
    )
