"""Configuration: safe development defaults, overridden by environment variables.

``DATABASE_URL``, ``SECRET_KEY``, ``REDIS_URL`` and ``UPLOAD_FOLDER`` are read as they are
named (the names operators know); any other setting can be given as ``FLASK_<NAME>``
(``FLASK_DEV=1``).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path


def _database_url(instance_path: str) -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        return "sqlite:///" + str(Path(instance_path) / "maison-commune.sqlite3")
    # Heroku-style URLs and plain "postgresql://" both mean psycopg 3 here.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _secret_key(instance_path: str) -> str:
    """SECRET_KEY from the environment, else one kept in ``instance/secret_key``.

    Several app servers must share one key: production sets ``SECRET_KEY``.
    """
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        # Written whole under another name, then linked into place: two processes starting
        # at once (gunicorn's workers, two test runs) never read a half-written key, and
        # the first one's key is the one both keep.
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f"secret_key.{os.getpid()}.{secrets.token_hex(4)}")
        draft.write_text(secrets.token_hex(32))
        draft.chmod(0o600)
        with contextlib.suppress(FileExistsError):
            os.link(draft, path)
        draft.unlink()
    return path.read_text().strip()


def default_config(instance_path: str) -> dict:
    return {
        "SECRET_KEY": _secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": _database_url(instance_path),
        # A database server may have been restarted: test a pooled connection before using it
        # (create_app drops this for SQLite, a file).
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # DEV: plain-http development server (no Secure cookies, no HSTS).
        "DEV": False,
        "WTF_CSRF_TIME_LIMIT": None,
        "WTF_CSRF_SSL_STRICT": True,
        "BABEL_DEFAULT_LOCALE": "fr",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Paris",
        "BABEL_TRANSLATION_DIRECTORIES": "../translations",
        "LANGUAGES": ("fr", "en"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": True,
        "REMEMBER_COOKIE_SECURE": True,
        "PERMANENT_SESSION_LIFETIME": 60 * 60 * 24 * 30,
        # The session cookie is written only when the session changes, not on every page.
        "SESSION_REFRESH_EACH_REQUEST": False,
        "RATELIMIT_STORAGE_URI": os.environ.get("REDIS_URL") or "memory://",
        "RATELIMIT_HEADERS_ENABLED": False,
        # Login: per account and IP pair (strict: the owner elsewhere is not locked out) and
        # per IP (a whole residence may share one IP).
        "LOGIN_LIMIT_ACCOUNT": "5 per minute;20 per hour",
        "LOGIN_LIMIT_IP": "30 per minute;300 per hour",
        "REDEEM_LIMIT_CODE": "5 per minute;20 per hour",
        "REDEEM_LIMIT_IP": "20 per minute;100 per hour",
        "INVITATION_DAYS": 30,
        # argon2id parameters (argon2-cffi defaults); tests use cheaper ones.
        "ARGON2_PARAMS": {},
        "PROXY_FIX": 0,
        # Room photos: a directory every app server shares (DESIGN §6), not the app's folder.
        "UPLOAD_FOLDER": os.environ.get("UPLOAD_FOLDER") or str(Path(instance_path) / "uploads"),
        # Photos are at most 5 MB; nothing bigger is read.
        "MAX_CONTENT_LENGTH": 8 * 1024 * 1024,
        # E-mail: messages also go by e-mail to people who have an address, when an SMTP
        # server is set (FLASK_MAIL_SERVER, FLASK_MAIL_PORT, FLASK_MAIL_USE_TLS,
        # FLASK_MAIL_USERNAME, FLASK_MAIL_PASSWORD, FLASK_MAIL_DEFAULT_SENDER). `flask
        # deliver-mail` sends them (cron, every minute). PUBLIC_URL (FLASK_PUBLIC_URL,
        # "https://maison.example.org") puts a link to the page in the e-mail.
        "MAIL_SERVER": None,
        "MAIL_PORT": 25,
        "MAIL_USE_TLS": False,
        "MAIL_DEFAULT_SENDER": "Maison commune <ne-pas-repondre@localhost>",
        "PUBLIC_URL": None,
        # Personal data (RGPD). The landlord's data-protection officer, as the privacy notice
        # shows it (FLASK_PRIVACY_CONTACT: "dpo@bailleur.example, 03 20 00 00 00"). Empty: the
        # notice sends people to the coordination only.
        "PRIVACY_CONTACT": "",
        # Audit entries are kept this long, then reduced to counts per residence, month and
        # action (`flask purge`). CNIL: access and action logs, 6 months to 1 year.
        "AUDIT_RETENTION_MONTHS": 12,
        # Invitations are deleted this long after they expired (`flask purge`).
        "INVITATION_PURGE_DAYS": 90,
        # Pages a person opens again are kept in each server process's memory until anything
        # is written to the database or the minute changes (core.pagecache): per process, at
        # most this many pages and bytes.
        "PAGE_CACHE": True,
        "PAGE_CACHE_MAX_ENTRIES": 1000,
        "PAGE_CACHE_MAX_BYTES": 32 * 1024 * 1024,
        # Benchmark helpers (a "hello" route, an X-Query-Count header): bench/ only.
        "BENCHMARK": False,
    }


TEST_CONFIG = {
    "TESTING": True,
    "DEV": True,
    "SECRET_KEY": "test-secret-key-not-for-production",
    "SERVER_NAME": None,
    "RATELIMIT_ENABLED": False,
    "RATELIMIT_STORAGE_URI": "memory://",
    "ARGON2_PARAMS": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1},
}
