"""Security headers of every response (DESIGN §4)."""

from __future__ import annotations

from flask import Flask, g, request

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def init_app(app: Flask) -> None:
    @app.after_request
    def security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if not app.config["DEV"]:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        # Pages with personal data must not stay in a shared tablet's cache.
        # (A view may allow a private cache, as for a room's photo.) Whether someone is
        # logged in is only asked if the request already knows: a health check or a
        # stylesheet does not load a person.
        user = g.get("_login_user")
        if (
            request.endpoint != "static"
            and not response.cache_control.private
            and ((user is not None and user.is_authenticated) or response.mimetype == "text/html")
        ):
            headers["Cache-Control"] = "no-store"
        return response
