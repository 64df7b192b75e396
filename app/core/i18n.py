"""Language and time zone of each request."""

from __future__ import annotations

from flask import current_app, g, has_request_context, request, session
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
    """``?lang=`` (remembered), then the user's choice, then ``Accept-Language``, then French.
    Outside a request (a ``flask`` command, a job), French: the default locale."""
    if not has_request_context():
        return current_app.config.get("BABEL_DEFAULT_LOCALE", "fr")
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


# Templates translate dozens of strings per page. Flask-Babel looks the translations up again
# for each one (request globals, locale, domain, cache); these do it once per request and
# locale (``force_locale`` changes the locale in Flask-Babel's request state, read here).
def _translations():
    from flask_babel import get_domain
    from flask_babel import get_locale as babel_locale

    state = g.get("_flask_babel")
    locale = getattr(state, "babel_locale", None) if state is not None else None
    cached = g.get("_template_translations")
    if cached is not None and locale is not None and cached[0] is locale:
        return cached[1]
    if locale is None:
        babel_locale()
        locale = g._flask_babel.babel_locale
    translations = get_domain().get_translations()
    g._template_translations = (locale, translations)
    return translations


def template_gettext(message: str) -> str:
    return _translations().ugettext(message)


def template_ngettext(singular: str, plural: str, num: int) -> str:
    return _translations().ungettext(singular, plural, num)


# The same for Python code: what Flask-Babel's ``gettext``, ``ngettext`` and
# ``lazy_gettext`` do (``%`` formatting with keyword values), without its lookups each time.
# Outside a request or app, the text stays in French (the source language).


def gettext(message: str, **variables) -> str:
    text = _translations().ugettext(message) if g else message
    return text % variables if variables else text


def ngettext(singular: str, plural: str, num: int, **variables) -> str:
    variables.setdefault("num", num)
    if g:
        text = _translations().ungettext(singular, plural, num)
    else:
        text = singular if num == 1 else plural
    return text % variables


def lazy_gettext(message: str, **variables) -> LazyString:
    return LazyString(gettext, message, **variables)


_ = gettext
_l = lazy_gettext


def install_template_gettext(app) -> None:
    """Jinja's ``_``/``gettext``/``ngettext`` (newstyle: Jinja escapes and formats)."""
    app.jinja_env.install_gettext_callables(
        gettext=template_gettext, ngettext=template_ngettext, newstyle=True
    )
