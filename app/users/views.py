"""Log in and out, redeem an invitation, and the "Moi" page."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import force_locale
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user

from app.core.actions import perform
from app.core.errors import DomainError
from app.core.forms import EmptyForm
from app.core.htmx import render_page_or_block
from app.core.i18n import get_locale
from app.core.i18n import gettext as _
from app.core.pagecache import cached_page
from app.core.urls import safe_next
from app.extensions import limiter
from app.residents import services as residents
from app.residents.models import normalise_code
from app.users import services
from app.users.forms import (
    ActivateForm,
    ChangePasswordForm,
    DisplayForm,
    LoginForm,
    RedeemCodeForm,
)

bp = Blueprint("auth", __name__)


def _login_account_key() -> str:
    """Failed logins count per account *and* address (OWASP): someone hammering Jeanne's
    account from elsewhere does not lock her out of her own tablet. Each address also has a
    ceiling of its own (``LOGIN_LIMIT_IP``), whatever the accounts it tries."""
    login = request.form.get("username", "").strip().lower()[:254]
    return f"login-account:{get_remote_address()}:{login}"


def _redeem_code_key() -> str:
    raw = request.view_args.get("code") or request.form.get("code", "")
    return "redeem-code:" + "".join(ch for ch in raw.upper() if ch.isalnum())[:20]


def _failed(response) -> bool:
    """Only failed attempts count towards the limits."""
    return response.status_code != 303


def _unknown_code(response) -> bool:
    """Only codes that do not exist (or no longer work) count: a person's own mistakes while
    choosing a password (two that differ) do not use up their invitation's tries."""
    return response.status_code == 404


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


def _end_session() -> None:
    logout_user()
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


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
    page = lambda _error=None: render_template("auth/login.html", form=form)  # noqa: E731
    if request.method == "GET":
        return page()

    def started(user):
        _start_session(user)
        return safe_next(form.next.data, url_for("pages.home"))

    def welcome(user) -> str:
        # Said on the next page, which is in the person's language.
        with force_locale(session.get("lang") or user.locale or get_locale()):
            return _("Connexion réussie. Bonjour %(name)s !", name=user.full_name)

    chosen = (session.get("text_size"), session.get("high_contrast"))
    return perform(
        lambda: services.authenticate(form.username.data, form.password.data, display=chosen),
        form=form,
        lock=False,
        page=page,
        message=welcome,
        success=started,
    )


@bp.post("/logout")
@login_required
def logout():
    def ended(_user):
        _end_session()
        return url_for("auth.login")

    return perform(
        lambda: services.end_all_sessions(current_user),
        form=EmptyForm(),
        lock=False,
        page=lambda _error: abort(400),
        message=_("Déconnexion réussie. À bientôt !"),
        success=ended,
    )


@bp.route("/activate", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["REDEEM_LIMIT_IP"], methods=["POST"], deduct_when=_failed)
def activate():
    """Type the code printed on the invitation sheet."""
    form = RedeemCodeForm()
    page = lambda _error=None: render_template("auth/activate.html", form=form)  # noqa: E731
    if request.method == "GET":
        return page()
    return perform(
        lambda: residents.find_usable_invitation(form.code.data),
        form=form,
        lock=False,
        page=page,
        # The code as typed, tidied ("abcd efg hjk" → ABCDEFGHJK): only its hash is stored.
        success=lambda _invitation: url_for(
            "auth.activate_code", code=normalise_code(form.code.data or "")
        ),
    )


