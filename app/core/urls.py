"""Safe redirects back to where the user was, and the app's addresses for outside use."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, request, url_for


def safe_next(target: str | None, default: str) -> str:
    """``target`` if it is a path on this site, else ``default`` (no open redirects)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target or any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return default
    return target


def external_url(endpoint: str, **values) -> str:
    """The full address of a page for use outside the app (a calendar feed, a QR code, an
    e-mail), built from the configured ``PUBLIC_URL`` (``FLASK_PUBLIC_URL``, e.g.
    ``https://maison.example.org``), never from the request's Host header, which the client
    chooses. Without the setting (development), Flask's own (``SERVER_NAME`` or the host)."""
    base = current_app.config.get("PUBLIC_URL")
    if base:
        return base.rstrip("/") + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def public_host() -> str:
    """The host name of ``PUBLIC_URL`` (calendar UIDs end with it); the same fallback."""
    base = current_app.config.get("PUBLIC_URL")
    if base:
        return urlsplit(base).hostname or base
    return (current_app.config.get("SERVER_NAME") or request.host).split(":")[0]
