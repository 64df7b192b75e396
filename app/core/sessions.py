"""Flask's signed-cookie session, without its work at every request."""

from __future__ import annotations

from flask.sessions import SecureCookieSessionInterface


class CookieSessionInterface(SecureCookieSessionInterface):
    """The same cookies as Flask's (same signature, salt and lifetime). Two differences: the
    serializer is built once per secret key rather than at every request, and a request
    without a session cookie (a health check, a first visit, a stylesheet) gets an empty
    session without touching it."""

    _keys: tuple | None = None
    _serializer = None

    def get_signing_serializer(self, app):
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        if keys != self._keys:
            self._serializer = super().get_signing_serializer(app)
            self._keys = keys
        return self._serializer

    def open_session(self, app, request):
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)
