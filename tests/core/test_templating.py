"""Templates are compiled once per language, their fixed texts translated at compile time."""

from __future__ import annotations

from markupsafe import Markup

from app.core.templating import split_name, translated
from tests.conftest import page

SOURCE = """{{ _("Mes réservations") }} {{ _("Bonjour %(name)s", name=who) }} {{ _(text) }}
{{ ngettext("%(num)d salle", "%(num)d salles", 2) }}"""


def test_fixed_texts_are_translated_when_the_template_is_compiled(app):
    code = app.jinja_env.compile(SOURCE, name="en:x.html", raw=True)
    assert "_translated" in code and "'My bookings'" in code and "'Hello %(name)s'" in code
    assert "Mes réservations" not in code
    # A text that is not written in the template, and plural forms, wait for the request.
    assert "'gettext'" in code or "'_'" in code
    assert "ngettext" in code
    french = app.jinja_env.compile(SOURCE, name="fr:x.html", raw=True)
    assert "'Mes réservations'" in french


def test_a_template_made_from_a_string_is_left_alone(app):
    code = app.jinja_env.compile(SOURCE, raw=True)
    assert "_translated" not in code


def test_values_are_escaped_and_the_translation_trusted():
    assert translated("Bonjour %(name)s", name="<b>x</b>") == Markup("Bonjour &lt;b&gt;x&lt;/b&gt;")
    assert translated("<em>là</em>") == Markup("<em>là</em>")


def test_names_carry_the_language():
    assert split_name("en:bookings/room.html") == ("en", "bookings/room.html")
    assert split_name("bookings/room.html") == (None, "bookings/room.html")


def test_each_language_gets_its_page_and_pages_it_includes(client):
    french, english = page(client.get("/login")), page(client.get("/login?lang=en"))
    assert "Se connecter" in french and "taille du texte et contraste" in french  # the footer
    assert "Log in" in english and "text size and contrast" in english
    assert "Se connecter" not in english
