"""Maison commune: rooms, activities and house-rule votes for shared residences."""

from __future__ import annotations

from flask import Flask, g, request, session
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from app.config import default_config
from app.core import bench, errors, htmx, i18n, pagecache, security
from app.core.db import MAX_ID
from app.core.sessions import CookieSessionInterface
from app.core.templating import LocalizedEnvironment
from app.core.tenancy import load_current_residence
from app.extensions import babel, csrf, db, limiter, login_manager, mail, migrate
from app.extensions import htmx as htmx_ext


class MaisonCommune(Flask):
    """Flask, with templates compiled once per language (``core.templating``)."""

    jinja_environment = LocalizedEnvironment


class BoundedIntConverter(IntegerConverter):
    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def create_app(config: dict | None = None) -> Flask:
    app = MaisonCommune(
        __name__,
        instance_relative_config=True,
        template_folder="../templates",
        static_folder="../static",
    )
    app.config.from_mapping(default_config(app.instance_path))
    app.config.from_prefixed_env()
    if config:
        app.config.from_mapping(config)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        options.pop("pool_pre_ping", None)  # a file does not go away like a server
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    if app.config["DEV"]:
        app.config["SESSION_COOKIE_SECURE"] = False
        app.config["REMEMBER_COOKIE_SECURE"] = False
    if app.config["PROXY_FIX"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)

    app.jinja_env.add_extension("jinja2.ext.do")
    # Ids in URLs fit the database's integer columns; anything bigger is simply not found.
    app.url_map.converters["int"] = BoundedIntConverter
    _init_extensions(app)
    _register_blueprints(app)
    errors.register_error_handlers(app)
    htmx.init_app(app)
    security.init_app(app)
    _register_request_hooks(app)
    _register_template_helpers(app)
    bench.init_app(app)

    from app.cli import register_cli

    register_cli(app)
    return app


def _init_extensions(app: Flask) -> None:
    # Models must be imported before Flask-Migrate compares them with the migrations.
    from app import models  # noqa: F401

    db.init_app(app)
    with app.app_context():
        from sqlalchemy import event

        from app.core.db import configure_sqlite

        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", configure_sqlite)
        pagecache.init_app(app, db.engine)
    migrate.init_app(app, db, render_as_batch=True)
    app.session_interface = CookieSessionInterface()
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    # No "session protection": it only marks a session "not fresh" when the IP or browser
    # changes (a phone between Wi-Fi and 4G), which nothing here uses, and it costs a hash and
    # a cookie rewrite per request. Session versions end stolen or old sessions instead.
    login_manager.session_protection = None
    babel.init_app(app, locale_selector=i18n.get_locale, timezone_selector=i18n.get_timezone)
    i18n.install_template_gettext(app)
    csrf.init_app(app)
    mail.init_app(app)
    htmx_ext.init_app(app)
    limiter.init_app(app)
    # Only a few routes are limited (login, invitations), by their decorators, which check
    # their limits when called. There are no application-wide limits, so Flask-Limiter's
    # check before every request (a good share of a light request's time) has nothing to do.
    hook = limiter._check_request_limit
    app.before_request_funcs[None] = [f for f in app.before_request_funcs[None] if f != hook]

    @login_manager.user_loader
    def load_user(user_id: str):
        from app.users.services import load_session_user

        try:
            raw_id, raw_version = user_id.split(":", 1)
            return load_session_user(int(raw_id), int(raw_version))
        except (ValueError, TypeError, OverflowError):
            return None


def _register_blueprints(app: Flask) -> None:
    from app.activities.views import bp as activities_bp
    from app.bookings.views import bp as bookings_bp
    from app.calendars.views import bp as calendars_bp
    from app.messages.views import bp as messages_bp
    from app.pages.views import bp as pages_bp
    from app.privacy.views import bp as privacy_bp
    from app.residences.views import bp as residences_bp
    from app.residents.views import bp as residents_bp
    from app.rooms.views import bp as rooms_bp
    from app.users.views import bp as auth_bp
    from app.votes.charter_views import bp as charter_bp
    from app.votes.proxy_views import bp as vote_desk_bp
    from app.votes.views import bp as votes_bp

    for bp in (
        pages_bp,
        auth_bp,
        residences_bp,
        residents_bp,
        messages_bp,
        rooms_bp,
        bookings_bp,
        activities_bp,
        calendars_bp,
        votes_bp,
        charter_bp,
        vote_desk_bp,
        privacy_bp,
    ):
        app.register_blueprint(bp)


def refuse_nul_bytes() -> None:
    """A NUL character is never typed by a person, and PostgreSQL refuses it in text: 400."""
    from flask import abort, request

    sources = (request.args, request.form) if request.method == "POST" else (request.args,)
    for values in sources:
        for value in values.values():
            if "\x00" in value:
                abort(400)


# Pages that are for no one in particular: no person, residence or language to work out.
IMPERSONAL_ENDPOINTS = {
    "static",
    "pages.healthz",
    "calendars.personal_feed",
    "calendars.programme_feed",
}

# Files (a room's photo): ``?lang=`` on them is no choice of language (the probe wrote the
# account's language from an image's address); pages remember it.
FILE_ENDPOINTS = {"rooms.photo"}


def _register_request_hooks(app: Flask) -> None:
    @app.before_request
    def before_request():
        refuse_nul_bytes()
        if request.endpoint in IMPERSONAL_ENDPOINTS:
            return
        kept = pagecache.kept_page(db.session.get_bind())
        if kept is not None:
            return kept
        load_current_residence()
        if request.endpoint not in FILE_ENDPOINTS:
            i18n.remember_lang_choice()

    @app.teardown_request
    def forget_request_globals(exc):
        # ``g`` belongs to one request. pytest-flask keeps one app context across test
        # requests (flask-login #704), so Flask-Login's cached user and Flask-WTF's cached
        # CSRF token would leak from one request to the next: drop them here.
        for key in list(g):
            g.pop(key, None)


_FIXED_URLS: dict = {}


def fixed_url(endpoint: str, **values) -> str:
    """``url_for`` of a URL that never changes while the app runs (stylesheets, the menu),
    worked out once: the layout of every page has a dozen of them."""
    from flask import url_for

    key = (request.script_root, endpoint, *sorted(values.items()))
    url = _FIXED_URLS.get(key)
    if url is None:
        url = _FIXED_URLS[key] = url_for(endpoint, **values)
    return url


def _register_template_helpers(app: Flask) -> None:
    from app.core.permissions import Role, has_role
    from app.core.timewords import request_words
    from app.core.urls import external_url

    app.jinja_env.globals.update(
        is_partial=htmx.is_partial,
        has_role=has_role,
        Role=Role,
        fixed_url=fixed_url,
        external_url=external_url,
    )
    # "Monday 7 December" at the start of a line: Jinja's ``capitalize`` would lower the
    # rest ("Monday 7 december").
    app.jinja_env.filters["capfirst"] = lambda text: text[:1].upper() + text[1:]

    @app.context_processor
    def layout_context():
        if current_user.is_authenticated:
            text_size, contrast = current_user.text_size, current_user.high_contrast
        else:
            text_size = session.get("text_size", 0)
            contrast = session.get("high_contrast", False)
        return {
            "residence": g.get("residence"),
            "membership": g.get("membership"),
            "text_size": text_size,
            "high_contrast": contrast,
            "current_locale": i18n.get_locale(),
            "tw": request_words(),
        }
