"""Language and time zone of each request."""

from __future__ import annotations

from flask import current_app, g, request, session
from flask_babel.speaklater import LazyString
from flask_login import current_user
from markupsafe import escape

# Flask-Babel's lazy strings say they are safe HTML (``__html__`` returns the text as it is),
# so a lazy message holding user data (a closure's reason, a unit's name) would reach the page
# unescaped. They are text: escape them like any other string.
LazyString.__html__ = lambda self: str(escape(str(self)))


def supported() -> tuple[str, ...]:
    return tuple(current_app.config["LANGUAGES"])


def get_locale() -> str:
    """``?lang=`` (remembered), then the user's choice, then ``Accept-Language``, then French."""
    chosen = g.get("chosen_locale")
    if chosen:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in supported():
        return current_user.locale
    if session.get("lang") in supported():
        return session["lang"]
    return request.accept_languages.best_match(supported()) or "fr"


def get_timezone() -> str:
    residence = g.get("residence")
    if residence is not None:
        return residence.timezone
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def remember_lang_choice() -> None:
    """``?lang=en`` on any page switches the language and remembers it (before_request)."""
    lang = request.args.get("lang")
    if lang not in supported():
        return
    g.chosen_locale = lang
    session["lang"] = lang
    if current_user and current_user.is_authenticated and current_user.locale != lang:
        from app.extensions import db

        current_user.locale = lang
        db.session.commit()
