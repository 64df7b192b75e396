"""Log in and out, redeem an invitation, and the "Moi" page."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from app.core.errors import DomainError
from app.core.urls import safe_next
from app.extensions import db, limiter
from app.residents import services as residents
from app.users import services
from app.users.forms import ActivateForm, ChangePasswordForm, DisplayForm, EmptyForm, LoginForm

bp = Blueprint("auth", __name__)


def _login_account_key() -> str:
    return "login-account:" + request.form.get("username", "").strip().lower()[:254]


def _redeem_code_key() -> str:
    raw = request.view_args.get("code") or request.form.get("code", "")
    return "redeem-code:" + "".join(ch for ch in raw.upper() if ch.isalnum())[:20]


def _failed(response) -> bool:
    """Only failed attempts count towards the limits."""
    return response.status_code != 303


def _start_session(user) -> None:
    lang = session.get("lang")
    session.clear()
    if lang:
        # The language chosen on this device before logging in wins over the account's.
        session["lang"] = lang
        user.locale = lang
    login_user(user)
    first = user.active_memberships[0]
    session["residence_id"] = first.residence_id
    session.permanent = True


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_IP"], methods=["POST"], deduct_when=_failed)
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_ACCOUNT"],
    key_func=_login_account_key,
    methods=["POST"],
    deduct_when=_failed,
)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("pages.home"), 303)
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.username.data, form.password.data)
        except DomainError as error:
            form.password.errors.append(error.message)
        else:
            _start_session(user)
            db.session.commit()
            flash(_("Bonjour %(name)s, vous êtes connecté·e.", name=user.full_name), "success")
            return redirect(safe_next(form.next.data, url_for("pages.home")), 303)
    status = 422 if form.errors else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    services.end_all_sessions(current_user)
    db.session.commit()
    logout_user()
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("Vous êtes déconnecté·e. À bientôt !"), "success")
    return redirect(url_for("auth.login"), 303)


@bp.route("/activate", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["REDEEM_LIMIT_IP"], methods=["POST"], deduct_when=_failed)
def activate():
    """Type the code printed on the invitation sheet."""
    from app.users.forms import RedeemCodeForm

    form = RedeemCodeForm()
    if form.validate_on_submit():
        try:
            invitation = residents.find_usable_invitation(form.code.data)
        except DomainError as error:
            form.code.errors.append(error.message)
        else:
            return redirect(url_for("auth.activate_code", code=invitation.code), 303)
    status = 422 if form.errors else 200
    return render_template("auth/activate.html", form=form), status


@bp.route("/activate/<code>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["REDEEM_LIMIT_IP"], methods=["POST"], deduct_when=_failed)
@limiter.limit(
    lambda: current_app.config["REDEEM_LIMIT_CODE"],
    key_func=_redeem_code_key,
    methods=["POST"],
    deduct_when=_failed,
)
def activate_code(code: str):
    """The link of the QR code: choose a username and a password."""
    try:
        invitation = residents.find_usable_invitation(code)
    except DomainError as error:
        return render_template("auth/activate_invalid.html", message=error.message), 404
    person = invitation.user
    form = ActivateForm(username=person.username or "")
    if form.validate_on_submit():
        try:
            user = residents.redeem_invitation(code, form.username.data, form.password.data)
        except DomainError as error:
            db.session.rollback()
            getattr(form, error.field or "username").errors.append(error.message)
        else:
            _start_session(user)
            db.session.commit()
            flash(
                _(
                    "Votre compte est prêt. Votre nom d'utilisateur est « %(username)s ».",
                    username=user.username,
                ),
                "success",
            )
            return redirect(url_for("pages.home"), 303)
    status = 422 if form.errors else 200
    return render_template(
        "auth/activate_choose.html", form=form, person=person, invitation=invitation, code=code
    ), status


@bp.get("/me")
@login_required
def me():
    return render_template("me/index.html", form=EmptyForm())


@bp.route("/me/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current_password.data, form.password.data)
        except DomainError as error:
            db.session.rollback()
            getattr(form, error.field or "password").errors.append(error.message)
        else:
            # This device stays logged in with the new session version; others are out.
            login_user(current_user._get_current_object())
            db.session.commit()
            flash(
                _("Votre mot de passe est changé. Vos autres appareils sont déconnectés."),
                "success",
            )
            return redirect(url_for("auth.me"), 303)
    status = 422 if form.errors else 200
    return render_template("me/password.html", form=form), status


@bp.post("/me/logout-everywhere")
@login_required
def logout_everywhere():
    form = EmptyForm()
    if form.validate_on_submit():
        services.end_all_sessions(current_user)
        db.session.commit()
        logout_user()
        session.pop("residence_id", None)
        flash(_("Vous êtes déconnecté·e de tous vos appareils."), "success")
    return redirect(url_for("auth.login"), 303)


@bp.post("/me/calendar-address")
@login_required
def new_calendar_address():
    form = EmptyForm()
    if form.validate_on_submit():
        services.new_calendar_address(current_user)
        db.session.commit()
        flash(
            _("Votre calendrier a une nouvelle adresse. Abonnez-vous à nouveau sur vos appareils."),
            "success",
        )
    return redirect(url_for("auth.me", _anchor="calendar"), 303)


@bp.post("/display")
def display():
    """Text size and contrast: kept on the account, or in the session before login."""
    form = DisplayForm()
    target = safe_next(form.next.data, url_for("pages.home"))
    if not form.validate_on_submit():
        return redirect(target, 303)
    text_size = form.text_size.data
    contrast = form.high_contrast.data
    size = int(text_size) if text_size in ("0", "1", "2") else None
    high = {"1": True, "0": False}.get(contrast)
    if current_user.is_authenticated:
        services.set_display(current_user, text_size=size, high_contrast=high)
        db.session.commit()
    else:
        if size is not None:
            session["text_size"] = size
        if high is not None:
            session["high_contrast"] = high
    flash(_("L'affichage est modifié."), "success")
    return redirect(target, 303)
