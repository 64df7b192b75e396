"""Templates compiled once per language, with their fixed texts already translated.

A page says ``{{ _("Mes réservations") }}`` dozens of times; looking each text up in the
catalogue on every request costs a good share of a page's time. Here each template is
compiled once per language (its name carries the language: ``fr:bookings/mine.html``) and a
call to ``_``/``gettext`` whose text is written in the template is translated when the
template is compiled. What stays for the request is the ``%`` formatting of the values, as
Jinja's i18n does it (``Markup``: the translation is trusted, the values are escaped).

``ngettext`` (the form depends on a number) and ``_`` of a text that is not written in the
template are translated when the page is rendered, as before (``core.i18n``). Templates made
from a string (no name, hence no language) are not touched.
"""

from __future__ import annotations

import functools

from flask.templating import Environment
from jinja2 import BaseLoader
from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream
from markupsafe import Markup

SEPARATOR = ":"


def translated(text: str, **variables) -> Markup:
    """What ``_("…", x=…)`` becomes: the text is already in the page's language."""
    text = Markup(text)  # noqa: S704 - a translation is trusted, as in Jinja's i18n
    return text % variables if variables else text


def split_name(name: str | None) -> tuple[str | None, str | None]:
    """``"fr:base.html"`` → ``("fr", "base.html")``; a name without language → (None, name)."""
    if name and SEPARATOR in name:
        locale, _sep, rest = name.partition(SEPARATOR)
        if locale.isalpha() and len(locale) <= 8:
            return locale, rest
    return None, name


@functools.cache
def _catalogue(locale: str, directories: tuple[str, ...]):
    from babel.support import Translations

    merged = Translations()
    for directory in directories:
        merged.merge(Translations.load(directory, [locale], "messages"))
    return merged


class TranslateConstants(Extension):
    """Replaces ``_("text")`` / ``gettext("text")`` by ``_translated("texte")`` at compile time,
    in templates whose name carries a language."""

    def filter_stream(self, stream: TokenStream):
        locale, _name = split_name(stream.name)
        if locale is None:
            yield from stream
            return
        catalogue = _catalogue(locale, tuple(self.environment.translation_directories()))
        pending: list[Token] = []
        for token in stream:
            pending.append(token)
            # name(_) lparen string (rparen | comma)
            if len(pending) > 4:
                yield pending.pop(0)
            if (
                len(pending) == 4
                and pending[0].type == "name"
                and pending[0].value in ("_", "gettext")
                and pending[1].type == "lparen"
                and pending[2].type == "string"
                and pending[3].type in ("rparen", "comma")
            ):
                name, lparen, text, after = pending
                yield Token(name.lineno, "name", "_translated")
                yield lparen
                yield Token(text.lineno, "string", catalogue.ugettext(text.value))
                yield after
                pending = []
        yield from pending


class LocaleStrippingLoader(BaseLoader):
    """Finds ``fr:base.html`` where the app's loader finds ``base.html``."""

    def __init__(self, loader):
        self.loader = loader

    def get_source(self, environment, template):
        _locale, name = split_name(template)
        return self.loader.get_source(environment, name)

    def list_templates(self):
        return self.loader.list_templates()


class LocalizedEnvironment(Environment):
    """Flask's Jinja environment, with one compiled template per language."""

    def __init__(self, app, **options):
        extensions = list(options.pop("extensions", ())) + [TranslateConstants]
        super().__init__(app, extensions=extensions, **options)
        self.loader = LocaleStrippingLoader(self.loader)
        self.globals["_translated"] = translated

    def translation_directories(self) -> list[str]:
        return list(self.app.extensions["babel"].translation_directories)

    def current_locale(self) -> str | None:
        from flask import has_request_context
        from flask_babel import get_locale

        if not has_request_context():
            return None
        locale = get_locale()
        return str(locale.language) if locale is not None else None

    def get_template(self, name, parent=None, globals=None):
        if isinstance(name, str) and parent is None and split_name(name)[0] is None:
            locale = self.current_locale()
            if locale is not None:
                name = f"{locale}{SEPARATOR}{name}"
        return super().get_template(name, parent, globals)

    def join_path(self, template: str, parent: str) -> str:
        """A template imported, included or extended by another is in the same language."""
        locale, _name = split_name(parent)
        if locale is None or split_name(template)[0] is not None:
            return template
        return f"{locale}{SEPARATOR}{template}"