@bp.route("/activate/<code>", methods=["GET", "POST"])
# The page itself is limited too: it says whether a code exists (guessing by address).
@limiter.limit(lambda: current_app.config["REDEEM_LIMIT_IP"], deduct_when=_unknown_code)
@limiter.limit(
    lambda: current_app.config["REDEEM_LIMIT_CODE"],
    key_func=_redeem_code_key,
    methods=["POST"],
    deduct_when=_unknown_code,
)
def activate_code(code: str):
    """The link of the QR code: choose a username and a password."""
    try:
        invitation = residents.find_usable_invitation(code)
    except DomainError as error:
        return render_template("auth/activate_invalid.html", message=error.message), 404
    form = ActivateForm(
        username=invitation.user.username or "",
        username_problem=lambda name: services.username_problem(
            name, exclude_user_id=invitation.user_id
        ),
    )

    def page(_error=None):
        return render_template(
            "auth/activate_choose.html",
            form=form,
            person=invitation.user,
            invitation=invitation,
            code=code,
        )

    if request.method == "GET":
        return page()

    def started(user):
        _start_session(user)
        return url_for("pages.home")

    return perform(
        lambda: residents.redeem_invitation(code, form.username.data, form.password.data),
        form=form,
        page=page,
        message=lambda user: _(
            "Votre compte est prêt. Votre nom d'utilisateur est « %(username)s ».",
            username=user.username,
        ),
        success=started,
    )


@bp.get("/me")
@cached_page
@login_required
def me():
    return render_template("me/index.html", form=EmptyForm())


@bp.route("/me/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm(
        current_is_right=lambda password: services.password_is_right(current_user, password)
    )
    page = lambda _error=None: render_template("me/password.html", form=form)  # noqa: E731
    if request.method == "GET":
        return page()

    def kept_here(_user):
        # This device stays logged in with the new session version; others are out.
        login_user(current_user._get_current_object())
        return url_for("auth.me")

    return perform(
        lambda: services.change_password(
            current_user._get_current_object(), form.current_password.data, form.password.data
        ),
        form=form,
        page=page,
        message=_("Votre mot de passe est changé. Vos autres appareils sont déconnectés."),
        success=kept_here,
    )


@bp.post("/me/logout-everywhere")
@login_required
def logout_everywhere():
    def ended(_user):
        _end_session()
        return url_for("auth.login")

    return perform(
        lambda: services.end_all_sessions(current_user),
        form=EmptyForm(),
        lock=False,
        page=lambda _error: abort(400),
        message=_("Tous vos appareils sont déconnectés."),
        success=ended,
    )


@bp.post("/me/calendar-address")
@login_required
def new_calendar_address():
    return perform(
        lambda: services.new_calendar_address(current_user._get_current_object()),
        form=EmptyForm(),
        lock=False,
        page=lambda _error: abort(400),
        message=_(
            "Votre calendrier a une nouvelle adresse. Abonnez-vous à nouveau sur vos appareils."
        ),
        success=lambda _user: url_for("auth.me", _anchor="calendar"),
    )


def _display_back() -> str:
    """The page the person came from (``?next=``), where "Revenir" leads."""
    return safe_next(request.args.get("next"), url_for("pages.home"))


@bp.get("/display")
def display_page():
    """Text size and contrast on a page of their own, reached from the top of every page.
    A change keeps the person here, with the new look and a word to say what changed; the
    fragment answers htmx (the settings and the announcement)."""
    back = _display_back()
    return render_page_or_block(
        "me/display.html",
        ["display_settings", "live_status"],
        form=DisplayForm(next=url_for("auth.display_page", next=back)),
        back=back,
    )


def _display_message(size: int | None, contrast: bool | None) -> str:
    if contrast is not None:
        return _("Contraste élevé activé.") if contrast else _("Contraste élevé désactivé.")
    return {
        0: _("Le texte est à sa taille normale."),
        1: _("Le texte est maintenant grand."),
        2: _("Le texte est maintenant très grand."),
    }.get(size, _("L'affichage est modifié."))


@bp.post("/display")
def display():
    """Text size and contrast: kept on the account, or in the session before login."""
    form = DisplayForm()
    target = safe_next(form.next.data, url_for("auth.display_page"))
    size, contrast = form.choice()

    def change():
        if current_user.is_authenticated:
            return services.set_display(current_user, text_size=size, high_contrast=contrast)
        if size is not None:
            session["text_size"] = size
        if contrast is not None:
            session["high_contrast"] = contrast
        return None

    return perform(
        change,
        form=form,
        lock=False,
        page=lambda _error: redirect(target, 303),
        message=_display_message(size, contrast),
        success=lambda _result: target,
    )
