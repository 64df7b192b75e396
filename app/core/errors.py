"""Domain errors and the error pages (translated, full page or fragment)."""

from __future__ import annotations

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.core.i18n import lazy_gettext as _l


class DomainError(Exception):
    """A rule said no. ``message`` is translatable; ``field`` names the form field it is about."""

    status_code = 422
    default_message = _l("Cette action n'est pas possible.")

    def __init__(self, message=None, *, field: str | None = None):
        self.message = message or self.default_message
        self.field = field
        super().__init__(self.message)

    def reworded(self, message) -> DomainError:
        """The same refusal (same status), told another way and about no field in particular."""
        import copy

        other = copy.copy(self)
        other.message, other.field = message, None
        other.args = (message,)
        return other


class NotAllowed(DomainError):
    status_code = 403
    default_message = _l("Vous n'avez pas le droit de faire cela.")


class Conflict(DomainError):
    status_code = 409


ERROR_TEXTS = {
    400: (
        _l("La demande n'a pas pu être traitée"),
        _l("Le formulaire a peut-être expiré. Revenez en arrière, rechargez la page et réessayez."),
    ),
    409: (
        _l("Action impossible"),
        _l("Quelqu'un vient de faire la même chose en même temps. Rechargez la page."),
    ),
    422: (
        _l("Action impossible"),
        _l("Cette action n'est pas possible."),
    ),
    403: (
        _l("Accès réservé"),
        _l("Cette page est réservée à d'autres personnes de la résidence."),
    ),
    404: (
        _l("Page introuvable"),
        _l("Cette page n'existe pas, ou plus. Vérifiez l'adresse, ou revenez à l'accueil."),
    ),
    405: (
        _l("Action impossible ici"),
        _l("Cette adresse ne permet pas cette action. Revenez à l'accueil."),
    ),
    429: (
        _l("Trop d'essais"),
        _l("Pour protéger les comptes, attendez quelques minutes avant de réessayer."),
    ),
    500: (
        _l("Un problème est survenu"),
        _l(
            "Ce n'est pas de votre faute. Réessayez dans un moment ; si cela continue, "
            "prévenez la coordination."
        ),
    ),
}


def render_error(code: int, text=None):
    title, default_text = ERROR_TEXTS.get(code, ERROR_TEXTS[500])
    text = text or default_text
    # 5xx: the text says to tell the coordination, so the page says how.
    return render_template(
        "errors/error.html", code=code, title=title, text=text, show_contact=code >= 500
    ), code


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(400)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        if error.code not in ERROR_TEXTS:
            return error
        return render_error(error.code)

    @app.errorhandler(DomainError)
    def refused(error: DomainError):
        # A rule said no outside the action runner (a page working out a period typed in
        # its address, say a time the clock change skips): its reason, never a 500.
        from app.extensions import db

        db.session.rollback()
        return render_error(error.status_code, error.message)

    @app.errorhandler(Exception)
    def unexpected_error(error):
        app.logger.exception("Unhandled error")
        from app.extensions import db

        db.session.rollback()
        return render_error(500)
