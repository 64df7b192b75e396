"""The coordinator's residents page: list, search, add, edit, deactivate, invite."""

from __future__ import annotations

from babel import Locale
from flask import Blueprint, abort, g, render_template, request, session, url_for
from flask_babel import force_locale
from flask_login import current_user, login_required
from markupsafe import Markup
from wtforms.fields.choices import SelectChoice

from app.core.actions import perform
from app.core.forms import EmptyForm
from app.core.htmx import render_page_or_block
from app.core.i18n import get_locale, supported
from app.core.i18n import gettext as _
from app.core.permissions import Role, ensure, require_role
from app.core.tenancy import get_for_coordinator_or_404
from app.core.timewords import words
from app.core.urls import external_url
from app.residences.models import Membership
from app.residents import services
from app.residents.forms import ResidentForm
from app.residents.models import Invitation, format_code

bp = Blueprint("residents", __name__, url_prefix="/residents")

SHOW_CHOICES = ("active", "inactive", "all")


def _resident_form(**kwargs) -> ResidentForm:
    form = ResidentForm(**kwargs)
    form.role.choices = [
        SelectChoice(role.value, role.label)
        for role in services.assignable_roles(current_user, g.residence)
    ]
    return form


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

    def page(_error=None):
        return render_template("residents/form.html", form=form, membership=None)

    if request.method == "GET":
        return page()
    return perform(
        lambda: services.create_resident(
            current_user,
            g.residence,
            full_name=form.full_name.data,
            home_label=form.home_label.data or "",
            role=Role(form.role.data),
            email=form.email.data,
            phone=form.phone.data,
            locale=form.locale.data,
        ),
        form=form,
        page=page,
        message=lambda result: _(
            "La fiche de %(name)s est créée. Imprimez sa feuille d'invitation et remettez-la "
            "en main propre.",
            name=result[0].user.full_name,
        ),
        success=lambda result: _show_code_once(result[1], result[2]),
    )


def _get_membership(membership_id: int) -> Membership:
    """404 for another residence's people (whoever asks), then 403 for whoever may not
    manage this person."""
    membership = get_for_coordinator_or_404(Membership, membership_id)
    ensure(services.can_manage(current_user, g.residence, membership))
    return membership


def _person_page(membership: Membership, form):
    return render_page_or_block(
        "residents/form.html",
        ["status_panel", "live_status"],
        form=form,
        membership=membership,
        invitation=services.latest_invitation(membership),
    )


@bp.route("/<int:membership_id>", methods=["GET", "POST"])
@login_required
def edit(membership_id: int):
    membership = _get_membership(membership_id)
    user = membership.user
    form = _resident_form(
        full_name=user.full_name,
        home_label=membership.home.label if membership.home else "",
        role=membership.role.value,
        email=user.email or "",
        phone=user.phone or "",
        locale=user.locale or g.residence.default_locale,
    )
    if request.method == "GET":
        return _person_page(membership, form)
    return perform(
        lambda: services.update_resident(
            current_user,
            g.residence,
            membership,
            full_name=form.full_name.data,
            home_label=form.home_label.data or "",
            role=Role(form.role.data),
            email=form.email.data,
            phone=form.phone.data,
            locale=form.locale.data,
        ),
        form=form,
        page=lambda _error: _person_page(membership, form),
        message=_("Les changements sont enregistrés."),
        success=lambda m: url_for("residents.edit", membership_id=m.id),
    )


@bp.post("/<int:membership_id>/active")
@login_required
def set_active(membership_id: int):
    """Deactivate or reactivate; with htmx, the redirect brings back the status panel and
    the announcement (the same URL serves the page and the fragment)."""
    membership = _get_membership(membership_id)
    active = request.form.get("active") == "1"
    name = membership.user.full_name
    return perform(
        lambda: services.set_active(current_user, g.residence, membership, active),
        form=EmptyForm(),
        page=lambda _error: abort(403),
        message=(
            _("%(name)s a de nouveau accès à la résidence.", name=name)
            if active
            else _(
                "%(name)s n'a plus accès à l'application. Son historique est conservé.", name=name
            )
        ),
        success=lambda m: url_for("residents.edit", membership_id=m.id),
    )


@bp.post("/<int:membership_id>/invitation")
@login_required
def reissue(membership_id: int):
    membership = _get_membership(membership_id)
    ensure(membership.is_active)
    return perform(
        lambda: services.issue_invitation(current_user, g.residence, membership),
        form=EmptyForm(),
        page=lambda _error: abort(403),
        message=_("Nouvelle invitation créée. L'ancienne ne fonctionne plus."),
        success=lambda result: _show_code_once(*result),
    )


# Only the hash of an invitation code is stored. The code itself goes from the action that
# issued it to the sheet shown right after, in the coordinator's session (a signed cookie of
# their own device), and is taken out of it there: printed once; a new sheet is a new code.
NEW_CODE = "new_invitation_code"


def _show_code_once(invitation: Invitation, code: str) -> str:
    session[NEW_CODE] = [invitation.id, code]
    return url_for("residents.invitation", invitation_id=invitation.id)


def _code_just_issued(invitation: Invitation) -> str | None:
    kept = session.pop(NEW_CODE, None)
    if isinstance(kept, list) and len(kept) == 2 and kept[0] == invitation.id:
        return kept[1]
    return None


def sheet_locale(membership: Membership) -> str:
    """The language the person reads the app in (the residence's when they chose none)."""
    locale = membership.user.locale
    return locale if locale in supported() else membership.residence.default_locale


@bp.get("/invitations/<int:invitation_id>")
@login_required
def invitation(invitation_id: int):
    """The printable A4 sheet: code, QR code of the activation link, expiry, how to reach
    the coordination. The sheet is in the person's language; the page around it (links,
    print button), in the coordinator's."""
    import segno

    invitation = get_for_coordinator_or_404(Invitation, invitation_id)
    membership = invitation.user.membership_in(g.residence.id)
    if membership is None:
        abort(404)
    ensure(services.can_manage(current_user, g.residence, membership))
    link = sheet = None
    locale = sheet_locale(membership)
    code = _code_just_issued(invitation)
    if invitation.is_usable() and code:
        link = external_url("auth.activate_code", code=code)
        with force_locale(locale):
            sheet = render_template(
                "residents/_invitation_sheet.html",
                invitation=invitation,
                membership=membership,
                code=format_code(code),
                activate_url=external_url("auth.activate"),
                qr_svg=segno.make(link, error="m").svg_inline(
                    scale=6, title=_("Code QR du lien d'activation"), omitsize=True
                ),
                sheet_locale=locale,
                tw=words(locale, g.residence.timezone),
            )
    return render_template(
        "residents/invitation.html",
        invitation=invitation,
        membership=membership,
        link=link,
        sheet=Markup(sheet) if sheet else None,  # noqa: S704 - our own template's output
        sheet_language=Locale.parse(locale).get_language_name(get_locale()),
        sheet_in_other_language=locale != get_locale(),
    )
